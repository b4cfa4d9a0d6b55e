/* Rectification lists: a "select all" box for the bulk forms (assign, accept). Delegated, installed once. */
(function () {
  "use strict";
  if (window.rectificationBulkInstalled) { return; }
  window.rectificationBulkInstalled = true;
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) { return; }
    var table = box.closest("table");
    if (!table) { return; }
    table.querySelectorAll("input[name=item_ids]").forEach(function (item) { item.checked = box.checked; });
  });
})();
