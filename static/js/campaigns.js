/* Team page: filter the member checkbox list as one types (checked boxes stay checked when hidden). */
(function () {
  "use strict";
  function bind(root) {
    root.querySelectorAll("input[data-filter-target]").forEach(function (input) {
      if (input.dataset.bound) { return; }
      input.dataset.bound = "1";
      input.addEventListener("input", function () {
        var list = document.querySelector(input.dataset.filterTarget);
        var needle = input.value.trim().toLowerCase();
        if (!list) { return; }
        list.querySelectorAll("[data-filter-text]").forEach(function (el) {
          var match = !needle || el.dataset.filterText.toLowerCase().indexOf(needle) !== -1;
          el.classList.toggle("is-hidden", !match);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:load", function (event) { bind(event.target); });
})();
