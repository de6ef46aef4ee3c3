// Offline reading: the guides a reader has opened (and the site's CSS) are kept in the browser,
// served from the network whenever it answers, and from the saved copy only when it does not.
// Nothing else is cached. Served at /sw.js (kb/views/webapp.py) so that its scope is the site.
"use strict";

var GUIDES = "kb-guides-v1";
var ASSETS = "kb-assets-v1";
var GUIDE_PATH = /^\/(zh-hans|en)\/guides\/[^/]+\/$/;
var SAVED_PATH = /^\/(zh-hans|en)\/saved\/$/;
var NOTE = {
  "zh-hans": "离线副本，保存于 ",
  en: "Offline copy, saved on "
};

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            return name.indexOf("kb-") === 0 && name !== GUIDES && name !== ASSETS;
          })
          .map(function (name) {
            return caches.delete(name);
          })
      );
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function saved(response, store, request) {
  if (!response || !response.ok || response.type !== "basic") {
    return response;
  }
  var copy = response.clone();
  copy.blob().then(function (body) {
    var headers = new Headers(copy.headers);
    headers.set("X-KB-Saved-At", new Date().toISOString());
    return caches.open(store).then(function (cache) {
      return cache.put(request, new Response(body, { status: 200, headers: headers }));
    });
  });
  return response;
}

function withNote(response, language) {
  var when = response.headers.get("X-KB-Saved-At") || "";
  return response.text().then(function (html) {
    var stamp = when ? new Date(when).toLocaleString(language === "en" ? "en" : "zh-CN") : "";
    var note =
      '<p class="offline-note" role="status">' + NOTE[language] +
      '<time datetime="' + when + '">' + stamp + "</time></p>";
    html = html.replace(/(<main\b[^>]*>)/, "$1" + note);
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    return new Response(html, { status: 200, headers: headers });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  var guide = GUIDE_PATH.exec(url.pathname);
  var listing = SAVED_PATH.test(url.pathname);
  if (request.mode === "navigate" && (guide || listing)) {
    var key = url.origin + url.pathname;
    event.respondWith(
      fetch(request)
        .then(function (response) {
          return saved(response, GUIDES, key);
        })
        .catch(function () {
          return caches.open(GUIDES).then(function (cache) {
            return cache.match(key).then(function (copy) {
              if (!copy) {
                return Response.error();
              }
              return guide ? withNote(copy, guide[1]) : copy;
            });
          });
        })
    );
    return;
  }
  if (request.destination === "style" && url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      fetch(request)
        .then(function (response) {
          return saved(response, ASSETS, request);
        })
        .catch(function () {
          return caches.open(ASSETS).then(function (cache) {
            return cache.match(request).then(function (copy) {
              return copy || Response.error();
            });
          });
        })
    );
  }
});
