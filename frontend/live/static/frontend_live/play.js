// The player's phone page: join with PIN + nickname, then follow the game over the WebSocket.
import { LiveSocket, uuid } from "./ws.js";
import { Countdown, announce, applyBranding, connStatus, formatNumber } from "./common.js";
import { $, el } from "../frontend/js/dom.js";
import { fmt, gettext, ngettext, pick, pickLang } from "../frontend/js/i18n.js";
import { shapeName, shapeOf, slotClass } from "../frontend/js/shapes.js";

const root = $("#play");
const lang = root.dataset.lang || document.documentElement.lang || "vi";
const stage = $("#stage");
const STORE = "cq.live.";

let session = null; // {game, token, nickname, pin}
let sock = null;
// The join socket (/ws/join/), open once the PIN is known: look-ups and the join go over it, and
// the game is then played on it. `joinFrame`: what it sends on (re)connecting before the join.
let joinPhase = false;
let joinFrame = null;
let lookups = []; // PINs of the look-ups sent and not answered yet (answered in order)
// What the last look-up of each PIN said: {found: true}, or {found: false, error} (its error
// frame). A join is sent only for a PIN its look-up found; pressing "Enter" waits for the PIN's
// look-up, so a wrong PIN costs one miss per try, not two: the misses lock out the address,
// which a whole school behind one NAT shares.
const pinAnswers = new Map();
// {pin, button, form, payload, sent} from the press until the join is answered (`sent`: the join
// frame went out; before that, the PIN's look-up is awaited).
let joining = null;
let game = {};
let you = {};
let current = null; // the question frame being played
let pending = null; // {q, answer_id, response, acked}
let lastResult = null;
let lastPodium = null;
let reveal = null;
let playerCount = 0;
let openTimer = null;
let countdown = null;
let view = "";
let noteTimer = null;

// --- Session storage (one token per game; "current" points at the last game joined) -----------

function loadSession(pinHint) {
  try {
    const id = localStorage.getItem(STORE + "current");
    if (!id) return null;
    const saved = JSON.parse(localStorage.getItem(STORE + "game." + id) || "null");
    if (!saved || !saved.token) return null;
    if (pinHint && saved.pin && saved.pin !== pinHint) return null;
    return saved;
  } catch (e) {
    return null;
  }
}

function saveSession() {
  try {
    localStorage.setItem(STORE + "game." + session.game, JSON.stringify(session));
    localStorage.setItem(STORE + "current", String(session.game));
  } catch (e) {
    /* private mode: the game still works, it just cannot resume after a reload */
  }
}

function forgetSession() {
  if (!session) return;
  try {
    localStorage.removeItem(STORE + "game." + session.game);
    if (localStorage.getItem(STORE + "current") === String(session.game)) {
      localStorage.removeItem(STORE + "current");
    }
  } catch (e) {
    /* nothing to forget */
  }
}

// --- Join -------------------------------------------------------------------------------------

/** Full-width digits (CJK and some Vietnamese keyboards type them) as ASCII ones. */
function asciiDigits(value) {
  return value.replace(/[\uFF10-\uFF19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xFF10 + 48));
}

/** The digits typed in a code's box, anything else dropped (core/text.py typed_digits reads a
 * link's PIN alike). */
function typedDigits(value) {
  return asciiDigits(value).replace(/\D/g, "");
}

async function join(event) {
  event.preventDefault();
  const form = event.target;
  const error = $("#join-error");
  const pin = typedDigits(form.pin.value);
  const nickname = form.nickname.value.trim();
  error.hidden = true;
  if (!pin) {
    // Letters or another script's digits: say what a PIN is, not that the box is empty.
    const typed = form.pin.value.trim() !== "";
    return showJoinError(typed ? gettext("A game PIN is made of the digits 0 to 9.") : gettext("Enter the game PIN."), form.pin);
  }
  if (!nickname) return showJoinError(gettext("Choose a nickname."), form.nickname);
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  // Big events: the game may ask for the rotating code shown on the ceremony screen.
  const challengeRow = $("#challenge-row");
  const payload = { pin, nickname };
  if (!challengeRow.hidden) payload.challenge = typedDigits(form.challenge.value);
  // A game played at several venues: the player's venue (from the venue's link, or picked).
  if (!$("#venue-row").hidden) {
    if (!form.venue.value) {
      button.disabled = false;
      return showJoinError(gettext("Pick your venue."), form.venue);
    }
    payload.venue = Number(form.venue.value);
  }
  joining = { pin, button, form, payload, sent: false };
  // The PIN's look-up: answered (a refusal is used once: the next press asks again, the game may
  // have opened since), on its way, or to send now.
  if (pinAnswers.has(pin)) return afterLookup(pin);
  if (!joinPhase || !lookups.includes(pin)) sendJoinFrame({ type: "lookup", pin, lang });
}

