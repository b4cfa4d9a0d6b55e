/* The "他人已修改" conflict view (templates/macros/conflict.html): under a field whose saved value
   differs from the user's, a button takes the saved text into the field without losing the user's —
   a multi-line text gets it appended below (merge by hand), a one-line field swaps to it and the
   button then swaps back. Delegated from document, so fragments swapped in by htmx work too. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use-saved]");
    if (!button) { return; }
    var field = button.closest(".field, td, fieldset");
    var input = field && field.querySelector("textarea, input[type=text], input:not([type])");
    if (!input) { return; }
    var saved = button.getAttribute("data-use-saved");
    if (input.tagName === "TEXTAREA") {
      input.value = input.value ? input.value.replace(/\s+$/, "") + "\n" + saved : saved;
      button.disabled = true;
      button.textContent = "已并入输入框";
    } else if (button.hasAttribute("data-mine")) {
      input.value = button.getAttribute("data-mine");
      button.removeAttribute("data-mine");
      button.textContent = "改用此内容";
    } else {
      button.setAttribute("data-mine", input.value);
      input.value = saved;
      button.textContent = "恢复我的内容";
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  });
})();
