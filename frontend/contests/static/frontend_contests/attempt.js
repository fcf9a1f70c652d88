// The attempt page: the server starts the clock; every answer is saved as it is given, so a
// reload (or another device with the resume link) continues with the time that is left.
import { formatDuration, serverOffset } from "./common.js";
import { byId, el } from "../frontend/js/dom.js";
import { api } from "../frontend/js/http.js";
import { fmt, gettext, ngettext } from "../frontend/js/i18n.js";
import { shapeOf, slotClass } from "../frontend/js/shapes.js";

const root = document.getElementById("attempt");
// The participant is known by the HttpOnly cookie: the page never holds the token.
let state = null;
let offset = 0;
let index = 0;
const answers = new Map(); // question id -> response
let prediction = null;
let pending = new Map();
let saving = null;
let submitting = false;
let finished = false;

let errorFromSaving = false; // the error shown came from an autosave (a later save clears it)

function showError(message, { fromSaving = false } = {}) {
  byId("attempt-error").textContent = message;
  byId("attempt-error").hidden = !message;
  errorFromSaving = fromSaving && Boolean(message);
}

function setSaveState(text) { byId("save-state").textContent = text; }

/** An answer the server refused as not fitting its question (400 invalid_answer): it cannot be
 * saved as given, so it leaves the batch and the palette, and the page says which question and
 * why; the other answers are saved. True when `error` was that. */
function answerRefused(error) {
  const qid = error.status === 400 && error.code === "invalid_answer" && error.details ? error.details.question : null;
  if (qid === null || qid === undefined) return false;
  pending.delete(qid);
  answers.delete(qid);
  renderPalette();
  const n = state.questions.findIndex((q) => q.id === qid) + 1;
  showError(fmt(gettext("Question %(n)s: %(reason)s"), { n, reason: error.details.reason || error.message }));
  return true;
}

const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 30000;
let retryMs = 0;
let retryTimer = null;

async function flush() {
  // A hand-in under way carries what is pending itself: a save racing it would find the attempt
  // handed in (409) and tell the participant so.
  if (saving || finished || submitting) return;
  if (pending.size === 0 && prediction === null) return;
  clearTimeout(retryTimer);
  const batch = [...pending.entries()].map(([question, response]) => ({ question, response }));
  pending = new Map();
  const body = { answers: batch };
  if (prediction !== null) body.prediction = prediction;
  setSaveState(gettext("Saving…"));
  let again = false;
  saving = api(`${root.dataset.api}${state.id}/answers/`, { method: "POST", body })
    .then(() => {
      retryMs = 0;
      setSaveState(pending.size ? gettext("Saving…") : gettext("All answers saved."));
      if (errorFromSaving) showError("");
      again = pending.size > 0; // given while this save was on its way
    })
    .catch((error) => {
      if (error.status === 409) { finish(error.message); return; }
      for (const a of batch) if (!pending.has(a.question)) pending.set(a.question, a.response);
      if (answerRefused(error)) {
        again = pending.size > 0 || prediction !== null; // the others
        setSaveState(""); // not "Saving…": the error above says what was not saved
        return;
      }
      // Offline, a busy server, a limit: try again later, each time waiting longer (never in a
      // loop: a phone that lost its network must not send hundreds of requests a second).
      const wait = error.details && error.details.retry_after ? error.details.retry_after * 1000 : 0;
      retryMs = Math.max(wait, Math.min(RETRY_MAX_MS, retryMs ? retryMs * 2 : RETRY_FIRST_MS));
      setSaveState(gettext("Not saved yet: retrying…"));
      if (error.status !== 0 && error.status !== 429 && error.status < 500) showError(error.message, { fromSaving: true });
      retryTimer = setTimeout(flush, retryMs);
    })
    .finally(() => { saving = null; if (again) flush(); });
}

let debounce = null;
function record(questionId, response, { soon = false } = {}) {
  answers.set(questionId, response);
  pending.set(questionId, response);
  renderPalette();
  clearTimeout(debounce);
  debounce = setTimeout(flush, soon ? 0 : 600);
}

// Answered and unanswered differ by a mark and a border style, not only by colour.
function renderPalette() {
  const nav = byId("palette");
  nav.replaceChildren(...state.questions.map((q, i) => {
    const done = answers.has(q.id);
    return el("button", {
      type: "button", class: done ? "answered" : "unanswered", "aria-current": i === index ? "true" : false,
      "aria-label": fmt(done ? gettext("Question %(n)s: answered") : gettext("Question %(n)s: no answer yet"), { n: i + 1 }),
      onclick: () => go(i),
    }, el("span", { text: String(i + 1) }), el("span", { class: "mark", "aria-hidden": "true", text: done ? "✓" : "○" }));
  }), el("button", { type: "button", "aria-current": index === state.questions.length ? "true" : false, text: "✓",
    "aria-label": gettext("Hand in"), onclick: () => go(state.questions.length) }));
}

