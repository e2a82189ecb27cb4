/* Circular City Portal — suggestions under the search box as one types (progressive
 * enhancement: without this file the box is a plain search field and the form works alike).
 * The ARIA combobox pattern: the box controls a listbox; Down/Up move through the
 * suggestions, Enter or a click chooses one (and searches for it), Escape closes the list.
 * Suggestions come from the box's data-suggest URL (OpenSearch suggestions JSON).
 */
(function () {
  "use strict";
  var DELAY_MS = 120;

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var box = document.getElementById("q");
    if (!box || !box.dataset.suggest || !window.fetch) { return; }
    var form = box.form;
    var wrap = document.createElement("div");
    wrap.className = "suggest-wrap";
    box.parentNode.insertBefore(wrap, box);
    wrap.appendChild(box);
    var list = document.createElement("ul");
    list.id = "q-suggestions";
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.dataset.suggestLabel || "Suggestions");
    list.hidden = true;
    wrap.appendChild(list);
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(status);
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("aria-expanded", "false");

    var timer = null, pending = null, active = -1, items = [];

    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        box.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        box.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var li = items[index];
      if (!li) { return; }
      box.value = li.dataset.value;
      close();
      if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
    }

    function show(data) {
      list.textContent = "";
      items = [];
      var words = data[1] || [], notes = data[2] || [];
      words.forEach(function (word, i) {
        var li = document.createElement("li");
        li.id = "q-suggestion-" + i;
        li.className = "suggest-item";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.value = word;
        var text = document.createElement("span");
        text.className = "suggest-text";
        text.textContent = word;
        li.appendChild(text);
        if (notes[i]) {
          var note = document.createElement("span");
          note.className = "suggest-note";
          note.textContent = notes[i];
          li.appendChild(note);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { choose(i); });
        list.appendChild(li);
        items.push(li);
      });
      active = -1;
      if (items.length) {
        list.hidden = false;
        box.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      status.textContent = items.length ? (box.dataset.suggestFound || "") : "";
    }

    function ask() {
      var q = box.value;
      if (!q.trim()) { close(); return; }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      var url = box.dataset.suggest + "?q=" + encodeURIComponent(q);
      fetch(url, { signal: pending.signal, headers: { Accept: "application/x-suggestions+json" } })
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (data) {
          if (data && data[0] === box.value && document.activeElement === box) { show(data); }
        })
        .catch(function () { /* aborted or offline: the box stays a plain search field */ });
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    box.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === "ArrowDown" && box.value.trim()) { ask(); event.preventDefault(); }
        return;
      }
      if (event.key === "ArrowDown") {
        mark(active + 1 >= items.length ? 0 : active + 1);
        event.preventDefault();
      } else if (event.key === "ArrowUp") {
        mark(active <= 0 ? items.length - 1 : active - 1);
        event.preventDefault();
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        close();
        event.preventDefault();
      }
    });
    box.addEventListener("blur", function () { setTimeout(close, 150); });
  });
})();
