/* Live preview of the guide form's Markdown fields (kb/admin/preview.py).
   One listener per event on the document, so inline rows added later work as well. The server
   renders the text with the public page's sanitizer; this file only shows what it answers. */
(function () {
  "use strict";

  var DELAY_MS = 350;
  var timers = new WeakMap();
  var sent = new WeakMap();

  document.documentElement.classList.add("kb-md-js");

  function csrfToken(form) {
    var input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function partsOf(element) {
    var box = element.closest(".kb-md");
    if (!box) {
      return null;
    }
    return {
      box: box,
      field: box.querySelector("textarea[data-markdown-preview]"),
      panel: box.querySelector(".kb-md-preview"),
      toggle: box.querySelector(".kb-md-toggle")
    };
  }

  function showMessage(panel, text, className) {
    panel.replaceChildren();
    var p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    panel.appendChild(p);
  }

  function render(parts) {
    if (parts.panel.hidden) {
      return;
    }
    var number = (sent.get(parts.field) || 0) + 1;
    sent.set(parts.field, number);
    var body = new FormData();
    body.append("text", parts.field.value);
    parts.panel.setAttribute("aria-busy", "true");
    fetch(parts.field.dataset.markdownPreview, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(parts.field.form), "Accept": "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (sent.get(parts.field) !== number) {
          return; // a newer request is on its way
        }
        if (!result.ok) {
          showMessage(parts.panel, result.data.error || parts.box.dataset.failed, "kb-md-error");
        } else if (!result.data.html) {
          showMessage(parts.panel, parts.box.dataset.empty, "kb-md-empty");
        } else {
          parts.panel.innerHTML = result.data.html; // sanitized by the server (kb/markdown.py)
        }
      })
      .catch(function () {
        if (sent.get(parts.field) === number) {
          showMessage(parts.panel, parts.box.dataset.failed, "kb-md-error");
        }
      })
      .finally(function () {
        parts.panel.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".kb-md-toggle");
    if (!toggle) {
      return;
    }
    var parts = partsOf(toggle);
    if (!parts || !parts.field) {
      return;
    }
    var open = parts.panel.hidden;
    parts.panel.hidden = !open;
    parts.panel.id = parts.panel.id || parts.field.id + "-preview";
    toggle.setAttribute("aria-controls", parts.panel.id);
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? toggle.dataset.hide : toggle.dataset.show;
    if (open) {
      render(parts);
    }
  });

  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("textarea[data-markdown-preview]")) {
      return;
    }
    var parts = partsOf(event.target);
    if (!parts || parts.panel.hidden) {
      return;
    }
    clearTimeout(timers.get(event.target));
    timers.set(
      event.target,
      setTimeout(function () {
        render(parts);
      }, DELAY_MS)
    );
  });
})();
