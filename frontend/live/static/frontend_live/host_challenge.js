// Host console: turn the rotating join challenge on or off (PATCH /api/games/<id>/) and show the
// current code next to the toggle, as the big screen shows it.
import { ApiError, api } from "../frontend/js/http.js";
import { gettext } from "../frontend/js/i18n.js";

const gameId = document.getElementById("host").dataset.game;
const button = document.getElementById("c-challenge");
const code = document.getElementById("h-challenge-code");
const POLL_MS = 5000;

let on = false;
let timer = null;

function render() {
  button.setAttribute("aria-pressed", String(on));
}

async function poll() {
  clearTimeout(timer);
  let next = POLL_MS;
  try {
    const body = await api(`/api/games/${gameId}/challenge`, { cache: "no-store" });
    on = body.enabled;
    if (!body.enabled) code.textContent = "";
    else code.textContent = body.per_venue ? gettext("on each venue's screen") : body.code;
    if (body.enabled) next = Math.min(POLL_MS, Math.max(250, body.expires_at - body.now + 150));
    render();
  } catch (e) {
    // try again at the next tick
  }
  timer = setTimeout(poll, next);
}

async function toggle() {
  button.disabled = true;
  try {
    const body = await api(`/api/games/${gameId}/`, { method: "PATCH", body: { join_challenge: !on } });
    on = !!(body.settings && body.settings.join_challenge);
    render();
    await poll();
  } catch (e) {
    const error = document.getElementById("h-error");
    error.textContent = e instanceof ApiError && e.code ? e.message : gettext("This action is not possible right now.");
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

button.addEventListener("click", toggle);
poll();
