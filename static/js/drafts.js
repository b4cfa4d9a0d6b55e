/* Drafts that outlive the session (issue 9). One mechanism for every form that takes typed text:

   - An element (usually a <form>) with data-draft-key="finding-edit-123" is a draft scope. While the
     user types in it, its fields are kept in localStorage under the signed-in user's id and that key;
     the draft goes once a save from the scope succeeds (a 2xx answer), or when the user gives it up.
   - When a scope appears (page load, htmx swap) and a draft is stored for it, the draft is put back
     and a notice says so (放弃草稿 restores what the server sent). A draft whose form is not on the
     page but can be opened (an element with data-draft-opens="<key>"), or that was typed on this very
     page, is offered in a banner at the top of the page (继续填写 / 放弃); 首页 lists them all (前往填写).
   - Leaving a page with unsaved text asks first: beforeunload for full navigations, a confirm for
     boosted navigations and for swaps that would replace the form. Submitting the form itself does not.
     The form's own 取消 (data-draft-cancel, or the visit screen's data-dismiss-form) asks whether to
     give the text up and, if so, drops the draft; leaving any other way keeps it.
   - Typing is activity: at most once per data-keepalive seconds it restarts the server's idle clock.
     A warning with 保持登录 shows data-idle-warning seconds before the timeout.
   - A save refused for a stale CSRF token (signed in again in another tab) fetches the current token
     and is sent once more; a save refused for want of a session keeps the draft and goes to sign in,
     with the way back to this page.
   - Drafts are per user and are removed at sign-out (shared tablets).
   No inline scripts (the Content-Security-Policy forbids them); loaded once per full page by base.html. */
