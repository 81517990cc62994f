// After an expired session and a new sign-in, puts back what was typed into the form it was
// sent from (app/web/session_expiry.py). Nothing is sent: the person reviews and sends again.
(() => {
  const holder = document.getElementById("restored-form");
  if (!holder) return;
  const data = JSON.parse(holder.dataset.fields || "{}");
  const pathOf = (url) => (url ? new URL(url, location.href).pathname : location.pathname);
  const forms = [...document.querySelectorAll("form")];
  const form =
    forms.find((f) => pathOf(f.getAttribute("action") || f.getAttribute("hx-post")) === data.action) ||
    forms.find((f) => Object.keys(data.fields || {}).some((name) => f.elements[name]));
  if (!form) return;
  for (const [name, values] of Object.entries(data.fields || {})) {
    const field = form.elements[name];
    if (!field) continue;
    const items = field instanceof RadioNodeList ? [...field] : [field];
    for (const item of items) {
      if (item.type === "hidden" || item.type === "file") continue;
      if (item.type === "checkbox" || item.type === "radio") {
        item.checked = values.includes(item.value);
      } else if (item.tagName === "SELECT" && item.multiple) {
        for (const option of item.options) option.selected = values.includes(option.value);
      } else {
        item.value = values[0];
      }
    }
  }
  const details = form.closest("details");
  if (details) details.open = true;
  form.scrollIntoView({ block: "center" });
})();
