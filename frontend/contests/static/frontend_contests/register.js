// Registration: cascading selects from the official unit hierarchy, then the REST API.
import { copyButton, el } from "../frontend/js/dom.js";
import { ApiError, api } from "../frontend/js/http.js";
import { fmt, gettext } from "../frontend/js/i18n.js";

const form = document.getElementById("register-form");
if (form) {
  const unitsUrl = form.dataset.units;
  const levels = ["province", "district", "school", "class"];
  const selects = Object.fromEntries(levels.map((l) => [l, form.querySelector(`select[data-level="${l}"]`)]));
  const codes = {};

  async function fill(level, parentCode) {
    const select = selects[level];
    const placeholder = select.options[0].cloneNode(true);
    select.replaceChildren(placeholder);
    const params = new URLSearchParams({ level });
    if (parentCode) params.set("parent", parentCode);
    const units = await api(`${unitsUrl}?${params}`);
    for (const u of units) {
      select.append(el("option", { value: u.id, text: u.name }));
      codes[u.id] = u.code;
    }
    select.disabled = units.length === 0;
  }

  levels.forEach((level, i) => {
    selects[level].addEventListener("change", async () => {
      for (const lower of levels.slice(i + 1)) {
        selects[lower].replaceChildren(selects[lower].options[0].cloneNode(true));
        selects[lower].disabled = true;
      }
      const next = levels[i + 1];
      if (next && selects[level].value) await fill(next, codes[selects[level].value]);
    });
  });
  fill("province");

  // Proof-of-work check (contests that ask for it): a fresh challenge is solved in a Web Worker
  // while the person fills in the form; each registration try spends one, so a failed try
  // starts another.
  let solution = null;
  const captchaState = document.getElementById("captcha-state");
  function solveCaptcha() {
    if (!form.dataset.captcha) return Promise.resolve(null);
    solution = api(form.dataset.captcha).then((challenge) => new Promise((resolve, reject) => {
      const worker = new Worker(form.dataset.worker);
      worker.onmessage = ({ data }) => {
        worker.terminate();
        captchaState.textContent = gettext("Anti-robot check done.");
        captchaState.dataset.done = "1";
        resolve({ challenge: data.challenge, nonce: data.nonce });
      };
      worker.onerror = (event) => { worker.terminate(); reject(event); };
      captchaState.dataset.done = "";
      captchaState.textContent = gettext("Anti-robot check: your device is doing a short calculation…");
      worker.postMessage({ challenge: challenge.challenge, bits: challenge.bits });
    }));
    return solution;
  }
  solveCaptcha();

  const sendCode = document.getElementById("send-code");
  if (sendCode) {
    const codeState = document.getElementById("code-state");
    sendCode.addEventListener("click", async () => {
      codeState.classList.remove("error");
      try {
        await api(form.dataset.emailCode, { method: "POST", body: { email: form.email.value } });
        codeState.textContent = fmt(gettext("A code was sent to %(email)s."), { email: form.email.value });
        form.email_code.focus();
      } catch (error) {
        codeState.textContent = error.message || gettext("Something went wrong. Please try again.");
        codeState.classList.add("error");
      }
    });
  }

  const errorBox = document.getElementById("form-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    form.querySelectorAll(".field-error").forEach((n) => n.classList.remove("field-error"));
    const unit = selects.class.value || selects.school.value || null;
    const body = {
      full_name: form.full_name.value,
      unit: unit ? Number(unit) : null,
      date_of_birth: form.date_of_birth.value || null,
      email: form.email.value,
      phone: form.phone.value,
      consent: form.consent.checked,
    };
    if (form.email_code) body.email_code = form.email_code.value;
    try {
      if (form.dataset.captcha) body.captcha = await (solution || solveCaptcha());
      const result = await api(form.dataset.api, { method: "POST", body });
      form.hidden = true;
      document.getElementById("registered").hidden = false;
      document.getElementById("registered-msg").textContent = fmt(gettext("Registered as %(name)s."), { name: result.public_name });
      document.getElementById("resume-link").value = result.resume_url;
    } catch (error) {
      if (form.dataset.captcha) solveCaptcha();
      if (!(error instanceof ApiError)) console.error(error.stack || String(error));
      const details = (error instanceof ApiError && error.details) || {};
      const lines = typeof details === "object" && !Array.isArray(details) && error.code === "invalid"
        ? Object.values(details).flat() : [];
      errorBox.replaceChildren(el("p", { text: error.message || gettext("Something went wrong. Please try again.") }));
      if (lines.length) errorBox.append(el("ul", {}, ...lines.map((line) => el("li", { text: String(line) }))));
      errorBox.hidden = false;
      const fieldFor = { full_name: "full_name", consent: "consent", unit: "unit-school", date_of_birth: "date_of_birth", contact: "email", email: "email", phone: "phone", email_code: "email_code" };
      for (const key of Object.keys(details)) {
        const node = document.getElementById(fieldFor[key] || "");
        if (node) node.classList.add("field-error");
      }
      errorBox.scrollIntoView({ block: "center" });
    }
  });
}

// "Copy" buttons: <button data-copy="input-id"> (the resume link).
for (const button of document.querySelectorAll("[data-copy]")) {
  copyButton(button, document.getElementById(button.dataset.copy), {
    copied: gettext("Copied"), failed: gettext("Select the link and copy it"),
  });
}
