// The calendar: drag an item to another day (month) or day and hour (week) to reschedule it.
(function () {
  "use strict";
  function post(card, list) {
    var root = list.closest("[data-cal-move]");
    var values = { date: list.getAttribute("data-date") };
    var hour = list.getAttribute("data-hour");
    if (hour) {
      values.time = hour + ":" + (card.getAttribute("data-minute") || "00");
    }
    var query = root.getAttribute("data-query");
    var url = card.getAttribute("data-move-url") + (query ? "?" + query : "");
    htmx.ajax("POST", url, { target: list.parentElement, swap: "outerHTML", values: values });
  }
  function init(scope) {
    if (typeof Sortable === "undefined") return;
    var lists = scope.querySelectorAll ? scope.querySelectorAll("[data-cal-move] .cal-drop") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list.sortableReady) return;
      list.sortableReady = true;
      Sortable.create(list, {
        group: "calendar",
        draggable: ".cal-item:not(.locked)",
        animation: 120,
        onEnd: function (event) {
          if (event.to !== event.from) post(event.item, event.to);
        },
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    document.body.addEventListener("htmx:afterSwap", function () { init(document); });
    document.body.addEventListener("htmx:responseError", function (event) {
      var text = event.detail.xhr && event.detail.xhr.responseText;
      if (text && text.length < 300) window.alert(text);
      window.location.reload();
    });
  });
})();
