/* Small behaviours htmx does not cover: toasts from HX-Trigger, fading flashes, error toasts.
   No inline scripts anywhere (the Content-Security-Policy forbids them). */
(function () {
  "use strict";

  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.setAttribute("role", "status");
    var text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = message;
    el.appendChild(text);
    box.appendChild(el);
    addClose(el);
    fadeLater(el);
  }

  /* The toast strip lets taps through (pointer-events: none, issue 14); its close button alone takes them. */
  function addClose(el) {
    if (el.querySelector(".toast-close")) { return; }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "关闭提示");
    close.textContent = "×";
    close.addEventListener("click", function () { el.remove(); });
    el.appendChild(close);
  }

  function fadeLater(el) {
    setTimeout(function () { el.classList.add("fade"); }, 4000);
    setTimeout(function () { el.remove(); }, 4600);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (el) { addClose(el); fadeLater(el); });
  });

  document.addEventListener("toast", function (event) {
    var items = event.detail && event.detail.value ? event.detail.value : event.detail;
    (Array.isArray(items) ? items : [items]).forEach(function (item) {
      if (item && item.message) { toast(item.message, item.level); }
    });
  });

  document.addEventListener("htmx:sendError", function (event) {
    // The bell's background polling is no operation of the user's (offline, the queue says so).
    if (event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("#bell-slot")) { return; }
    toast("网络连接中断，操作未完成。请检查网络后重试，已填写的内容仍保留在页面上。", "error");
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && !xhr.getResponseHeader("HX-Trigger")) {
      toast("操作失败（" + xhr.status + "），请刷新页面后重试。", "error");
    }
  });

  /* A v4 UUID for records the tablet creates (retries must not duplicate them). crypto.randomUUID
     needs a secure context; plain-HTTP tablets on a LAN still get one from getRandomValues. */
  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* A picker's search box (data-search-only, e.g. the county filter) only looks things up: its
     "change" on blur must not reach the filter form around it, which reloads on change. */
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-search-only")) { event.stopPropagation(); }
  }, true);

  window.inspectApp = { toast: toast, uuid4: uuid4 };
})();
