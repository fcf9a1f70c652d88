// Host console: turn the rotating join challenge on or off (PATCH /api/games/<id>/) and show the
// current code next to the toggle, as the big screen shows it.
const _ = (s) => (window.gettext ? window.gettext(s) : s);
const gameId = document.getElementById("host").dataset.game;
const button = document.getElementById("c-challenge");
const code = document.getElementById("h-challenge-code");
const POLL_MS = 5000;

let on = false;
let timer = null;

function csrf() {
  const m = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : "";
}

function render() {
  button.setAttribute("aria-pressed", String(on));
}

async function poll() {
  clearTimeout(timer);
  let next = POLL_MS;
  try {
    const response = await fetch(`/api/games/${gameId}/challenge`, { cache: "no-store", credentials: "same-origin" });
    if (response.ok) {
      const body = await response.json();
      on = body.enabled;
      code.textContent = body.enabled ? body.code : "";
      if (body.enabled) next = Math.min(POLL_MS, Math.max(250, body.expires_at - body.now + 150));
      render();
    }
  } catch (e) {
    // try again at the next tick
  }
  timer = setTimeout(poll, next);
}

async function toggle() {
  button.disabled = true;
  try {
    const response = await fetch(`/api/games/${gameId}/`, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ join_challenge: !on }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message || _("This action is not possible right now."));
    on = !!(body.settings && body.settings.join_challenge);
    render();
    await poll();
  } catch (e) {
    const error = document.getElementById("h-error");
    error.textContent = e.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

button.addEventListener("click", toggle);
poll();
