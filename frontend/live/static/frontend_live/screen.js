// The ceremony screen (projector / LED wall): lobby with PIN and QR, questions with a big
// countdown, answer charts, sliding leaderboards (FLIP) and the podium. Read-only: it never sends
// anything but hello and pings.
import { LiveSocket } from "./ws.js";
import {
  Countdown, applyBranding, connStatus, flip, formatNumber, keyed, reducedMotion, revealBars, spacedPin,
} from "./common.js";
import { $, el } from "../frontend/js/dom.js";
import { fmt, gettext, ngettext, pgettext, pick, pickLang } from "../frontend/js/i18n.js";
import { shapeOf, slotClass } from "../frontend/js/shapes.js";
import { ScreenSound } from "./sound.js";

const root = $("#screen");
const lang = root.dataset.lang || "vi";
const stage = $("#s-stage");

let game = {};
let roster = new Map();
let question = null;
let reveal = null;
let answers = { count: 0, total: 0 };
let board = null;
let prevTop = [];
let openTimer = null;
let view = "";
let noteTimer = null;
const sound = new ScreenSound();

const sock = new LiveSocket({
  gameId: root.dataset.game,
  // A venue's screen says which venue: its key opens that venue only.
  hello: () => ({
    type: "hello", v: 1, role: "screen", key: root.dataset.key, lang,
    ...(root.dataset.venue ? { venue: Number(root.dataset.venue) } : {}),
  }),
  onMessage: handle,
  onStatus: connStatus($("#s-conn")),
  onClose: (event) => {
    if (event.code === 4001 || event.code === 4004) {
      show("denied", [el("div", { class: "sc-center" },
        el("h1", { class: "sc-huge" }, gettext("This screen link is not valid")),
        el("p", { class: "sc-sub" }, gettext("Open the screen from the host console.")))]);
      return false;
    }
    return true;
  },
});

const RING = 2 * Math.PI * 54;
const countdown = new Countdown({
  now: () => sock.now(),
  onTick: (seconds, fraction, paused) => {
    const num = document.getElementById("s-clock-n");
    if (num) num.textContent = paused ? "❚❚" : String(seconds);
    const ring = document.getElementById("s-ring");
    if (ring) ring.style.strokeDashoffset = String(RING * (1 - fraction));
    const clock = document.getElementById("s-clock");
    if (clock) clock.classList.toggle("urgent", seconds <= 3 && view === "open");
  },
  onSecond: (seconds) => {
    if (view === "open" && !game.paused && seconds > 0 && seconds <= 5) sound.tick(seconds);
  },
});

// --- Sound toggle (muted by default) and short notes over the stage ---------------------------

const soundButton = $("#s-sound");
function renderSoundButton() {
  soundButton.setAttribute("aria-pressed", String(sound.on));
  soundButton.querySelector(".sc-sound-state").textContent = sound.on ? pgettext("sound", "on") : pgettext("sound", "off");
}
soundButton.addEventListener("click", () => {
  sound.set(!sound.on);
  renderSoundButton();
});
renderSoundButton();

function note(text) {
  const box = $("#s-note");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => (box.hidden = true), 5000);
}

/** "Paused" over the question while the host holds the clock. */
function syncPaused() {
  const box = document.getElementById("s-paused");
  if (box) box.hidden = !game.paused;
}

function show(name, children) {
  view = name;
  stage.dataset.view = name;
  stage.replaceChildren(...children.flat().filter(Boolean));
}

function header() {
  const branding = game.branding || {};
  applyBranding(branding);
  $("#s-title").textContent = branding.title || document.title.split("·").pop().trim();
  const logo = $("#s-logo");
  if (branding.logo_url) {
    logo.src = branding.logo_url;
    logo.hidden = false;
  }
  const inQuestion = question && !["lobby", "podium", "ended"].includes(game.phase);
  $("#s-qnum").textContent = inQuestion
    ? fmt(gettext("Question %(n)s of %(total)s"), { n: question.q + 1, total: question.total }) : "";
  $("#s-pin-small").textContent = game.phase !== "lobby" && game.pin
    ? fmt(gettext("PIN %(pin)s"), { pin: spacedPin(game.pin) }) : "";
}

const teamName = (team) => fmt(gettext("Team %(n)s"), { n: team });

// --- Lobby ------------------------------------------------------------------------------------

