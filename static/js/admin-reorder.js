// Keyboard alternative to dragging steps and problems in the guide admin.
// Works with django-admin-sortable2's stacked inline: rows are `.inline-related.has_original`
// in a `fieldset.sortable`, each with a hidden `input._reorder_` that the server reads as the
// row's place. "Move up" / "Move down" swap a row with its neighbour, write 1..n into those
// inputs (as sortable2 does after a drag), keep focus on the pressed button and announce the
// new place. No inline script: everything is wired through data attributes.
(function () {
  "use strict";

  var ROW = ".inline-related.has_original";

  function rows(fieldset) {
    return Array.prototype.slice.call(fieldset.querySelectorAll(ROW));
  }

  function renumber(fieldset) {
    var reversed = fieldset.classList.contains("reversed");
    var ordered = rows(fieldset);
    ordered.forEach(function (row, index) {
      var input = row.querySelector("input._reorder_");
      if (input) {
        input.value = String(reversed ? ordered.length - index : index + 1);
      }
    });
    var all = fieldset.querySelectorAll(".inline-related:not(.empty-form)");
    Array.prototype.forEach.call(all, function (row, index) {
      var number = row.querySelector("[data-kb-number]");
      if (number) {
        number.textContent = String(index + 1);
      }
    });
  }

  function announce(fieldset, row) {
    var status = fieldset.querySelector("[data-kb-reorder-status]");
    var template = fieldset.getAttribute("data-kb-moved");
    if (!status || !template) {
      return;
    }
    var ordered = rows(fieldset);
    status.textContent = template
      .replace("{name}", row.getAttribute("data-kb-name") || "")
      .replace("{position}", String(ordered.indexOf(row) + 1))
      .replace("{count}", String(ordered.length));
  }

  function move(button) {
    var fieldset = button.closest("fieldset[data-kb-reorder]");
    var row = button.closest(ROW);
    if (!fieldset || !row) {
      return;
    }
    var ordered = rows(fieldset);
    var index = ordered.indexOf(row);
    var up = button.getAttribute("data-kb-move") === "up";
    var neighbour = ordered[up ? index - 1 : index + 1];
    if (neighbour) {
      neighbour.insertAdjacentElement(up ? "beforebegin" : "afterend", row);
      renumber(fieldset);
    }
    button.focus();
    announce(fieldset, row);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-kb-move]");
    if (button) {
      event.preventDefault();
      move(button);
    }
  });

  // After a drag (sortable2 has renumbered the inputs) and when rows are added or removed.
  document.addEventListener("dragend", function (event) {
    var fieldset = event.target.closest && event.target.closest("fieldset[data-kb-reorder]");
    if (fieldset) {
      window.setTimeout(function () {
        renumber(fieldset);
      }, 0);
    }
  });
  ["formset:added", "formset:removed"].forEach(function (name) {
    document.addEventListener(name, function () {
      Array.prototype.forEach.call(document.querySelectorAll("fieldset[data-kb-reorder]"), renumber);
    });
  });
})();
