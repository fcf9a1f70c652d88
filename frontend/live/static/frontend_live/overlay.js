// Broadcast overlays (OBS / vMix browser sources, 1920x1080, transparent): docs/broadcast.md.
// Read-only. A live game's overlays follow the game's feed socket (the screen's frames: never the
// answer key before the reveal); a contest's overlays poll its public feed (frozen and hidden
// rules applied on the server). Each overlay draws nothing (stays transparent) until it has data.
import { LiveSocket } from "./ws.js";
import { Countdown, formatNumber, revealBars, spacedPin } from "./common.js";
import { $, el } from "../frontend/js/dom.js";
import { fmt, gettext, ngettext, pick, pickLang } from "../frontend/js/i18n.js";

const root = $("#overlay");
const { scope, kind, target, key } = root.dataset;
const lang = root.dataset.lang || "vi";
const problem = $("#ov-problem");

function say(text) {
  problem.textContent = text;
  problem.hidden = !text;
}

/** Replace the overlay's panel (null: draw nothing, the source stays transparent). */
function draw(panel) {
  for (const node of [...root.children]) if (node !== problem) node.remove();
  if (panel) root.append(panel);
  root.dataset.state = panel ? "shown" : "empty";
}

const badLink = () => say(gettext("This overlay link is not valid: the key may have been rotated. Copy the new link from the Overlays panel."));

// --- Live game --------------------------------------------------------------------------------

let game = {};
let question = null;
let reveal = null;
let board = null; // the latest leaderboard (or podium) the screen was shown
// The snapshot carries a leaderboard only while it is on the screen: remember the last one, so a
// ticker that OBS shut down while hidden comes back with it (it was public when it was shown).
const BOARD_KEY = `cq-overlay-board-${target}`;

function keepBoard(value) {
  board = value;
  try {
    localStorage.setItem(BOARD_KEY, JSON.stringify(value));
  } catch (e) {
    // private mode: the ticker waits for the next leaderboard
  }
}

function keptBoard() {
  try {
    return JSON.parse(localStorage.getItem(BOARD_KEY) || "null");
  } catch (e) {
    return null;
  }
}
let phase = "";

const countdown = new Countdown({
  now: () => sock.now(),
  onTick: (seconds, fraction, paused) => {
    const n = document.getElementById("ov-clock-n");
    if (n) n.textContent = paused ? "❚❚" : String(Math.min(seconds, question ? question.question.time_limit || seconds : seconds));
    const bar = document.getElementById("ov-clock-bar");
    if (bar) bar.style.transform = `scaleX(${Math.max(0, Math.min(1, fraction))})`;
    const clock = document.getElementById("ov-clock");
    if (clock) clock.classList.toggle("urgent", seconds <= 5 && phase === "open");
  },
});

function lowerThird() {
  if (!question || !["read", "open", "closed"].includes(phase)) return null;
  const q = question.question;
  return el("section", { class: "ov-panel ov-lower" },
    el("div", { class: "ov-lower-main" },
      el("p", { class: "ov-kicker" }, fmt(gettext("Question %(n)s of %(total)s"), { n: question.q + 1, total: question.total })),
      el("h1", { class: "ov-qtext", id: "ov-qtext", lang: pickLang(q.text, lang) }, pick(q.text, lang))),
    el("div", { class: "ov-clock", id: "ov-clock", role: "timer" },
      el("span", { class: "ov-clock-n", id: "ov-clock-n" }, phase === "closed" ? "0" : ""),
      el("span", { class: "ov-clock-track", "aria-hidden": "true" }, el("span", { class: "ov-clock-bar", id: "ov-clock-bar" })),
      phase === "closed" ? el("span", { class: "ov-clock-label" }, gettext("Time's up!")) : null));
}

function ticker() {
  const top = ((board && board.top) || []).slice(0, 5);
  if (!top.length) return null;
  return el("section", { class: "ov-panel ov-ticker" },
    el("p", { class: "ov-ticker-label" }, gettext("Top 5")),
    el("ol", { class: "ov-ticker-list" }, top.map((row) => el("li", { class: "ov-ticker-item" },
      el("span", { class: "ov-rank" }, String(row.rank)),
      el("span", { class: "ov-name" }, row.nickname || ""),
      el("span", { class: "ov-score" }, formatNumber(row.score, lang))))));
}