function choiceButtons(q) {
  const multi = q.type === "multi";
  const saved = answers.get(q.id);
  const picked = new Set(multi ? (saved?.choices || []).map(String) : saved ? [String(saved.choice)] : []);
  const grid = el("div", { class: `answers${q.choices.length <= 2 ? " one-col" : ""}`, role: multi ? "group" : "radiogroup" });
  q.choices.forEach((c, i) => {
    const button = el("button", { type: "button", class: `answer ${slotClass(i)}`, "aria-pressed": picked.has(String(c.id)) ? "true" : "false" },
      el("span", { class: "shape", "aria-hidden": "true", text: shapeOf(i) }), el("span", { text: c.text }));
    button.addEventListener("click", () => {
      if (multi) {
        picked.has(String(c.id)) ? picked.delete(String(c.id)) : picked.add(String(c.id));
        record(q.id, { choices: [...picked] });
      } else {
        picked.clear(); picked.add(String(c.id));
        record(q.id, { choice: String(c.id) }, { soon: true });
      }
      grid.querySelectorAll(".answer").forEach((b, j) => b.setAttribute("aria-pressed", picked.has(String(q.choices[j].id)) ? "true" : "false"));
    });
    grid.append(button);
  });
  const parts = [grid];
  if (multi) parts.unshift(el("p", { class: "muted", text: gettext("Pick every correct answer.") }));
  return parts;
}

function orderList(q) {
  const saved = answers.get(q.id);
  let order = saved?.order ? saved.order.map(String) : q.choices.map((c) => String(c.id));
  const choiceById = Object.fromEntries(q.choices.map((c, i) => [String(c.id), { ...c, slot: i }]));
  const list = el("ol", { class: "order-list" });
  const draw = () => {
    list.replaceChildren(...order.map((id, i) => el("li", { class: `order-item ${slotClass(choiceById[id].slot)}` },
      el("span", { class: "t", text: choiceById[id].text }),
      el("button", { type: "button", class: "move", "aria-label": gettext("Move up"), text: "↑", disabled: i === 0,
        onclick: () => { [order[i - 1], order[i]] = [order[i], order[i - 1]]; draw(); record(q.id, { order }); } }),
      el("button", { type: "button", class: "move", "aria-label": gettext("Move down"), text: "↓", disabled: i === order.length - 1,
        onclick: () => { [order[i + 1], order[i]] = [order[i], order[i + 1]]; draw(); record(q.id, { order }); } }))));
  };
  draw();
  // The order as shown may already be the participant's answer: it counts once they confirm it.
  const keep = saved ? null : el("button", { type: "button", class: "btn keep-order", id: "keep-order",
    text: gettext("Keep this order as my answer"), onclick: () => { record(q.id, { order }, { soon: true }); keep.remove(); } });
  return [el("p", { class: "muted", text: gettext("Put the items in the right order.") }), list, keep];
}

function freeInput(q) {
  const numeric = q.type === "numeric";
  const saved = answers.get(q.id);
  const input = el("input", { class: "free-input", id: `free-${q.id}`, type: numeric ? "text" : "text", inputmode: numeric ? "decimal" : "text",
    value: saved ? String(numeric ? saved.value : saved.text) : "", autocomplete: "off" });
  // The server's limit on a text answer (a longer one cannot be saved): typing or pasting stops there.
  if (!numeric) input.maxLength = Number(root.dataset.maxText);
  input.addEventListener("input", () => {
    const v = input.value.trim();
    if (!v) return;
    record(q.id, numeric ? { value: v.replace(",", ".") } : { text: input.value });
  });
  return [el("label", { for: `free-${q.id}`, text: numeric ? gettext("Your answer (a number)") : gettext("Your answer") }), input];
}

function go(i) {
  index = Math.max(0, Math.min(i, state.questions.length));
  flush();
  renderPalette();
  const pane = byId("question");
  const onFinish = index === state.questions.length;
  byId("finish").hidden = !onFinish;
  pane.hidden = onFinish;
  byId("prev").disabled = index === 0;
  byId("next").hidden = onFinish;
  byId("confirm-handin").hidden = true;
  if (onFinish) {
    const missing = unanswered().length;
    byId("unanswered").textContent = missing
      ? fmt(ngettext("%(n)s question has no answer yet.", "%(n)s questions have no answer yet.", missing), { n: missing })
      : gettext("Every question has an answer.");
    return;
  }
  const q = state.questions[index];
  const body = q.type === "order" ? orderList(q) : ["numeric", "text"].includes(q.type) ? freeInput(q) : choiceButtons(q);
  pane.replaceChildren(
    el("p", { class: "qnum", text: fmt(gettext("Question %(n)s of %(total)s"), { n: index + 1, total: state.questions.length }) }),
    el("h1", { class: "qtext", text: q.text }),
    ...(q.image ? [el("img", { class: "qimg", src: q.image, alt: "" })] : []),
    ...body,
  );
}

function unanswered() {
  return state.questions.map((q, i) => [q, i]).filter(([q]) => !answers.has(q.id)).map(([, i]) => i);
}

