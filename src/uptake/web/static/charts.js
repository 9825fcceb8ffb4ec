// Draw every chart of the page from its data-figure attribute (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.figure[data-figure]").forEach(function (el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    window.Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true });
    el.setAttribute("data-rendered", "true");
  });
});
