// "Did this work for you?" sent in the background, so that the reader stays on the guide.
// Without this script the same form posts normally and the server shows a follow-up page.
(function () {
  "use strict";

  function field(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  function enhance(form) {
    var status = form.querySelector(".feedback-status");
    var buttons = form.querySelector(".feedback-buttons");
    var more = form.querySelector(".feedback-more");
    var send = form.querySelector("[data-feedback-send]");
    var busy = false;

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (!window.fetch || !window.FormData || !submitter) {
        return;
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      var data = new FormData(form);
      data.set(submitter.name, submitter.value);
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (result) {
          busy = false;
          if (!result.ok || submitter === send) {
            // Thanks only once the reader has sent what they wanted to send.
            status.textContent = result.body.message || "";
            if (result.ok) {
              more.hidden = true;
            }
            return;
          }
          status.textContent = form.getAttribute("data-noted") || "";
          buttons.hidden = true;
          send.value = submitter.value;
          var reason = more.querySelector("[name=reason]");
          if (reason && reason.closest(".mb-3")) {
            reason.closest(".mb-3").hidden = submitter.value === "yes";
          }
          more.hidden = false;
        })
        .catch(function () {
          // The background request failed: post the form the ordinary way.
          busy = false;
          field(form, submitter.name, submitter.value);
          HTMLFormElement.prototype.submit.call(form);
        });
    });
  }

  document.querySelectorAll("form[data-feedback]").forEach(enhance);
})();

// Search filters start folded (phones, and pages without this script); on a wide screen they
// are opened, since there is room beside the results.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(min-width: 768px)").matches) {
    return;
  }
  var folds = document.querySelectorAll("details[data-open-wide]");
  for (var i = 0; i < folds.length; i++) {
    folds[i].open = true;
    folds[i].classList.add("is-wide");
  }
})();

// Phone numbers in a guide: a one-tap "copy" button beside each tel: link (the link itself
// works without this script).
(function () {
  "use strict";
  var guide = document.querySelector("article.guide");
  if (!guide || !navigator.clipboard) {
    return;
  }
  var copyLabel = guide.getAttribute("data-copy-label") || "Copy";
  var copiedLabel = guide.getAttribute("data-copied-label") || "Copied";
  var links = guide.querySelectorAll('a[href^="tel:"]');
  for (var i = 0; i < links.length; i++) {
    (function (link) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link btn-sm copy-number";
      button.textContent = copyLabel;
      button.setAttribute("aria-label", copyLabel + " " + link.textContent);
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(link.textContent.trim()).then(function () {
          button.textContent = copiedLabel;
          window.setTimeout(function () {
            button.textContent = copyLabel;
          }, 2000);
        });
      });
      link.insertAdjacentElement("afterend", button);
    })(links[i]);
  }
})();
