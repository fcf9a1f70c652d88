// Participation by unit: tiles with the rate against each unit's headcount, polled from the
// participation API (rates come formatted by the server in the page's language: "2,12 %").
import { el } from "../frontend/js/dom.js";
import { api } from "../frontend/js/http.js";
import { fmt, gettext } from "../frontend/js/i18n.js";

const number = new Intl.NumberFormat(document.documentElement.lang || undefined);

function tile(row) {
  const width = row.rate === null ? 0 : Math.min(100, Math.round(row.rate));
  const done = row.headcount
    ? fmt(gettext("%(done)s of %(headcount)s completed"), { done: number.format(row.completed), headcount: number.format(row.headcount) })
    : fmt(gettext("%(done)s completed"), { done: number.format(row.completed) });
  return el("li", { class: "participation-tile", "data-unit": String(row.unit_id) },
    el("span", { class: "participation-name", text: row.name }),
    el("span", { class: row.rate === null ? "participation-rate unknown" : "participation-rate", text: row.rate_display || gettext("no headcount") }),
    el("span", { class: "participation-track" }, el("span", { class: `participation-fill w${width}` })),
    el("span", { class: "participation-counts", text: done }),
    el("span", { class: "participation-counts", text: fmt(gettext("%(registered)s registered · %(attempted)s started"), { registered: number.format(row.registered), attempted: number.format(row.attempted) }) }));
}

function render(box, rows, grouped) {
  if (!rows.length) {
    box.replaceChildren(el("p", { class: "participation-empty", text: gettext("Nobody has registered yet.") }));
    return;
  }
  if (!grouped) {
    box.replaceChildren(el("ul", { class: "participation-tiles" }, ...rows.map(tile)));
    return;
  }
  // Schools grouped under their district, districts in the order the API gives (by name).
  const groups = new Map();
  for (const row of rows) {
    if (!groups.has(row.parent_name)) groups.set(row.parent_name, []);
    groups.get(row.parent_name).push(row);
  }
  box.replaceChildren(...[...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, list]) =>
    el("div", { class: "participation-group" },
      el("h3", { text: name }),
      el("ul", { class: "participation-tiles" }, ...list.map(tile)))));
}

function start(panel) {
  const box = panel.querySelector("[data-participation-rows]");
  const pick = panel.querySelector("[data-participation-level]");
  const every = Number(panel.dataset.pollMs) || 5000;
  let level = pick ? pick.value : panel.dataset.level;
  let timer = null;

  async function refresh() {
    clearTimeout(timer);
    const asked = level;
    try {
      const data = await api(`${panel.dataset.participationApi}?level=${encodeURIComponent(asked)}`);
      if (asked === level) render(box, data.rows, asked === "school");
    } catch {
      // Keep the last tiles; the next poll retries.
    }
    timer = setTimeout(refresh, every);
  }
  if (pick) pick.addEventListener("change", () => { level = pick.value; refresh(); });
  refresh();
}

document.querySelectorAll("[data-participation-api]").forEach((panel) => {
  if (!panel.dataset.started) { panel.dataset.started = "1"; start(panel); }
});
