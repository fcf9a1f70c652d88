// A venue's big screen (issue #17): the game's screen (screen.js) plus a strip with this venue's
// attendance and answers and the combined totals, the venue board beside the leaderboard, and
// the venue podium before or after the players' podium (the host's choice).
import { formatNumber } from "./common.js";
import { $ } from "../frontend/js/dom.js";
import { fmt, gettext, ngettext } from "../frontend/js/i18n.js";
import { boardRow, methodLabel } from "./venue_common.js";

const root = $("#screen");
const me = Number(root.dataset.venue);
const lang = root.dataset.lang || "vi";
let status = null;
let phase = "";
let podiumSince = 0;
// Without the players' leaderboard, the venue board shows beside the reveal instead.
let showLeaderboard = true;
// The venue podium shows this long before the players' podium ("before").
const PODIUM_FIRST_MS = 10000;

root.addEventListener("live-frame", (event) => {
  const msg = event.detail;
  if (msg.type === "state") {
    phase = (msg.game || {}).phase || "";
    showLeaderboard = (msg.game || {}).show_leaderboard !== false;
  } else if (msg.type === "flags") showLeaderboard = msg.show_leaderboard !== false;
  else if (msg.type === "question") phase = "open";
  else if (["reveal", "leaderboard", "podium", "ended", "closed"].includes(msg.type)) phase = msg.type;
  else if (msg.type === "venues") status = msg;
  if (msg.type === "podium" || (msg.type === "state" && phase === "podium")) podiumSince = Date.now();
  render();
});

function render() {
  if (!status) return;
  const mine = status.venues.find((v) => v.id === me);
  if (mine) $("#v-name").textContent = mine.name;
  const inQuestion = ["open", "read", "closed", "question"].includes(phase);
  $("#v-mine").textContent = mine
    ? (inQuestion
      ? fmt(gettext("Here: %(answered)s of %(players)s answered"), { answered: formatNumber(mine.answered, lang), players: formatNumber(mine.players, lang) })
      : fmt(ngettext("Here: %(players)s player", "Here: %(players)s players", mine.players), { players: formatNumber(mine.players, lang) }))
    : "";
  const t = status.totals;
  $("#v-all").textContent = inQuestion
    ? fmt(gettext("All venues: %(answered)s of %(players)s answered"), { answered: formatNumber(t.answered, lang), players: formatNumber(t.players, lang) })
    : fmt(ngettext("All venues: %(players)s player", "All venues: %(players)s players", t.players), { players: formatNumber(t.players, lang) });
  renderBoard();
}

function renderBoard() {
  const box = $("#v-board");
  const board = status.board;
  const podiumFirst = status.podium === "before" && phase === "podium" && Date.now() - podiumSince < PODIUM_FIRST_MS;
  const podiumAfter = status.podium === "after" && phase === "ended";
  const full = podiumFirst || podiumAfter;
  const afterQuestion = phase === "leaderboard" || (phase === "reveal" && !showLeaderboard);
  const show = board && board.length && (afterQuestion || full);
  box.hidden = !show;
  box.classList.toggle("full", !!full);
  root.classList.toggle("vs-side", !!show && !full); // the players' board makes room
  if (!show) return;
  $("#v-board-title").textContent = full
    ? gettext("Venue podium") : fmt(gettext("Venues · %(method)s"), { method: methodLabel(status.method, status.k) });
  $("#v-board-list").replaceChildren(...board.map((row) => boardRow(row, status.method, lang, row.venue === me)));
}

// The "before" podium gives way to the players' podium after a while.
setInterval(() => status && phase === "podium" && renderBoard(), 1000);
