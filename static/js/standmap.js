// Drag-and-drop placement of stands on the SVG map, for coordinators. A plain script file
// (the CSP forbids inline scripts); positions are saved with the page's CSRF token.
(function () {
  "use strict";
  const svg = document.querySelector(".stand-map svg[data-editable]");
  if (!svg) return;
  const headers = JSON.parse(document.body.getAttribute("hx-headers:inherited") || "{}");
  let dragging = null;

  function point(event) {
    const p = svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }

  svg.addEventListener("pointerdown", (event) => {
    const stand = event.target.closest("g.stand");
    if (!stand) return;
    const start = point(event);
    const m = /translate\(([-\d.]+)[ ,]+([-\d.]+)\)/.exec(stand.getAttribute("transform"));
    dragging = { stand, dx: start.x - Number(m[1]), dy: start.y - Number(m[2]) };
    stand.classList.add("dragging");
    svg.setPointerCapture(event.pointerId);
  });

  svg.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    const p = point(event);
    const x = Math.round(Math.max(0, Math.min(840, p.x - dragging.dx)) / 10) * 10;
    const y = Math.round(Math.max(0, Math.min(256, p.y - dragging.dy)) / 10) * 10;
    dragging.stand.setAttribute("transform", `translate(${x} ${y})`);
    dragging.x = x;
    dragging.y = y;
  });

  svg.addEventListener("pointerup", async () => {
    if (!dragging) return;
    const { stand, x, y } = dragging;
    dragging = null;
    stand.classList.remove("dragging");
    if (x === undefined) return;
    const body = new URLSearchParams({ x: String(x), y: String(y) });
    const response = await fetch(stand.dataset.positionUrl, {
      method: "POST",
      headers: { ...headers, Accept: "application/json" },
      body,
      credentials: "same-origin",
    });
    stand.classList.toggle("save-failed", !response.ok);
  });
})();
