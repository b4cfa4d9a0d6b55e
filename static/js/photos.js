/* Photos: scale down in the browser (long side ≤ 2560 px, JPEG 0.85) and upload one by one with a
   progress bar, each with its own client UUID (a retry after a dropped connection creates it once);
   photos chosen in a new finding's form are uploaded once the finding is saved; a full-screen
   viewer with swipe (pointer events), arrow keys and a big close button. */
(function () {
  "use strict";
  // hx-boost runs a page's scripts again on each boosted visit: install the listeners once.
  if (window.inspectPhotos) { return; }

  var pending = {};   // finding uuid → [File]

  var uuid4 = window.inspectApp.uuid4;

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  /* Resolve to what should be uploaded for `file` (never rejects): a JPEG `File` at most 2560 px on
     its long side, upright, named like the original, carrying its EXIF (time taken, GPS, camera);
     the original when it is a small upright JPEG or the browser cannot decode it (HEIC on most
     browsers) — the server accepts originals up to 20 MB. The work is in photo-prepare.js. */
  function resize(file) {
    if (!window.inspectPhotoPrepare) { return Promise.resolve(file); }
    return window.inspectPhotoPrepare.prepare(file);
  }

  function progressRow(list, name) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var state = document.createElement("span");
    state.className = "upload-state";
    state.textContent = "压缩中…";
    li.appendChild(label); li.appendChild(bar); li.appendChild(state);
    list.appendChild(li);
    return { li: li, bar: bar, state: state };
  }

  function send(uploader, file, row, photoUuid) {
    var form = new FormData();
    form.append("uuid", photoUuid);
    var from = uploader.getAttribute("data-answer-uuid-from");
    if (from) {
      var input = document.querySelector(from);
      if (input && !input.value) { input.value = uuid4(); }
      form.append("answer_uuid", input ? input.value : "");
    }
    form.append("photo", file, (file.name || "photo").replace(/\.[^.]+$/, "") + ".jpg");
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", uploader.getAttribute("data-upload-url"));
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { row.bar.value = Math.round(e.loaded * 100 / e.total); }
      };
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
        if (xhr.status >= 200 && xhr.status < 300 && data.html) {
          var gallery = document.querySelector(uploader.getAttribute("data-gallery-target"));
          if (gallery && !document.getElementById("photo-" + data.id)) {
            gallery.insertAdjacentHTML("beforeend", data.html);
          }
          row.bar.value = 100;
          row.state.textContent = "已上传";
          setTimeout(function () { row.li.remove(); }, 1500);
        } else {
          row.bar.value = 0;   // refused: nothing was kept, so the bar must not read "done"
          row.li.classList.add("is-error");
          row.state.textContent = data.error || (xhr.status === 413 ? "文件超过 20 MB 上限" : "上传失败（" + xhr.status + "）");
        }
        resolve();
      };
      xhr.onerror = function () {
        row.li.classList.add("is-error");
        row.state.textContent = "网络中断，";
        var retry = document.createElement("button");
        retry.type = "button";
        retry.className = "btn btn-small";
        retry.textContent = "重试";
        retry.addEventListener("click", function () {
          row.li.classList.remove("is-error");
          retry.remove();
          row.state.textContent = "上传中…";
          send(uploader, file, row, photoUuid);   // same UUID: the server creates it once
        });
        row.state.appendChild(retry);
        resolve();
      };
      row.state.textContent = "上传中…";
      xhr.send(form);
    });
  }

  function uploadAll(uploader, files) {
    var list = uploader.querySelector(".upload-list");
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file) {
      var row = progressRow(list, file.name || "照片");
      chain = chain.then(function () { return resize(file); })
        .then(function (blob) { return send(uploader, blob, row, uuid4()); });
    });
    return chain;
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

  // A new finding's photos wait for the finding; its card carries the same client UUID.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-finding-form]")) { return; }
    var input = form.querySelector("input[data-pending-photos]");
    var uuid = form.querySelector("input[name=uuid]");
    if (input && uuid && input.files.length) { pending[uuid.value] = Array.prototype.slice.call(input.files); }
  });

  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    var cards = elt.matches && elt.matches("[data-finding-uuid]") ? [elt] : elt.querySelectorAll ? elt.querySelectorAll("[data-finding-uuid]") : [];
    Array.prototype.forEach.call(cards, function (card) {
      var files = pending[card.getAttribute("data-finding-uuid")];
      var uploader = card.querySelector(".uploader");
      if (files && uploader) {
        delete pending[card.getAttribute("data-finding-uuid")];
        uploadAll(uploader, files);
      }
    });
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