/** Handing in with questions left blank needs a second, explicit yes. */
function askToHandIn() {
  const missing = unanswered();
  if (!missing.length) return submit(false);
  byId("confirm-text").textContent = fmt(ngettext(
    "Question %(list)s has no answer. Hand in anyway?",
    "Questions %(list)s have no answer. Hand in anyway?", missing.length), { list: missing.map((i) => i + 1).join(", ") });
  byId("confirm-handin").hidden = false;
  byId("submit-anyway").focus();
}

function tick() {
  if (finished) return;
  const left = Date.parse(state.deadline) - (Date.now() + offset);
  byId("clock").textContent = formatDuration(left);
  byId("clock").classList.toggle("urgent", left < 60000);
  const total = Date.parse(state.deadline) - Date.parse(state.started_at);
  byId("clock-bar").style.transform = `scaleX(${Math.max(0, Math.min(1, left / total))})`;
  if (left <= 0 && Date.now() >= handInRetryAt) submit(true);
}

let timeUpAtFinish = false;

function finish(message, timeUp = false) {
  timeUpAtFinish = timeUp;
  finished = true;
  byId("question").hidden = true;
  byId("finish").hidden = true;
  byId("palette").hidden = true;
  root.querySelector(".palette-legend").hidden = true; // it explains the palette, gone too
  root.querySelector(".attempt-nav").hidden = true;
  byId("done").hidden = false;
  if (message) showError(message);
  // Not "00:00": that reads as if time ran out. Say what happened.
  byId("clock").textContent = timeUpAtFinish ? gettext("Time is up") : gettext("Handed in");
  byId("clock").classList.remove("urgent");
  byId("clock").classList.add("over");
}

// When the clock's own hand-in (time up) may be tried again after a failure: later each time.
let handInRetryAt = 0;
let handInRetryMs = 0;

/** Hands in with every answer not saved yet; a failed hand-in keeps them for the next try. */
async function submit(timeUp = false) {
  if (finished || submitting) return;
  submitting = true;
  clearTimeout(debounce);
  byId("submit").disabled = true;
  if (saving) await saving; // a failed save puts its answers back in `pending`
  const batch = [...pending.entries()].map(([question, response]) => ({ question, response }));
  const body = { answers: batch };
  const p = byId("prediction").value.trim();
  if (p !== "") body.prediction = Number(p);
  try {
    await api(`${root.dataset.api}${state.id}/submit/`, { method: "POST", body });
    pending = new Map();
    setSaveState(gettext("All answers saved."));
    finish(timeUp ? gettext("Time is up: your saved answers were handed in.") : "", timeUp);
  } catch (error) {
    if (error.status === 409) {
      // Handed in already (another tab or device): nothing to say if this page had nothing
      // unsaved; else that its last answers came too late.
      const unsaved = batch.length > 0;
      if (!unsaved && error.code === "attempt_finished") setSaveState(gettext("All answers saved."));
      finish(unsaved || error.code !== "attempt_finished" ? error.message : "");
    } else if (!answerRefused(error)) {
      showError(error.message);
    }
    if (!finished) {
      byId("submit").disabled = false;
      handInRetryMs = Math.min(RETRY_MAX_MS, handInRetryMs ? handInRetryMs * 2 : RETRY_FIRST_MS);
      handInRetryAt = Date.now() + handInRetryMs;
    }
  } finally {
    submitting = false;
  }
}

async function start() {
  try {
    state = await api(root.dataset.start, { method: "POST", body: {} });
  } catch (error) {
    showError(error.message);
    byId("question").hidden = true;
    root.querySelector(".attempt-nav").hidden = true;
    return;
  }
  offset = serverOffset(state.server_now);
  for (const q of state.questions) if (q.saved) answers.set(q.id, q.saved);
  if (state.prediction_question) {
    byId("prediction-box").hidden = false;
    byId("prediction-label").textContent = state.prediction_question;
    if (state.prediction !== null) byId("prediction").value = String(state.prediction);
  }
  byId("prediction").addEventListener("input", () => {
    const v = byId("prediction").value.trim();
    if (v !== "" && Number.isInteger(Number(v)) && Number(v) >= 0) { prediction = Number(v); clearTimeout(debounce); debounce = setTimeout(flush, 600); }
  });
  byId("prev").addEventListener("click", () => go(index - 1));
  byId("next").addEventListener("click", () => go(index + 1));
  byId("submit").addEventListener("click", askToHandIn);
  byId("submit-anyway").addEventListener("click", () => { byId("confirm-handin").hidden = true; submit(false); });
  byId("answer-first").addEventListener("click", () => go(unanswered()[0] ?? 0));
  const firstOpen = state.questions.findIndex((q) => !answers.has(q.id));
  go(firstOpen === -1 ? state.questions.length : firstOpen);
  tick();
  setInterval(tick, 250);
  window.addEventListener("pagehide", flush);
}

start();
