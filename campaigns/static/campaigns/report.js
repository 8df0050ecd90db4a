// The report's charts (Chart.js, served by the app): the data are the tables' numbers.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var styles = getComputedStyle(document.documentElement);
  var ink = styles.getPropertyValue("--body-fg").trim() || "#333";
  var primary = styles.getPropertyValue("--primary").trim() || "#79aec8";
  var grid = styles.getPropertyValue("--hairline-color").trim() || "#e8e8e8";
  window.Chart.defaults.color = ink;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  function bars(id, labels, values, options) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    options = options || {};
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{ label: options.series || "", data: values, backgroundColor: options.colors || primary }]
      },
      options: {
        indexAxis: options.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { grid: { color: grid }, ticks: { precision: 0, autoSkip: true, maxRotation: 0 } },
          y: { grid: { color: grid }, ticks: { precision: 0 }, beginAtZero: true }
        }
      }
    });
  }

  bars("chart-funnel", data.funnel.labels, data.funnel.values, { horizontal: true });
  bars("chart-outcomes", data.outcomes.labels, data.outcomes.values, {
    horizontal: true,
    colors: ["#2e7d32", "#1565c0", "#6a1b9a", "#00838f", "#9e9e9e", "#ef6c00", "#78909c", "#bdbdbd"]
  });
  bars("chart-hourly", data.hourly.labels, data.hourly.values, { series: data.hourly.series });
}());
