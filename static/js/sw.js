/* The service worker (served at /sw.js so that its scope is the whole site).

   It keeps the app shell (CSS, scripts, vendor libraries, icon, web manifest) so that pages open
   without a network, and the visit pages (我的核查, a county's sites, a visit screen) network-first:
   online the server's page is shown and kept; offline the last kept copy is shown, and
   static/js/offline.js lays the queued, not yet synchronised records over it. Photos' thumbnails
   are immutable, so they are kept on first sight.

   It never touches POSTs: records made on the tablet go through the IndexedDB queue of offline.js,
   which survives a closed tab; a service worker may be stopped at any moment, so it holds no state. */
/* global importScripts, workbox */
importScripts("/static/vendor/workbox/workbox-sw.js");
workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox/", debug: false });
// Loaded while the script is first evaluated: importScripts is refused after installation.
workbox.loadModule("workbox-core");
workbox.loadModule("workbox-routing");
workbox.loadModule("workbox-strategies");

// The cache names are shared with offline.js (离线准备 fills PAGES; signing out empties it).
var SHELL = "inspect-shell-v1";
var PAGES = "inspect-pages-v1";
var PHOTOS = "inspect-photos-v1";
var SHELL_URLS = [
  "/static/css/app.css",
  "/static/css/drafts.css",
  "/static/js/app.js",
  "/static/js/drafts.js",
  "/static/js/conflict.js",
  "/static/js/visit.js",
  "/static/js/photo-prepare.js",
  "/static/js/photos.js",
  "/static/js/offline.js",
  "/static/vendor/htmx.min.js",
  "/static/vendor/idb.umd.js",
  "/static/vendor/piexif.js",
  "/static/vendor/exifr.umd.js",
  "/static/img/favicon.svg",
  "/static/img/icon-192.png",
  "/static/img/icon-512.png",
  "/static/manifest.webmanifest"
];
// The pages a visit needs offline: 我的核查, a county's sites, a visit screen, and the blank visit
// screen of a site not started yet (kept by 离线准备, to start the site offline).
var VISIT_PAGE = /^\/visits\/(?:counties\/[0-9]{6}|[0-9]+|sites\/[0-9]+\/new)?$/;
// A re-check round's tablet screen and its page (抽查复核; kept by its own 离线准备 button).
var RECHECK_PAGE = /^\/rechecks\/[0-9]+(?:\/field)?$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_URLS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  var keep = [SHELL, PAGES, PHOTOS];
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("inspect-") === 0 && keep.indexOf(name) < 0; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* A page that loaded while this worker was still installing is not controlled (claim() in activate
   only takes the pages open then); offline.js asks once it sees the worker active, so that the page
   it is on works offline too, not only the next one. */
self.addEventListener("message", function (event) {
  if (event.data === "claim") { event.waitUntil(self.clients.claim()); }
});

/* Signing in or out empties the kept pages and photos before the request goes on: on a shared
   tablet the next account must not be shown what the last one could see (the queue is not touched:
   its records wait for the account that made them). */
self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method === "POST" && url.origin === self.location.origin
      && (url.pathname === "/login" || url.pathname === "/logout")) {
    event.respondWith(Promise.all([caches.delete(PAGES), caches.delete(PHOTOS)])
      .then(function () { return fetch(event.request); }));
  }
});

/* A page is kept under its bare URL whether it came as a navigation or as an htmx boosted request
   (both get the whole page from the server), and only when it is the page itself: a redirect (to
   the sign-in page) or an error is never kept. */
var pageKey = {
  cacheKeyWillBeUsed: function (param) { return param.request.url.split("#")[0]; },
  cacheWillUpdate: function (param) {
    var response = param.response;
    return response && response.status === 200 && !response.redirected ? response : null;
  }
};

function isPage(request, url) {
  if (request.method !== "GET" || url.origin !== self.location.origin
      || !(VISIT_PAGE.test(url.pathname) || RECHECK_PAGE.test(url.pathname))) { return false; }
  if (request.mode === "navigate") { return true; }
  // htmx's boosted navigations and history restores ask for the whole page, fragments do not.
  return request.headers.get("HX-Boosted") === "true" || request.headers.get("HX-History-Restore-Request") === "true";
}

workbox.routing.registerRoute(function (options) { return isPage(options.request, options.url); },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES, networkTimeoutSeconds: 8, plugins: [pageKey], matchOptions: { ignoreVary: true }
  }));

workbox.routing.registerRoute(function (options) {
  return options.url.origin === self.location.origin && options.request.method === "GET"
    && options.url.pathname.indexOf("/static/") === 0;
}, new workbox.strategies.StaleWhileRevalidate({ cacheName: SHELL, matchOptions: { ignoreVary: true } }));

workbox.routing.registerRoute(function (options) {
  return options.url.origin === self.location.origin && /^\/media\/[0-9]+\/(thumb|display)$/.test(options.url.pathname);
}, new workbox.strategies.CacheFirst({
  cacheName: PHOTOS, matchOptions: { ignoreVary: true },
  plugins: [{ cacheWillUpdate: function (param) { return param.response.status === 200 ? param.response : null; } }]
}));
