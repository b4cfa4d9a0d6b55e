/* Account form: the region field's active search. htmx fetches the matching divisions as buttons;
   picking one (tap, click, or arrow keys then Enter) writes its code into the hidden region_code,
   shows its full label in the search box and reloads the unit options (a "change" on the hidden
   field). Typing again un-picks, so what is saved is always what the box shows. Installed once. */
(function () {
  "use strict";
  if (window.regionPickerInstalled) { return; }
  window.regionPickerInstalled = true;

  function parts(elt) {
    var picker = elt.closest("[data-region-picker]");
    if (!picker) { return null; }
    return {
      search: picker.querySelector("[data-region-search]"),
      code: picker.querySelector("[data-region-code-field]"),
      results: picker.querySelector("#region-results")
    };
  }

  function options(p) { return Array.prototype.slice.call(p.results.querySelectorAll(".region-option")); }

  function setCode(p, value) {
    if (p.code.value === value) { return; }
    p.code.value = value;
    p.code.dispatchEvent(new Event("change", { bubbles: true }));   // htmx: reload the unit options
  }

  function pick(p, option) {
    p.search.value = option.getAttribute("data-region-label");
    setCode(p, option.getAttribute("data-region-code"));
    p.results.innerHTML = "";
    p.search.focus();
  }

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".region-option");
    var p = option && parts(option);
    if (p) { event.preventDefault(); pick(p, option); }
  });

  document.addEventListener("input", function (event) {
    var p = event.target.matches && event.target.matches("[data-region-search]") && parts(event.target);
    if (p && p.code.value) { setCode(p, ""); }
  });

  document.addEventListener("keydown", function (event) {
    var p = event.target.closest && parts(event.target);
    if (!p) { return; }
    var list = options(p);
    var at = list.indexOf(event.target);
    if (event.target === p.search) {
      if (event.key === "ArrowDown" && list.length) { event.preventDefault(); list[0].focus(); }
      // Enter in the search box picks the first match instead of submitting the whole form.
      if (event.key === "Enter") { event.preventDefault(); if (list.length) { pick(p, list[0]); } }
    } else if (at !== -1) {
      if (event.key === "ArrowDown") { event.preventDefault(); list[Math.min(at + 1, list.length - 1)].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (at === 0 ? p.search : list[at - 1]).focus(); }
      if (event.key === "Escape") { event.preventDefault(); p.results.innerHTML = ""; p.search.focus(); }
    }
  });
})();
