// Correction form: choosing another step puts that step's current text in the box, unless
// the reader has already changed the text.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("correction-form");
    var data = document.getElementById("correction-step-texts");
    if (!form || !data) return;
    var texts;
    try { texts = JSON.parse(data.textContent); } catch (e) { return; }
    var select = form.querySelector("select[name=step]");
    var box = form.querySelector("textarea[name=proposed_text]");
    if (!select || !box) return;
    var previous = select.value;
    select.addEventListener("change", function () {
      var before = (texts[previous] || "").replace(/\r\n/g, "\n").trim();
      var untouched = box.value.trim() === "" || box.value.replace(/\r\n/g, "\n").trim() === before;
      if (untouched && Object.prototype.hasOwnProperty.call(texts, select.value)) {
        box.value = texts[select.value];
      }
      previous = select.value;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
