/* The offline queue (an outbox): every answer, note, new finding and photo made on the visit screen
   is first written to IndexedDB (via idb) with its client UUID, then sent in order by one loop that
   backs off while the network or the server is away. Writing first means a record survives a
   dropped connection, a reload, a closed tab and a restarted tablet; the server treats a repeated
   client UUID as the same record, so a record sent twice (a tab closed mid-send) is stored once.

   - State of each record: 排队中 → 发送中 → gone (stored), or 被拒绝 with the server's reason (a 4xx,
     e.g. 409 when the visit was submitted): a refused record stays, with 重试 and 删除 (asked first);
     it is never dropped silently.
   - Sign-in expiry: a 401 stops the loop; the records wait and are sent after the user signs in
     again (a fresh CSRF token is fetched from /csrf-token before each run). Records belong to the
     account that made them and are only sent by that account.
   - The visit screen lays queued records over the page (answers chosen, findings and photos with
     "待同步"), also over a page the service worker shows from its cache while offline.
   - 离线准备 on a county page keeps that county's pages (see visits.service.offline_bundle) in the
     service worker's page cache, among them the blank visit screen of every site not started yet.
     开始核查 offline queues the start with a client UUID (the visit key) and opens that screen:
     its URLs carry a placeholder visit id (/visits/-<site id>/), and the records made there are
     queued against the key. When the start is stored, the server's visit id (the site's visit, also
     one another tablet started first: it is joined) replaces the placeholder in every queued
     record, which then go in order as any other.
   - An existing finding edited or deleted offline is queued with the version its card was drawn
     from: a stale one comes back 409 and the page shows the saved text beside the user's (kept).
   - A re-check result (rechecks/) made offline is queued as the result, then one record per photo
     (as a finding and its photos); 离线准备 of a round's screen — or of a county, which keeps the
     open rounds of the team there too — also puts the photos shown on it in the photo cache. */
