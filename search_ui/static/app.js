/* Circular City Portal — progressive enhancement only: every page works without this file.
 * - marks the document as scripted (CSS then hides the "Apply" button of the sort switch);
 * - changing the sort order submits its form at once;
 * - "/" moves the focus to the search box (unless you are typing in a field).
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function isTypingTarget(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  ready(function () {
    var selects = document.querySelectorAll("select[data-autosubmit]");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () {
        var form = select.form;
        if (!form) { return; }
        if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
      });
    });

    var box = document.getElementById("q");
    if (!box) { return; }
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
      if (isTypingTarget(event.target)) { return; }
      event.preventDefault();
      box.focus();
      box.select();
    });
  });
})();