function renderLobby() {
  const join = root.dataset.join.replace(/^https?:\/\//, "");
  if (view !== "lobby") {
    show("lobby", [
      el("div", { class: "sc-lobby" },
        el("div", { class: "sc-join" },
          el("p", { class: "sc-step" }, gettext("Join on your phone at")),
          el("p", { class: "sc-url" }, join),
          el("p", { class: "sc-step" }, gettext("with the game PIN")),
          el("p", { class: "sc-pin", id: "s-pin", "aria-label": fmt(gettext("PIN %(pin)s"), { pin: game.pin || "" }) },
            spacedPin(game.pin || ""))),
        el("figure", { class: "sc-qr" },
          el("img", { src: root.dataset.qr, alt: gettext("QR code to join the game"), width: 360, height: 360 }),
          el("figcaption", {}, gettext("or scan the code")))),
      el("div", { class: "sc-lobby-foot" },
        el("p", { class: "sc-count" }, el("span", { class: "sc-count-n", id: "s-count" }), " ",
          el("span", { id: "s-count-label" })),
        el("ul", { class: "sc-names", id: "s-names" })),
    ]);
  }
  $("#s-pin").textContent = spacedPin(game.pin || "");
  const n = game.players ?? roster.size;
  $("#s-count").textContent = formatNumber(n, lang);
  $("#s-count-label").textContent = ngettext("player", "players", n);
  const names = $("#s-names");
  const list = [...roster.values()].slice(-60);
  const keep = new Set(list.map((p) => String(p.player)));
  for (const child of [...names.children]) if (!keep.has(child.dataset.key)) child.remove();
  for (const p of list) {
    if (!names.querySelector(`[data-key="${p.player}"]`)) {
      const chip = el("li", { class: "sc-name", dataset: { key: String(p.player) } }, p.nickname);
      names.append(chip);
      if (!reducedMotion()) chip.animate([{ transform: "scale(.4)", opacity: 0 }, { transform: "none", opacity: 1 }],
        { duration: 450, easing: "cubic-bezier(.2,1.4,.4,1)" });
    }
  }
}

// --- Question ---------------------------------------------------------------------------------

function clockNode() {
  return el("div", { class: "sc-clock", id: "s-clock", role: "timer", "aria-live": "off" },
    svgRing(), el("span", { class: "sc-clock-n", id: "s-clock-n" }));
}

function svgRing() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 120 120");
  svg.setAttribute("aria-hidden", "true");
  for (const [cls, id] of [["sc-ring-bg", null], ["sc-ring", "s-ring"]]) {
    const c = document.createElementNS(ns, "circle");
    c.setAttribute("cx", "60");
    c.setAttribute("cy", "60");
    c.setAttribute("r", "54");
    c.setAttribute("class", cls);
    if (id) c.id = id;
    svg.append(c);
  }
  svg.lastChild.style.strokeDasharray = String(RING);
  return svg;
}

function renderQuestion(phase) {
  const q = question.question;
  const text = pick(q.text, lang);
  const long = text.length > 110 ? " long" : "";
  if (phase === "read") {
    show("read", [el("div", { class: "sc-read" },
      el("h1", { class: "sc-qtext big" + long, lang: pickLang(q.text, lang) }, text),
      el("div", { class: "sc-readbar", "aria-hidden": "true" }, el("span", { id: "s-readfill" })),
      pausedNode())]);
    syncPaused();
    const fill = $("#s-readfill");
    const span = Math.max(1, question.opens_at - sock.now());
    if (!reducedMotion()) fill.animate([{ transform: "scaleX(0)" }, { transform: "scaleX(1)" }], { duration: span, fill: "forwards" });
    else fill.style.transform = "scaleX(1)";
    countdown.stop();
    return;
  }
  const choices = q.choices || [];
  show(phase, [
    el("div", { class: "sc-qrow" },
      el("h1", { class: "sc-qtext" + long, lang: pickLang(q.text, lang) }, text),
      clockNode()),
    q.image ? el("img", { class: "sc-img", src: q.image, alt: "" }) : null,
    q.type === "slide" ? null : choices.length
      ? el("ul", { class: `sc-choices n${Math.min(choices.length, 6)}${q.type === "order" ? " order" : ""}` },
        choices.map((c, i) => el("li", { class: `sc-choice ${slotClass(i)}` },
          el("span", { class: "shape", "aria-hidden": "true" }, shapeOf(i)),
          el("span", { class: "sc-ctext", lang: pickLang(c.text, lang) }, pick(c.text, lang)))))
      : el("p", { class: "sc-typehint" }, q.type === "numeric" ? gettext("Type a number on your phone") : gettext("Type your answer on your phone")),
    el("div", { class: "sc-qfoot" },
      el("p", { class: "sc-answered" }, el("strong", { id: "s-answers" }), " ", el("span", { id: "s-answers-label" })),
      phase === "closed" ? el("p", { class: "sc-timeup" }, gettext("Time's up!")) : pausedNode()),
  ]);
  syncPaused();
  renderAnswers();
  if (phase === "open") {
    countdown.set({ deadline: question.ends_at, total: (q.time_limit || 20) * 1000, paused: game.paused, remaining: question.remaining_ms });
  } else {
    countdown.set({ deadline: 0, total: 1 });
  }
}

