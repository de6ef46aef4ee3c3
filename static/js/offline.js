// Offline reading: register the service worker (/sw.js), and on the "saved" page list the
// guides it keeps. Without service workers the page says so and nothing else changes.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.caches) {
    return;
  }
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});

  var list = document.getElementById("saved-guides");
  if (!list) {
    return;
  }
  var empty = document.getElementById("saved-empty");
  var unsupported = document.getElementById("saved-unsupported");
  if (unsupported) {
    unsupported.hidden = true;
  }
  var language = document.documentElement.lang === "en" ? "en" : "zh-CN";
  caches.open("kb-guides-v1").then(function (cache) {
    return cache.keys().then(function (requests) {
      var guides = requests.filter(function (request) {
        return /\/guides\/[^/]+\/$/.test(new URL(request.url).pathname);
      });
      return Promise.all(
        guides.map(function (request) {
          return cache.match(request).then(function (response) {
            return response.text().then(function (html) {
              var doc = new DOMParser().parseFromString(html, "text/html");
              var title = doc.querySelector("h1");
              return {
                url: new URL(request.url).pathname,
                title: title ? title.textContent.trim() : request.url,
                saved: response.headers.get("X-KB-Saved-At") || ""
              };
            });
          });
        })
      );
    });
  }).then(function (items) {
    items.sort(function (a, b) {
      return a.saved < b.saved ? 1 : -1;
    });
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      if (item.saved) {
        var time = document.createElement("time");
        time.dateTime = item.saved;
        time.className = "meta";
        time.textContent = " " + new Date(item.saved).toLocaleString(language);
        li.appendChild(time);
      }
      list.appendChild(li);
    });
    if (empty) {
      empty.hidden = items.length > 0;
    }
  });
})();
