// Contest ceremony screen: the live screen's look for a self-paced round. Polls the cached boards
// every few seconds: top 10 with movement (arrows and sliding rows), best schools and districts,
// participation, and a countdown to the close drawn from the server's clock.
import { formatDuration, serverOffset } from "./common.js";
import { byId, el } from "../frontend/js/dom.js";
import { api } from "../frontend/js/http.js";
import { fmt, gettext, ngettext } from "../frontend/js/i18n.js";
import { flip, formatNumber, keyed } from "../frontend_live/common.js";

const root = document.getElementById("screen");
const lang = root.dataset.lang || "vi";
const POLL_MS = 4000;

let round = null;
let offset = 0;
const lastRank = new Map(); // participant id -> rank on the previous board
const movement = new Map(); // participant id -> last change (kept until the next change)

function moveMark(id, rank) {
  const before = lastRank.get(id);
  if (before !== undefined && before !== rank) movement.set(id, before - rank);
  lastRank.set(id, rank);
  const delta = movement.get(id);
  if (!delta) return el("span", { class: "cs-move same", "aria-hidden": "true", text: "–" });
  const up = delta > 0;
  return el("span", { class: `cs-move ${up ? "up" : "down"}`,
    title: fmt(up ? gettext("Up %(n)s") : gettext("Down %(n)s"), { n: Math.abs(delta) }) },
  el("span", { "aria-hidden": "true", text: up ? "▲" : "▼" }), String(Math.abs(delta)));
}

/** "Nguyễn T. L. (THCS Cầu Giấy)": the person on one line, the school under it. */
function nameParts(name) {
  const m = /^(.*?) \((.+)\)$/.exec(name || "");
  return m ? [m[1], m[2]] : [name || "", ""];
}

function personRow(r) {
  const [person, school] = nameParts(r.name);
  return [
    el("span", { class: "cs-rank", text: String(r.rank) }),
    moveMark(String(r.id), r.rank),
    el("span", { class: "cs-name" }, person, school ? el("span", { class: "cs-sub", text: school }) : null),
    el("span", { class: "cs-score", text: r.score === null || r.score === undefined ? "" : formatNumber(r.score, lang) }),
  ];
}

/** "08:15 12/12/2026": day first with the full year, like the server's formats, and in the site's
 * time zone (settings.TIME_ZONE, as every server-rendered page), not the projector laptop's. */
const clockParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: root.dataset.tz || undefined, hourCycle: "h23",
  day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
});
function when(iso) {
  const p = Object.fromEntries(clockParts.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`;
}

/** What the public board is: final, frozen since when, hidden until the close, or live. */
function boardState(board) {
  if (board.withheld) {
    return fmt(gettext("Scores are published once every round that may ask the same questions has closed, at %(time)s."), { time: when(board.scores_published_at) });
  }
  if (board.held) return gettext("Results are announced at the award ceremony.");
  if (board.board === "final") return gettext("Final results");
  if (board.board === "frozen") return fmt(gettext("Frozen since %(time)s"), { time: when(board.frozen_since) });
  if (board.board === "hidden") {
    return fmt(gettext("Scores are published when the round closes at %(time)s"), { time: when(board.scores_published_at) });
  }
  return gettext("Live");
}

function renderPeople(rows, hidden = false) {
  const list = byId("screen-people");
  flip(list, () => {
    list.replaceChildren(...rows.map((r) => {
      const li = keyed(list, r.id, () => el("li", { class: "cs-row" }));
      li.classList.toggle("first", r.rank === 1);
      li.replaceChildren(...personRow(r));
      return li;
    }));
  });
  // A short board still looks intended: the rest of the space invites the next entrants.
  const invite = byId("cs-invite");
  invite.hidden = rows.length >= 10;
  invite.textContent = hidden === "withheld"
    ? gettext("Scores and ranks appear here once they are published.")
    : hidden
    ? gettext("Scores and ranks appear here when the round closes.")
    : rows.length === 0
    ? gettext("No results yet. Scan the code and be the first on the board!")
    : fmt(ngettext("%(n)s place left on the top 10: scan the code and take it!",
      "%(n)s places left on the top 10: scan the code and take one!", 10 - rows.length), { n: 10 - rows.length });
  root.classList.toggle("cs-short", rows.length < 4);
}

/** A unit's value: a share of registrants who took part ("85,11 %") while scores are hidden. */
function unitValue(value, method) {
  return method === "participation"
    ? new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", { style: "percent", maximumFractionDigits: 2 }).format(value / 100)
    : formatNumber(value, lang);
}

function renderUnits(id, rows, method) {
  const list = byId(id);
  if (!rows.length) {
    list.replaceChildren(el("li", { class: "cs-row empty", text: gettext("Waiting for the first results…") }));
    return;
  }
  list.replaceChildren(...rows.slice(0, 5).map((u) => el("li", { class: "cs-row" },
    el("span", { class: "cs-rank", text: String(u.rank) }),
    el("span", { class: "cs-name" }, u.name, el("span", { class: "cs-sub",
      text: fmt(ngettext("%(n)s participant", "%(n)s participants", u.participants), { n: formatNumber(u.participants, lang) }) })),
    el("span", { class: "cs-score", text: unitValue(u.value, method) }))));
}

function renderParticipation(districts, total) {
  const took = districts.reduce((sum, d) => sum + d.participants, 0) || total;
  const registered = Math.max(took, districts.reduce((sum, d) => sum + d.registered, 0));
  const share = registered ? Math.round((100 * took) / registered) : 0;
  byId("cs-part-n").textContent = registered ? `${share}%` : formatNumber(took, lang);
  byId("cs-part-bar").style.transform = `scaleX(${registered ? took / registered : 0})`;
  byId("cs-part-sub").textContent = fmt(ngettext("%(took)s of %(registered)s registered took part",
    "%(took)s of %(registered)s registered took part", registered), {
    took: formatNumber(took, lang), registered: formatNumber(registered, lang) });
}

function tick() {
  if (!round) return;
  const left = Date.parse(round.closes_at) - (Date.now() + offset);
  const open = left > 0;
  byId("cs-clock-label").textContent = open ? gettext("Closes in") : gettext("The round is closed");
  byId("cs-clock").textContent = open ? formatDuration(left) : round.final && !round.results_held ? gettext("Final results") : gettext("Results soon");
  byId("cs-clock").classList.toggle("over", !open);
}

async function refresh() {
  try {
    const [board, schools, districts] = await Promise.all([
      api(root.dataset.board), api(root.dataset.schools), api(root.dataset.districts)]);
    round = board.round;
    offset = serverOffset(board.server_now);
    byId("cs-state").textContent = boardState(board);
    renderPeople(board.rows, board.withheld ? "withheld" : board.board === "hidden");
    renderUnits("screen-units", schools.rows || [], schools.method);
    renderUnits("screen-districts", (districts.rows || []).filter((d) => d.participants > 0), districts.method);
    renderParticipation(districts.rows || [], board.total);
    tick();
  } catch {
    // Keep showing the last boards; the next poll retries.
  }
}

refresh();
setInterval(refresh, POLL_MS);
setInterval(tick, 1000);
