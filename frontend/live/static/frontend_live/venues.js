// The host's venue manager (issue #17): add venues by hand or from units, pick the venue
// scoring, open or copy each venue's join, screen and MC links. Everything goes through the API.
import { $, _, el } from "./common.js";
import { api } from "./venue_common.js";

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
      el("a", { href: v.screen_url, target: "_blank", rel: "noopener", class: "venue-screen-link" }, _("Screen")), " · ",
      el("a", { href: v.mc_url, target: "_blank", rel: "noopener", class: "venue-mc-link" }, _("MC view")), " · ",
      el("a", { href: v.join_url, target: "_blank", rel: "noopener", class: "venue-join-link" }, _("Join link")), " ",
      el("br"), el("code", {}, v.join_url)),
    el("td", {}, el("button", { type: "button", class: "btn btn-small", onclick: () => remove(v.id) }, _("Remove"))))));
}

async function load() {
  const [ok, body] = await api("GET", base);
  if (ok) render(body);
  else error(body.message);
}

async function remove(id) {
  const [ok, body] = await api("DELETE", `${base}/${id}`);
  if (!ok) return error(body.message);
  error("");
  load();
}

$("#v-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const names = event.target.names.value.split("\n").map((s) => s.trim()).filter(Boolean);
  const [ok, body] = await api("POST", base, { names });
  if (!ok) return error(body.message);
  error("");
  event.target.names.value = "";
  render(body);
});

$("#v-units").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [ok, body] = await api("POST", base, { unit: Number(event.target.unit.value) });
  if (!ok) return error(body.message);
  error("");
  render(body);
});

$("#v-settings").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const [ok, body] = await api("PUT", `${base}/settings`, {
    method: form.method.value, k: Number(form.k.value), podium: form.podium.value,
  });
  if (!ok) return error(body.message);
  error("");
  $("#v-saved").textContent = _("Saved.");
});

load();
