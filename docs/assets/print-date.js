// The date a page is printed on, for its print-only line ("Printed on 1 December 2026 from ...").
// The build never writes the date (builds are byte-identical); the reader's browser does.
(function () {
  function fill() {
    var date = new Date().toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
    document.querySelectorAll(".bf-print-date").forEach(function (el) {
      el.textContent = " on " + date;
    });
  }
  fill();
  window.addEventListener("beforeprint", fill);
})();
