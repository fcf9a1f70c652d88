// The host console's venue panel (issue #17): each venue's players connected and answered, its
// screen online or offline and its MC ready; a warning before Start or Next while a venue's
// screen is offline.
import { formatNumber } from "./common.js";
import { $, el } from "../frontend/js/dom.js";
import { fmt, gettext, ngettext } from "../frontend/js/i18n.js";
import { valueText } from "./venue_common.js";

const root = $("#host");
const panel = $("#venue-panel");
const lang = root.dataset.lang || "vi";
let status = null;

root.addEventListener("live-frame", (event) => {
  if (event.detail.type !== "venues") return;
  status = event.detail;
  render();
});

function render() {
  panel.hidden = false;
  const ready = status.venues.filter((v) => v.ready).length;
  $("#venue-ready").textContent = fmt(ngettext("%(ready)s of %(n)s venue ready", "%(ready)s of %(n)s venues ready", status.venues.length), { ready, n: status.venues.length });
  const ranked = new Map((status.board || []).map((row) => [row.venue, row]));
  $("#venue-rows").replaceChildren(...status.venues.map((v) => el("tr", { dataset: { venue: String(v.id) } },
    el("th", { scope: "row" }, v.name),
    el("td", {}, formatNumber(v.players, lang)),
    el("td", {}, formatNumber(v.answered, lang)),
    el("td", { class: v.screen ? "on" : "off" }, v.screen ? gettext("online") : gettext("offline")),
    el("td", {}, v.ready ? "✓" : "–"),
    el("td", {}, ranked.has(v.id)
      ? `${ranked.get(v.id).rank} · ${valueText(ranked.get(v.id), status.method, lang)}` : "–"))));
  $("#venue-total").textContent = fmt(ngettext("All venues: %(players)s player · %(answered)s answered", "All venues: %(players)s players · %(answered)s answered", status.totals.players),
    { players: formatNumber(status.totals.players, lang), answered: formatNumber(status.totals.answered, lang) });
  const offline = status.venues.filter((v) => !v.screen);
  const warn = $("#venue-warning");
  warn.hidden = !offline.length;
  warn.textContent = offline.length
    ? fmt(gettext("Screen offline at: %(names)s"), { names: offline.map((v) => v.name).join(", ") }) : "";
}

// Before the question moves on: ask when a venue would not see it.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest('[data-action="next"], [data-action="start"]');
  if (!button || !status) return;
  const offline = status.venues.filter((v) => !v.screen);
  if (!offline.length) return;
  const message = fmt(gettext("The screen of %(names)s is offline: that venue will not see the question. Go on anyway?"),
    { names: offline.map((v) => v.name).join(", ") });
  if (!confirm(message)) {
    event.stopImmediatePropagation();
    event.preventDefault();
  }
}, true);
