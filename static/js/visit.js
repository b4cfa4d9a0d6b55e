/* The visit screen: client UUIDs for every record the tablet creates, browser GPS on "start visit",
   the autosave state of each answer ("保存中…" / "已保存" / "保存失败，内容未丢失，请重试"), default
   and closing an unsaved finding form.
   The textarea is never swapped by the server, so what the inspector typed survives any failure. */
(function () {
  "use strict";
  // hx-boost runs a page's scripts again on each boosted visit: install the listeners once.
  if (window.inspectVisit) { window.inspectVisit.init(); return; }

  var uuid4 = window.inspectApp.uuid4;

  function fillUuids(root) {
    (root || document).querySelectorAll("input[data-client-uuid]").forEach(function (input) {
      if (!input.value) { input.value = uuid4(); }
    });
  }

  function statusFor(elt) {
    var form = elt.closest && elt.closest(".answer-form");
    if (!form) { return null; }
    return document.getElementById("status-" + form.getAttribute("data-item"));
  }

  function setState(status, state, text) {
    if (!status) { return; }
    status.setAttribute("data-state", state);
    status.classList.toggle("is-error", state === "error");
    var label = status.querySelector(".save-state");
    if (label) { label.textContent = text; }
  }

  document.addEventListener("htmx:load", function (event) { fillUuids(event.detail.elt); });

  // The visit header sticks just under the (sticky, wrapping) top bar, whatever its height.
  function stickBelowTopbar() {
    var bar = document.querySelector(".topbar");
    document.documentElement.style.setProperty("--sticky-top", (bar ? bar.offsetHeight : 0) + "px");
  }
  function init() {
    fillUuids(document);
    stickBelowTopbar();
    var bar = document.querySelector(".topbar");
    if (bar && window.ResizeObserver) { new ResizeObserver(stickBelowTopbar).observe(bar); }
  }
  window.addEventListener("resize", stickBelowTopbar);
  window.inspectVisit = { init: init };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var status = statusFor(event.detail.elt);
    if (status) { setState(status, "saving", "保存中…"); }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var status = statusFor(event.detail.elt);
    if (!status) { return; }
    var xhr = event.detail.xhr;
    // 2xx, 409 and 422 are swapped with the server's own words; anything else failed here.
    if (event.detail.failed && !(xhr && (xhr.status === 409 || xhr.status === 422))) {
      setState(document.getElementById(status.id), "error", "保存失败，内容未丢失，请重试");
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var status = statusFor(event.detail.elt);
    if (status) { setState(status, "error", "保存失败，内容未丢失，请重试"); }
  });

  // A failed save is retried by any later change; offer a tap to retry right away too.
  document.addEventListener("click", function (event) {
    var status = event.target.closest(".answer-status.is-error");
    if (!status || !window.htmx) { return; }
    var form = document.querySelector('.answer-form[data-item="' + status.id.replace("status-", "") + '"]');
    if (form) { window.htmx.trigger(form, "change"); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss-form]");
    if (button) { button.closest("form").remove(); }
  });

  // Start visit: a client UUID and, if the user allows it, the browser's position.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-start-visit]") || form.getAttribute("data-located")) { return; }
    fillUuids(form);
    if (!navigator.geolocation) { return; }
    event.preventDefault();
    event.stopPropagation();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = "正在定位…"; }
    var done = false;
    function go() {
      if (done) { return; }
      done = true;
      form.setAttribute("data-located", "1");
      if (button) { button.disabled = false; }
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("input[name=lat]").value = position.coords.latitude;
      form.querySelector("input[name=lon]").value = position.coords.longitude;
      form.querySelector("input[name=accuracy]").value = position.coords.accuracy;
      go();
    }, go, { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    setTimeout(go, 9000);
  }, true);
})();
