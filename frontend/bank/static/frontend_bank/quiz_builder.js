// Quiz builder: order items by HTML5 drag and drop or with up/down buttons (keyboard), override
// time and points per item, edit draw rules, and save everything with one PUT to the API.
import { byId, el } from "../frontend/js/dom.js";
import { api, errorText } from "../frontend/js/http.js";
import { fmt, gettext, pick } from "../frontend/js/i18n.js";

const root = byId("builder");
const quizUrl = `/api/quizzes/${root.dataset.quizId}/`;
const lang = root.dataset.uiLang === "en" ? "en" : "vi";
let items = [];
let rules = [];
let dragIndex = null;

const textOf = (pair) => pick(pair, lang);

// An empty override uses the question's own value (shown muted as "default"); a set override is
// drawn with the primary colour and says "changed", so the two never look alike.
function overrideInput(item, field, label, attrs) {
  const fallback = item[`default_${field}`];
  const input = el("input", { type: "number", ...attrs, value: item[field] ?? "", placeholder: String(fallback ?? "") });
  const note = el("span", { class: "override-note" });
  const wrapper = el("label", {}, [label, input, note]);
  const show = () => {
    const overridden = item[field] !== null && item[field] !== undefined;
    wrapper.classList.toggle("overridden", overridden);
    note.textContent = overridden
      ? fmt(gettext("changed (default %s)"), [fallback ?? "—"])
      : fmt(gettext("default %s"), [fallback ?? "—"]);
  };
  input.addEventListener("input", () => {
    item[field] = input.value === "" ? null : Number(input.value);
    show();
  });
  show();
  return wrapper;
}

// Where each question first appears: a later copy is a duplicate.
function firstPositions() {
  const first = new Map();
  items.forEach((item, index) => { if (!first.has(item.question)) first.set(item.question, index); });
  return first;
}

function showDuplicates() {
  const first = firstPositions();
  const twice = items
    .map((item, index) => ({ item, index }))
    .filter(({ item, index }) => first.get(item.question) !== index);
  const box = byId("builder-duplicates");
  box.hidden = twice.length === 0;
  box.textContent = twice
    .map(({ item, index }) => fmt(
      gettext("Question %(n)s (“%(text)s”) is already in this quiz as question %(first)s."),
      { n: index + 1, text: textOf(item.question_text).slice(0, 60), first: first.get(item.question) + 1 }))
    .join(" ");
}

function move(from, to, focusSelector) {
  if (to < 0 || to >= items.length || from === to) return;
  const [moved] = items.splice(from, 1);
  items.splice(to, 0, moved);
  renderItems();
  const row = byId("item-list").children[to];
  (row?.querySelector(focusSelector) || row)?.focus();
}

function renderItems() {
  const list = byId("item-list");
  list.replaceChildren();
  byId("items-empty").hidden = items.length > 0;
  const first = firstPositions();
  items.forEach((item, index) => {
    const duplicate = first.get(item.question) !== index;
    const row = el("li", { class: duplicate ? "item duplicate" : "item", draggable: "true", "data-index": String(index) });
    const up = el("button", { type: "button", class: "icon move-up", text: "↑", "aria-label": fmt(gettext("Move question %s up"), [index + 1]) });
    const down = el("button", { type: "button", class: "icon move-down", text: "↓", "aria-label": fmt(gettext("Move question %s down"), [index + 1]) });
    const remove = el("button", { type: "button", class: "icon", text: "✕", "aria-label": fmt(gettext("Remove question %s"), [index + 1]) });
    up.disabled = index === 0;
    down.disabled = index === items.length - 1;
    up.addEventListener("click", () => move(index, index - 1, ".move-up"));
    down.addEventListener("click", () => move(index, index + 1, ".move-down"));
    remove.addEventListener("click", () => { items.splice(index, 1); renderItems(); });
    row.append(
      el("span", { class: "drag-handle", "aria-hidden": "true", text: "⠿" }),
      el("span", { class: "item-number", text: String(index + 1) }),
      el("span", { class: "item-text" }, [
        textOf(item.question_text),
        duplicate ? el("span", { class: "duplicate-tag", text: fmt(gettext("added twice: same as %s"), [first.get(item.question) + 1]) }) : null,
      ]),
      el("span", { class: "overrides" }, [
        overrideInput(item, "time_limit", gettext("Time (s)"), { min: "5", max: "240" }),
        overrideInput(item, "points", gettext("Points"), { min: "0", max: "2" }),
      ]),
      el("span", { class: "row-controls" }, [up, down]),
      remove,
    );
    row.addEventListener("dragstart", (event) => {
      dragIndex = index;
      row.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(index));
    });
    row.addEventListener("dragend", () => { row.classList.remove("dragging"); dragIndex = null; });
    row.addEventListener("dragover", (event) => { event.preventDefault(); row.classList.add("drop-target"); });
    row.addEventListener("dragleave", () => row.classList.remove("drop-target"));
    row.addEventListener("drop", (event) => {
      event.preventDefault();
      row.classList.remove("drop-target");
      const from = dragIndex ?? Number(event.dataTransfer.getData("text/plain"));
      move(from, index, ".drag-handle");
    });
    list.append(row);
  });
  showDuplicates();
}