function pausedNode() {
  return el("p", { class: "sc-paused", id: "s-paused", role: "status", hidden: true },
    el("span", { "aria-hidden": "true" }, "❚❚ "), gettext("Paused"));
}

function renderAnswers() {
  const n = $("#s-answers");
  if (!n) return;
  n.textContent = `${formatNumber(answers.count || 0, lang)} / ${formatNumber(answers.total || game.players || 0, lang)}`;
  $("#s-answers-label").textContent = gettext("answers");
}

function startQuestion() {
  clearTimeout(openTimer);
  const now = sock.now();
  if (question.opens_at && now < question.opens_at) {
    renderQuestion("read");
    openTimer = setTimeout(() => {
      if (game.phase === "read" || game.phase === "open") {
        game.phase = "open";
        renderQuestion("open");
      }
    }, question.opens_at - now);
  } else {
    renderQuestion(game.phase === "closed" ? "closed" : "open");
  }
}

// --- Reveal: bar chart ------------------------------------------------------------------------

function renderReveal() {
  countdown.stop();
  const q = question.question;
  const bars = revealBars(q, reveal, lang);
  const max = Math.max(1, ...bars.map((b) => b.n));
  const anyRight = bars.some((b) => b.correct) && q.type !== "poll";
  const answerText = accepted(reveal.correct);
  show("reveal", [
    el("h1", { class: "sc-qtext small", lang: pickLang(q.text, lang) }, pick(q.text, lang)),
    el("div", { class: `sc-chart n${bars.length}`, role: "img", "aria-label": bars.map((b) => `${b.label}: ${b.n}`).join(", ") },
      bars.map((b) => el("div", { class: `sc-col ${b.cls}${anyRight && !b.correct ? " dim" : ""}${anyRight && b.correct ? " right" : ""}` },
        el("span", { class: "sc-col-n" }, formatNumber(b.n, lang)),
        el("div", { class: "sc-col-track" }, el("div", { class: "sc-col-bar", dataset: { h: String(b.n / max) } })),
        el("div", { class: "sc-col-label" },
          el("span", { class: "shape", "aria-hidden": "true" }, b.mark),
          el("span", { lang: b.lang || lang }, b.label),
          anyRight && b.correct ? el("span", { class: "sc-tick" }, "✓ ", gettext("correct")) : null)))),
    answerText ? el("p", { class: "sc-accepted" }, gettext("Right answer:"), " ", el("strong", {}, answerText)) : null,
    reveal.explanation && pick(reveal.explanation, lang)
      ? el("p", { class: "sc-expl", lang: pickLang(reveal.explanation, lang) }, pick(reveal.explanation, lang),
        reveal.source ? el("span", { class: "sc-source" }, " — ", reveal.source) : null) : null,
  ]);
  requestAnimationFrame(() => stage.querySelectorAll(".sc-col-bar").forEach((bar) => {
    bar.style.transform = `scaleY(${Math.max(0.015, Number(bar.dataset.h))})`;
  }));
}

function accepted(correct) {
  if (!correct) return "";
  if (correct.accepted) return correct.accepted.join(" / ");
  if (correct.min !== undefined) return `${formatNumber(correct.min, lang)} – ${formatNumber(correct.max, lang)}`;
  if (correct.value !== undefined) {
    return formatNumber(correct.value, lang) + (correct.tolerance ? ` ± ${formatNumber(correct.tolerance, lang)}` : "");
  }
  if (correct.order && question) {
    const textById = new Map((question.question.choices || []).map((c) => [String(c.id), pick(c.text, lang)]));
    return correct.order.map((id) => textById.get(String(id)) || "?").join(" → ");
  }
  return "";
}

