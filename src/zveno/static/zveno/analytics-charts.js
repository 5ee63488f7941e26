/* Analytics charts: each chart block carries its figures in a JSON script element (json_script);
   this file draws them with the vendored Chart.js and switches between the chart and its table. */
(function () {
  "use strict";
  var COLORS = ["#3f51e0", "#15803d", "#b45309", "#9a3412", "#6b21a8"];
  var lang = document.documentElement.lang || "ru";
  var number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });

  function format(value, percent) {
    if (value === null || value === undefined) return "—";
    return number.format(value) + (percent ? " %" : "");
  }

  var ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
  var dayFormat = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });

  function label(text) {
    return ISO_DAY.test(text) ? dayFormat.format(new Date(text + "T00:00:00")) : text;
  }

  function tick(percent) {
    return function (v) { return number.format(v) + (percent ? " %" : ""); };
  }

  function config(data) {
    var horizontal = data.kind === "hbar";
    var logarithmic = horizontal && data.datasets.length === 1 && data.datasets[0].data.some(function (v) {
      return v > 0;
    }) && Math.max.apply(null, data.datasets[0].data) > 100 * Math.max(1, Math.min.apply(null,
      data.datasets[0].data.filter(function (v) { return v > 0; })));
    var type = data.kind === "line" ? "line" : "bar";
    var twoAxes = type === "line" && data.datasets.length === 2 &&
      data.datasets[0].percent === data.datasets[1].percent;
    var datasets = data.datasets.map(function (set, i) {
      var color = COLORS[i % COLORS.length];
      return {
        label: set.label,
        data: set.data,
        percent: set.percent,
        borderColor: color,
        backgroundColor: type === "line" ? color + "22" : color + "cc",
        borderWidth: 2,
        pointRadius: data.labels.length > 45 ? 0 : 2,
        tension: 0.25,
        spanGaps: true,
        fill: type === "line" && data.datasets.length === 1,
        yAxisID: twoAxes && i === 1 ? "y1" : "y",
        borderRadius: type === "bar" ? 4 : 0,
      };
    });
    var scales = {};
    var valueAxis = horizontal ? "x" : "y";
    var firstPercent = data.datasets.length && data.datasets[0].percent;
    scales[valueAxis] = { beginAtZero: data.fromZero !== false, ticks: { callback: tick(firstPercent) } };
    if (logarithmic) {
      // A funnel's steps differ by orders of magnitude: reach in thousands, sales in units.
      scales[valueAxis] = { type: "logarithmic", min: 1, ticks: { callback: function (v) {
        var power = Math.log10(v);
        return Math.abs(power - Math.round(power)) < 1e-9 ? number.format(v) : "";
      } } };
    }
    if (twoAxes) {
      scales.y1 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
        ticks: { callback: tick(data.datasets[1].percent) } };
    }
    return {
      type: type,
      data: { labels: data.labels.map(label), datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: data.datasets.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": " + format(ctx.raw, ctx.dataset.percent);
          } } },
        },
        scales: scales,
      },
    };
  }

  function setup(block) {
    var id = block.getAttribute("data-chart");
    var source = document.getElementById(id);
    var visual = block.querySelector(".chart-visual");
    var table = block.querySelector(".chart-table");
    var toggle = block.querySelector("[data-chart-toggle]");
    if (source && visual && window.Chart) {
      visual.hidden = false;
      if (table) table.hidden = true;
      new window.Chart(visual.querySelector("canvas"), config(JSON.parse(source.textContent)));
    }
    if (!toggle || !visual || !table) return;
    if (source && !window.Chart) return; // no library: the table stays, as without scripts
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var showTable = table.hidden;
      table.hidden = !showTable;
      visual.hidden = showTable;
      toggle.setAttribute("aria-pressed", showTable ? "true" : "false");
      toggle.textContent = toggle.getAttribute(showTable ? "data-label-chart" : "data-label-table");
    });
  }

  function init() {
    document.querySelectorAll("[data-chart]").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
