/* Photos: scale down in the browser (long side ≤ 2560 px, JPEG 0.85) and hand each to the offline
   queue (offline.js) with its own client UUID (a resend after a dropped connection creates it once);
   photos chosen in a new finding's form are queued with the finding (offline.js); a full-screen
   viewer with swipe (pointer events), arrow keys and a big close button. */
(function () {
  "use strict";
  // hx-boost runs a page's scripts again on each boosted visit: install the listeners once.
  if (window.inspectPhotos) { return; }

  var MAX_SIDE = 2560;
  var QUALITY = 0.85;
  var TARGET_BYTES = 950 * 1024;

  var uuid4 = window.inspectApp.uuid4;

  /* Resolve to a JPEG blob at most MAX_SIDE on its long side, upright; the original if the browser
     cannot decode it (HEIC on most browsers) — the server accepts originals up to 20 MB. */
  function resize(file) {
    if (!window.createImageBitmap) { return Promise.resolve(file); }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg" && file.size < 1024 * 1024) { bitmap.close(); return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      // A busy scene at 0.85 can still exceed 1 MB: step the quality down until it fits.
      function encode(quality) {
        return new Promise(function (resolve) {
          canvas.toBlob(function (blob) { resolve(blob); }, "image/jpeg", quality);
        }).then(function (blob) {
          if (!blob) { return file; }
          if (blob.size > TARGET_BYTES && quality > 0.55) { return encode(quality - 0.15); }
          return blob;
        });
      }
      return encode(QUALITY);
    }).catch(function () { return file; });
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
  var viewer, img, counter, photos = [], index = 0, startX = null;

  function show(i) {
    if (!photos.length) { return; }
    index = (i + photos.length) % photos.length;
    img.src = photos[index];
    counter.textContent = (index + 1) + " / " + photos.length;
  }

  function open(link) {
    viewer = document.getElementById("photo-viewer");
    if (!viewer) { return false; }
    img = viewer.querySelector("[data-viewer-img]");
    counter = viewer.querySelector("[data-viewer-count]");
    var gallery = link.closest("[data-gallery]");
    var links = Array.prototype.slice.call(gallery.querySelectorAll("a[data-viewer-src]"));
    photos = links.map(function (a) { return a.getAttribute("data-viewer-src"); });
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
