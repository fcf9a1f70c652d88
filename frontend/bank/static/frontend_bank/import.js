// Import wizard: upload -> dry-run preview with a per-line error report -> confirm -> result.
// Both passes are POST /api/questions/import/; XHR so that the upload shows its progress.
import { $, el } from "../frontend/js/dom.js";
import { csrfToken } from "../frontend/js/http.js";
import { fmt, gettext, ngettext, pick } from "../frontend/js/i18n.js";

const app = $("#import-app");
const form = $("#upload-form");
const progress = $("#progress");
const progressBar = $("#progress-bar");
const progressLabel = $("#progress-label");
const errorBox = $("#import-error");
const FORMAT_NAMES = JSON.parse($("#format-names").textContent);
let file = null;

const TYPES = {
  single: gettext("Single choice"),
  multi: gettext("Multiple choice"),
  truefalse: gettext("True or false"),
  text: gettext("Typed answer"),
  numeric: gettext("Numeric"),
  order: gettext("Ordering"),
  poll: gettext("Poll"),
  slide: gettext("Info slide"),
};
const ACTIONS = {
  create: gettext("New"),
  update: gettext("Changed: new revision"),
  skip: gettext("Already in the bank"),
};

function showStep(step) {
  for (const name of ["upload", "preview", "result"]) {
    $(`#step-${name}`).hidden = name !== step;
    const marker = document.querySelector(`.wizard-steps [data-step="${name}"]`);
    if (name === step) marker.setAttribute("aria-current", "step");
    else marker.removeAttribute("aria-current");
  }
}

function setProgress(label, fraction) {
  progress.hidden = false;
  progressLabel.textContent = label;
  if (fraction === null) progressBar.removeAttribute("value");
  else progressBar.value = Math.round(fraction * 100);
}

function send(dryRun, expected) {
  const data = new FormData();
  data.append("file", file);
  for (const field of ["format", "language", "status"]) {
    const value = form.elements[field].value;
    if (value) data.append(field, value);
  }
  data.append("atomic", form.elements.atomic.checked ? "true" : "false");
  data.append("dry_run", dryRun ? "true" : "false");
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", app.dataset.api);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) {
        setProgress(
          gettext("Uploading…"),
          event.loaded / event.total,
        );
      }
    };
    xhr.upload.onload = () => {
      const label = dryRun
        ? gettext("Reading the file…")
        : fmt(ngettext("Importing %s question…", "Importing %s questions…", expected), [expected]);
      setProgress(label, null);
    };
    xhr.onload = () => {
      progress.hidden = true;
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body);
      else reject(new Error((body && body.message) || fmt(gettext("Error %s"), [xhr.status])));
    };
    xhr.onerror = () => {
      progress.hidden = true;
      reject(new Error(gettext("The server could not be reached. Please try again.")));
    };
    xhr.send(data);
  });
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
}

function fillProblems(tableId, wrapperId, problems) {
  const body = $(`${tableId} tbody`);
  body.replaceChildren();
  for (const problem of problems) {
    const row = document.createElement("tr");
    cell(row, problem.line ? fmt(gettext("line %s"), [problem.line]) : "—");
    cell(row, problem.name || "");
    cell(row, problem.message);
    body.append(row);
  }
  $(wrapperId).hidden = problems.length === 0;
}

const inLanguage = (pair) => pick(pair, document.documentElement.lang === "en" ? "en" : "vi");

function questionText(item) {
  return inLanguage(item.text);
}

const node = (tag, className, text) => el(tag, { class: className, text });

const percent = (weight) => `${Math.round(weight * 10000) / 100}%`;

