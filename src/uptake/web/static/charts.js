// Draw every chart of the page from its data-figure attribute (no inline script: CSP).
// data-rendered is set once plotly.js has finished drawing, so tests and print wait for it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.figure[data-figure]").forEach(function (el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    window.Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true })
      .then(function () { el.setAttribute("data-rendered", "true"); });
  });
});
