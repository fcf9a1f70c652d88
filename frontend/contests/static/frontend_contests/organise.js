// Organiser page: editing a round goes through the REST API (PATCH /api/rounds/<id>/), the same
// serializer and service as every other client, so the page never re-parses form fields itself.
import { el } from "../frontend/js/dom.js";
import { api } from "../frontend/js/http.js";
import { gettext } from "../frontend/js/i18n.js";

const form = document.getElementById("round-edit-form");

function fieldValue(input) {
  if (input.type === "datetime-local") {
    // The server reads a time without an offset in the contest's time zone, as it shows it.
    return input.value || null;
  }
  if (input.dataset.type === "int") return input.value === "" ? null : Number(input.value);
  return input.value;
}

function showErrors(error) {
  const box = document.getElementById("round-edit-errors");
  box.replaceChildren();
  box.hidden = !error;
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  if (!error) return;
  box.append(el("p", { text: error.message }));
  const details = error.details;
  if (details && typeof details === "object" && !Array.isArray(details)) {
    const list = el("ul");
    for (const [name, problems] of Object.entries(details)) {
      const input = form.elements[name];
      const label = input ? form.querySelector(`label[for="${input.id}"]`) : null;
      if (input) input.setAttribute("aria-invalid", "true");
      list.append(el("li", { text: `${label ? label.textContent : name}: ${[].concat(problems).join(" ")}` }));
    }
    box.append(list);
  }
}

if (form && sessionStorage.getItem("cq-round-saved") === form.dataset.api) {
  sessionStorage.removeItem("cq-round-saved");
  const saved = document.getElementById("round-edit-saved");
  saved.textContent = gettext("Round saved. The audit log lists what changed.");
  saved.hidden = false;
}

if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showErrors(null);
    document.getElementById("round-edit-saved").hidden = true;
    const body = {};
    for (const input of form.querySelectorAll("input[name]")) body[input.name] = fieldValue(input);
    for (const [name, value] of Object.entries(body)) if (value === null) delete body[name];
    try {
      await api(form.dataset.api, { method: "PATCH", body });
      // The summary line and the audit log are rendered by the server: show them fresh, then
      // say it was saved.
      sessionStorage.setItem("cq-round-saved", form.dataset.api);
      window.location.reload();
    } catch (error) {
      showErrors(error);
    }
  });
}
