// Question editor: Vietnamese and English side by side, type-specific answer fields, and a live
// preview of the player's phone and the ceremony screen. Saves through the REST API (the same
// services as imports), so every rule is checked on the server.
import { byId, el } from "../frontend/js/dom.js";
import { api, errorText } from "../frontend/js/http.js";
import { fmt, gettext, ngettext, pick as pickIn } from "../frontend/js/i18n.js";
import { shapeOf, slotClass } from "../frontend/js/shapes.js";

const root = byId("editor");
const form = byId("editor-form");
const answersBox = byId("answers");
const CHOICE_TYPES = new Set(["single", "multi", "truefalse", "order", "poll"]);
// Size limits from quizzes/limits.py (the server checks the same numbers).
const LIMITS = JSON.parse(byId("editor-limits").textContent);

let questionId = root.dataset.questionId ? Number(root.dataset.questionId) : null;
let previewLang = root.dataset.uiLang === "en" ? "en" : "vi";
let imageUrl = null;

const state = {
  type: "single",
  choices: [],
  answer: {},
};

function blankChoices(type) {
  if (type === "truefalse") {
    return [
      { text: { vi: "Đúng", en: "True" }, weight: 1 },
      { text: { vi: "Sai", en: "False" }, weight: 0 },
    ];
  }
  const weight = (n) => (type === "single" && n === 0 ? 1 : 0);
  return [0, 1, 2, 3].map((n) => ({ text: { vi: "", en: "" }, weight: weight(n) }));
}

// --- Answer fields per type -------------------------------------------------------------------

const HELP = {
  single: () => gettext("Mark the one right answer."),
  multi: () => gettext("Give each answer a weight in %: the right ones add up to 100. Wrong ones may be negative."),
  truefalse: () => gettext("Mark whether the statement is true or false."),
  order: () => gettext("Enter the items in the correct order; players see them shuffled."),
  poll: () => gettext("A poll has no right answer and scores no points."),
  text: () => gettext("Players type their answer. List every accepted answer, one per line."),
  numeric: () => gettext("Players type a number: give the value and a tolerance, or a range."),
  slide: () => gettext("An information slide: no answer, no points."),
};

function renderAnswers() {
  const type = state.type;
  byId("answers-help").textContent = HELP[type]();
  answersBox.replaceChildren();
  if (CHOICE_TYPES.has(type)) {
    const list = el("ol", { class: "choice-list" });
    state.choices.forEach((choice, index) => list.append(choiceRow(choice, index)));
    answersBox.append(list);
    if (type !== "truefalse") {
      const add = el("button", { type: "button", class: "btn", text: "+ " + gettext("Add an answer") });
      add.disabled = state.choices.length >= 6;
      add.addEventListener("click", () => {
        state.choices.push({ text: { vi: "", en: "" }, weight: 0 });
        renderAnswers();
        answersBox.querySelector(".choice-row:last-child input[name=choice-vi]")?.focus();
        renderPreview();
      });
      answersBox.append(add);
    }
  } else if (type === "text") {
    const a = state.answer;
    answersBox.append(
      el("label", {}, [gettext("Accepted answers (one per line)"),
        el("textarea", { id: "f-accepted", rows: "3", value: (a.accepted || []).join("\n") })]),
      checkbox("f-ignore-case", gettext("Ignore upper and lower case"), a.ignore_case ?? true),
      checkbox("f-ignore-diacritics", gettext("Ignore diacritics (ă, ơ, đ...)"), a.ignore_diacritics ?? false),
      checkbox("f-ignore-spaces", gettext("Ignore spaces"), a.ignore_spaces ?? true),
    );
  } else if (type === "numeric") {
    const a = state.answer;
    const ranged = "min" in a || "max" in a;
    const mode = el("select", { id: "f-numeric-mode" }, [
      el("option", { value: "value", text: gettext("A value with a tolerance") }),
      el("option", { value: "range", text: gettext("A range") }),
    ]);
    mode.value = ranged ? "range" : "value";
    mode.addEventListener("change", () => {
      state.answer = mode.value === "range" ? { min: 0, max: 0 } : { value: 0, tolerance: 0 };
      renderAnswers();
    });
    const fields = ranged
      ? [number("f-min", gettext("Minimum"), a.min), number("f-max", gettext("Maximum"), a.max)]
      : [number("f-value", gettext("Exact value"), a.value), number("f-tolerance", gettext("Tolerance (±)"), a.tolerance ?? 0)];
    answersBox.append(el("label", {}, [gettext("Kind of answer"), mode]), el("div", { class: "field-row" }, fields));
  }
}

