// Draws each chart from the figure the server built. The summary and the data table beside
// each chart carry the same information without this script.
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        displayModeBar: false, responsive: true, scrollZoom: false
      }).then(function () { element.setAttribute("data-drawn", "true"); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("[data-drawn]").forEach(function (element) {
      window.Plotly.Plots.resize(element);
    });
  });
}());