(function () {
  "use strict";
  if (window.inspectDrafts) { return; }

  var PREFIX = "inspect.draft.";
  var MAX_AGE_MS = 14 * 24 * 3600 * 1000;   // a draft older than two weeks is of no use any more
  var TEXT_TYPES = { text: 1, search: 1, email: 1, tel: 1, url: 1, number: 1 };
  var KEPT_TYPES = { date: 1, "datetime-local": 1, month: 1, time: 1, week: 1 };
  var RETRY_HEADER = "X-Draft-Retry";

  var body = function () { return document.body; };
  function attr(name) { return body() ? body().getAttribute(name) : null; }
  function userId() { return attr("data-user") || ""; }
  function seconds(name, fallback) { var v = parseFloat(attr(name)); return isNaN(v) ? fallback : v; }
  function toast(message, level) { if (window.inspectApp) { window.inspectApp.toast(message, level); } }

  /* ---------------------------------------------------------------- storage */

  var storage = (function () {
    try { var s = window.localStorage; s.setItem(PREFIX + "probe", "1"); s.removeItem(PREFIX + "probe"); return s; }
    catch (e) { return null; }
  }());

  function storageKey(key, user) { return PREFIX + (user || userId()) + "." + key; }

  function read(key) {
    if (!storage || !userId()) { return null; }
    try {
      var record = JSON.parse(storage.getItem(storageKey(key)));
      return record && record.v ? record : null;
    } catch (e) { return null; }
  }

  var warnedFull = false;
  function write(key, record) {
    if (!storage || !userId()) { return; }
    try { storage.setItem(storageKey(key), JSON.stringify(record)); }
    catch (e) {
      if (!warnedFull) { warnedFull = true; toast("本机存储空间不足，草稿未能暂存，请尽快保存。", "error"); }
    }
  }

  function remove(key) { if (storage && userId()) { storage.removeItem(storageKey(key)); } }

  /* Every stored draft of the signed-in user (or of anyone, for the sign-in page's hint). */
  function allDrafts(anyUser) {
    var out = [];
    if (!storage) { return out; }
    var mine = PREFIX + userId() + ".";
    for (var i = 0; i < storage.length; i++) {
      var name = storage.key(i);
      if (!name || name.indexOf(PREFIX) !== 0 || (!anyUser && name.indexOf(mine) !== 0)) { continue; }
      try {
        var record = JSON.parse(storage.getItem(name));
        if (record && record.v) { record.key = name.slice(mine.length); record.storageName = name; out.push(record); }
      } catch (e) { /* not ours to read */ }
    }
    return out;
  }

  function dropOld() {
    var now = Date.now();
    allDrafts(true).forEach(function (d) { if (!d.t || now - d.t > MAX_AGE_MS) { storage.removeItem(d.storageName); } });
  }

  function clearUser(user) {
    if (!storage || !user) { return; }
    var mine = PREFIX + user + ".";
    var names = [];
    for (var i = 0; i < storage.length; i++) { if ((storage.key(i) || "").indexOf(mine) === 0) { names.push(storage.key(i)); } }
    names.forEach(function (n) { storage.removeItem(n); });
  }

  /* ---------------------------------------------------------------- fields of a scope */

  function kind(el) {
    if (el.tagName === "TEXTAREA") { return "text"; }
    if (el.tagName === "SELECT") { return el.multiple ? null : "choice"; }
    if (el.tagName !== "INPUT") { return null; }
    if (el.hasAttribute("data-client-uuid")) { return "kept"; }   // a retry must not duplicate the record
    var type = (el.getAttribute("type") || "text").toLowerCase();
    // The version the text was typed against: a draft restored after someone else saved must meet
    // the optimistic-locking check (409, both texts shown), not overwrite their change.
    if (type === "hidden" && el.name === "version") { return "kept"; }
    if (TEXT_TYPES[type]) { return "text"; }
    if (KEPT_TYPES[type]) { return "choice"; }
    return null;   // hidden (tokens, versions), files, passwords, ticks: not a draft's business
  }

  function fieldsOf(scope) {
    return Array.prototype.filter.call(scope.querySelectorAll("textarea, select, input"), function (el) {
      return el.name && !el.closest("[data-draft-ignore]") && kind(el) !== null;
    });
  }

  /* name#n → value, n counting fields of the same name in document order. */
  function eachField(scope, fn) {
    var counts = {};
    fieldsOf(scope).forEach(function (el) {
      var n = counts[el.name] = (counts[el.name] || 0) + 1;
      fn(el.name + "#" + (n - 1), el);
    });
  }

  function valuesOf(scope) {
    var out = {};
    eachField(scope, function (id, el) { out[id] = el.value; });
    return out;
  }

  function sameText(scope, a, b) {
    var same = true;
    eachField(scope, function (id, el) {
      if (kind(el) !== "kept" && String(a[id] || "").trim() !== String(b[id] || "").trim()) { same = false; }
    });
    return same;
  }

  function hasText(scope, values) {
    var any = false;
    eachField(scope, function (id, el) { if (kind(el) === "text" && String(values[id] || "").trim()) { any = true; } });
    return any;
  }

  function fill(scope, values) {
    var changed = [];
    eachField(scope, function (id, el) {
      if (Object.prototype.hasOwnProperty.call(values, id) && el.value !== values[id]) {
        el.value = values[id];
        changed.push(el);
      }
    });
    return changed;
  }

  function preview(scope) {
    var parts = [];
    eachField(scope, function (id, el) { if (kind(el) === "text" && el.value.trim()) { parts.push(el.value.trim()); } });
    return parts.join(" · ").slice(0, 400);
  }

  function labelOf(scope) {
    if (scope.getAttribute("data-draft-label")) { return scope.getAttribute("data-draft-label"); }
    var heading = scope.querySelector("h2, h3, legend, .label");
    return heading ? heading.textContent.trim() : "未保存的内容";
  }

  function keyOf(scope) { return scope.getAttribute("data-draft-key"); }
  function scopeOf(el) { return el && el.closest ? el.closest("[data-draft-key]") : null; }
  function scopeByKey(key) {
    var found = null;
    document.querySelectorAll("[data-draft-key]").forEach(function (s) { if (keyOf(s) === key) { found = s; } });
    return found;
  }

  /* A scope is dirty while a draft of it is stored: what is on screen has not reached the server. */
  function isDirty(scope) { return scope.isConnected && !!read(keyOf(scope)); }
  function dirtyScopes() {
    return Array.prototype.filter.call(document.querySelectorAll("[data-draft-key]"), isDirty);
  }

  /* ---------------------------------------------------------------- keeping and restoring */

  function state(scope) {
    if (!scope._draft) { scope._draft = { pristine: valuesOf(scope), hadDraft: false }; }
    return scope._draft;
  }

  function save(scope) {
    var st = state(scope), values = valuesOf(scope), key = keyOf(scope);
    if (!st.hadDraft && sameText(scope, values, st.pristine)) { remove(key); return; }
    if (!st.hadDraft && !hasText(scope, values) && !read(key)) { return; }
    st.hadDraft = true;
    write(key, { v: values, t: Date.now(), path: location.pathname, label: labelOf(scope), preview: preview(scope) });
  }

  function when(t) {
    var d = new Date(t);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function button(text, cls, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn " + (cls || "");
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function showNotice(scope, draft) {
    var old = scope.querySelector(":scope > .draft-notice");
    if (old) { old.remove(); }
    var box = document.createElement("div");
    box.className = "draft-notice";
    box.setAttribute("role", "status");
    var text = document.createElement("span");
    text.textContent = "已恢复 " + when(draft.t) + " 未保存的内容（暂存在本机），请核对后保存。";
    box.appendChild(text);
    box.appendChild(button("放弃草稿", "btn-ghost", function () {
      if (!window.confirm("放弃这份草稿，恢复为原来的内容？")) { return; }
      discard(scope);
    }));
    scope.insertBefore(box, scope.firstChild);
  }

  function discard(scope) {
    var st = state(scope);
    fill(scope, st.pristine);
    st.hadDraft = false;
    remove(keyOf(scope));
    var notice = scope.querySelector(":scope > .draft-notice");
    if (notice) { notice.remove(); }
    renderBanner();
  }

  var focusNext = {};   // key → true: the user asked to continue this draft, bring it into view

  /* A scope has appeared: remember what the server sent; put a stored draft back. */
  function adopt(scope) {
    if (scope._draft) { return; }
    var st = state(scope), key = keyOf(scope), draft = read(key);
    if (!draft) { return; }
    st.hadDraft = true;
    if (sameText(scope, draft.v, st.pristine)) {
      // A 409/422 re-render already shows the typed text (and, after a conflict, the version it
      // may now be saved against): keep what the server sent and remember that instead.
      save(scope);
      return;
    }
    var changed = fill(scope, draft.v);
    showNotice(scope, draft);
    // Autosaving fields (the answer note) save the restored text as if it had just been typed.
    changed.forEach(function (el) { if (kind(el) === "text") { el.dispatchEvent(new Event("input", { bubbles: true })); } });
    if (focusNext[key]) {
      delete focusNext[key];
      scope.scrollIntoView({ block: "center" });
      var first = scope.querySelector("textarea, input[type=text]");
      if (first) { first.focus({ preventScroll: true }); }
    }
  }

  /* The banner: drafts of this user whose form is not on the page, but can be opened here or were
     typed on this page. Never silently dropped: without an opener the text can still be read. */
  function renderBanner() {
    var main = document.getElementById("main");
    var old = document.getElementById("draft-banner");
    if (!main || !userId()) { if (old) { old.remove(); } return; }
    var present = {};
    document.querySelectorAll("[data-draft-key]").forEach(function (s) { present[keyOf(s)] = true; });
    var home = location.pathname === "/";   // 首页 lists every draft, with the way to its page
    var entries = allDrafts(false).filter(function (d) {
      return !present[d.key] && (home || opener(d.key) || d.path === location.pathname);
    }).sort(function (a, b) { return a.t - b.t; });
    if (!entries.length) { if (old) { old.remove(); } return; }
    var box = document.createElement("section");
    box.id = "draft-banner";
    box.className = "draft-banner";
    box.setAttribute("aria-label", "未保存的草稿");
    var title = document.createElement("p");
    title.className = "draft-banner-title";
    title.textContent = (home ? "您有 " : "本页有 ") + entries.length + " 份未保存的草稿（暂存在本机）";
    box.appendChild(title);
    var list = document.createElement("ul");
    entries.forEach(function (d) {
      var li = document.createElement("li");
      li.className = "draft-entry";
      li.setAttribute("data-draft-entry", d.key);
      var what = document.createElement("div");
      what.className = "draft-entry-text";
      var label = document.createElement("strong");
      label.textContent = d.label || "草稿";
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = " " + when(d.t);
      var text = document.createElement("p");
      text.className = "draft-preview";
      text.textContent = d.preview || "";
      what.appendChild(label); what.appendChild(meta); what.appendChild(text);
      li.appendChild(what);
      var actions = document.createElement("div");
      actions.className = "draft-entry-actions";
      var open = opener(d.key);
      if (home && d.path && d.path !== "/") {
        var go = document.createElement("a");
        go.className = "btn btn-primary";
        go.href = d.path;
        go.textContent = "前往填写";
        actions.appendChild(go);
      } else if (open) {
        actions.appendChild(button("继续填写", "btn-primary", function () {
          focusNext[d.key] = true;
          var again = opener(d.key);
          if (again) { again.click(); }
        }));
      } else {
        text.classList.add("is-full");   // nothing to open it into: show all of it, to copy from
      }
      actions.appendChild(button("放弃", "btn-ghost", function () {
        if (!window.confirm("放弃这份草稿？放弃后无法找回。")) { return; }
        remove(d.key);
        renderBanner();
      }));
      li.appendChild(actions);
      list.appendChild(li);
    });
    box.appendChild(list);
    if (old) { old.replaceWith(box); } else { main.insertBefore(box, main.firstChild); }
  }

  function opener(key) {
    var found = null;
    document.querySelectorAll("[data-draft-opens]").forEach(function (el) {
      if (el.getAttribute("data-draft-opens") === key && !el.disabled) { found = el; }
    });
    return found;
  }

  var scanQueued = false;
  function scan() {
    scanQueued = false;
    if (!userId()) { loginHint(); return; }
    document.querySelectorAll("[data-draft-key]").forEach(adopt);
    renderBanner();
  }
  function queueScan() { if (!scanQueued) { scanQueued = true; setTimeout(scan, 0); } }

  /* The sign-in page: say that typed text is waiting (whose: the next sign-in will tell). */
  function loginHint() {
    var form = document.querySelector("form input[name=password]");
    if (!form || document.getElementById("draft-login-hint") || !allDrafts(true).length) { return; }
    var p = document.createElement("p");
    p.id = "draft-login-hint";
    p.className = "alert alert-info draft-login-hint";
    p.textContent = "本机暂存有未保存的内容。登录后将回到原来的页面，可继续填写并保存。";
    form.closest("form").insertBefore(p, form.closest("form").firstChild);
  }

  /* ---------------------------------------------------------------- typing */

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!userId() || !el || !el.closest) { return; }
    var scope = scopeOf(el);
    if (scope && kind(el) !== null) {
      state(scope);
      if (kind(el) === "text" || read(keyOf(scope))) { save(scope); }
    }
    if (el.matches("textarea, input")) { typing(); }
  }, true);

  document.addEventListener("change", function (event) {
    var scope = scopeOf(event.target);
    if (scope && userId() && kind(event.target) !== null && read(keyOf(scope))) { save(scope); }
  }, true);

  /* ---------------------------------------------------------------- saving, and leaving */

  var leaving = false;          // going to sign in, or signing out: drafts are safe, do not ask
  var inFlight = new WeakMap(); // xhr → {key, sent}

  function replaces(elt) {
    var holder = elt.closest && elt.closest("[hx-swap]");
    var swap = holder ? holder.getAttribute("hx-swap") : "innerHTML";
    return !/^(beforebegin|afterbegin|beforeend|afterend|none)\b/.test(swap || "");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var d = event.detail, elt = d.elt, verb = (d.requestConfig && d.requestConfig.verb || "get").toLowerCase();
    var own = scopeOf(elt);
    if (verb !== "get" && own) {   // a save from the scope itself: never ask; clear on success
      inFlight.set(d.xhr, { key: keyOf(own), sent: valuesOf(own) });
      return;
    }
    if (leaving || (elt && elt.closest && elt.closest("[data-idle-passive]"))) { return; }
    var dirty = dirtyScopes();
    if (!dirty.length) { return; }
    var target = d.target;
    var affected = d.boosted ? dirty : dirty.filter(function (s) {
      return target && (target === s || target.contains(s)) && replaces(elt);
    });
    if (!affected.length) { return; }
    // 取消 on the form itself (data-draft-cancel) means give the text up; anything else keeps it.
    var cancel = elt && elt.closest && elt.closest("[data-draft-cancel]");
    var cancelling = cancel ? affected.filter(function (s) { return s.contains(cancel); }) : [];
    var question = cancelling.length
      ? "放弃未保存的内容？"
      : "页面上有未保存的内容，确定离开吗？\n（内容已暂存在本机，回到本页可继续填写）";
    if (!window.confirm(question)) { event.preventDefault(); return; }
    cancelling.forEach(discard);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var d = event.detail, xhr = d.xhr;
    if (!xhr) { return; }
    var remaining = parseFloat(xhr.getResponseHeader("X-Idle-Remaining"));
    if (!isNaN(remaining)) { learnIdle(remaining); }
    var sent = inFlight.get(xhr);
    if (!sent) { return; }
    inFlight.delete(xhr);
    if (xhr.status < 200 || xhr.status >= 300) { return; }   // 4xx/5xx/network: the draft stays
    settle(sent);
  });

  /* What a save from `elt`'s scope sends ({key, sent}), or null outside a scope. */
  function snapshot(elt) {
    var own = scopeOf(elt);
    return own ? { key: keyOf(own), sent: valuesOf(own) } : null;
  }

  /* A save of `sent` (from snapshot) succeeded, or went into the offline queue, which holds the
     text from then on: the draft goes, unless more was typed since. */
  function settle(sent) {
    var scope = scopeByKey(sent.key);
    // Still on screen with more typed since the request left: keep that as the draft.
    if (scope && scope._draft && !sameText(scope, valuesOf(scope), sent.sent) && read(sent.key)) {
      scope._draft.pristine = sent.sent;
      save(scope);
      return;
    }
    remove(sent.key);
    if (scope && scope._draft) { scope._draft = null; state(scope); }
    var notice = scope && scope.querySelector(":scope > .draft-notice");
    if (notice) { notice.remove(); }
  }

  // The visit screen's "取消" on a new finding removes the form without a request.
  document.addEventListener("click", function (event) {
    var b = event.target.closest && event.target.closest("[data-dismiss-form]");
    var scope = b && scopeOf(b);
    if (!scope || !isDirty(scope)) { return; }
    if (!window.confirm("放弃未保存的内容？")) { event.preventDefault(); event.stopPropagation(); return; }
    discard(scope);
  }, true);

  window.addEventListener("beforeunload", function (event) {
    if (leaving || !dirtyScopes().length) { return; }
    event.preventDefault();
    event.returnValue = "";
  });

  /* Signing out removes this user's drafts from the tablet; ask first if something is unsaved. The
     form's token is refreshed first, so that signing out works in a tab whose token went stale. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-sign-out]") || form._refreshed) { return; }
    event.preventDefault();
    if (dirtyScopes().length && !window.confirm("页面上有未保存的内容。退出登录后，本机暂存的草稿将被清除。确定退出？")) {
      return;
    }
    clearUser(userId());
    leaving = true;
    function go() { form._refreshed = true; form.submit(); }
    checkSession().then(function (s) { if (s.status !== 401) { go(); } }, go);
  }, true);

  /* ---------------------------------------------------------------- the session: token, keepalive, warning */

  function csrfToken() {
    try { return JSON.parse(attr("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function applyToken(token) {
    if (!token || !body()) { return; }
    var headers = {};
    try { headers = JSON.parse(attr("hx-headers")) || {}; } catch (e) { headers = {}; }
    headers["X-CSRFToken"] = token;
    body().setAttribute("hx-headers", JSON.stringify(headers));
    document.querySelectorAll("input[name=csrf_token]").forEach(function (input) { input.value = token; });
  }

  /* GET or POST one of the session endpoints; resolves to {status, ...json}. */
  function sessionCall(method, url) {
    var headers = { Accept: "application/json" };
    if (method === "POST") { headers["X-CSRFToken"] = csrfToken(); }
    return fetch(url, { method: method, credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          data.status = response.status;
          data.csrfExpired = response.headers.get("X-CSRF-Expired") === "1";
          return data;
        });
      });
  }

  function goSignIn(loginUrl) {
    leaving = true;
    var here = location.pathname + location.search;
    location.href = loginUrl || ((attr("data-login-url") || "/login") + "?next=" + encodeURIComponent(here));
  }

  /* Ask the server how things stand; take its token, its clock, or go to sign in. */
  function checkSession() {
    return sessionCall("GET", attr("data-session-url") || "/session").then(function (s) {
      if (s.status === 401) { goSignIn(s.login_url); return s; }
      if (s.status === 200 && s.signed_in) {
        if (String(s.user) !== userId()) { location.reload(); return s; }   // someone else signed in here
        applyToken(s.csrf_token);
        learnIdle(s.idle_remaining);
      }
      return s;
    });
  }

  var expiresAt = 0, lastActivity = Date.now(), lastKeepalive = 0, timer = null, ticker = null;

  function learnIdle(remaining) {
    if (!userId()) { return; }
    var idle = seconds("data-idle-seconds", 1800);
    if (remaining >= idle - 2) { lastActivity = Date.now(); }
    expiresAt = Date.now() + remaining * 1000;
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    var warnMs = seconds("data-idle-warning", 120) * 1000;
    var left = expiresAt - Date.now();
    if (left > warnMs) {
      hideWarning();
      timer = setTimeout(onWarningTime, Math.max(1000, left - warnMs));
    } else if (left > 0) {
      showWarning();
      timer = setTimeout(onExpiry, Math.max(1000, left));
    } else {
      timer = setTimeout(onExpiry, 1000);
    }
  }

  // Another tab may have kept the session alive: ask before warning, and before giving up.
  function onWarningTime() { checkSession().catch(schedule); }
  function onExpiry() { checkSession().catch(function () { timer = setTimeout(onExpiry, 15000); }); }

  function keepalive() {
    lastKeepalive = Date.now();
    var url = attr("data-keepalive-url");
    if (!url) { return Promise.resolve(); }
    return sessionCall("POST", url).then(function (s) {
      if (s.status === 400 && s.csrfExpired) {
        return checkSession().then(function (c) { return c.status === 200 ? sessionCall("POST", url) : c; });
      }
      return s;
    }).then(function (s) {
      if (s.status === 401) { goSignIn(s.login_url); return; }
      if (s.status === 200) { applyToken(s.csrf_token); learnIdle(s.idle_remaining); }
    }).catch(function () { /* offline: the draft is kept, the next keystroke tries again */ });
  }

  function typing() {
    if (!userId()) { return; }
    var every = seconds("data-keepalive", 60) * 1000;
    var now = Date.now();
    if (now - lastActivity >= every && now - lastKeepalive >= every) { keepalive(); }
  }

  function warningBox() {
    var box = document.getElementById("idle-warning");
    if (box) { return box; }
    box = document.createElement("div");
    box.id = "idle-warning";
    box.className = "idle-warning";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-live", "assertive");
    box.setAttribute("aria-label", "即将自动退出登录");
    var text = document.createElement("p");
    text.className = "idle-warning-text";
    text.appendChild(document.createTextNode("长时间未操作，将在 "));
    var count = document.createElement("strong");
    count.className = "idle-countdown";
    text.appendChild(count);
    text.appendChild(document.createTextNode(" 后自动退出登录。已填写的内容暂存在本机。"));
    box.appendChild(text);
    var stay = button("保持登录", "btn-primary", function () { keepalive(); });
    stay.id = "idle-stay";
    box.appendChild(stay);
    body().appendChild(box);
    return box;
  }

  function showWarning() {
    var box = warningBox();
    function tick() {
      var left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
      box.querySelector(".idle-countdown").textContent = Math.floor(left / 60) + " 分 " + (left % 60 < 10 ? "0" : "") + (left % 60) + " 秒";
    }
    tick();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    box.hidden = false;
  }

  function hideWarning() {
    clearInterval(ticker);
    var box = document.getElementById("idle-warning");
    if (box) { box.hidden = true; }
  }

  /* A save refused for a stale token: fetch the current one and send the same request once more.
     Refused for want of a session (401): the draft stays, htmx follows HX-Redirect to sign in. */
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var d = event.detail, xhr = d.xhr;
    if (!xhr) { return; }
    if (xhr.status === 401) { leaving = true; return; }
    if (xhr.status !== 400 || xhr.getResponseHeader("X-CSRF-Expired") !== "1") { return; }
    event.preventDefault();   // no error toast, no swap: we try once more
    var config = d.requestConfig || {};
    if (config.headers && config.headers[RETRY_HEADER]) {
      toast("页面已过期，请刷新页面后重试。已填写的内容暂存在本机。", "error");
      return;
    }
    checkSession().then(function (s) {
      if (s.status !== 200 || !d.elt.isConnected) { return; }
      var headers = {};
      headers[RETRY_HEADER] = "1";
      window.htmx.ajax(config.verb || "post", config.path, { source: d.elt, headers: headers });
    }).catch(function () { toast("网络连接中断，操作未完成。已填写的内容暂存在本机。", "error"); });
  });

  // Back to a tab after a while (a sleeping tablet, another tab used): take the current token and clock.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && userId()) { checkSession().catch(function () {}); }
  });

  /* ---------------------------------------------------------------- start */

  document.addEventListener("htmx:load", queueScan);
  function start() {
    if (storage) { dropOld(); }
    if (userId()) { learnIdle(seconds("data-idle-seconds", 1800)); }
    scan();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }

  window.inspectDrafts = { scan: scan, save: save, discard: discard, isDirty: isDirty, checkSession: checkSession,
                          snapshot: snapshot, settle: settle, leaving: function () { leaving = true; } };
})();
