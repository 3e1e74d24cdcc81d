// The print button of the chain map page (no inline script: the pages' Content-Security-Policy forbids it).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
