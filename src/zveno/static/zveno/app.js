// Small behaviours shared by every page. No inline scripts anywhere.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy"));
      if (input) {
        input.select();
        var done = function () { copy.classList.add("copied"); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      }
    }
    var copyText = event.target.closest("[data-copy-text]");
    if (copyText) {
      var text = copyText.getAttribute("data-copy-text");
      var mark = function () { copyText.classList.add("copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(mark, function () { window.prompt("", text); });
      } else {
        window.prompt("", text);
        mark();
      }
    }
    var selectable = event.target.closest("[data-select-on-click]");
    if (selectable) {
      selectable.select();
    }
    var toggle = event.target.closest("[data-toggle-nav]");
    if (toggle) {
      document.body.classList.toggle("nav-open");
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute("data-autosubmit") && event.target.form) {
      event.target.form.submit();
    }
    // A <select data-shows="selector" data-shows-value="v"> reveals the element while v is chosen.
    var shows = event.target.getAttribute("data-shows");
    if (shows && event.target.form) {
      var shown = event.target.form.querySelector(shows);
      if (shown) {
        shown.hidden = event.target.value !== event.target.getAttribute("data-shows-value");
      }
    }
  });
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