function checkbox(id, label, checked) {
  return el("label", { class: "check" }, [el("input", { type: "checkbox", id, checked: Boolean(checked) }), " " + label]);
}

function number(id, label, value) {
  return el("label", {}, [label, el("input", { type: "number", step: "any", id, value: value ?? "" })]);
}

function choiceRow(choice, index) {
  const type = state.type;
  const row = el("li", { class: "choice-row", "data-index": String(index) });
  row.append(el("span", { class: `shape ${slotClass(index)}`, "aria-hidden": "true", text: shapeOf(index) }));
  if (type === "single" || type === "truefalse") {
    const radio = el("input", {
      type: "radio", name: "correct", checked: choice.weight >= 1,
      "aria-label": fmt(gettext("Answer %s is right"), [index + 1]),
    });
    radio.addEventListener("change", () => {
      state.choices.forEach((c, i) => { c.weight = i === index ? 1 : 0; });
      renderPreview();
    });
    row.append(el("label", { class: "correct" }, [radio, " " + gettext("Right")]));
  } else if (type === "multi") {
    const weight = el("input", {
      type: "number", name: "choice-weight", min: "-100", max: "100", step: "any",
      value: String(Math.round(choice.weight * 10000) / 100),
      "aria-label": fmt(gettext("Weight of answer %s in %"), [index + 1]),
    });
    weight.addEventListener("input", () => {
      choice.weight = (Number(weight.value) || 0) / 100;
      renderPreview();
    });
    row.append(el("label", { class: "weight" }, [weight, "%"]));
  }
  for (const lang of ["vi", "en"]) {
    const input = el("input", {
      name: `choice-${lang}`, lang, maxlength: String(LIMITS.choice), value: choice.text[lang] || "",
      placeholder: lang === "vi" ? gettext("Vietnamese") : gettext("English"),
      "aria-label": fmt(gettext("Answer %(n)s (%(lang)s)"), { n: index + 1, lang: lang.toUpperCase() }),
    });
    input.addEventListener("input", () => {
      choice.text[lang] = input.value;
      renderPreview();
    });
    row.append(input);
  }
  if (type !== "truefalse") {
    const controls = el("span", { class: "row-controls" });
    const up = el("button", { type: "button", class: "icon", text: "↑", "aria-label": gettext("Move up") });
    const down = el("button", { type: "button", class: "icon", text: "↓", "aria-label": gettext("Move down") });
    const remove = el("button", { type: "button", class: "icon", text: "✕", "aria-label": gettext("Remove this answer") });
    up.disabled = index === 0;
    down.disabled = index === state.choices.length - 1;
    remove.disabled = state.choices.length <= 2;
    up.addEventListener("click", () => moveChoice(index, -1));
    down.addEventListener("click", () => moveChoice(index, 1));
    remove.addEventListener("click", () => {
      state.choices.splice(index, 1);
      renderAnswers();
      renderPreview();
    });
    controls.append(up, down, remove);
    row.append(controls);
  }
  return row;
}

function moveChoice(index, delta) {
  const target = index + delta;
  [state.choices[index], state.choices[target]] = [state.choices[target], state.choices[index]];
  renderAnswers();
  answersBox.querySelectorAll(".choice-row")[target]?.querySelector(delta < 0 ? "[aria-label]" : "input")?.focus();
  renderPreview();
}

// --- Length counters ------------------------------------------------------------------------

// A "n / max" counter under each long text, so an author sees the limit before the server says so.
function refreshCounters() {
  form.querySelectorAll("textarea[maxlength]").forEach((field) => {
    const max = Number(field.getAttribute("maxlength"));
    let counter = field.nextElementSibling;
    if (!counter || !counter.classList.contains("counter")) {
      counter = el("span", { class: "counter" });
      field.after(counter);
    }
    counter.textContent = fmt(gettext("%(n)s / %(max)s characters"), { n: field.value.length, max });
    counter.classList.toggle("near-limit", field.value.length >= max * 0.9);
  });
}

// --- Reading the form -------------------------------------------------------------------------

