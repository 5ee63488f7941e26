// @mentions by name: typing "@" and a few letters in a textarea with data-mentions offers the
// project's people (from the JSON address in the attribute); picking one inserts "@Full Name".
(function () {
  "use strict";
  var cache = {};

  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { people: [] }; })
        .then(function (body) { return body.people || []; })
        .catch(function () { return []; });
    }
    return cache[url];
  }

  function query(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = /(^|[^\w@])@([\w\u0400-\u04FF.\-]*(?: [\w\u0400-\u04FF.\-]*)?)$/.exec(before);
    return match ? { text: match[2], start: before.length - match[2].length - 1 } : null;
  }

  function attach(area) {
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    area.parentNode.appendChild(list);
    var active = 0, shown = [], found = null;

    function close() { list.hidden = true; shown = []; }

    function pick(person) {
      var value = area.value, end = area.selectionStart;
      var insert = "@" + person.name + " ";
      area.value = value.slice(0, found.start) + insert + value.slice(end);
      var caret = found.start + insert.length;
      area.setSelectionRange(caret, caret);
      close();
      area.focus();
    }

    function render() {
      list.innerHTML = "";
      shown.forEach(function (person, index) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.className = index === active ? "on" : "";
        var name = document.createElement("strong");
        name.textContent = person.name;
        var login = document.createElement("span");
        login.className = "muted small";
        login.textContent = " @" + person.username;
        li.appendChild(name);
        li.appendChild(login);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(person); });
        list.appendChild(li);
      });
      list.hidden = shown.length === 0;
    }

    area.addEventListener("input", function () {
      found = query(area);
      if (!found) { close(); return; }
      var needle = found.text.toLowerCase();
      load(area.getAttribute("data-mentions")).then(function (people) {
        shown = people.filter(function (p) {
          return !needle || p.name.toLowerCase().indexOf(needle) !== -1 ||
            p.username.toLowerCase().indexOf(needle) === 0;
        }).slice(0, 8);
        active = 0;
        render();
      });
    });
    area.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(shown[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    area.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  function init() {
    document.querySelectorAll("textarea[data-mentions]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