function ruleSelect(templateId, value, onChange) {
  const select = el("select");
  select.append(byId(templateId).content.cloneNode(true));
  select.value = value || "";
  select.addEventListener("change", () => onChange(select.value));
  return select;
}

function renderRules() {
  const list = byId("rule-list");
  list.replaceChildren();
  rules.forEach((rule, index) => {
    const number = (field, label, min, max) => {
      const input = el("input", { type: "number", min: String(min), max: String(max), value: String(rule[field]) });
      input.addEventListener("input", () => { rule[field] = Number(input.value); });
      return el("label", {}, [label, input]);
    };
    const tag = el("input", { value: rule.tag || "", size: "10" });
    tag.addEventListener("input", () => { rule.tag = tag.value.trim() || null; });
    const remove = el("button", { type: "button", class: "icon", text: "✕", "aria-label": fmt(gettext("Remove rule %s"), [index + 1]) });
    remove.addEventListener("click", () => { rules.splice(index, 1); renderRules(); });
    list.append(el("div", { class: "rule-row" }, [
      number("count", gettext("Questions"), 1, 200),
      el("label", {}, [gettext("Theme"), ruleSelect("theme-options", rule.theme, (v) => { rule.theme = v || null; })]),
      el("label", {}, [gettext("Type"), ruleSelect("type-options", rule.type, (v) => { rule.type = v; })]),
      number("difficulty_min", gettext("Difficulty from"), 1, 5),
      number("difficulty_max", gettext("to"), 1, 5),
      el("label", {}, [gettext("Tag"), tag]),
      remove,
    ]));
  });
}

function showMode() {
  const draw = byId("quiz-mode").value === "draw";
  byId("rules-section").hidden = !draw;
  byId("items-section").hidden = draw;
  byId("picker").hidden = draw;
}

function fill(quiz) {
  byId("quiz-title").value = quiz.title;
  byId("quiz-mode").value = quiz.mode;
  byId("quiz-visibility").value = quiz.visibility;
  byId("quiz-shuffle-options").checked = quiz.shuffle_options;
  byId("quiz-shuffle-questions").checked = quiz.shuffle_questions;
  items = quiz.items.map((i) => ({ ...i }));
  rules = quiz.draw_rules.map((r) => ({ ...r }));
  renderItems();
  renderRules();
  showMode();
}

function message(box, text) {
  byId("builder-errors").hidden = true;
  byId("builder-saved").hidden = true;
  if (!text) return;
  byId(box).hidden = false;
  byId(box).textContent = text;
}

byId("quiz-mode").addEventListener("change", showMode);
byId("add-rule").addEventListener("click", () => {
  rules.push({ count: 10, theme: null, type: "", tag: null, difficulty_min: 1, difficulty_max: 5 });
  renderRules();
});

function saveQuiz() {
  return api(quizUrl, {
    method: "PUT",
    body: {
      title: byId("quiz-title").value,
      mode: byId("quiz-mode").value,
      visibility: byId("quiz-visibility").value,
      shuffle_options: byId("quiz-shuffle-options").checked,
      shuffle_questions: byId("quiz-shuffle-questions").checked,
      items: items.map((i) => ({ question: i.question, time_limit: i.time_limit ?? null, points: i.points ?? null })),
      draw_rules: rules,
    },
  });
}

byId("save-quiz").addEventListener("click", async () => {
  try {
    const quiz = await saveQuiz();
    fill(quiz);
    message("builder-saved", gettext("Quiz saved."));
  } catch (error) {
    message("builder-errors", errorText(error));
  }
});

// Save, then open a private practice game of this quiz (it may hold the teacher's own drafts).
byId("practice-quiz").addEventListener("click", async () => {
  const button = byId("practice-quiz");
  button.disabled = true;
  try {
    fill(await saveQuiz());
    const game = await api("/api/games/", { method: "POST", body: { quiz: Number(root.dataset.quizId), practice: true } });
    window.location.assign(game.host_url);
  } catch (error) {
    message("builder-errors", errorText(error));
    button.disabled = false;
  }
});

byId("picker-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = byId("picker-q").value;
  const results = byId("picker-results");
  try {
    const pages = [api(`/api/questions/?${new URLSearchParams({ status: "published", q })}`)];
    if (byId("picker-drafts").checked) {
      pages.push(api(`/api/questions/?${new URLSearchParams({ status: "draft", author: "me", q })}`));
    }
    const found = (await Promise.all(pages)).flatMap((page) => page.results);
    results.replaceChildren();
    if (!found.length) results.append(el("li", { class: "muted", text: gettext("No published question matches.") }));
    found.forEach((question) => {
      const add = el("button", { type: "button", class: "btn", text: gettext("Add") });
      add.addEventListener("click", () => {
        items.push({
          question: question.id, question_text: question.text, time_limit: null, points: null,
          default_time_limit: question.time_limit, default_points: question.points,
        });
        renderItems();
      });
      const label = el("span", { text: textOf(question.text) });
      if (question.status !== "published") label.append(" ", el("span", { class: "status status-draft", text: gettext("Draft") }));
      results.append(el("li", {}, [label, add]));
    });
  } catch (error) {
    message("builder-errors", errorText(error));
  }
});

api(quizUrl).then(fill).catch((error) => message("builder-errors", errorText(error)));