// The options and the answer key as they will be saved: right options carry a ✓ and the word
// "right" (not only a colour), so the teacher checks the key before anything is imported.
function keyView(item) {
  const box = node("div", "preview-key");
  const options = item.options || [];
  if (options.length) {
    const list = node(item.type === "order" ? "ol" : "ul", "preview-options");
    for (const option of options) {
      const li = node("li");
      const right = item.type !== "order" && item.type !== "poll" && option.weight > 0;
      const wrong = option.weight < 0;
      li.className = right ? "key-right" : wrong ? "key-negative" : "key-other";
      li.append(node("span", "key-mark", right ? "✓" : wrong ? "✗" : "·"), " ", inLanguage(option.text));
      if (right) {
        const label = item.type === "multi"
          ? fmt(gettext("right, %s"), [percent(option.weight)])
          : gettext("right");
        li.append(" ", node("span", "key-tag", label));
      } else if (wrong) {
        li.append(" ", node("span", "key-tag", fmt(gettext("penalty %s"), [percent(option.weight)])));
      }
      list.append(li);
    }
    if (item.type === "order") box.append(node("p", "key-caption", gettext("Correct order:")));
    if (item.type === "poll") box.append(node("p", "key-caption", gettext("A poll: no right answer.")));
    box.append(list);
  }
  const key = item.key || {};
  if (item.type === "text" && Array.isArray(key.accepted)) {
    box.append(node("p", "key-right", fmt(gettext("Accepted answers: %s"), [key.accepted.join(" | ")])));
  } else if (item.type === "numeric" && ("min" in key || "max" in key)) {
    box.append(node("p", "key-right", fmt(gettext("Answer: from %(min)s to %(max)s"), key)));
  } else if (item.type === "numeric" && "value" in key) {
    box.append(node("p", "key-right", fmt(gettext("Answer: %(value)s (± %(tolerance)s)"), { value: key.value, tolerance: key.tolerance ?? 0 })));
  }
  return box;
}

function summary(report, done) {
  const parts = [];
  const pieces = done
    ? [
        [report.created, gettext("%s created")],
        [report.updated, gettext("%s updated")],
        [report.skipped, gettext("%s already in the bank")],
        [report.errors.length, gettext("%s rejected")],
      ]
    : [
        [report.created, gettext("%s new")],
        [report.updated, gettext("%s changed")],
        [report.skipped, gettext("%s already in the bank")],
        [report.errors.length, gettext("%s rejected")],
      ];
  for (const [count, label] of pieces) parts.push(fmt(label, [count]));
  let text = fmt(ngettext("%s question found: ", "%s questions found: ", report.found), [report.found]) + parts.join(", ") + ".";
  if (report.rolled_back) text = gettext("Nothing was imported: all or nothing was chosen and some questions were rejected.");
  return text;
}

async function preview(event) {
  event.preventDefault();
  errorBox.hidden = true;
  file = form.elements.file.files[0];
  if (!file) return;
  $("#preview-button").disabled = true;
  try {
    const report = await send(true);
    $("#preview-format").textContent = fmt(gettext("Read as: %s"), [
      FORMAT_NAMES[report.format] || report.format,
    ]);
    $("#preview-summary").textContent = summary(report, false);
    fillProblems("#errors-table", "#preview-errors", report.errors);
    fillProblems("#warnings-table", "#preview-warnings", report.warnings);
    const body = $("#preview-table tbody");
    body.replaceChildren();
    for (const item of report.preview) {
      const row = document.createElement("tr");
      cell(row, item.line ? fmt(gettext("line %s"), [item.line]) : item.name);
      cell(row, TYPES[item.type] || item.type);
      cell(row, questionText(item), "preview-question");
      row.lastChild.append(keyView(item));
      cell(row, ACTIONS[item.action] || item.action, `action-${item.action}`);
      body.append(row);
    }
    const count = report.created + report.updated;
    const confirm = $("#confirm-button");
    confirm.dataset.count = String(count);
    confirm.disabled = count === 0 || (form.elements.atomic.checked && report.errors.length > 0);
    confirm.textContent = fmt(ngettext("Import %s question", "Import %s questions", count), [count]);
    showStep("preview");
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  } finally {
    $("#preview-button").disabled = false;
  }
}

async function confirmImport() {
  const button = $("#confirm-button");
  button.disabled = true;
  errorBox.hidden = true;
  try {
    const report = await send(false, button.dataset.count);
    if (report.job) {
      // A big file: a background job imports it; its page shows the progress and the result.
      window.location.assign(report.job.page_url);
      return;
    }
    $("#result-summary").textContent = summary(report, true);
    showStep("result");
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
    button.disabled = false;
  }
}

function restart() {
  form.reset();
  file = null;
  errorBox.hidden = true;
  showStep("upload");
}

form.addEventListener("submit", preview);
$("#confirm-button").addEventListener("click", confirmImport);
$("#restart-button").addEventListener("click", restart);
$("#again-button").addEventListener("click", restart);