/** One frame joins, and the game is played on the same socket (the join API's refusals come
 * back as error frames, the same codes and messages). */
function sendJoin() {
  joining.sent = true;
  sendJoinFrame({ type: "join", v: 1, ...joining.payload, lang });
}

/** A look-up of `pin` was answered: a press waiting for it joins, or hears why not. */
function afterLookup(pin) {
  if (!joining || joining.sent || joining.pin !== pin || lookups.includes(pin)) return;
  const answer = pinAnswers.get(pin);
  if (answer.found) return sendJoin();
  joinRefused(answer.error);
}

function sendJoinFrame(frame) {
  joinFrame = frame;
  if (!sock || !joinPhase) {
    if (sock) sock.stop();
    joinPhase = true;
    lookups = [];
    // It sends the latest frame once open (a join socket does not reconnect: see onClose).
    sock = gameSocket({ path: "/ws/join/", hello: () => counted(joinFrame) });
    sock.start();
  } else if (sock.isOpen()) {
    sock.send(counted(frame));
  }
}

function counted(frame) {
  if (frame.type === "lookup") lookups.push(frame.pin);
  return frame;
}

/** The join socket said who we are: keep the token for later hellos, then play. */
function onJoined(body) {
  const { pin, button } = joining;
  joining = null;
  joinPhase = false;
  session = { game: body.game, player: body.player, token: body.token, nickname: body.nickname, pin, venue: body.venue };
  saveSession();
  history.replaceState(null, "", "/play?pin=" + encodeURIComponent(pin));
  button.disabled = false;
  // A reconnect resumes on the game's socket with the token, as after a reload.
  sock.become({ path: body.ws_url, hello: playerHello });
  showGame();
}

/** The join socket refused the join (a taken nickname, a wrong PIN or code...), or closed
 * before it answered: the form again, with the reason. */
function joinRefused(error) {
  const { pin, button, form } = joining;
  joining = null;
  button.disabled = false;
  if (!error) {
    return showJoinError(gettext("No connection. Check your network and try again."), form.pin);
  }
  joinFrame = { type: "lookup", pin, lang }; // the socket stays open for the next try
  pinAnswers.delete(pin); // the next press looks the PIN up again (the game may have changed)
  const challengeRow = $("#challenge-row");
  let field = error.code === "nickname_taken" || error.code === "nickname_invalid" ? form.nickname : form.pin;
  if (error.code === "venue_required" || error.code === "venue_unknown") {
    checkChallenge(); // the venues again (the picker fills in when the answer comes)
    field = form.venue;
  }
  if (error.code === "challenge_required" || error.code === "challenge_wrong") {
    challengeRow.hidden = false;
    form.challenge.value = "";
    field = form.challenge;
  }
  return showJoinError(error.code ? error.message : gettext("Could not join. Please try again."), field);
}

