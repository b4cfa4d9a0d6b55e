/* Photos: scale down in the browser (long side ≤ 2560 px, JPEG 0.85) and hand each to the offline
   queue (offline.js) with its own client UUID (a resend after a dropped connection creates it once);
   photos chosen in a new finding's form are queued with the finding (offline.js); a full-screen
   viewer with swipe (pointer events), arrow keys and a big close button. */
(function () {
  "use strict";
  // hx-boost runs a page's scripts again on each boosted visit: install the listeners once.
  if (window.inspectPhotos) { return; }

  var uuid4 = window.inspectApp.uuid4;

  /* Resolve to what should be uploaded for `file` (never rejects): a JPEG `File` at most 2560 px on
     its long side, upright, named like the original, carrying its EXIF (time taken, GPS, camera);
     the original when it is a small upright JPEG or the browser cannot decode it (HEIC on most
     browsers) — the server accepts originals up to 20 MB. The work is in photo-prepare.js. */
  function resize(file) {
    if (!window.inspectPhotoPrepare) { return Promise.resolve(file); }
    return window.inspectPhotoPrepare.prepare(file);
  }

  /* The chosen photos go to the offline queue (static/js/offline.js) at once, each with its own
     client UUID: the queue keeps them in IndexedDB until the server has them, scales each down
     through window.inspectPhotos.resize (keeping the name it gives), shows them in the gallery as
     待同步 meanwhile, and sends them when the network allows. */
  function uploadAll(uploader, files) {
    var fields = [];
    var from = uploader.getAttribute("data-answer-uuid-from");
    if (from) {
      var input = document.querySelector(from);
      if (input && !input.value) { input.value = uuid4(); }
      fields.push(["answer_uuid", input ? input.value : ""]);
    }
    var gallery = uploader.getAttribute("data-gallery-target").replace(/^#/, "");
    return window.inspectQueue.addPhotos(uploader.getAttribute("data-upload-url"), fields, files, gallery)
      .catch(function () {
        var row = document.createElement("li");
        row.className = "upload-item is-error";
        row.textContent = "照片未能存入本机（存储空间不足？），请重新选择";
        uploader.querySelector(".upload-list").appendChild(row);
      });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches("input[data-photo-input]")) {
      var files = Array.prototype.slice.call(input.files);
      input.value = "";
      uploadAll(input.closest(".uploader"), files);
    } else if (input.matches("input[data-pending-photos]")) {
      var count = input.closest(".field").querySelector("[data-pending-count]");
      if (count) { count.textContent = "已选 " + input.files.length + " 张，保存问题后自动上传。"; }
    }
  });

  /* ---- the viewer ---- */
  var viewer, img, counter, meta, photos = [], metas = [], index = 0, startX = null;

  function show(i) {
    if (!photos.length) { return; }
    index = (i + photos.length) % photos.length;
    img.src = photos[index];
    counter.textContent = (index + 1) + " / " + photos.length;
    // The photo's evidence value: time taken and GPS position, or 无拍摄时间 / 无位置信息.
    if (meta) { meta.textContent = metas[index] || ""; }
  }

  function open(link) {
    viewer = document.getElementById("photo-viewer");
    if (!viewer) { return false; }
    img = viewer.querySelector("[data-viewer-img]");
    counter = viewer.querySelector("[data-viewer-count]");
    meta = viewer.querySelector("[data-viewer-meta]");
    var gallery = link.closest("[data-gallery]");
    var links = Array.prototype.slice.call(gallery.querySelectorAll("a[data-viewer-src]"));
    photos = links.map(function (a) { return a.getAttribute("data-viewer-src"); });
    metas = links.map(function (a) { return a.getAttribute("data-viewer-meta"); });
    show(links.indexOf(link));
    if (typeof viewer.showModal === "function") { viewer.showModal(); } else { viewer.setAttribute("open", ""); }
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-viewer-src]");
    if (link && open(link)) { event.preventDefault(); return; }
    if (!viewer || !viewer.open) { return; }
    if (event.target.closest("[data-viewer-close]")) { viewer.close(); }
    else if (event.target.closest("[data-viewer-prev]")) { show(index - 1); }
    else if (event.target.closest("[data-viewer-next]")) { show(index + 1); }
  });

  document.addEventListener("keydown", function (event) {
    if (!viewer || !viewer.open) { return; }
    if (event.key === "ArrowLeft") { show(index - 1); }
    if (event.key === "ArrowRight") { show(index + 1); }
  });

  document.addEventListener("pointerdown", function (event) {
    if (viewer && viewer.open && event.target.closest("[data-viewer-stage]")) { startX = event.clientX; }
  });
  document.addEventListener("pointerup", function (event) {
    if (startX === null) { return; }
    var dx = event.clientX - startX;
    startX = null;
    if (Math.abs(dx) > 40) { show(dx < 0 ? index + 1 : index - 1); }
  });

  window.inspectPhotos = { resize: resize };
})();
