// /host/: the Host button creates a game from a quiz (POST /api/games/) and opens its console.
import { ApiError, api } from "../frontend/js/http.js";
import { gettext } from "../frontend/js/i18n.js";

function settings() {
  const form = document.getElementById("host-settings");
  if (!form) return {};
  const value = (name) => form.elements[name].value;
  const on = (name) => form.elements[name].checked;
  const out = {
    read_seconds: Number(value("read_seconds")) || 0,
    scoring: value("scoring"),
    teams: Number(value("teams")) || 0,
    show_leaderboard: on("show_leaderboard"),
    auto_advance: on("auto_advance"),
    allow_late_join: on("allow_late_join"),
    streak_bonus: on("streak_bonus"),
    join_challenge: on("join_challenge"),
  };
  const branding = { primary: value("brand_primary"), accent: value("brand_accent") };
  if (value("brand_title").trim()) branding.title = value("brand_title").trim();
  out.branding = branding;
  return out;
}

async function host(button) {
  const error = document.getElementById("host-error");
  error.hidden = true;
  button.disabled = true;
  try {
    const body = await api("/api/games/", { method: "POST", body: { quiz: Number(button.dataset.quiz), settings: settings() } });
    location.assign(body.host_url || `/host/${body.id}/`);
  } catch (e) {
    // Show the error where the click happened (the page may be scrolled far below its top):
    // under the quiz's row, brought into view and focused; role=alert reads it out.
    button.closest("li")?.append(error);
    error.textContent = e instanceof ApiError && e.code ? e.message : gettext("Could not create the game.");
    error.hidden = false;
    button.disabled = false;
    error.scrollIntoView({ block: "nearest" });
    error.focus({ preventScroll: true });
  }
}

document.querySelectorAll(".host-btn").forEach((b) => b.addEventListener("click", () => host(b)));
