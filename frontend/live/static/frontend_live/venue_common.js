// Shared by the venue pages (issue #17): the venue board's values and rows.
import { formatNumber } from "./common.js";
import { el } from "../frontend/js/dom.js";
import { fmt, gettext, ngettext } from "../frontend/js/i18n.js";

/** A board value as the method reads: points (mean, top K) or a share of correct answers. */
export function valueText(row, method, lang) {
  const n = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 1 }).format(row.value);
  return method === "correct" ? `${n} %` : n;
}

export function methodLabel(method, k) {
  if (method === "top_k") return fmt(gettext("mean of the top %(k)s scores"), { k });
  if (method === "correct") return gettext("share of correct answers");
  return gettext("mean score per player");
}

/** One venue board row (same look as the leaderboard rows). */
export function boardRow(row, method, lang, mine) {
  return el("li", { class: "sc-lb-row" + (mine ? " vs-mine-row" : ""), dataset: { venue: String(row.venue) } },
    el("span", { class: "sc-lb-rank" }, String(row.rank)),
    el("span", { class: "sc-lb-name" }, row.name,
      el("span", { class: "sc-lb-team" }, fmt(ngettext("%(n)s player", "%(n)s players", row.players), { n: formatNumber(row.players, lang) }))),
    el("span", { class: "sc-lb-delta" }),
    el("span", { class: "sc-lb-score" }, valueText(row, method, lang)));
}
