// The host console: lobby with kick, every game control, live answer count, distribution.
import { LiveSocket } from "./ws.js";
import { Countdown, announce, connStatus, formatNumber } from "./common.js";
import { $, el } from "../frontend/js/dom.js";
import { api } from "../frontend/js/http.js";
import { fmt, gettext, pick, pickLang } from "../frontend/js/i18n.js";
import { shapeOf, slotClass } from "../frontend/js/shapes.js";

const root = $("#host");
const gameId = root.dataset.game;
const lang = root.dataset.lang || "vi";
const stage = $("#h-stage");

let game = {};
let roster = new Map();
let question = null;
let answers = { count: 0, total: 0 };
let reveal = null;
let key = null; // {q, correct}: the right answer of the current question, for the host only
let toggles = { lock: false, late_join: false, leaderboard: false, auto_advance: false };

const sock = new LiveSocket({
  gameId,
  hello: () => ({ type: "hello", v: 1, role: "host", lang }),
  onMessage: handle,
  onStatus: connStatus($("#conn")),
  onClose: (event) => {
    if (event.code === 4001 || event.code === 4004 || event.code === 4000) {
      showError(gettext("You cannot host this game (it is not yours, or it no longer exists)."));
      return false;
    }
    return true;
  },
});
const countdown = new Countdown({
  now: () => sock.now(),
  onTick: (s, f, paused) => {
    const c = document.getElementById("h-clock");
    if (c) c.textContent = paused ? `❚❚ ${s}` : String(s);
  },
});

