// "Elegir todas": a checkbox with data-select-all ticks every pending nomination of its group
// (its section), or of the whole page when its value is "page". Loaded as a file: the CSP
// allows no inline script.
document.addEventListener("change", (event) => {
  const box = event.target.closest("input[data-select-all]");
  if (!box) return;
  const scope = box.dataset.selectAll === "page" ? document : box.closest("section") || document;
  scope.querySelectorAll('input[type="checkbox"][name="ids"]').forEach((item) => {
    item.checked = box.checked;
  });
  if (box.dataset.selectAll === "page") {
    document.querySelectorAll("input[data-select-all]").forEach((other) => {
      other.checked = box.checked;
    });
  }
});