(function () {
  "use strict";
  // hx-boost runs a page's scripts again on each boosted visit: install the listeners once.
  if (window.inspectQueue) { window.inspectQueue.refresh(); return; }

  var PAGES = "inspect-pages-v1";   // the service worker's page cache (static/js/sw.js)
  var PHOTOS = "inspect-photos-v1"; // and its photo cache (thumbnails, display images)
  var MAX_DELAY = 60000;
  var STATE_LABELS = { pending: "排队中", sending: "发送中…", refused: "被拒绝" };

  /* The service worker installs only if every shell file arrives; on a weak connection an install
     can fail, so it is tried again (a few times, 5 s apart) rather than only on the next page. */
  function registerWorker(attempt) {
    if (!("serviceWorker" in navigator) || !window.isSecureContext || attempt > 5) { return; }
    var again = function () { setTimeout(function () { registerWorker(attempt + 1); }, 5000); };
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      var worker = registration.installing;
      if (worker) {
        worker.addEventListener("statechange", function () { if (worker.state === "redundant") { again(); } });
      }
    }, again);
    navigator.serviceWorker.ready.then(function (registration) {
      if (!navigator.serviceWorker.controller && registration.active) { registration.active.postMessage("claim"); }
    });
  }
  registerWorker(1);

  var dbPromise = null;
  function database() {
    if (!dbPromise) {
      dbPromise = window.idb.openDB("inspect-offline", 1, {
        upgrade: function (db) {
          db.createObjectStore("records", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("ids");                               // "finding:<uuid>" / "start:<uuid>" → server id
          db.createObjectStore("prepared", { keyPath: "code" });     // 离线准备 of a county
          // What the server confirmed, per answer / finding / photo: a page kept from before it
          // shows it again (else the next answer would resend the old choice or note).
          db.createObjectStore("sent", { keyPath: "key" }).createIndex("visit", "visit");
        }
      });
    }
    return dbPromise;
  }
  function allRecords() { return database().then(function (db) { return db.getAll("records"); }); }
  function putRecord(rec) { return database().then(function (db) { return db.put("records", rec); }); }
  function deleteRecord(seq) { return database().then(function (db) { return db.delete("records", seq); }); }

  var channel = window.BroadcastChannel ? new BroadcastChannel("inspect-queue") : null;
  function changed() { if (channel) { channel.postMessage("changed"); } render(); }
  if (channel) { channel.onmessage = function () { render(false); }; }

  function me() { return document.body.getAttribute("data-user") || ""; }
  function visitBox() { return document.getElementById("visit"); }
  function visitId() { var v = document.getElementById("visit"); return v ? v.getAttribute("data-visit-id") : null; }
  function entries(formData) {
    var out = [];
    // The page's CSRF token may belong to an ended session: a fresh one goes in the header.
    formData.forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token") { out.push([name, value]); }
    });
    return out;
  }
  function field(rec, name) {
    for (var i = 0; i < rec.fields.length; i++) { if (rec.fields[i][0] === name) { return rec.fields[i][1]; } }
    return "";
  }
  function shorten(text, n) { text = (text || "").replace(/\s+/g, " ").trim(); return text.length > n ? text.slice(0, n) + "…" : text; }

  /* ---------------------------------------------------------------- adding records */

  var JOURNAL = "inspect-journal:";

  /* A record is written to localStorage (synchronous) the moment it is made, then moved into
     IndexedDB: IndexedDB writes are asynchronous and an unloading page aborts them, so a reload or
     a closed tab in between replays it from this journal on the next page. Photos cannot go into
     localStorage; they go into IndexedDB as chosen, before they are scaled down. */
  function stamp(rec) {
    rec.user = me();
    rec.userName = document.body.getAttribute("data-user-name") || "";
    rec.state = "pending";
    rec.attempts = 0;
    rec.created = Date.now();
    rec.jid = window.inspectApp.uuid4();
    var box = visitBox();
    if (box && box.getAttribute("data-placeholder")) { rec.placeholder = box.getAttribute("data-placeholder"); }
    if (!rec.blob) {
      try { localStorage.setItem(JOURNAL + rec.jid, JSON.stringify(rec)); } catch (e) { /* full or private */ }
    }
    return rec;
  }

  /* An answer is an upsert per item: a newer one replaces a queued older one of the same account. */
  function replaces(rec, old) {
    if (old.user !== rec.user || old.state === "sending") { return false; }
    if (rec.kind === "answer") { return old.kind === "answer" && old.url === rec.url && old.state === "pending"; }
    // A finding's newer edit replaces the queued (or refused) older one; a delete makes them moot
    // (sent first, an edit would move the version the delete carries on: a needless conflict).
    return (rec.kind === "edit" || rec.kind === "delete") && old.kind === "edit" && old.findingId === rec.findingId;
  }

  /* Into the queue in one transaction, skipping what a replay already stored. Transactions on one
     store run in the order they are opened, so records keep the order they were made in. */
  function store(recs) {
    return database().then(function (db) {
      var tx = db.transaction("records", "readwrite");
      var records = tx.objectStore("records");
      records.getAll().then(function (all) {
        recs.forEach(function (rec) {
          if (all.some(function (r) { return r.jid === rec.jid; })) { return; }
          all.forEach(function (old) { if (replaces(rec, old)) { records.delete(old.seq); } });
          records.put(rec).then(function (seq) { rec.seq = seq; });
        });
      });
      return tx.done;
    }).then(function () {
      recs.forEach(function (rec) { try { localStorage.removeItem(JOURNAL + rec.jid); } catch (e) { /* gone */ } });
      changed();
      kick();
      recs.forEach(function (rec) { if (rec.raw) { shrink(rec); } });
      return recs;
    });
  }

  function replayJournal() {
    var recs = [];
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (key && key.indexOf(JOURNAL) === 0) { recs.push(JSON.parse(localStorage.getItem(key))); }
      }
    } catch (e) { return Promise.resolve(); }
    recs.sort(function (a, b) { return a.created - b.created; });
    return recs.length ? store(recs) : Promise.resolve();
  }

  function addAnswer(url, formData, itemId) {
    var row = document.getElementById("item-" + itemId);
    var code = row ? row.querySelector(".item-code") : null;
    return store([stamp({ kind: "answer", url: url, fields: entries(formData), visit: visitId(), item: itemId,
                          label: "答案 " + (code ? code.textContent : "") })]);
  }

  function addFinding(form, url, formData) {
    if (!formData.get("uuid")) { formData.set("uuid", window.inspectApp.uuid4()); }
    var uuid = formData.get("uuid");
    var input = form.querySelector("input[data-pending-photos]");
    var files = input ? Array.prototype.slice.call(input.files) : [];
    var slot = form.parentNode;
    var rec = stamp({ kind: "finding", url: url, fields: entries(formData), visit: visitId(),
                      item: formData.get("item_id") || "", uuid: uuid,
                      label: "问题：" + shorten(formData.get("description"), 24) });
    form.remove();
    if (slot) { slot.innerHTML = ""; }
    // The finding first, then its photos (they need its id): the loop sends in this order.
    return store([rec].concat(files.map(function (file) {
      return photoRecord("/media/findings/{finding}/photos", [], file, "gallery-finding-local-" + uuid, uuid);
    })));
  }

  /* One chosen photo for an item (fields carry answer_uuid) or a finding (findingUuid: its id is
     looked up when it is sent). Kept as chosen until window.inspectPhotos.resize has scaled it. */
  function photoRecord(url, fields, file, galleryId, findingUuid) {
    var uuid = window.inspectApp.uuid4();
    return stamp({ kind: "photo", url: url, fields: [["uuid", uuid]].concat(fields), blob: file, raw: true,
                   blobName: file.name || "photo.jpg", visit: visitId(), uuid: uuid, gallery: galleryId,
                   finding: findingUuid || null, label: "照片 " + (file.name || "") });
  }

  function addPhotos(url, fields, files, galleryId) {
    return store(files.map(function (file) { return photoRecord(url, fields, file, galleryId); }));
  }

  /* The scaled-down photo replaces the chosen one, keeping the name resize gave it (or the chosen
     file's, as a .jpg when resize made a JPEG). Done once, here or by the loop before sending. */
  function resized(rec) {
    // photos.js scales down; a page without it (none should be) sends the photo as chosen.
    var resize = window.inspectPhotos ? window.inspectPhotos.resize(rec.blob) : Promise.resolve(rec.blob);
    return resize.then(function (blob) {
      var base = rec.blobName.replace(/\.[^.]+$/, "");
      rec.blobName = blob.name || (blob === rec.blob ? rec.blobName : base + (blob.type === "image/jpeg" ? ".jpg" : ""));
      rec.blob = blob;
      rec.raw = false;
      return rec;
    });
  }

  function shrink(rec) {
    return resized({ blob: rec.blob, blobName: rec.blobName }).then(function (done) {
      return database().then(function (db) {
        var tx = db.transaction("records", "readwrite");
        tx.store.get(rec.seq).then(function (current) {
          if (current && current.raw && current.state === "pending") {
            current.blob = done.blob; current.blobName = done.blobName; current.raw = false;
            tx.store.put(current);
          }
        });
        return tx.done;
      });
    }).catch(function () { /* the loop scales it before sending */ });
  }

  /* A re-check result (rechecks/, 抽查复核) made offline: its fields first (the form's UUID and
     versions: a resend records it once, a stale one comes back 409 with the server's reason), then
     one record per chosen photo, as a finding's photos follow the finding. Each photo carries its own
     UUID and the result's (result_uuid): the server attaches it only to the result recorded by this
     submission (rechecks.service.add_photo). */
  function addRecheck(form, url, formData) {
    var files = formData.getAll("photos").filter(function (f) { return f && f.size; });
    var uuid = formData.get("uuid");
    var fields = entries(formData).filter(function (pair) { return pair[0] !== "photos"; });
    var rec = stamp({ kind: "recheck", url: url, fields: fields, uuid: uuid,
                      label: "复核结果" + (files.length ? "（" + files.length + " 张照片）" : "") });
    var photoUrl = url.replace(/\/result$/, "/photos");
    var photos = files.map(function (file) {
      return photoRecord(photoUrl, [["result_uuid", uuid]], file, null, null);
    });
    var card = form.closest(".recheck-card");
    var note = document.createElement("div");
    note.className = "alert alert-info";
    note.setAttribute("data-recheck-queued", "");
    note.textContent = "复核结果已保存在本机，排队中，联网后自动提交" + (files.length ? "（含 " + files.length + " 张照片）" : "");
    if (files.length) {
      var grid = document.createElement("div");
      grid.className = "photo-grid";
      files.forEach(function (file, i) {
        var img = document.createElement("img");
        img.className = "queued-thumb";
        img.alt = "待同步照片 " + (i + 1);
        img.src = URL.createObjectURL(file);
        grid.appendChild(img);
      });
      note.appendChild(grid);
    }
    form.replaceWith(note);
    if (card) { card.setAttribute("data-queued", uuid); }
    return store([rec].concat(photos));
  }

  function addStart(form, url, formData, siteId) {
    var row = form.closest(".site-row");
    var name = row ? row.querySelector(".site-name") : null;
    return store([stamp({ kind: "start", url: url, fields: entries(formData), uuid: formData.get("uuid"),
                          site: row ? row.id : "", siteId: siteId,
                          label: "开始核查：" + (name ? name.firstChild.textContent : "") })]);
  }

  /* ---------------------------------------------------------------- a site started offline */

  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  var leaveFor = null;            // the server's id of the visit this blank screen was started as

  function preparedPage(siteId) { return "/visits/sites/" + siteId + "/new"; }
  function keptPage(url) {
    return window.caches ? caches.match(url, { ignoreVary: true }).catch(function () { return null; }) : Promise.resolve(null);
  }
  function queuedStart(records, siteId) {
    return records.filter(function (r) {
      return r.kind === "start" && r.siteId === siteId && r.user === me() && r.state !== "refused";
    })[0];
  }

  /* 开始核查 without a network: the start is queued once per site (a second tap finds it) and the
     site's blank visit screen opens under its key, when 离线准备 kept it; else the row says the
     visit screen comes once the start is sent. */
  function startOffline(form, url, formData) {
    var siteId = (/\/sites\/([0-9]+)\/start$/.exec(url) || [])[1] || "";
    return allRecords().then(function (records) {
      var queued = queuedStart(records, siteId);
      if (queued) { return queued.uuid; }
      if (!UUID.test(formData.get("uuid") || "")) { formData.set("uuid", window.inspectApp.uuid4()); }
      return addStart(form, url, formData, siteId).then(function () { return formData.get("uuid"); });
    }).then(function (key) {
      return keptPage(preparedPage(siteId)).then(function (kept) {
        if (kept) { location.href = preparedPage(siteId) + "#" + key; }
      });
    });
  }

  /* The blank visit screen takes its key from the address (#<uuid>), or from the queued start of its
     site (a reload that lost the fragment). Records made here are queued against "local-<key>". */
  function adoptKey(key) { visitBox().setAttribute("data-visit-id", "local-" + key); }
  function localKey() {
    var id = visitId();
    return id && id.indexOf("local-") === 0 ? id.slice(6) : null;
  }
  function isLocalPage() { var box = visitBox(); return !!(box && box.hasAttribute("data-prepared-site")); }
  function preparedState(text) {
    var state = document.querySelector("[data-prepared-state]");
    if (state) { state.textContent = text; }
  }

  function localVisit() {
    if (!isLocalPage()) { return Promise.resolve(); }
    var siteId = visitBox().getAttribute("data-prepared-site");
    var hash = location.hash.slice(1);
    if (UUID.test(hash)) { adoptKey(hash); }
    return allRecords().then(function (records) {
      if (!localKey()) {
        var start = queuedStart(records, siteId);
        if (start) { adoptKey(start.uuid); }
      }
      if (!localKey()) { preparedState("尚未开始：请回到县页面点击“开始核查”"); return null; }
      return database().then(function (db) { return db.get("ids", "start:" + localKey()); }).then(function (id) {
        if (id) { startedAs(id); }
      });
    });
  }

  /* The start is stored: the records of this screen now belong to visit `id`; the page becomes its
     screen once they are all sent (leaveIfDone). */
  function startedAs(id) {
    visitBox().setAttribute("data-visit-id", String(id));
    leaveFor = String(id);
    preparedState("已开始核查，正在同步记录…");
  }

  function leaveIfDone() {
    if (!leaveFor || !navigator.onLine) { return Promise.resolve(); }
    return allRecords().then(function (records) {
      var open = records.filter(function (r) { return String(r.visit) === leaveFor && r.state !== "refused"; });
      if (!open.length && leaveFor) { location.replace("/visits/" + leaveFor); leaveFor = null; }
    });
  }

  /* ---------------------------------------------------------------- an existing finding, offline */

  var EDIT_FORM = /\/visits\/findings\/([0-9]+)\/edit$/;
  var CARD = /\/visits\/findings\/([0-9]+)$/;
  var DELETE = /\/visits\/findings\/([0-9]+)\/delete$/;
  var cardsAway = {};              // finding id → the card an offline edit form replaced

  /* The card's own edit form (drawn by the server with the card, with its version) instead of the
     one the network cannot fetch. */
  function offlineEditForm(id) {
    var card = document.getElementById("finding-" + id);
    var template = document.getElementById("finding-edit-template-" + id);
    if (!card || !template || !window.htmx) { return false; }
    cardsAway[id] = card;
    var fragment = template.content.cloneNode(true);
    var form = fragment.querySelector("form");
    card.replaceWith(fragment);
    window.htmx.process(form);
    // An edit already queued for it: the form shows that text, not the saved one it replaces.
    allRecords().then(function (records) {
      var queued = records.filter(function (r) {
        return r.kind === "edit" && r.findingId === String(id) && r.user === me() && r.state !== "refused";
      }).pop();
      if (!queued) { return; }
      queued.fields.forEach(function (pair) {
        var input = form.querySelector('[name="' + pair[0] + '"]:not([type=hidden])');
        if (input) { input.value = pair[1]; }
      });
    });
    return true;
  }

  function cardBack(form, id) {
    var card = cardsAway[id];
    delete cardsAway[id];
    if (card && form && form.parentNode) { form.replaceWith(card); } else if (form) { form.remove(); }
  }

  function addEdit(form, url, formData) {
    var id = CARD.exec(url)[1];
    var rec = stamp({ kind: "edit", url: url, fields: entries(formData), visit: visitId(), findingId: id,
                      label: "修改问题：" + shorten(formData.get("description"), 24) });
    cardBack(form, id);
    return store([rec]);
  }

  function addDelete(button, url, formData) {
    var id = DELETE.exec(url)[1];
    var card = document.getElementById("finding-" + id);
    var desc = card ? card.querySelector(".finding-desc") : null;
    return store([stamp({ kind: "delete", url: url, fields: entries(formData), visit: visitId(), findingId: id,
                          label: "删除问题：" + shorten(desc ? desc.textContent : "", 24) })]);
  }

  /* The finding form without the server: the page's blank form (show.html), filled in as
     visits.service.finding_defaults would (the item's content and note, its section as category). */
  var NEW_FINDING = /\/visits\/-?[0-9]+\/findings\/new/;
  function offlineFindingForm(target, path, params) {
    var template = document.getElementById("finding-form-template");
    if (!template || !target || !window.htmx) { return false; }
    var fragment = template.content.cloneNode(true);
    var form = fragment.querySelector("form");
    var itemId = new URL(path, location.href).searchParams.get("item");
    var row = itemId ? document.getElementById("item-" + itemId) : null;
    if (row) {
      form.id = "finding-form-" + itemId;
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "item_id"; hidden.value = itemId;
      form.appendChild(hidden);
      var note = (params && params.get ? params.get("note") : "") || "";
      var content = row.querySelector(".item-content").textContent.trim();
      form.querySelector("[name=description]").value = note.trim() ? content + "（" + note.trim() + "）" : content;
      var section = row.closest("[data-category]");
      form.querySelector("[name=category]").value = section ? section.getAttribute("data-category") : "";
      var title = form.querySelector(".finding-form-title");
      var code = row.querySelector(".item-code");
      if (title && code) { title.insertAdjacentHTML("beforeend", ' <span class="muted mono"></span>'); title.lastChild.textContent = code.textContent; }
    }
    form.querySelector("input[name=uuid]").value = window.inspectApp.uuid4();
    var select = form.querySelector("[data-deadline-target]");
    if (select) { select.setAttribute("data-deadline-target", "#" + form.id + " input[name=deadline]"); }
    target.innerHTML = "";
    target.appendChild(fragment);
    window.htmx.process(target);
    return true;
  }

  document.addEventListener("htmx:sendError", function (event) {
    var d = event.detail;
    if (d.requestConfig && d.requestConfig.verb === "get" && NEW_FINDING.test(d.pathInfo.requestPath)) {
      offlineFindingForm(d.target, d.pathInfo.requestPath, d.requestConfig.formData);
    } else if (d.requestConfig && d.requestConfig.verb === "get" && EDIT_FORM.test(d.pathInfo.requestPath)) {
      offlineEditForm(EDIT_FORM.exec(d.pathInfo.requestPath)[1]);
    } else if (d.requestConfig && d.requestConfig.verb === "post" && window.idb && d.elt.matches &&
               d.elt.matches("form[data-finding-form]") && CARD.test(d.pathInfo.requestPath)) {
      handOff(d.elt, function () { return addEdit(d.elt, d.pathInfo.requestPath, d.requestConfig.formData); });
    } else if (d.requestConfig && d.requestConfig.verb === "post" && window.idb && d.elt.matches &&
               d.elt.matches("form[data-recheck-form]")) {
      addRecheck(d.elt, d.pathInfo.requestPath, d.requestConfig.formData);
    } else if (d.requestConfig && d.requestConfig.verb === "post" && window.idb && d.elt.matches &&
               d.elt.matches("[data-finding-delete]")) {
      addDelete(d.elt, d.pathInfo.requestPath, d.requestConfig.formData);
    } else if (d.requestConfig && d.requestConfig.verb === "post" && window.idb && d.elt.matches &&
               d.elt.matches("form[data-finding-form]") && /\/findings$/.test(d.pathInfo.requestPath)) {
      // The connection dropped on the way: the finding and its photos go to the queue, same uuid
      // (the server creates it once should the lost post have arrived).
      addFinding(d.elt, d.pathInfo.requestPath, d.requestConfig.formData);
    }
  });

  /* A new finding htmx saved online: the photos chosen in its form go to the queue for its card
     (the form is about to be swapped away, so they are taken now). */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var d = event.detail;
    var form = d.elt;
    if (!form || !form.matches || !form.matches("form[data-finding-form]") || !d.xhr || d.xhr.status >= 300) { return; }
    var input = form.querySelector("input[data-pending-photos]");
    if (!input || !input.files.length) { return; }
    var card = new DOMParser().parseFromString(d.serverResponse || "", "text/html").querySelector("[data-finding-uuid]");
    var uploader = card ? card.querySelector(".uploader[data-upload-url]") : null;
    if (!uploader) { return; }
    addPhotos(uploader.getAttribute("data-upload-url"), [], Array.prototype.slice.call(input.files),
              uploader.getAttribute("data-gallery-target").replace(/^#/, ""));
  });
  /* A record taken from a form that keeps a local draft (drafts.js): once the record is in the
     queue the queue holds the text, so the draft is settled as an htmx save would settle it (else
     the page would keep asking "未保存的内容" and offer the text again after signing in: twice). */
  function handOff(elt, add) {
    var drafts = window.inspectDrafts;
    var sent = drafts && drafts.snapshot ? drafts.snapshot(elt) : null;   // before add() removes a form
    savedJustNow = navigator.onLine;
    add().then(function () { if (sent) { drafts.settle(sent); } });
  }

  /* htmx's request about to go: answers, new findings and (offline) visit starts go to the queue. */
  document.addEventListener("htmx:configRequest", function (event) {
    var d = event.detail;
    var offline = !navigator.onLine;
    if (d.verb === "get" && (offline || isLocalPage()) && NEW_FINDING.test(d.path)) {
      if (offlineFindingForm(d.target, d.path, d.formData)) { event.preventDefault(); }
      return;
    }
    if (d.verb === "get" && offline && EDIT_FORM.test(d.path)) {
      if (offlineEditForm(EDIT_FORM.exec(d.path)[1])) { event.preventDefault(); }
      return;
    }
    if (d.verb === "get" && offline && CARD.test(d.path) && cardsAway[CARD.exec(d.path)[1]]) {
      event.preventDefault();                       // 取消 on an edit form opened offline
      cardBack(d.elt.closest("form"), CARD.exec(d.path)[1]);
      return;
    }
    if (d.verb !== "post" || !window.idb) { return; }
    var elt = d.elt;
    var answerForm = elt.closest && elt.closest(".answer-form");
    if (answerForm) {
      event.preventDefault();
      var itemId = answerForm.getAttribute("data-item");
      var status = document.getElementById("status-" + itemId);
      answerState(status, "pending");
      findingButton(status, itemId, d.formData.get("result"));
      handOff(elt, function () { return addAnswer(d.path, d.formData, itemId); });
    } else if (elt.matches && elt.matches("form[data-finding-form]") && /\/findings$/.test(d.path) && (offline || isLocalPage())) {
      // Online, htmx posts the new finding itself: a refusal (422) comes back as the form with its
      // message, the chosen photos and their "已选 N 张" kept (hx-preserve); its photos are queued
      // once it is saved (htmx:beforeSwap below). Offline, or when the post cannot go, it is queued.
      event.preventDefault();
      handOff(elt, function () { return addFinding(elt, d.path, d.formData); });
    } else if (elt.matches && elt.matches("form[data-recheck-form]") && offline) {
      event.preventDefault();
      addRecheck(elt, d.path, d.formData);
    } else if (elt.matches && elt.matches("form[data-start-visit]") && offline) {
      event.preventDefault();
      startOffline(elt, d.path, d.formData);
    } else if (elt.matches && elt.matches("form[data-finding-form]") && CARD.test(d.path) && offline) {
      event.preventDefault();
      handOff(elt, function () { return addEdit(elt, d.path, d.formData); });
    } else if (elt.matches && elt.matches("[data-finding-delete]") && offline) {
      event.preventDefault();
      addDelete(elt, d.path, d.formData);
    }
  });

  /* ---------------------------------------------------------------- sending */

  var running = false, timer = null, delay = 0, token = null, needLogin = false, lastError = "";

  function kick() { clearTimeout(timer); timer = setTimeout(run, 0); }
  function later() {
    delay = Math.min(delay ? delay * 2 : 1000, MAX_DELAY);
    clearTimeout(timer);
    timer = setTimeout(run, delay + Math.floor(Math.random() * 300));
  }

  function run() {
    if (running || !me() || !window.idb) { return; }
    running = true;
    var go = function () { return loop().catch(function () { later(); }); };
    // One sender for all tabs of this browser (a duplicate send would be harmless, only wasteful).
    var done = navigator.locks ? navigator.locks.request("inspect-queue", go) : go();
    done.then(function () { running = false; return render(); }).then(leaveIfDone);
  }

  function freshToken() {
    if (token) { return Promise.resolve(token); }
    return fetch("/csrf-token", { headers: pageHeaders({}), cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { return response.json().catch(function () { return {}; }).then(signIn); }
        if (response.redirected) { throw new Error("login"); }
        if (!response.ok) { throw new Error("server"); }
        return response.json();
      }).then(function (data) { token = data.token; return token; });
  }

  /* htmx's headers: HX-Current-URL tells the server which page to come back to after signing in. */
  function pageHeaders(extra) {
    extra["HX-Request"] = "true";
    extra["HX-Current-URL"] = location.href;
    return extra;
  }

  /* The session is gone (idle timeout, expired cookie): the records wait in the queue. When the
     user has just saved online, the page goes to sign in (the server's login_url returns here) as
     an htmx save would, and the records are sent when the user is back; a resend in the
     background (network back, a page opened) only says so (需重新登录) and does not take the
     user off the page. */
  function signIn(data) {
    var url = data && data.login_url;
    if (url && navigator.onLine && savedJustNow && !leavingForLogin) {
      leavingForLogin = true;
      if (window.inspectDrafts && window.inspectDrafts.leaving) { window.inspectDrafts.leaving(); }
      location.href = url;
    }
    throw new Error("login");
  }
  var leavingForLogin = false, savedJustNow = false;

  function loop() {
    return allRecords().then(function (records) {
      var mine = records.filter(function (r) { return r.user === me() && r.state !== "refused"; });
      if (!mine.length) { delay = 0; lastError = ""; savedJustNow = false; return null; }
      return sendOne(mine[0], records).then(function (outcome) {
        if (outcome === "retry") { later(); return null; }
        if (outcome === "login") { return null; }
        delay = 0;
        return loop();
      });
    });
  }

  function refuse(rec, message) {
    rec.state = "refused";
    rec.error = message;
    return putRecord(rec).then(function () { changed(); return "next"; });
  }

  /* The server's ids in the record's URL: the visit a blank screen's start became (in place of the
     placeholder), the finding a photo belongs to. */
  function resolveUrl(rec, records) {
    return resolveVisit(rec, records).then(function (url) {
      if (url.indexOf("{finding}") < 0) { return url; }
      return database().then(function (db) { return db.get("ids", "finding:" + rec.finding); }).then(function (id) {
        if (id) { return url.replace("{finding}", id); }
        var owner = records.filter(function (r) { return r.kind === "finding" && r.uuid === rec.finding; })[0];
        throw new Error(owner && owner.state === "refused" ? "所属问题未能保存，照片暂不能上传" : "找不到所属问题（可能已删除）");
      });
    });
  }

  function resolveVisit(rec, records) {
    if (!rec.placeholder || rec.url.indexOf(rec.placeholder) < 0) { return Promise.resolve(rec.url); }
    var local = String(rec.visit || "").indexOf("local-") === 0 ? rec.visit.slice(6) : null;
    var known = local ? database().then(function (db) { return db.get("ids", "start:" + local); })
      : Promise.resolve(/^[0-9]+$/.test(String(rec.visit)) ? rec.visit : null);
    return known.then(function (id) {
      if (id) { return rec.url.split(rec.placeholder).join("/visits/" + id + "/"); }
      var start = records.filter(function (r) { return r.kind === "start" && r.uuid === local; })[0];
      throw new Error(start ? "开始核查未能同步，此记录暂不能上传" : "找不到所属核查（开始核查的记录已删除）");
    });
  }

  function sendOne(rec, records) {
    return resolveUrl(rec, records).then(function (url) {
      return rec.raw ? resized(rec).then(function () { return url; }) : url;
    }).then(function (url) {
      rec.state = "sending";
      rec.attempts += 1;
      return putRecord(rec).then(function () { render(); return freshToken(); }).then(function (csrf) {
        var body = new FormData();
        rec.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
        if (rec.blob) { body.append("photo", rec.blob, rec.blobName); }
        return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                            headers: pageHeaders({ "X-CSRFToken": csrf, "Accept": "application/json, text/html" }) });
      }).then(function (response) {
        return response.text().then(function (text) { return received(rec, response, text); });
      }, function (error) {
        return backToQueue(rec, error && error.message === "login" ? "login" : "retry");
      });
    }, function (error) { return refuse(rec, error.message); });
  }

  function backToQueue(rec, outcome) {
    rec.state = "pending";
    if (outcome === "login") { needLogin = true; token = null; }
    if (outcome === "retry") { savedJustNow = false; }
    lastError = outcome === "retry" ? "网络不通，稍后自动重试" : "";
    return putRecord(rec).then(function () { changed(); return outcome; });
  }

  function received(rec, response, text) {
    var status = response.status;
    if (status === 401 || (response.redirected && /^\/login/.test(new URL(response.url).pathname))) {
      var data = {};
      try { data = JSON.parse(text); } catch (e) { /* a page */ }
      try { signIn(data); } catch (e) { /* the record waits */ }
      return backToQueue(rec, "login");
    }
    needLogin = false;
    if (status >= 500 || status === 408 || status === 429) { return backToQueue(rec, "retry"); }
    // An expired CSRF token (the session it belonged to ended; the user signed in again, e.g. in
    // another tab) answers 400 with X-CSRF-Expired (and an error page): fetch the current one.
    if (status === 400 && response.headers.get("X-CSRF-Expired") === "1" && rec.attempts < 3) {
      token = null;
      return backToQueue(rec, "next");
    }
    if (status >= 400) {
      applyRefusal(rec, text);
      return refuse(rec, reason(response, text));
    }
    lastError = "";
    return stored(rec, response, text).then(function (refusal) {
      if (refusal) { return refuse(rec, refusal); }
      changed();
      return "next";
    });
  }

  /* The server's own words for a refusal: a JSON {"error"}, the message in the fragment or page,
     or the toast an htmx error answer carries in HX-Trigger. */
  function reason(response, text) {
    try { var data = JSON.parse(text); if (data.error) { return data.error; } } catch (e) { /* HTML */ }
    var doc = new DOMParser().parseFromString(text || "", "text/html");
    var node = doc.querySelector("[data-conflict] strong") ||
      doc.querySelector(".save-state, .has-error .error, .alert-error, .toast-error, main p");
    if (node && node.textContent.trim()) { return node.textContent.trim(); }
    try { return JSON.parse(response.headers.get("HX-Trigger")).toast[0].message; } catch (e) { /* none */ }
    return "服务器拒绝（" + response.status + "）";
  }

  /* ---------------------------------------------------------------- the page */

  /* A stored record: remember the server's id of a finding or visit made offline (their photos and
     answers need it), update the page. Resolves to a refusal message when the answer is not the record. */
  function stored(rec, response, text) {
    var id = null;
    if (rec.kind === "finding") {
      var card = new DOMParser().parseFromString(text, "text/html").querySelector("[data-finding-uuid]");
      if (!card) { return Promise.resolve(reason(response, text)); }
      id = card.id.replace("finding-", "");
    } else if (rec.kind === "start") {
      var match = /\/visits\/([0-9]+)$/.exec(new URL(response.url).pathname);
      if (!match) { return Promise.resolve(reason(response, text)); }   // sent back to the county page with a message
      id = match[1];
    }
    // Out of the queue before the page changes: the swap's htmx:load must not lay it over again.
    return database().then(function (db) {
      var tx = db.transaction(["ids", "records", "sent"], "readwrite");
      if (id) { tx.objectStore("ids").put(id, rec.kind + ":" + rec.uuid); }
      tx.objectStore("records").delete(rec.seq);
      if (rec.kind === "start") { moveToVisit(tx.objectStore("records"), "local-" + rec.uuid, id); }
      var copy = confirmed(rec, response, text);
      if (copy) { tx.objectStore("sent").put(copy); }
      return tx.done;
    }).then(function () { applySuccess(rec, response, text); return null; });
  }

  /* The records made on a blank visit screen, now that its start is stored: they belong to the
     server's visit (its id in their URLs), in the same transaction as the start leaves the queue. */
  function moveToVisit(records, local, id) {
    records.getAll().then(function (all) {
      all.forEach(function (r) {
        if (r.visit !== local) { return; }
        r.visit = String(id);
        if (r.placeholder) { r.url = r.url.split(r.placeholder).join("/visits/" + id + "/"); }
        records.put(r);
      });
    });
  }

  /* The server's copy of a stored record, stamped with the server's clock (its Date header). */
  function confirmed(rec, response, text) {
    if (!rec.visit) { return null; }
    var at = Date.parse(response.headers.get("Date") || "") || Date.now();
    var copy = { visit: rec.visit, kind: rec.kind, at: at };
    if (rec.kind === "answer") {
      copy.key = "answer:" + rec.visit + ":" + rec.item; copy.item = rec.item; copy.fields = rec.fields;
    } else if (rec.kind === "finding") {
      copy.key = "finding:" + rec.uuid; copy.uuid = rec.uuid; copy.html = text;
    } else if (rec.kind === "photo") {
      var data = {};
      try { data = JSON.parse(text); } catch (e) { return null; }
      copy.key = "photo:" + rec.uuid; copy.id = data.id; copy.gallery = data.gallery; copy.html = data.html;
    }
    return copy.key ? copy : null;
  }

  /* A page rendered before the server confirmed a record (the service worker's kept copy, shown
     offline) gets the record back; copies the page already includes are dropped after a minute. */
  function restoreConfirmed() {
    var visit = document.getElementById("visit");
    var rendered = visit ? Number(visit.getAttribute("data-rendered")) : 0;
    if (!visit || !rendered) { return Promise.resolve(); }
    return database().then(function (db) {
      return db.getAllFromIndex("sent", "visit", visitId()).then(function (copies) {
        var order = { finding: 0, answer: 1, photo: 2 };
        copies.sort(function (a, b) { return order[a.kind] - order[b.kind] || a.at - b.at; });
        copies.forEach(function (copy) {
          if (copy.at < rendered - 60000) { db.delete("sent", copy.key); return; }
          if (copy.at >= rendered) { restore(copy); }
        });
      });
    });
  }

  function restore(copy) {
    if (copy.kind === "answer") {
      overlayAnswer({ item: copy.item, fields: copy.fields, state: "sent" }, true);
    } else if (copy.kind === "finding" && window.htmx && !document.querySelector('[data-finding-uuid="' + copy.uuid + '"]')) {
      window.htmx.swap(document.getElementById("findings-free") || document.body, copy.html, { swapStyle: "none" });
    } else if (copy.kind === "photo" && !document.getElementById("photo-" + copy.id)) {
      var gallery = document.getElementById(copy.gallery);
      if (gallery) { gallery.insertAdjacentHTML("beforeend", copy.html); }
    }
  }

  function onThisVisit(rec) { return rec.visit && rec.visit === visitId(); }

  function applySuccess(rec, response, text) {
    if (rec.kind === "recheck") {
      var queued = document.querySelector('[data-queued="' + rec.uuid + '"] [data-recheck-queued]');
      var data = {};
      try { data = JSON.parse(text); } catch (e) { /* a page */ }
      if (queued) { queued.firstChild.textContent = "复核结果已提交：" + (data.label || "") + "（事项" + (data.item_status || "") + "）"; }
      return;
    }
    if (!window.htmx) { return; }
    if (rec.kind === "answer" && onThisVisit(rec)) {
      var status = document.getElementById("status-" + rec.item);
      if (status) { window.htmx.swap(status, text, { swapStyle: "outerHTML" }); }
    } else if (rec.kind === "finding" && onThisVisit(rec)) {
      var local = document.querySelector('[data-local-uuid="' + rec.uuid + '"]');
      var exists = new DOMParser().parseFromString(text, "text/html").querySelector("[data-finding-uuid]");
      if (local) { local.remove(); }
      if (exists && !document.getElementById(exists.id)) {
        window.htmx.swap(document.getElementById("findings-free") || document.body, text, { swapStyle: "none" });
      }
    } else if (rec.kind === "photo") {
      var thumb = document.querySelector('[data-local-photo="' + rec.uuid + '"]');
      if (thumb) { thumb.remove(); }
      var data = {};
      try { data = JSON.parse(text); } catch (e) { data = {}; }
      var gallery = data.gallery ? document.getElementById(data.gallery) : null;
      if (gallery && data.html && !document.getElementById("photo-" + data.id)) {
        gallery.insertAdjacentHTML("beforeend", data.html);
      }
    } else if (rec.kind === "edit" && onThisVisit(rec)) {
      var shown = document.getElementById("finding-" + rec.findingId);
      if (shown && shown.tagName === "ARTICLE") { window.htmx.swap(shown, text, { swapStyle: "outerHTML" }); }
    } else if (rec.kind === "delete" && onThisVisit(rec)) {
      var gone = document.getElementById("finding-" + rec.findingId);
      if (gone) { gone.remove(); }
    } else if (rec.kind === "start") {
      var match = /\/visits\/([0-9]+)$/.exec(new URL(response.url).pathname);
      if (localKey() === rec.uuid && match) { startedAs(match[1]); }
      var row = rec.site ? document.getElementById(rec.site) : null;
      var form = row ? row.querySelector("form[data-start-visit]") : null;
      if (form) {
        var link = document.createElement("a");
        link.className = "btn btn-primary";
        link.href = new URL(response.url).pathname;
        link.textContent = "继续核查";
        form.replaceWith(link);
      }
    }
  }

  /* A refusal on the page: an answer's status; for a finding's edit the server's conflict form
     (the saved text beside the user's, which stays in the fields); for a delete the current card. */
  function applyRefusal(rec, text) {
    if (!onThisVisit(rec) || !window.htmx) { return; }
    if (rec.kind === "answer") {
      var status = document.getElementById("status-" + rec.item);
      if (status && /answer-status/.test(text)) { window.htmx.swap(status, text, { swapStyle: "outerHTML" }); }
    } else if ((rec.kind === "edit" && /data-conflict/.test(text)) || (rec.kind === "delete" && /finding-head/.test(text))) {
      var card = document.getElementById("finding-" + rec.findingId);
      if (card && card.tagName === "ARTICLE") { window.htmx.swap(card, text, { swapStyle: "outerHTML" }); }
    }
  }

  /* A conflict resolved online (the form saved after a refusal): the refused edit is settled. */
  document.addEventListener("htmx:afterRequest", function (event) {
    var d = event.detail;
    var path = d.pathInfo ? d.pathInfo.requestPath : "";
    if (!d.successful || !d.requestConfig || d.requestConfig.verb !== "post" || !window.idb) { return; }
    var match = CARD.exec(path) || DELETE.exec(path);
    if (!match) { return; }
    allRecords().then(function (records) {
      var done = records.filter(function (r) {
        return (r.kind === "edit" || r.kind === "delete") && r.findingId === match[1] && r.state === "refused" && r.user === me();
      });
      return Promise.all(done.map(function (r) { return deleteRecord(r.seq); })).then(function () { if (done.length) { changed(); } });
    });
  });

  function answerState(status, state, message) {
    if (!status) { return; }
    status.setAttribute("data-state", state === "refused" ? "error" : state === "sent" ? "saved" : "queued");
    status.classList.toggle("is-error", state === "refused");
    var label = status.querySelector(".save-state");
    if (label) {
      label.textContent = state === "refused" ? message : state === "sending" ? "保存中…"
        : state === "sent" ? "已保存" : "已存入本机，待同步";
    }
  }

  /* A queued 基本符合 / 不符合 offers ＋ 记录为问题 as the server's status does (AnswerResult.suggests_finding). */
  function findingButton(status, itemId, result) {
    if (!status || !window.htmx) { return; }
    var shown = status.querySelector(".btn-finding");
    if (result !== "basically" && result !== "nonconforming") { if (shown) { shown.remove(); } return; }
    if (shown) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small btn-finding";
    button.textContent = "＋ 记录为问题";
    button.setAttribute("hx-get", "/visits/" + visitId() + "/findings/new?item=" + itemId);
    button.setAttribute("hx-target", "#finding-slot-" + itemId);
    button.setAttribute("hx-swap", "innerHTML");
    button.setAttribute("hx-include", "#note-" + itemId);
    status.appendChild(button);
    window.htmx.process(button);
  }

  /* Queued records over the page: the chosen answer, the finding's card, the photo's thumbnail. */
  function overlay(records, values) {
    records.filter(function (r) { return r.kind === "start"; }).forEach(overlayStart);
    var page = visitId();
    if (!page) { return; }
    records.filter(function (r) { return r.visit === page; }).forEach(function (rec) {
      if (rec.kind === "answer") { overlayAnswer(rec, values); }
      else if (rec.kind === "finding") { overlayFinding(rec); }
      else if (rec.kind === "photo") { overlayPhoto(rec); }
      else if (rec.kind === "edit" || rec.kind === "delete") { overlayChange(rec); }
    });
  }

  /* A finding edited or deleted offline: its card says so; a refused edit shows the user's text
     under the saved one, so that it is not lost when the conflict form is gone (a reload). */
  function overlayChange(rec) {
    var card = document.getElementById("finding-" + rec.findingId);
    if (!card || card.tagName !== "ARTICLE") { return; }
    var badge = card.querySelector("[data-queue-badge]");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge badge-queued";
      badge.setAttribute("data-queue-badge", "");
      card.querySelector(".finding-head").appendChild(badge);
    }
    var refused = rec.state === "refused";
    var what = rec.kind === "edit" ? "修改" : "删除";
    badge.textContent = refused ? what + "未能保存：" + rec.error : what + "待同步";
    card.classList.toggle("is-error", refused);
    card.classList.toggle("is-queued-delete", rec.kind === "delete" && !refused);
    var actions = card.querySelector(".finding-actions");
    if (actions) { actions.hidden = rec.kind === "delete" && !refused; }
    var desc = card.querySelector(".finding-desc");
    if (rec.kind !== "edit" || !desc) { return; }
    var mine = card.querySelector(".finding-mine");
    if (!refused) {
      if (!desc.hasAttribute("data-saved-text")) { desc.setAttribute("data-saved-text", desc.textContent); }
      desc.textContent = field(rec, "description");
      if (mine) { mine.remove(); }
      return;
    }
    if (desc.hasAttribute("data-saved-text")) { desc.textContent = desc.getAttribute("data-saved-text"); desc.removeAttribute("data-saved-text"); }
    if (!mine) {
      mine = document.createElement("p");
      mine.className = "finding-mine";
      desc.insertAdjacentElement("afterend", mine);
    }
    mine.textContent = "您的修改（未保存）：" + field(rec, "description");
  }

  /* The answer's state always; its values only when the page opens (a kept page may predate them),
     never while the inspector is choosing (a newer choice is on its way to the queue). */
  /* A site started offline: its start button says so. With its blank visit screen kept (离线准备)
     the button opens it again (startOffline finds the queued start); else the visit screen comes
     once the start is sent. */
  function overlayStart(rec) {
    var row = rec.site ? document.getElementById(rec.site) : null;
    var button = row ? row.querySelector("form[data-start-visit] button") : null;
    if (!button) { return; }
    if (rec.state === "refused") { button.disabled = false; button.textContent = "开始核查"; return; }
    button.disabled = true;
    button.textContent = "已排队，联网后开始";
    if (!rec.siteId) { return; }
    keptPage(preparedPage(rec.siteId)).then(function (kept) {
      if (!kept) { return; }
      button.disabled = false;
      button.textContent = "继续核查";
      var status = row.querySelector(".status");
      if (status) { status.textContent = "离线已开始，待同步"; }
    });
  }

  function overlayAnswer(rec, values) {
    var form = document.querySelector('.answer-form[data-item="' + rec.item + '"]');
    if (!form) { return; }
    var status = document.getElementById("status-" + rec.item);
    answerState(status, rec.state, rec.error);
    findingButton(status, rec.item, field(rec, "result"));
    if (!values) { return; }
    var result = field(rec, "result");
    form.querySelectorAll("input[name=result]").forEach(function (radio) { radio.checked = radio.value === result; });
    var note = form.querySelector("textarea[name=note]");
    if (note && document.activeElement !== note) { note.value = field(rec, "note"); }
    var uuid = form.querySelector("input[name=uuid]");
    if (uuid && !uuid.value) { uuid.value = field(rec, "uuid"); }
  }

  function overlayFinding(rec) {
    var card = document.querySelector('[data-local-uuid="' + rec.uuid + '"]');
    if (!card) {
      if (document.querySelector('[data-finding-uuid="' + rec.uuid + '"]')) { return; }
      var list = document.getElementById("findings-" + (rec.item || "free"));
      if (!list) { return; }
      card = document.createElement("article");
      card.className = "finding is-queued";
      card.setAttribute("data-local-uuid", rec.uuid);
      var head = document.createElement("header");
      head.className = "finding-head";
      var badge = document.createElement("span");
      badge.className = "badge badge-queued";
      head.appendChild(badge);
      var severity = document.createElement("span");
      severity.className = "muted";
      severity.textContent = field(rec, "category");
      head.appendChild(severity);
      var desc = document.createElement("p");
      desc.className = "finding-desc";
      desc.textContent = field(rec, "description");
      var gallery = document.createElement("ul");
      gallery.className = "gallery";
      gallery.id = "gallery-finding-local-" + rec.uuid;
      card.appendChild(head); card.appendChild(desc); card.appendChild(gallery);
      list.appendChild(card);
    }
    card.querySelector(".badge-queued").textContent = rec.state === "refused" ? "未能保存：" + rec.error : "待同步";
    card.classList.toggle("is-error", rec.state === "refused");
  }

  function overlayPhoto(rec) {
    var thumb = document.querySelector('[data-local-photo="' + rec.uuid + '"]');
    if (!thumb) {
      var gallery = document.getElementById(rec.gallery);
      // Its finding may be stored already: the photo waits in the server's card.
      var card = !gallery && rec.finding ? document.querySelector('[data-finding-uuid="' + rec.finding + '"]') : null;
      if (card) { gallery = card.querySelector("[data-gallery]"); }
      if (!gallery) { return; }
      thumb = document.createElement("li");
      thumb.className = "gallery-item is-queued";
      thumb.setAttribute("data-local-photo", rec.uuid);
      var img = document.createElement("img");
      img.className = "queued-thumb";
      img.alt = rec.blobName;
      img.src = URL.createObjectURL(rec.blob);
      var state = document.createElement("span");
      state.className = "photo-state";
      thumb.appendChild(img); thumb.appendChild(state);
      gallery.appendChild(thumb);
    }
    thumb.querySelector(".photo-state").textContent = rec.state === "refused" ? rec.error : "待同步";
    thumb.classList.toggle("is-error", rec.state === "refused");
  }

  /* The indicator (N 条待同步) and the list of records with their state. */
  function panel() {
    var box = document.getElementById("sync-queue");
    if (box) { return box; }
    box = document.createElement("details");
    box.id = "sync-queue";
    box.className = "sync-queue";
    box.innerHTML = '<summary class="sync-summary" aria-live="polite"></summary><div class="sync-body">' +
      '<p class="sync-note"></p><ol class="sync-list"></ol></div>';
    document.body.appendChild(box);
    box.addEventListener("click", onPanelClick);
    return box;
  }

  function stateText(rec) {
    if (rec.user !== me()) { return "属于账号 " + (rec.userName || rec.user) + "，该账号登录后同步"; }
    if (rec.state === "refused") { return "被拒绝：" + rec.error; }
    return STATE_LABELS[rec.state] || rec.state;
  }

  function render(values) {
    if (!window.idb || !document.body) { return Promise.resolve(); }
    return allRecords().then(function (records) {
      overlay(records, values === true);
      var box = panel();
      var open = records.filter(function (r) { return r.state !== "refused"; }).length;
      var refused = records.length - open;
      var summary = box.querySelector(".sync-summary");
      var text = open ? open + " 条待同步" : "已全部同步";
      if (refused) { text += " · " + refused + " 条被拒绝"; }
      if (!navigator.onLine) { text = "离线 · " + text; }
      summary.textContent = text;
      box.setAttribute("data-count", String(open));
      box.classList.toggle("has-refused", refused > 0);
      box.classList.toggle("is-offline", !navigator.onLine);
      box.hidden = !records.length && !document.querySelector("[data-offline-capable]");
      var note = box.querySelector(".sync-note");
      note.textContent = needLogin ? "登录已过期：请重新登录，登录后自动同步（记录仍保存在本机）。"
        : (!navigator.onLine ? "当前离线：记录已保存在本机，联网后按顺序自动同步。" : lastError);
      var list = box.querySelector(".sync-list");
      list.innerHTML = "";
      records.forEach(function (rec) {
        var li = document.createElement("li");
        li.className = "sync-record state-" + rec.state;
        li.setAttribute("data-seq", rec.seq);
        var label = document.createElement("span");
        label.className = "sync-label";
        label.textContent = rec.label;
        var state = document.createElement("span");
        state.className = "sync-state";
        state.textContent = stateText(rec);
        li.appendChild(label); li.appendChild(state);
        if (rec.state === "refused") {
          li.insertAdjacentHTML("beforeend", '<span class="sync-actions"><button type="button" class="btn btn-small" data-sync-retry>重试</button>' +
            '<button type="button" class="btn btn-small btn-danger" data-sync-delete>删除</button></span>');
        }
        list.appendChild(li);
      });
    });
  }

  function onPanelClick(event) {
    var li = event.target.closest(".sync-record");
    if (!li) { return; }
    var seq = Number(li.getAttribute("data-seq"));
    var retry = event.target.closest("[data-sync-retry]");
    // Dropping a record is the user's explicit choice, asked at the tap.
    var drop = event.target.closest("[data-sync-delete]") &&
      window.confirm("删除后这条记录（" + li.querySelector(".sync-label").textContent + "）将不会上传，确定删除？");
    if (!retry && !drop) { return; }
    database().then(function (db) { return db.get("records", seq); }).then(function (rec) {
      if (!rec) { return null; }
      if (drop) { return deleteRecord(seq).then(changed); }
      rec.state = "pending";
      rec.error = "";
      return putRecord(rec).then(function () { changed(); kick(); });
    });
  }

  /* ---------------------------------------------------------------- 离线准备 */

  function showPrepared(button) {
    var code = button.getAttribute("data-offline-prepare");
    var note = document.querySelector("[data-offline-prepared]");
    return database().then(function (db) { return db.get("prepared", code); }).then(function (prep) {
      if (note && prep) {
        var when = new Date(prep.at);
        var two = function (n) { return String(n).padStart(2, "0"); };
        var what = prep.kind === "recheck"
          ? "已保存 " + prep.items + " 个复核事项的页面和佐证照片，可离线填写"
          : prep.sites.length + " 个点位、" + prep.pages.length + " 个页面" +
            (prep.rechecks ? "（含 " + prep.rechecks + " 个复核轮次的现场复核页面）" : "");
        note.textContent = "已离线准备：" + what + "（" +
          (when.getMonth() + 1) + "月" + when.getDate() + "日 " + two(when.getHours()) + ":" + two(when.getMinutes()) + "）";
      }
    });
  }

  function prepare(button) {
    var code = button.getAttribute("data-offline-prepare");
    var note = document.querySelector("[data-offline-prepared]");
    button.disabled = true;
    if (note) { note.textContent = "正在准备…"; }
    var bundle;
    fetch(button.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok || response.redirected) { throw new Error(); } return response.json(); })
      .then(function (data) {
        bundle = data;
        return caches.open(PAGES);
      }).then(function (cache) {
        return Promise.all(bundle.pages.map(function (url) {
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (!response.ok || response.redirected) { throw new Error(); }
            return cache.put(url, response);
          });
        }));
      }).then(function () {
        // The photos the kept pages show (a re-check screen's 整改前 / 整改后 evidence), put in the
        // service worker's photo cache (its CacheFirst route answers them from there offline).
        if (!bundle.photos || !bundle.photos.length) { return null; }
        return caches.open(PHOTOS).then(function (cache) {
          return Promise.all(bundle.photos.map(function (url) {
            return fetch(url, { credentials: "same-origin" }).then(function (response) {
              if (!response.ok || response.redirected) { throw new Error(); }
              return cache.put(url, response);
            });
          }));
        });
      }).then(function () {
        return database().then(function (db) {
          return db.put("prepared", { code: code, at: Date.now(), sites: bundle.sites, pages: bundle.pages,
                                      campaign: bundle.campaign, county: bundle.county, kind: bundle.kind || "visits",
                                      items: bundle.items || 0, rechecks: bundle.rechecks || 0 });
        });
      }).then(function () { return showPrepared(button); })
      .catch(function () { if (note) { note.textContent = "离线准备失败，请联网后重试"; } })
      .then(function () { button.disabled = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-offline-prepare]");
    if (button) { prepare(button); }
  });

  /* A visit screen reached without the service worker's page route (a visit just started: the
     start's POST was followed to it) is kept now, so that it opens offline too. */
  function keepThisPage() {
    if (!window.caches || !navigator.onLine || !document.querySelector("[data-offline-capable]")) { return; }
    var url = location.pathname;
    caches.open(PAGES).then(function (cache) {
      return cache.match(url, { ignoreVary: true }).then(function (kept) {
        if (kept) { return null; }
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          return response.ok && !response.redirected ? cache.put(url, response) : null;
        });
      });
    }).catch(function () { /* kept next time */ });
  }

  function refresh() {
    keepThisPage();
    var button = document.querySelector("[data-offline-prepare]");
    if (button) { showPrepared(button); }
    localVisit().then(replayJournal).then(restoreConfirmed).then(function () { return render(true); }).then(kick);
  }

  // Ask the browser not to evict the queue under storage pressure (granted to installed apps).
  if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () { /* best effort */ }); }

  window.addEventListener("online", function () { delay = 0; render(); kick(); });
  window.addEventListener("offline", render);
  document.addEventListener("htmx:load", function (event) {
    if (event.detail.elt === document.body) { return; }
    allRecords().then(function (records) { overlay(records, false); });
  });

  window.inspectQueue = { refresh: refresh, addPhotos: addPhotos, render: render };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", refresh); } else { refresh(); }
})();
