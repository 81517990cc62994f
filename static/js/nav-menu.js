// The phone's menu button: folds the signed-in navigation so a page starts within the first
// screen. The CSS folds it only once this script has marked the header (no JavaScript: open).
(() => {
  const button = document.querySelector(".site-header .nav-toggle");
  const menu = document.getElementById("main-nav");
  if (!button || !menu) return;
  const header = button.closest(".site-header");
  header.classList.add("has-menu-button");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  });
})();
