// The host's venue manager (issue #17): add venues by hand or from units, pick the venue
// scoring, open or copy each venue's join, screen and MC links. Everything goes through the API.
import { $, el } from "../frontend/js/dom.js";
import { api, errorText } from "../frontend/js/http.js";
import { gettext } from "../frontend/js/i18n.js";

const root = $("#venues");
const base = `/api/games/${root.dataset.game}/venues`;

function error(message) {
  const box = $("#v-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function render(body) {
  $("#v-rows").replaceChildren(...body.venues.map((v) => el("tr", { dataset: { venue: String(v.id) } },
    el("th", { scope: "row" }, v.name),
    el("td", {},
      el("a", { href: v.screen_url, target: "_blank", rel: "noopener", class: "venue-screen-link" }, gettext("Screen")), " · ",
      el("a", { href: v.mc_url, target: "_blank", rel: "noopener", class: "venue-mc-link" }, gettext("MC view")), " · ",
      el("a", { href: v.join_url, target: "_blank", rel: "noopener", class: "venue-join-link" }, gettext("Join link")), " ",
      el("br"), el("code", {}, v.join_url)),
    el("td", {}, el("button", { type: "button", class: "btn btn-small", onclick: () => remove(v.id) }, gettext("Remove"))))));
}

/** Run one request; its failure (the API's translated message) shows above the forms. */
async function call(url, options) {
  try {
    const body = await api(url, options);
    error("");
    return body;
  } catch (failure) {
    error(errorText(failure));
    return null;
  }
}

async function load() {
  const body = await call(base);
  if (body) render(body);
}

async function remove(id) {
  try {
    await api(`${base}/${id}`, { method: "DELETE" });
    error("");
    load();
  } catch (failure) {
    error(errorText(failure));
  }
}

$("#v-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const names = event.target.names.value.split("\n").map((s) => s.trim()).filter(Boolean);
  const body = await call(base, { method: "POST", body: { names } });
  if (!body) return;
  event.target.names.value = "";
  render(body);
});

$("#v-units").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = await call(base, { method: "POST", body: { unit: Number(event.target.unit.value) } });
  if (body) render(body);
});

$("#v-settings").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = await call(`${base}/settings`, {
    method: "PUT", body: { method: form.method.value, k: Number(form.k.value), podium: form.podium.value },
  });
  if (body) $("#v-saved").textContent = gettext("Saved.");
});

load();