function showJoinError(message, field) {
  const error = $("#join-error");
  error.textContent = message;
  error.hidden = false;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

function showJoin(message) {
  if (sock) sock.stop();
  sock = null;
  joinPhase = false;
  $("#v-game").hidden = true;
  $("#v-join").hidden = false;
  if (message) showJoinError(message);
}

// --- Game -------------------------------------------------------------------------------------

function playerHello() {
  return { type: "hello", v: 1, role: "player", token: session.token, lang };
}

/** Resume a game this phone joined before (its token). */
function startGame() {
  showGame();
  sock = gameSocket({ gameId: session.game, hello: playerHello });
  sock.start();
}

function showGame() {
  $("#v-join").hidden = true;
  $("#v-game").hidden = false;
  $("#me-name").textContent = session.nickname;
  $("#me-venue").textContent = session.venue || "";
  setView("connecting", () => [el("p", { class: "play-wait" }, gettext("Connecting…"))]);
}

function gameSocket({ gameId, path, hello }) {
  const socket = new LiveSocket({
    gameId,
    path,
    hello,
    onMessage: handle,
    onStatus: connStatus($("#conn")),
    onClose: (event) => {
      if (joinPhase) {
        // The join socket closed before a join: the next look-up or join opens a new one.
        joinPhase = false;
        sock = null;
        if (joining) joinRefused(null);
        return false;
      }
      // Close codes (docs/protocol.md): 4000 replaced by a newer tab, 4001 bad token,
      // 4003 kicked, 4004 game not found.
      if (event.code === 4000) {
        setView("replaced", () => [
          el("p", { class: "play-note" }, gettext("This game is open in another tab or device.")),
          el("button", { type: "button", class: "btn btn-primary btn-lg", onclick: () => sock.start() },
            gettext("Play here")),
        ]);
        return false;
      }
      if (event.code === 4003) {
        kicked();
        return false;
      }
      if (event.code === 4001 || event.code === 4004) {
        forgetSession();
        showJoin(gettext("This game is no longer available. Join with a new PIN."));
        return false;
      }
      return true;
    },
  });
  countdown = countdown || new Countdown({
    now: () => sock.now(),
    onTick: renderClock,
    onSecond: (s) => {
      if (view === "open" && !pending && (s === 10 || s === 5 || (s <= 3 && s > 0))) {
        announce(fmt(ngettext("%(s)s second left", "%(s)s seconds left", s), { s }));
      }
      if (s === 0 && view === "open") timeUp();
    },
  });
  return socket;
}

function handle(msg) {
  if (joinPhase) {
    if (msg.type === "found") {
      const pin = lookups.shift();
      pinAnswers.set(pin, { found: true });
      onFound(msg);
      return afterLookup(pin);
    }
    if (msg.type === "error" && lookups.length) {
      // A look-up's error says nothing yet, unless "Enter" was pressed and waits for it.
      const pin = lookups.shift();
      pinAnswers.set(pin, { found: false, error: msg });
      return afterLookup(pin);
    }
    if (msg.type === "error" && joining) return joinRefused(msg);
    if (msg.type === "joined" && joining) return onJoined(msg);
    return;
  }
  switch (msg.type) {
    case "state":
      return onState(msg);
    case "lobby":
      playerCount = msg.players ?? playerCount;
      if (view === "lobby") renderLobby();
      return;
    case "question":
      return onQuestion(msg);
    case "ack":
      return onAck(msg);
    case "timer":
      return onTimer(msg);
    case "closed":
      return onClosed(msg);
    case "skipped":
      // Name the skipped question: the next question's frame follows at once.
      return note(fmt(gettext("Question %(n)s was skipped"), { n: msg.q + 1 }));
    case "reveal":
      reveal = msg;
      return;
    case "result":
      return onResult(msg);
    case "leaderboard":
      return;
    case "podium":
      lastPodium = msg;
      return renderFinal(msg);
    case "kicked":
      return kicked();
    case "ended":
      return renderFinal(lastPodium, true);
    case "error":
      return onError(msg);
    default:
      return;
  }
}

function kicked() {
  forgetSession();
  sock.stop();
  setView("kicked", () => [
    el("h2", { class: "play-big" }, gettext("You were removed from the game")),
    el("p", {}, el("a", { href: "/play", class: "btn btn-lg" }, gettext("Join another game"))),
  ]);
}

/** The event's title and colours on the phone too (the host sets them per game). */
function brand(branding) {
  if (!branding) return;
  applyBranding(branding);
  const title = $("#brand-title");
  if (branding.title && title) title.textContent = branding.title;
  const meta = document.querySelector('meta[name="theme-color"]');
  if (meta && /^#[0-9a-f]{6}$/i.test(branding.primary || "")) meta.content = branding.primary;
  document.body.classList.toggle("branded", !!(branding.primary || branding.accent));
}

function note(text) {
  const box = $("#note");
  box.textContent = text;
  box.hidden = false;
  announce(text);
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => (box.hidden = true), 5000);
}

/** While the host holds the clock: say "Paused" and make the answers untappable. */
function syncPaused() {
  const paused = !!game.paused && ["read", "open", "answered", "timeup"].includes(view);
  const box = document.getElementById("paused");
  if (box) box.hidden = !paused;
  stage.querySelectorAll(".answers button, .answers input, .answers-wrap button").forEach((node) => {
    if (paused) {
      node.dataset.wasDisabled = node.disabled ? "1" : "";
      node.disabled = true;
    } else if (node.dataset.wasDisabled !== undefined) {
      node.disabled = node.dataset.wasDisabled === "1";
      delete node.dataset.wasDisabled;
    }
  });
  stage.classList.toggle("paused", paused);
}

function onState(msg) {
  game = msg.game || {};
  $("#practice-badge").hidden = !game.practice;  // a teacher's try-out, never counted
  you = msg.you || {};
  brand(game.branding);
  playerCount = game.players ?? playerCount;
  if (you.nickname) {
    session.nickname = you.nickname;
    $("#me-name").textContent = you.nickname;
    $("#me-venue").textContent = you.venue || "";
  }
  renderScore();
  const phase = game.phase;
  if (phase === "lobby") return renderLobby();
  if (msg.podium) lastPodium = msg.podium;
  if (msg.reveal) reveal = msg.reveal;
  if (phase === "podium" || phase === "ended") return renderFinal(msg.podium, phase === "ended");
  if (msg.question && ["read", "open", "closed"].includes(phase)) {
    const frame = { ...msg.question, q: msg.question.q ?? game.q, total: msg.question.total ?? game.total };
    if (you.answered) {
      // The answer landed before the reload / network loss: show it as received.
      pending = { q: frame.q, response: you.answer, answer_id: you.submission_id, acked: true };
    } else if (pending && pending.q === frame.q && !pending.acked && phase === "open") {
      sock.send({ type: "answer", q: pending.q, answer_id: pending.answer_id, response: pending.response });
    } else if (!pending || pending.q !== frame.q) {
      pending = null;
    }
    game.paused = !!(frame.paused || game.paused);
    return onQuestion(frame, phase === "closed");
  }
  if (phase === "reveal" || phase === "leaderboard") {
    return renderStanding();
  }
  return renderLobby();
}

function renderScore() {
  const score = $("#me-score");
  score.textContent = you.score !== undefined && you.score !== null
    ? fmt(gettext("%(score)s pts"), { score: formatNumber(you.score, lang) }) : "";
}

function setView(name, build) {
  view = name;
  stage.replaceChildren(...build().flat().filter(Boolean));
  stage.dataset.view = name;
}

function renderLobby() {
  setView("lobby", () => [
    el("div", { class: "play-lobby" },
      el("p", { class: "play-tick", "aria-hidden": "true" }, "✓"),
      el("h2", { class: "play-big" }, gettext("You're in!")),
      el("p", { class: "play-name" }, session.nickname),
      el("p", { class: "muted" }, gettext("See your name on the big screen? Waiting for the host to start…")),
      el("p", { class: "play-count" }, fmt(ngettext("%(n)s player", "%(n)s players", playerCount), { n: playerCount }))),
  ]);
}

// --- Questions --------------------------------------------------------------------------------

function onQuestion(frame, closed = false) {
  if (!current || current.q !== frame.q) {
    if (!pending || pending.q !== frame.q) pending = null;
    reveal = null;
  }
  current = frame;
  clearTimeout(openTimer);
  const now = sock.now();
  if (closed) return renderQuestion("closed");
  if (frame.opens_at && now < frame.opens_at) {
    renderQuestion("read");
    openTimer = setTimeout(() => renderQuestion("open"), frame.opens_at - now);
    return;
  }
  renderQuestion(frame.ends_at && now >= frame.ends_at ? "closed" : "open");
}

function questionHeader(q, phase) {
  const text = q.question.text;
  return [
    el("div", { class: "play-qhead" },
      el("span", { class: "badge" }, fmt(gettext("Question %(n)s of %(total)s"), { n: (q.q ?? 0) + 1, total: q.total ?? "?" })),
      el("span", { class: "play-clock", id: "clock", "aria-hidden": "true" })),
    el("div", { class: "play-bar-track", "aria-hidden": "true" }, el("div", { class: "play-bar-fill", id: "clock-bar" })),
    el("p", { class: "play-paused", id: "paused", role: "status", hidden: true },
      el("span", { "aria-hidden": "true" }, "❚❚ "), gettext("Paused")),
    el("h2", { class: "play-qtext", id: "qtext", tabindex: "-1", lang: pickLang(text, lang) }, pick(text, lang)),
    q.question.image ? el("img", { class: "play-img", src: q.question.image, alt: "" }) : null,
    phase === "read" ? el("p", { class: "play-ready" }, gettext("Get ready…")) : null,
  ];
}

function renderQuestion(phase) {
  const q = current;
  const type = q.question.type;
  const answered = pending && pending.q === q.q;
  setView(phase === "read" ? "read" : answered ? "answered" : phase, () => {
    const parts = questionHeader(q, phase);
    if (phase === "read") return parts;
    if (type === "slide") {
      parts.push(el("p", { class: "play-note" }, gettext("Just read along: no answer needed.")));
      return parts;
    }
    if (answered) {
      parts.push(answeredBox());
      return parts;
    }
    if (phase === "closed") {
      // Options stay visible until the reveal; a tap now says plainly that it does not count.
      const form = answerForm(q);
      form.classList.add("expired");
      parts.push(el("p", { class: "play-note play-late", role: "status" }, gettext("Time's up! No answer was counted.")), form);
      return parts;
    }
    parts.push(answerForm(q));
    return parts;
  });
  if (phase === "read") {
    countdown.set({ deadline: q.opens_at, total: Math.max(1, q.opens_at - (q.shows_at || q.opens_at - 3000)) });
    announce(pick(q.question.text, lang));
  } else if (phase === "open") {
    countdown.set({
      deadline: q.ends_at, total: (q.question.time_limit || 20) * 1000, paused: game.paused, remaining: q.remaining_ms,
    });
    if (!answered) {
      announce(gettext("Answer now"));
      // Focus the question, not the first option: a focused tile looks already chosen.
      const heading = document.getElementById("qtext");
      if (heading && document.activeElement === document.body) heading.focus({ preventScroll: true });
    }
  } else {
    countdown.stop();
    renderClock(0, 0);
  }
  syncPaused();
}

function renderClock(seconds, fraction, paused = false) {
  const clock = document.getElementById("clock");
  if (clock) {
    clock.textContent = paused ? "❚❚ " + seconds : String(seconds);
    clock.classList.toggle("urgent", seconds <= 3 && view !== "read");
  }
  const bar = document.getElementById("clock-bar");
  if (bar) bar.style.transform = `scaleX(${Math.max(0, fraction)})`;
}

function choiceButton(choice, index, extra = {}) {
  return el("button", { type: "button", class: `answer ${slotClass(index)}`, ...extra },
    el("span", { class: "shape", "aria-hidden": "true" }, shapeOf(index)),
    el("span", { class: "visually-hidden" }, shapeName(index) + ": "),
    el("span", { class: "answer-text", lang: pickLang(choice.text, lang) }, pick(choice.text, lang)));
}

function answerForm(q) {
  const type = q.question.type;
  // Shown in the order the server sent (one shuffle on the server, the same as on the screen).
  const choices = q.question.choices || [];
  const slotOf = (choice) => choices.indexOf(choice);
  if (["single", "truefalse", "poll"].includes(type)) {
    return el("div", { class: `answers answers-${choices.length <= 2 ? "two" : "grid"}`, role: "group",
      "aria-label": gettext("Answers") },
    choices.map((c) => choiceButton(c, slotOf(c), { onclick: () => submit({ choice: c.id }, c) })));
  }
  if (type === "multi") {
    const picked = new Set();
    const send = el("button", { type: "button", class: "btn btn-primary btn-lg btn-block", disabled: true },
      gettext("Submit answer"));
    const buttons = choices.map((c) => {
      const b = choiceButton(c, slotOf(c), { "aria-pressed": "false" });
      b.addEventListener("click", () => {
        if (picked.has(c.id)) picked.delete(c.id);
        else picked.add(c.id);
        b.setAttribute("aria-pressed", String(picked.has(c.id)));
        send.disabled = picked.size === 0;
      });
      return b;
    });
    send.addEventListener("click", () => submit({ choices: [...picked] }, choices.filter((c) => picked.has(c.id))));
    return el("div", { class: "answers-wrap" },
      el("p", { class: "muted play-help" }, gettext("Pick every right answer, then submit.")),
      el("div", { class: "answers answers-grid", role: "group", "aria-label": gettext("Answers") }, buttons), send);
  }
  if (type === "text" || type === "numeric") {
    const numeric = type === "numeric";
    const input = el("input", {
      id: "free-answer", class: "play-input", autocomplete: "off", maxlength: numeric ? 32 : 200,
      inputmode: numeric ? "decimal" : "text", type: "text", required: true,
    });
    const form = el("form", { class: "answers play-free", novalidate: true },
      el("label", { for: "free-answer" }, numeric ? gettext("Your number") : gettext("Your answer")), input,
      el("button", { type: "submit", class: "btn btn-primary btn-lg btn-block" }, gettext("Submit answer")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const raw = input.value.trim();
      if (!raw) return input.focus();
      if (numeric) {
        const value = Number(raw.replace(",", "."));
        if (!Number.isFinite(value)) {
          input.setAttribute("aria-invalid", "true");
          announce(gettext("Enter a number."), "alert");
          return input.focus();
        }
        submit({ value }, raw);
      } else {
        submit({ text: raw }, raw);
      }
    });
    return form;
  }
  if (type === "order") return orderForm(q, choices, slotOf);
  return el("p", {}, gettext("This question type is not supported on this device."));
}

function orderForm(q, choices, slotOf) {
  const items = choices.slice();
  const list = el("ol", { class: "order-list", "aria-label": gettext("Order, first to last") });
  const draw = (focusId, dir) => {
    list.replaceChildren(...items.map((c, i) => {
      const slot = slotOf(c);
      const name = pick(c.text, lang);
      return el("li", { class: `order-item a${slot}`, dataset: { key: c.id } },
        el("span", { class: "order-pos", "aria-hidden": "true" }, String(i + 1)),
        el("span", { class: "answer-text", lang: pickLang(c.text, lang) }, name),
        el("span", { class: "order-moves" },
          el("button", { type: "button", class: "move", "data-dir": "up", disabled: i === 0,
            "aria-label": fmt(gettext("Move “%(item)s” up"), { item: name }), onclick: () => move(i, -1) }, "↑"),
          el("button", { type: "button", class: "move", "data-dir": "down", disabled: i === items.length - 1,
            "aria-label": fmt(gettext("Move “%(item)s” down"), { item: name }), onclick: () => move(i, 1) }, "↓")));
    }));
    if (focusId) {
      const row = [...list.children].find((li) => li.dataset.key === String(focusId));
      const target = row && (row.querySelector(`[data-dir=${dir}]:not([disabled])`) || row.querySelector(".move:not([disabled])"));
      if (target) target.focus();
    }
  };
  const move = (i, delta) => {
    const j = i + delta;
    if (j < 0 || j >= items.length) return;
    [items[i], items[j]] = [items[j], items[i]];
    draw(items[j].id, delta < 0 ? "up" : "down");
    announce(fmt(gettext("“%(item)s” is now number %(pos)s"), { item: pick(items[j].text, lang), pos: j + 1 }));
  };
  draw();
  return el("div", { class: "answers-wrap answers" },
    el("p", { class: "muted play-help" }, gettext("Put the items in order with the arrows, then submit.")), list,
    el("button", { type: "button", class: "btn btn-primary btn-lg btn-block",
      onclick: () => submit({ order: items.map((c) => c.id) }, items) }, gettext("Submit order")));
}

function describe(response) {
  const choices = current ? current.question.choices || [] : [];
  const name = (id) => {
    const i = choices.findIndex((c) => String(c.id) === String(id));
    return i < 0 ? "?" : `${shapeOf(i)} ${pick(choices[i].text, lang)}`;
  };
  if (!response) return "";
  if (response.choice !== undefined) return name(response.choice);
  if (response.choices) return response.choices.map(name).join(", ");
  if (response.order) return response.order.map(name).join(" → ");
  if (response.text !== undefined) return response.text;
  if (response.accepted) return response.accepted.join(" / ");
  if (response.min !== undefined) return `${formatNumber(response.min, lang)} – ${formatNumber(response.max, lang)}`;
  if (response.value !== undefined) {
    const tol = response.tolerance ? ` ± ${formatNumber(response.tolerance, lang)}` : "";
    return formatNumber(response.value, lang) + tol;
  }
  return "";
}

function answeredBox() {
  const acked = pending && pending.acked;
  return el("div", { class: "play-answered" },
    el("p", { class: "play-yours" }, gettext("Your answer:"), " ", el("strong", {}, describe(pending.response))),
    el("p", { class: `play-ack ${acked ? "ok" : "sending"}`, id: "ack" },
      acked ? [el("span", { "aria-hidden": "true" }, "✓ "), gettext("Answer received")] : gettext("Sending…")),
    el("p", { class: "muted" }, gettext("Waiting for the others…")));
}

function submit(response) {
  if (!current || pending || game.paused) return;
  if (view === "timeup" || view === "closed" || (current.ends_at && sock.now() >= current.ends_at && !game.paused)) {
    return tooLate();
  }
  if (view !== "open") return;
  pending = { q: current.q, answer_id: uuid(), response, acked: false };
  sock.send({ type: "answer", q: current.q, answer_id: pending.answer_id, response });
  renderQuestion("open");
}

function onAck(msg) {
  if (!pending || msg.submission_id !== pending.answer_id) return;
  pending.acked = true;
  const ack = document.getElementById("ack");
  if (ack) ack.replaceWith(answeredBox().querySelector(".play-ack"));
  announce(gettext("Answer received"));
}

function tooLate() {
  pending = null;
  countdown.stop();
  renderClock(0, 0);
  view = "late";
  // The options, or the "Sending…" box of an answer the server refused as late.
  const form = stage.querySelector(".answers, .answers-wrap, .play-answered");
  const note = el("p", { class: "play-note play-late", role: "alert" },
    gettext("Too late: this answer was not counted."));
  if (form) form.replaceWith(note);
  else stage.append(note);
}

function timeUp() {
  // The clock hit zero here; the server decides, but say so and treat later taps as too late.
  if (pending) return;
  view = "timeup";
  const form = stage.querySelector(".answers-wrap, .answers");
  if (form) form.classList.add("expired");
  if (form && !stage.querySelector(".play-late")) {
    form.before(el("p", { class: "play-note play-late", role: "status" }, gettext("Time's up!")));
  }
}

function onTimer(msg) {
  game.paused = !!msg.paused;
  if (!current || msg.q !== current.q) return;
  current.ends_at = msg.ends_at;
  current.remaining_ms = msg.remaining_ms;
  if (view === "timeup" && sock.now() < msg.ends_at) return renderQuestion("open");
  if (["open", "answered"].includes(view)) {
    countdown.set({ deadline: msg.ends_at, paused: msg.paused, serverNow: msg.now, remaining: msg.remaining_ms });
    announce(msg.paused ? gettext("Paused") : gettext("The clock is running"));
  }
  syncPaused();
}

function onClosed(msg) {
  if (!current || msg.q !== current.q) return;
  countdown.stop();
  renderClock(0, 0);
  if (view === "late") return;
  if (pending && pending.q === current.q) return;
  renderQuestion("closed");
}

function onError(msg) {
  if (msg.code === "late" || msg.code === "not_open") {
    if (pending && !pending.acked) return tooLate();
    return;
  }
  if (msg.code === "already_answered") {
    if (pending) {
      pending.acked = true;
      renderQuestion("open");
    }
    return;
  }
  if (msg.code === "kicked") return kicked();
  if (msg.code === "game_ended") return renderFinal(lastPodium, true);
  if (msg.code === "busy" && pending && !pending.acked) {
    // The server could not store it yet: retry with the same answer_id.
    setTimeout(() => sock.send({ type: "answer", q: pending.q, answer_id: pending.answer_id, response: pending.response }), 800);
    return;
  }
  if (msg.code === "not_authorised" && !sock.hadState) {
    forgetSession();
    return showJoin(msg.message || gettext("This game is no longer available. Join with a new PIN."));
  }
  if (msg.code === "invalid_answer" && pending && !pending.acked) {
    pending = null;
    renderQuestion("open");
  }
  announce(msg.message || gettext("Something went wrong."), "alert");
}

// --- Results ----------------------------------------------------------------------------------

function onResult(msg) {
  lastResult = msg;
  you.score = msg.score;
  you.rank = msg.rank;
  renderScore();
  countdown.stop();
  const poll = current && ["poll", "slide"].includes(current.question.type);
  const answered = pending && pending.q === msg.q;
  let mood = "wrong";
  let title = gettext("Not quite");
  let icon = "✗";
  if (poll) {
    mood = "neutral";
    title = answered ? gettext("Thanks for voting!") : gettext("No vote this time");
    icon = "●";
  } else if (!answered && !msg.correct && !msg.points) {
    mood = "none";
    title = gettext("No answer counted");
    icon = "–";
  } else if (msg.correct) {
    mood = "right";
    title = gettext("Correct!");
    icon = "✓";
  } else if (msg.fraction > 0) {
    mood = "partly";
    title = gettext("Partly right");
    icon = "◐";
  }
  setView("result", () => [
    el("div", { class: `play-result ${mood}` },
      el("p", { class: "play-result-icon", "aria-hidden": "true" }, icon),
      el("h2", { class: "play-big" }, title),
      poll ? null : el("p", { class: "play-points" }, fmt(ngettext("+%(points)s point", "+%(points)s points", msg.points || 0), { points: formatNumber(msg.points || 0, lang) })),
      msg.streak >= 2 ? el("p", { class: "play-streak" }, fmt(gettext("%(n)s in a row!"), { n: msg.streak })) : null,
      correctText()),
    standing(),
  ]);
  announce(sentences(title, stage.querySelector(".play-standing")?.textContent));
}

/** One line for the screen reader: a period only after a part that does not end a sentence
 * already ("Correct! You are number 1…", not "Correct!. You are…"). */
function sentences(...parts) {
  return parts.map((p) => (p || "").trim()).filter(Boolean)
    .map((p) => (/[.!?…:]$/.test(p) ? p : `${p}.`)).join(" ");
}

function correctText() {
  if (!reveal || !reveal.correct || !current) return null;
  const shown = describe(reveal.correct);
  if (!shown || shown === "?") return null;
  return el("p", { class: "play-correct" }, gettext("Right answer:"), " ", el("strong", {}, shown));
}

function standing() {
  if (you.rank === undefined || you.rank === null) return el("p", { class: "play-standing muted" });
  return el("p", { class: "play-standing" },
    fmt(ngettext("You are number %(rank)s with %(score)s point", "You are number %(rank)s with %(score)s points", you.score || 0), {
      rank: you.rank, score: formatNumber(you.score || 0, lang),
    }));
}

function renderStanding() {
  setView("standing", () => [
    el("div", { class: "play-result neutral" },
      el("h2", { class: "play-big" }, gettext("Look at the big screen!"))),
    standing(),
  ]);
}

let finalSaid = "";

function renderFinal(podium, ended = false) {
  countdown && countdown.stop();
  const top = (podium && podium.top) || [];
  const mine = top.find((row) => row.player === session.player || row.nickname === session.nickname);
  const rank = mine ? mine.rank : you.rank;
  const score = mine ? mine.score : you.score;
  // A medal only for a place on the podium (players with points; ties share a step).
  const medal = mine ? mine.rank : 0;
  // Off the podium the badge shows the rank (no ✓: the final screen says nothing about being
  // correct), greyed for a player who scored nothing.
  const badge = medal ? "★" : rank ? String(rank) : "–";
  const heading = ended ? gettext("Game over") : gettext("Final results");
  const rankLine = rank ? fmt(gettext("Final rank: %(rank)s"), { rank }) : "";
  const points = fmt(ngettext("%(score)s point", "%(score)s points", score || 0), { score: formatNumber(score || 0, lang) });
  const thanks = gettext("Thank you for playing!");
  setView("final", () => [
    el("div", { class: "play-final" },
      el("p", { class: `play-final-medal m${medal}${score ? "" : " no-points"}`, "aria-hidden": "true" }, badge),
      el("h2", { class: "play-big" }, heading),
      rankLine ? el("p", { class: "play-final-rank" }, rankLine) : null,
      el("p", { class: "play-points" }, points),
      el("p", { class: "muted" }, thanks),
      el("a", { href: "/play", class: "btn btn-lg", onclick: () => forgetSession() }, gettext("Join another game"))),
  ]);
  const said = sentences(heading, rankLine, points, thanks);
  if (said !== finalSaid) announce(said); // the podium and the end frames repeat it
  finalSaid = said;
  if (ended && sock) sock.stop();
}

/** Look the PIN up on the join socket: the form then asks for the big screen's join code up
 * front when the game needs one (big events), and for the venue. */
function checkChallenge() {
  const pin = typedDigits($("#pin").value);
  if (pin.length < 7 || joining) return;
  sendJoinFrame({ type: "lookup", pin, lang });
}

function onFound(body) {
  $("#challenge-row").hidden = !body.challenge;
  venuePicker(body.venues || []);
}

/** The venue picker of a game played at several venues; the venue's own link preselects it. */
function venuePicker(venues) {
  const select = $("#venue");
  const wanted = select.value || root.dataset.venue || "";
  select.replaceChildren(el("option", { value: "" }, gettext("Choose your venue…")),
    ...venues.map((v) => el("option", { value: String(v.id) }, v.name)));
  if (venues.some((v) => String(v.id) === wanted)) select.value = wanted;
  $("#venue-row").hidden = !venues.length;
}

// --- Boot -------------------------------------------------------------------------------------

$("#join-form").addEventListener("submit", join);
$("#pin").addEventListener("change", checkChallenge);
for (const input of document.querySelectorAll("#join-form input")) {
  input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
}
for (const input of [$("#pin"), $("#challenge")]) {
  // The box shows the digits it will send, in the font every phone has.
  input.addEventListener("input", () => {
    const ascii = asciiDigits(input.value);
    if (ascii !== input.value) input.value = ascii;
  });
}
const pinParam = root.dataset.pin;
session = loadSession(pinParam);
if (session) {
  startGame();
} else if (pinParam) {
  $("#nickname").focus();
  checkChallenge();
} else {
  $("#pin").focus();
}