// --- Leaderboard (FLIP) -----------------------------------------------------------------------

function rankRow(row, kind) {
  const name = kind === "teams" ? teamName(row.team) : row.nickname || row.name || row.unit;
  return el("li", { class: "sc-lb-row" },
    el("span", { class: "sc-lb-rank" }, String(row.rank)),
    el("span", { class: "sc-lb-name" }, name,
      kind === "players" && row.team ? el("span", { class: "sc-lb-team" }, teamName(row.team)) : null),
    row.delta ? el("span", { class: "sc-lb-delta" }, "+" + formatNumber(row.delta, lang)) : el("span", { class: "sc-lb-delta" }),
    el("span", { class: "sc-lb-score" }, formatNumber(row.score, lang)));
}

function renderLeaderboard() {
  countdown.stop();
  const top = (board.top || []).slice(0, 8);
  const teams = board.teams || [];
  const units = board.units || [];
  const side = teams.length ? ["teams", gettext("Teams"), teams] : units.length ? ["units", gettext("Units"), units] : null;
  show("leaderboard", [
    el("div", { class: `sc-lb-wrap${side ? " two" : ""}` },
      el("section", { class: "sc-lb" },
        el("h1", { class: "sc-h" }, gettext("Leaderboard")),
        el("ol", { class: "sc-lb-list", id: "s-lb" })),
      side ? el("section", { class: "sc-lb side" },
        el("h2", { class: "sc-h" }, side[1]),
        el("ol", { class: "sc-lb-list", id: "s-lb-side" })) : null),
  ]);
  const list = $("#s-lb");
  // Draw the previous order first, then let FLIP slide each row to its new place.
  const ids = new Set(top.map((r) => String(r.player)));
  const previous = prevTop.filter((r) => ids.has(String(r.player)));
  for (const row of previous) {
    const li = rankRow(row, "players");
    li.dataset.key = String(row.player);
    list.append(li);
  }
  const update = () => {
    const rows = top.map((row) => {
      const old = keyed(list, row.player, () => rankRow(row, "players"));
      const fresh = rankRow(row, "players");
      old.replaceChildren(...fresh.childNodes);
      return old;
    });
    list.replaceChildren(...rows);
  };
  if (previous.length && !reducedMotion()) requestAnimationFrame(() => flip(list, update));
  else update();
  if (side) {
    const sideList = $("#s-lb-side");
    side[2].slice(0, 8).forEach((row) => sideList.append(rankRow(row, side[0])));
  }
  prevTop = top;
}

// --- Podium -----------------------------------------------------------------------------------

// Steps shown on the podium, their names at most (a wider tie says "and N more").
const STEP_NAMES = 3;

function renderPodium(podium, ended) {
  countdown.stop();
  const top = (podium && podium.top) || [];
  // One step per leaderboard rank (the server sends only players with points, ranked 1 to 3):
  // tied players share a step, so ranks 1, 2, 2 show gold and one silver step, and no bronze.
  const steps = [2, 1, 3]
    .map((rank) => ({ rank, rows: top.filter((row) => row.rank === rank) }))
    .filter((step) => step.rows.length);
  const names = (rows) => {
    const shown = rows.slice(0, STEP_NAMES).map((row) => el("span", { class: "sc-pname" }, row.nickname));
    const more = rows.length - shown.length;
    if (more > 0) shown.push(el("span", { class: "sc-pmore" }, fmt(ngettext("and %(n)s more", "and %(n)s more", more), { n: more })));
    return shown;
  };
  show(ended ? "ended" : "podium", [
    el("h1", { class: "sc-h center" }, ended ? gettext("Thank you for playing!") : gettext("Podium")),
    steps.length
      ? el("ol", { class: "sc-podium", "aria-label": gettext("Top three") },
        steps.map((step) => el("li", {
          class: `sc-place p${step.rank}${step.rows.length > 1 ? " tied" : ""}`, dataset: { rank: String(step.rank) },
        },
        el("span", { class: "sc-medal", "aria-hidden": "true" }, "★"),
        el("span", { class: "sc-pnames" }, names(step.rows)),
        el("span", { class: "sc-pscore" }, fmt(ngettext("%(score)s point", "%(score)s points", step.rows[0].score), { score: formatNumber(step.rows[0].score, lang) })),
        el("span", { class: "sc-block" }, el("span", { class: "visually-hidden" }, fmt(gettext("Rank %(n)s"), { n: step.rank })),
          el("span", { "aria-hidden": "true" }, String(step.rank))))))
      : el("p", { class: "sc-sub center sc-podium-empty" }, gettext("Nobody scored any points.")),
    podium && podium.teams && podium.teams.length
      ? el("p", { class: "sc-podium-teams" }, podium.teams.slice(0, 3).map((t) =>
        el("span", {}, `${t.rank}. ${teamName(t.team)} · ${formatNumber(t.score, lang)}`)))
      : null,
  ]);
  if (!reducedMotion()) {
    stage.querySelectorAll(".sc-place").forEach((step) => {
      const delay = { 3: 200, 2: 900, 1: 1700 }[step.dataset.rank];
      step.animate([{ transform: "translateY(60%)", opacity: 0 }, { transform: "none", opacity: 1 }],
        { duration: 900, delay, easing: "cubic-bezier(.2,.9,.3,1.1)", fill: "backwards" });
    });
  }
}

