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
          status.textContent = result.body.message || "";
          if (!result.ok) {
            return;
          }
          if (submitter === send) {
            more.hidden = true;
            return;
          }
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
