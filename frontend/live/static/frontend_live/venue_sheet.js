// The printable venue sheet: its Print button (no inline handlers under the CSP).
document.getElementById("sheet-print").addEventListener("click", () => window.print());