// --- Messages ---------------------------------------------------------------------------------

let podiumFrame = null;

function render() {
  header();
  const phase = game.phase;
  if (phase === "lobby") return renderLobby();
  if (phase === "podium" || phase === "ended") return renderPodium(podiumFrame, phase === "ended");
  if (phase === "leaderboard" && board) return renderLeaderboard();
  if (phase === "reveal" && reveal && question) return renderReveal();
  if (question && ["read", "open", "closed"].includes(phase)) return startQuestion();
  if (question && reveal) return renderReveal();
  show("wait", [el("div", { class: "sc-center" }, el("p", { class: "sc-sub" }, gettext("Get ready for the next question…")))]);
}

function handle(msg) {
  // Venue panels and strips (venue_host.js, venue_screen.js) follow the same frames.
  root.dispatchEvent(new CustomEvent("live-frame", { detail: msg }));
  switch (msg.type) {
    case "state":
      game = msg.game || {};
      roster = new Map((msg.roster || []).map((p) => [p.player, p]));
      question = msg.question || null;
      reveal = msg.reveal || null;
      if (msg.leaderboard) board = msg.leaderboard;
      if (msg.podium) podiumFrame = msg.podium;
      if (msg.answers) answers = msg.answers;
      view = "";
      return render();
    case "lobby":
      if (msg.joined) roster.set(msg.joined.player, msg.joined);
      if (msg.left !== undefined && msg.left !== null) roster.delete(msg.left);
      game.players = msg.players;
      if (game.phase === "lobby") renderLobby();
      return;
    case "question":
      question = msg;
      reveal = null;
      answers = { count: 0, total: game.players || 0 };
      game.phase = sock.now() < msg.opens_at ? "read" : "open";
      game.paused = !!msg.paused;
      header();
      return startQuestion();
    case "answers":
      answers = msg;
      return renderAnswers();
    case "timer":
      game.paused = !!msg.paused;
      if (question && msg.q === question.q) {
        question.ends_at = msg.ends_at;
        question.remaining_ms = msg.remaining_ms;
        if (view === "open") countdown.set({ deadline: msg.ends_at, paused: msg.paused, serverNow: msg.now, remaining: msg.remaining_ms });
      }
      syncPaused();
      return;
    case "skipped":
      // Name the skipped question: the next question's frame follows at once.
      return note(fmt(gettext("Question %(n)s was skipped"), { n: msg.q + 1 }));
    case "closed":
      if (question && msg.q === question.q) {
        game.phase = "closed";
        clearTimeout(openTimer);
        renderQuestion("closed");
      }
      return;
    case "reveal":
      reveal = msg;
      game.phase = "reveal";
      sound.reveal();
      return render();
    case "leaderboard":
      board = msg;
      game.phase = "leaderboard";
      return render();
    case "podium":
      podiumFrame = msg;
      game.phase = "podium";
      return render();
    case "ended":
      game.phase = "ended";
      sock.stop();
      return render();
    default:
      return;
  }
}

show("wait", [el("div", { class: "sc-center" }, el("p", { class: "sc-sub" }, gettext("Connecting…")))]);
sock.start();