function showError(message) {
  const box = $("#h-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function control(action, args = {}) {
  showError("");
  if (!sock.send({ type: "host", action, ...args })) showError(gettext("Not connected: trying again…"));
}

// --- Controls ---------------------------------------------------------------------------------

document.querySelectorAll("[data-action]").forEach((button) =>
  button.addEventListener("click", () => {
    const action = button.dataset.action;
    if (action === "end_game" && !confirm(gettext("End the game for everyone now?"))) return;
    if (action === "pause") return control(game.paused ? "resume" : "pause");
    if (action === "add_time") return control("add_time", { seconds: 10 });
    control(action);
  }));

document.querySelectorAll("[data-toggle]").forEach((button) =>
  button.addEventListener("click", () => {
    const name = button.dataset.toggle;
    const on = !toggles[name];
    if (name === "lock") control(on ? "lock" : "unlock");
    else control(name, { on });
    toggles[name] = on; // optimistic; the next state frame confirms
    renderControls();
  }));

const ENABLED = {
  start: ["lobby"],
  next: ["closed", "reveal", "leaderboard"],
  end_question: ["read", "open"],
  skip: ["read", "open", "closed"],
  add_time: ["open"],
  pause: ["read", "open"],
  end_game: ["lobby", "read", "open", "closed", "reveal", "leaderboard", "podium"],
};

function renderControls() {
  const phase = game.phase || "";
  document.querySelectorAll("[data-action]").forEach((b) => {
    b.disabled = !(ENABLED[b.dataset.action] || []).includes(phase);
  });
  const pause = $("#c-pause");
  pause.textContent = game.paused ? gettext("Resume") : gettext("Pause");
  pause.setAttribute("aria-pressed", String(!!game.paused));
  document.querySelectorAll("[data-toggle]").forEach((b) => {
    b.setAttribute("aria-pressed", String(!!toggles[b.dataset.toggle]));
    b.disabled = phase === "ended";
  });
  const labels = {
    lobby: gettext("Lobby"), read: gettext("Reading"), open: gettext("Answering"), closed: gettext("Time's up"),
    reveal: gettext("Answer shown"), leaderboard: gettext("Leaderboard"), podium: gettext("Podium"), ended: gettext("Ended"),
  };
  $("#h-phase").textContent = (labels[phase] || phase) + (game.paused ? " · " + gettext("Paused") : "");
  $("#h-phase").dataset.phase = phase;
  $("#h-qnum").textContent = game.q !== null && game.q !== undefined && phase !== "lobby"
    ? fmt(gettext("Question %(n)s of %(total)s"), { n: game.q + 1, total: game.total }) : "";
}

// --- Players ----------------------------------------------------------------------------------

function renderPlayers() {
  const list = $("#h-players");
  $("#h-count").textContent = String(game.players ?? roster.size);
  const rows = [...roster.values()].sort((a, b) => a.nickname.localeCompare(b.nickname, lang));
  list.replaceChildren(...rows.map((p) => el("li", {},
    el("span", { class: "pl-name" }, p.nickname, p.team ? el("span", { class: "badge" }, String(p.team)) : null),
    el("button", {
      type: "button", class: "btn btn-small kick", "aria-label": fmt(gettext("Remove %(name)s"), { name: p.nickname }),
      onclick: () => {
        if (confirm(fmt(gettext("Remove %(name)s from the game?"), { name: p.nickname }))) {
          control("kick", { player: p.player });
        }
      },
    }, gettext("Remove")))));
  if (!rows.length) list.append(el("li", { class: "muted" }, gettext("Waiting for players to join…")));
}

// --- Stage ------------------------------------------------------------------------------------

function setStage(...children) {
  stage.replaceChildren(...children.flat().filter(Boolean));
}

function renderStage() {
  const phase = game.phase;
  if (phase === "lobby") {
    setStage(
      el("h2", {}, gettext("Waiting in the lobby")),
      el("p", { class: "lead" }, fmt(gettext("Players join at %(url)s with PIN %(pin)s."), {
        url: location.host + "/play", pin: game.pin || "…" })),
      el("p", {}, gettext("Open the screen on the projector, then press Start when everyone is in.")));
    return;
  }
  if (phase === "podium" || phase === "ended") {
    setStage(
      el("h2", {}, phase === "ended" ? gettext("The game is over") : gettext("Podium")),
      el("p", {}, gettext("Download the results:"), " ",
        el("a", { href: `/api/games/${gameId}/results.csv` }, "CSV"), " · ",
        el("a", { href: `/api/games/${gameId}/results.xlsx` }, "Excel")),
      el("p", {}, el("a", { href: "/host/", class: "btn" }, gettext("Host another game"))));
    return;
  }
  if (!question) {
    setStage(el("p", { class: "muted" }, gettext("Waiting for the next question…")));
    return;
  }
  const q = question.question;
  const choices = q.choices || [];
  const dist = reveal && reveal.distribution;
  const known = reveal ? reveal.correct : key && key.q === question.q ? key.correct : null;
  const correct = correctIds(known);
  const counts = choices.map((c) => (dist ? dist[c.id] || 0 : 0));
  const max = Math.max(1, ...counts);
  setStage(
    el("div", { class: "hq-head" },
      el("span", { class: "badge" }, typeLabel(q.type)),
      el("span", { class: "hq-clock", id: "h-clock", "aria-hidden": "true" }),
      el("span", { class: "hq-count", id: "h-answers", "aria-live": "polite" }, answersText())),
    el("h2", { class: "hq-text", lang: pickLang(q.text, lang) }, pick(q.text, lang)),
    el("ul", { class: "hq-choices" }, choices.map((c, i) => {
      const isRight = correct.has(String(c.id));
      return el("li", { class: `hq-choice ${slotClass(i)}${isRight ? (reveal ? " right" : " key") : ""}` },
        el("span", { class: "shape", "aria-hidden": "true" }, shapeOf(i)),
        el("span", { class: "hq-ctext" }, pick(c.text, lang)),
        isRight ? el("span", { class: "hq-ok" }, "✓ ", reveal ? gettext("correct") : gettext("right answer")) : null,
        dist ? el("span", { class: "hq-bar", "aria-hidden": "true" },
          el("span", { class: "hq-bar-fill", "data-w": String(counts[i] / max) })) : null,
        dist ? el("span", { class: "hq-n" }, formatNumber(counts[i], lang)) : null);
    })),
    keyText(known, choices) ? el("p", { class: "hq-key" }, gettext("Answer key:"), " ", el("strong", {}, keyText(known, choices))) : null,
    dist && dist.right !== undefined ? el("p", { class: "hq-rw" },
      fmt(gettext("Right: %(right)s · Wrong: %(wrong)s"), { right: dist.right, wrong: dist.wrong })) : null,
    reveal && reveal.explanation && pick(reveal.explanation, lang)
      ? el("p", { class: "hq-expl" }, pick(reveal.explanation, lang)) : null,
  );
  stage.querySelectorAll(".hq-bar-fill").forEach((bar) => (bar.style.width = `${bar.dataset.w * 100}%`));
  if (phase === "open" || phase === "read") {
    const deadline = phase === "read" ? question.opens_at : question.ends_at;
    countdown.set({ deadline, total: (q.time_limit || 20) * 1000, paused: game.paused, remaining: question.remaining_ms });
  } else {
    countdown.stop();
    const c = document.getElementById("h-clock");
    if (c) c.textContent = "";
  }
}

function answersText() {
  return fmt(gettext("%(count)s of %(total)s answered"), {
    count: answers.count || 0, total: answers.total || game.players || 0,
  });
}

function typeLabel(type) {
  return {
    single: gettext("Single choice"), multi: gettext("Multiple choice"), truefalse: gettext("True or false"),
    text: gettext("Typed answer"), numeric: gettext("Numeric"), order: gettext("Ordering"), poll: gettext("Poll"), slide: gettext("Info slide"),
  }[type] || type;
}

/** The key of a typed, numeric or ordering question as text (choice keys are marked on the list). */
function keyText(correct, choices) {
  if (!correct) return "";
  if (correct.accepted) return correct.accepted.join(" / ");
  if (correct.min !== undefined) return `${formatNumber(correct.min, lang)} – ${formatNumber(correct.max, lang)}`;
  if (correct.value !== undefined) {
    return formatNumber(correct.value, lang) + (correct.tolerance ? ` ± ${formatNumber(correct.tolerance, lang)}` : "");
  }
  if (correct.order) {
    const textById = new Map(choices.map((c) => [String(c.id), pick(c.text, lang)]));
    return correct.order.map((id) => textById.get(String(id)) || "?").join(" → ");
  }
  return "";
}

function correctIds(correct) {
  if (!correct) return new Set();
  if (correct.choice !== undefined) return new Set([String(correct.choice)]);
  if (correct.choices) return new Set(correct.choices.map(String));
  return new Set();
}

function renderLeaderboard(board, podium = false) {
  const list = $("#h-leaderboard");
  const top = (board && board.top) || [];
  list.replaceChildren(...top.slice(0, 10).map((row) => el("li", {},
    el("span", { class: "lb-rank" }, String(row.rank)),
    el("span", { class: "lb-name" }, row.nickname),
    el("span", { class: "lb-score" }, formatNumber(row.score, lang)))));
  if (!top.length) {
    list.append(el("li", { class: "muted lb-empty" },
      podium ? gettext("Nobody scored any points.") : gettext("Scores appear after the first question.")));
  }
}

// --- Messages ---------------------------------------------------------------------------------

function handle(msg) {
  // Venue panels and strips (venue_host.js, venue_screen.js) follow the same frames.
  root.dispatchEvent(new CustomEvent("live-frame", { detail: msg }));
  switch (msg.type) {
    case "state": {
      game = msg.game || {};
      roster = new Map((msg.roster || []).map((p) => [p.player, p]));
      question = msg.question ? { ...msg.question } : null;
      reveal = msg.reveal || null;
      key = msg.key || null;
      toggles = {
        lock: !!game.locked,
        late_join: !!game.late_join,
        leaderboard: !!game.show_leaderboard,
        auto_advance: !!game.auto_advance,
      };
      if (msg.podium) renderLeaderboard({ top: msg.podium.top }, true);
      if (msg.answers) answers = msg.answers;
      if (game.title) $("#h-title").textContent = game.title;
      if (game.pin) $("#h-pin").textContent = game.pin;
      if (msg.leaderboard) renderLeaderboard(msg.leaderboard);
      break;
    }
    case "lobby":
      if (msg.joined) roster.set(msg.joined.player, msg.joined);
      if (msg.left !== undefined && msg.left !== null) roster.delete(msg.left);
      game.players = msg.players ?? roster.size;
      renderPlayers();
      return;
    case "question":
      question = msg;
      reveal = null;
      answers = { count: 0, total: game.players || 0 };
      game.q = msg.q;
      game.total = msg.total;
      game.phase = sock.now() < msg.opens_at ? "read" : "open";
      if (game.phase === "read") setTimeout(() => {
        if (question === msg && game.phase === "read") {
          game.phase = "open";
          renderControls();
          renderStage();
        }
      }, msg.opens_at - sock.now());
      announce(gettext("Question started"));
      break;
    case "key":
      key = msg;
      break;
    case "skipped":
      announce(fmt(gettext("Question %(n)s was skipped"), { n: msg.q + 1 }));
      return;
    case "answers":
      answers = msg;
      if ($("#h-answers")) {
        $("#h-answers").textContent = answersText();
        return;
      }
      break;
    case "timer":
      game.paused = !!msg.paused;
      if (question) question.ends_at = msg.ends_at;
      countdown.set({ deadline: msg.ends_at, paused: msg.paused, serverNow: msg.now, remaining: msg.remaining_ms });
      renderControls();
      return;
    case "closed":
      game.phase = "closed";
      break;
    case "reveal":
      reveal = msg;
      game.phase = "reveal";
      break;
    case "leaderboard":
      game.phase = "leaderboard";
      renderLeaderboard(msg);
      break;
    case "podium":
      game.phase = "podium";
      renderLeaderboard({ top: msg.top }, true);
      break;
    case "ended":
      game.phase = "ended";
      break;
    case "error":
      showError(msg.message || msg.code);
      return;
    default:
      return;
  }
  renderControls();
  renderPlayers();
  renderStage();
}

async function loadLinks() {
  try {
    const info = await api(`/api/games/${gameId}/`);
    if (info.screen_url) {
      const link = $("#h-screen");
      link.href = info.screen_url;
      link.hidden = false;
    }
    if (info.join_url) {
      const join = $("#h-join");
      join.href = info.join_url;
      join.textContent = info.join_url;
    }
    if (info.pin && !game.pin) $("#h-pin").textContent = info.pin;
    const s = info.settings || {};
    if (!game.phase) {
      toggles.late_join = !!s.allow_late_join;
      toggles.leaderboard = !!s.show_leaderboard;
      toggles.auto_advance = !!s.auto_advance;
    }
  } catch (e) {
    /* the console still works without the links */
  }
}

renderControls();
renderPlayers();
renderLeaderboard(null);
loadLinks();
sock.start();