function joinCard() {
  const open = phase === "lobby" || (game.late_join && !game.locked && !["podium", "ended"].includes(phase));
  if (!game.pin || !open) return null;
  return el("section", { class: "ov-panel ov-join" },
    el("img", { class: "ov-qr", src: root.dataset.qr, alt: gettext("QR code to join the game"), width: 240, height: 240 }),
    el("div", { class: "ov-join-text" },
      el("p", { class: "ov-kicker" }, gettext("Join on your phone at")),
      el("p", { class: "ov-url" }, root.dataset.join.replace(/^https?:\/\//, "")),
      el("p", { class: "ov-kicker" }, gettext("with the game PIN")),
      el("p", { class: "ov-pin", id: "ov-pin" }, spacedPin(game.pin))));
}

function distribution() {
  if (!reveal || !question || reveal.q !== question.q) return null;
  const q = question.question;
  const bars = revealBars(q, reveal, lang);
  const total = Math.max(1, bars.reduce((sum, b) => sum + b.n, 0));
  const poll = q.type === "poll";
  return el("section", { class: "ov-panel ov-dist" },
    el("p", { class: "ov-kicker" }, gettext("How the room answered")),
    el("h1", { class: "ov-qtext small", lang: pickLang(q.text, lang) }, pick(q.text, lang)),
    el("ul", { class: "ov-bars" }, bars.map((b) => el("li", { class: `ov-bar ${b.cls}${!poll && b.correct ? " right" : ""}` },
      el("span", { class: "ov-bar-label" },
        el("span", { class: "shape", "aria-hidden": "true" }, b.mark), " ",
        el("span", { lang: b.lang || lang }, b.label),
        !poll && b.correct ? el("span", { class: "ov-tick" }, " ✓ ", gettext("correct")) : null),
      el("span", { class: "ov-bar-track" }, el("span", { class: "ov-bar-fill", dataset: { w: String(b.n / total) } })),
      el("span", { class: "ov-bar-n" }, formatNumber(b.n, lang))))));
}

const GAME_PANELS = { "lower-third": lowerThird, ticker, join: joinCard, distribution };

function renderGame() {
  draw(GAME_PANELS[kind]());
  root.querySelectorAll(".ov-bar-fill").forEach((bar) => (bar.style.transform = `scaleX(${Math.max(0.01, Number(bar.dataset.w))})`));
  if (kind === "lower-third" && question && phase === "open") {
    countdown.set({ deadline: question.ends_at, total: (question.question.time_limit || 20) * 1000, paused: game.paused, remaining: question.remaining_ms });
  } else if (kind === "lower-third" && question && phase === "read") {
    countdown.stop();
    const n = document.getElementById("ov-clock-n");
    if (n) n.textContent = String(question.question.time_limit || "");
  } else {
    countdown.stop();
  }
}

let openTimer = null;

function onQuestion() {
  clearTimeout(openTimer);
  const wait = question.opens_at - sock.now();
  phase = wait > 0 ? "read" : phase === "closed" ? "closed" : "open";
  if (wait > 0) openTimer = setTimeout(() => { if (phase === "read") { phase = "open"; renderGame(); } }, wait);
}

function handle(msg) {
  switch (msg.type) {
    case "state":
      say("");
      game = msg.game || {};
      phase = game.phase;
      question = msg.question || null;
      reveal = msg.reveal || null;
      if (msg.leaderboard) keepBoard(msg.leaderboard);
      else if (msg.podium) keepBoard(msg.podium);
      else if (!board && game.phase !== "lobby") board = keptBoard();
      if (question && ["read", "open"].includes(phase)) onQuestion();
      return renderGame();
    case "lobby":
      game.players = msg.players;
      return;
    case "question":
      question = msg;
      reveal = null;
      game.paused = !!msg.paused;
      phase = "";
      onQuestion();
      return renderGame();
    case "timer":
      game.paused = !!msg.paused;
      if (question && msg.q === question.q) {
        question.ends_at = msg.ends_at;
        question.remaining_ms = msg.remaining_ms;
        if (phase === "open" && kind === "lower-third") countdown.set({ deadline: msg.ends_at, paused: msg.paused, serverNow: msg.now, remaining: msg.remaining_ms });
      }
      return;
    case "flags":
      Object.assign(game, { locked: msg.locked, late_join: msg.late_join, paused: msg.paused });
      return renderGame();
    case "closed":
      if (question && msg.q === question.q) {
        clearTimeout(openTimer);
        phase = "closed";
        renderGame();
      }
      return;
    case "reveal":
      reveal = msg;
      phase = "reveal";
      return renderGame();
    case "leaderboard":
      keepBoard(msg);
      phase = "leaderboard";
      return renderGame();
    case "podium":
      keepBoard(msg);
      phase = "podium";
      reveal = null;
      return renderGame();
    case "ended":
      phase = "ended";
      reveal = null;
      sock.stop();
      return renderGame();
    default:
      return;
  }
}

const sock = scope === "game" ? new LiveSocket({
  path: `/ws/feed/game/${target}/?key=${encodeURIComponent(key)}&lang=${lang}`,
  hello: null,
  onMessage: handle,
  onClose: (event) => {
    if (event.code === 4001) {
      draw(null);
      badLink();
      return false;
    }
    return true;
  },
}) : null;

// --- Contest ----------------------------------------------------------------------------------

const POLL_MS = 5000;

function boardNote(top) {
  if ((top.hidden_rounds || []).length && !(top.rows || []).length) return gettext("Scores are published when the round closes.");
  if ((top.frozen_rounds || []).length) return gettext("Board frozen: the last results are revealed at the ceremony.");
  return "";
}

function topTen(feed) {
  const rows = feed.top.rows || [];
  const note = boardNote(feed.top);
  if (!rows.length && !note) return null;
  return el("section", { class: "ov-panel ov-board" },
    el("p", { class: "ov-kicker" }, feed.contest.title),
    el("h1", { class: "ov-h" }, gettext("Top 10")),
    el("ol", { class: "ov-rows" }, rows.slice(0, 10).map((row) => el("li", { class: "ov-row" },
      el("span", { class: "ov-rank" }, String(row.rank)),
      el("span", { class: "ov-name" }, row.name, row.unit ? el("span", { class: "ov-unit" }, row.unit) : null),
      el("span", { class: "ov-score" }, formatNumber(row.score, lang))))),
    note ? el("p", { class: "ov-note" }, note) : null);
}

function unitBoard(feed) {
  const rows = feed.units.rows || [];
  if (!rows.length) return null;
  const participation = feed.units.method === "participation";
  return el("section", { class: "ov-panel ov-board ov-units-board" },
    el("p", { class: "ov-kicker" }, feed.contest.title),
    el("h1", { class: "ov-h" }, gettext("Best units")),
    el("ol", { class: "ov-rows" }, rows.slice(0, 10).map((row, i) => el("li", { class: "ov-row" },
      el("span", { class: "ov-rank" }, String(row.rank || i + 1)),
      el("span", { class: "ov-name" }, row.name,
        el("span", { class: "ov-unit" }, fmt(ngettext("%(n)s participant", "%(n)s participants", row.participants), { n: formatNumber(row.participants, lang) }))),
      el("span", { class: "ov-score" }, participation ? `${formatNumber(Math.round(row.value * 10) / 10, lang)} %` : formatNumber(row.value, lang))))));
}

function participationCounter(feed) {
  const p = feed.participation;
  return el("section", { class: "ov-panel ov-counter" },
    el("p", { class: "ov-kicker" }, feed.contest.title),
    el("p", { class: "ov-counter-n", id: "ov-registered" }, formatNumber(p.registered, lang)),
    el("p", { class: "ov-counter-label" }, ngettext("participant registered", "participants registered", p.registered)),
    el("p", { class: "ov-counter-sub" }, fmt(ngettext("%(n)s on the board", "%(n)s on the board", p.on_board), { n: formatNumber(p.on_board, lang) })));
}

const CONTEST_PANELS = { top10: topTen, units: unitBoard, participation: participationCounter };

async function poll() {
  let wait = POLL_MS;
  try {
    const url = `/api/feed/contest/${encodeURIComponent(target)}?key=${encodeURIComponent(key)}`;
    const response = await fetch(url, { headers: { Accept: "application/json", "Accept-Language": lang }, credentials: "omit" });
    if (response.status === 404) {
      draw(null);
      badLink();
    } else if (response.status === 429) {
      wait = 1000 * Math.max(1, Number(response.headers.get("Retry-After")) || 5);
    } else if (response.ok) {
      say("");
      draw(CONTEST_PANELS[kind](await response.json()));
    }
  } catch (e) {
    // The network is back soon: keep the last picture on air, try again.
  }
  setTimeout(poll, wait);
}

if (sock) sock.start();
else poll();
