// Shared by the venue pages (issue #17): the venue board's values and rows, and JSON requests.
import { _, el, fmt, formatNumber, ngettext } from "./common.js";

/** A board value as the method reads: points (mean, top K) or a share of correct answers. */
export function valueText(row, method, lang) {
  const n = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 1 }).format(row.value);
  return method === "correct" ? `${n} %` : n;
}

export function methodLabel(method, k) {
  if (method === "top_k") return fmt(_("mean of the top %(k)s scores"), { k });
  if (method === "correct") return _("share of correct answers");
  return _("mean score per player");
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

function csrf() {
  const m = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : "";
}

/** A JSON request; resolves to [ok, body]. */
export async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  return [response.ok, data];
}
