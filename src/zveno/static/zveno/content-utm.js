// The item form: the link with its UTM tags, built as the fields are typed.
(function () {
  var form = document.getElementById("item-form"), out = document.getElementById("utm-result");
  if (!form || !out) { return; }
  function build() {
    var link = form.elements.link.value.trim();
    if (!link) { out.textContent = "—"; return; }
    try {
      var url = new URL(/^[a-z]+:\/\//i.test(link) ? link : "https://" + link);
      ["utm_source", "utm_medium", "utm_campaign"].forEach(function (name) {
        var value = form.elements[name].value.trim();
        if (value) { url.searchParams.set(name, value); } else { url.searchParams.delete(name); }
      });
      out.textContent = url.toString();
    } catch (e) { out.textContent = link; }
  }
  ["link", "utm_source", "utm_medium", "utm_campaign"].forEach(function (name) {
    form.elements[name].addEventListener("input", build);
  });
  build();
})();