function readAnswer() {
  if (state.type === "text" && byId("f-accepted")) {
    return {
      accepted: byId("f-accepted").value.split("\n").map((s) => s.trim()).filter(Boolean),
      ignore_case: byId("f-ignore-case").checked,
      ignore_diacritics: byId("f-ignore-diacritics").checked,
      ignore_spaces: byId("f-ignore-spaces").checked,
    };
  }
  if (state.type === "numeric") {
    const num = (id) => (byId(id) && byId(id).value !== "" ? Number(byId(id).value) : null);
    if (byId("f-min")) return { min: num("f-min"), max: num("f-max") };
    if (byId("f-value")) return { value: num("f-value"), tolerance: num("f-tolerance") ?? 0 };
  }
  return {};
}

function collect() {
  state.answer = readAnswer();
  const data = {
    type: state.type,
    theme: byId("f-theme").value,
    text: { vi: byId("text-vi").value, en: byId("text-en").value },
    explanation: { vi: byId("explanation-vi").value, en: byId("explanation-en").value },
    source: byId("f-source").value,
    difficulty: Number(byId("f-difficulty").value),
    tags: byId("f-tags").value.split(",").map((t) => t.trim()).filter(Boolean),
    time_limit: Number(byId("f-time").value),
    points: Number(byId("f-points").value),
    visibility: byId("f-visibility").value,
  };
  if (CHOICE_TYPES.has(state.type)) {
    data.choices = state.choices.map((c) => ({
      text: { vi: c.text.vi || "", en: c.text.en || "" },
      weight: state.type === "order" || state.type === "poll" ? 0 : Number(c.weight.toFixed(4)),
    }));
  }
  if (state.type === "text" || state.type === "numeric") data.answer = state.answer;
  return data;
}

function fill(detail) {
  const data = detail.data;
  state.type = data.type;
  byId("f-type").value = data.type;
  byId("f-theme").value = data.theme || "";
  byId("text-vi").value = data.text.vi;
  byId("text-en").value = data.text.en;
  byId("explanation-vi").value = data.explanation?.vi || "";
  byId("explanation-en").value = data.explanation?.en || "";
  byId("f-source").value = data.source || "";
  byId("f-difficulty").value = String(data.difficulty);
  byId("f-time").value = String(data.time_limit);
  byId("f-points").value = String(data.points);
  byId("f-visibility").value = detail.visibility;
  byId("f-tags").value = (data.tags || []).join(", ");
  state.choices = (data.choices || []).map((c) => ({ text: { ...c.text }, weight: c.weight }));
  state.answer = data.answer || {};
  imageUrl = detail.image;
  showState(detail);
  renderAnswers();
  renderPreview();
  refreshCounters();
}

function showState(detail) {
  const badge = byId("status-badge");
  badge.className = `status status-${detail.status}`;
  badge.textContent = {
    draft: gettext("Draft"), review: gettext("In review"),
    published: gettext("Published"), archived: gettext("Archived"),
  }[detail.status];
  byId("revision-label").textContent = fmt(gettext("revision %s"), [detail.revision]);
  byId("review-note").hidden = !detail.review_note;
  byId("review-note-text").textContent = detail.review_note || "";
  byId("submit-review").disabled = detail.status !== "draft" || !detail.can.submit;
  byId("save").disabled = !detail.can.edit;
}

// --- Preview ----------------------------------------------------------------------------------

const pick = (pair) => pickIn(pair, previewLang);

function renderPreview() {
  const data = collect();
  const text = pick(data.text) || gettext("Your question appears here as you type.");
  byId("phone-text").textContent = text;
  byId("screen-text").textContent = text;
  byId("phone-timer").textContent = `${data.time_limit || "—"}s`;
  byId("screen-timer").textContent = String(data.time_limit || "—");
  byId("phone-points").textContent = fmt(ngettext("%s point", "%s points", data.points), [data.points]);
  const theme = byId("f-theme").selectedOptions[0];
  byId("screen-theme").textContent = theme && theme.value ? theme.dataset[previewLang] : "";
  const image = byId("phone-image");
  image.hidden = !imageUrl;
  if (imageUrl) image.src = imageUrl;

  const phone = byId("phone-answers");
  const screen = byId("screen-answers");
  phone.replaceChildren();
  screen.replaceChildren();
  phone.className = `phone-answers kind-${data.type}`;
  screen.className = `screen-answers kind-${data.type}`;
  if (CHOICE_TYPES.has(data.type)) {
    data.choices.forEach((choice, index) => {
      const label = pick(choice.text) || fmt(gettext("Answer %s"), [index + 1]);
      const shape = shapeOf(index);
      const cls = data.type === "order" ? "answer order" : `answer ${slotClass(index)}`;
      phone.append(el("div", { class: cls }, [el("span", { class: "answer-shape", text: shape }), el("span", { text: label })]));
      screen.append(el("div", { class: cls }, [el("span", { class: "answer-shape", text: shape }), el("span", { text: label })]));
    });
  } else if (data.type === "text") {
    phone.append(el("div", { class: "fake-input", text: gettext("Type your answer") }));
    screen.append(el("p", { class: "screen-hint", text: gettext("Type your answer on your phone") }));
  } else if (data.type === "numeric") {
    phone.append(el("div", { class: "fake-input", text: "123" }));
    screen.append(el("p", { class: "screen-hint", text: gettext("Type a number on your phone") }));
  }
}

// --- Saving -----------------------------------------------------------------------------------

function showErrors(error) {
  const box = byId("editor-errors");
  box.hidden = !error;
  box.replaceChildren();
  if (!error) return;
  box.append(el("p", { text: error.message || errorText(error) }));
  if (Array.isArray(error.details)) {
    box.append(el("ul", {}, error.details.map((d) => el("li", { text: d }))));
  } else if (error.details) {
    box.append(el("p", { text: errorText(error) }));
  }
}

function saved(message) {
  const box = byId("editor-saved");
  box.textContent = message;
  box.hidden = false;
}

async function save() {
  showErrors(null);
  const data = collect();
  const detail = questionId
    ? await api(`${root.dataset.api}${questionId}/`, { method: "PUT", body: data })
    : await api(root.dataset.api, { method: "POST", body: data });
  const newRevision = questionId && detail.id !== questionId;
  questionId = detail.id;
  history.replaceState(null, "", root.dataset.editUrl.replace("ID", String(questionId)));
  const file = byId("f-image").files[0];
  let final = detail;
  if (file) {
    const body = new FormData();
    body.append("image", file);
    final = await api(`${root.dataset.api}${questionId}/image/`, { method: "POST", form: body });
    byId("f-image").value = "";
    imageUrl = final.image;
  }
  showState(final);
  renderPreview();
  saved(newRevision
    ? fmt(gettext("Saved as a new revision (%s), a draft: published games keep the old one."), [final.revision])
    : gettext("Saved."));
  return final;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  try { await save(); } catch (error) { showErrors(error); }
});

byId("submit-review").addEventListener("click", async () => {
  try {
    await save();
    const detail = await api(`${root.dataset.api}${questionId}/submit/`, { method: "POST" });
    showState(detail);
    saved(gettext("Submitted for review. A reviewer will publish it or send it back."));
  } catch (error) {
    showErrors(error);
  }
});

byId("f-type").addEventListener("change", () => {
  const previous = state.type;
  state.type = byId("f-type").value;
  const keep = CHOICE_TYPES.has(previous) && CHOICE_TYPES.has(state.type)
    && previous !== "truefalse" && state.type !== "truefalse";
  if (!keep) state.choices = CHOICE_TYPES.has(state.type) ? blankChoices(state.type) : [];
  if (state.type === "single" && !state.choices.some((c) => c.weight >= 1) && state.choices[0]) {
    state.choices.forEach((c, i) => { c.weight = i === 0 ? 1 : 0; });
  }
  if (state.type === "text") state.answer = { accepted: [], ignore_case: true, ignore_spaces: true };
  if (state.type === "numeric") state.answer = { value: 0, tolerance: 0 };
  renderAnswers();
  renderPreview();
});

form.addEventListener("input", renderPreview);
form.addEventListener("input", refreshCounters);
form.addEventListener("change", renderPreview);
byId("f-image").addEventListener("change", () => {
  const file = byId("f-image").files[0];
  if (file) imageUrl = URL.createObjectURL(file);
  renderPreview();
});

document.querySelectorAll("[data-preview-lang]").forEach((button) => {
  button.addEventListener("click", () => {
    previewLang = button.dataset.previewLang;
    document.querySelectorAll("[data-preview-lang]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b === button));
    });
    renderPreview();
  });
  button.setAttribute("aria-pressed", String(button.dataset.previewLang === previewLang));
});

async function start() {
  if (questionId) {
    try {
      fill(await api(`${root.dataset.api}${questionId}/`));
    } catch (error) {
      showErrors(error);
    }
    return;
  }
  state.choices = blankChoices("single");
  byId("f-difficulty").value = "2";
  byId("f-points").value = "1";
  byId("f-visibility").value = "public";
  renderAnswers();
  renderPreview();
  refreshCounters();
}
start();
