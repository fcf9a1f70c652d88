// Ceremony screen: the rotating join code, shown large while the host has the join challenge on.
// Read over REST with the screen key; fetched again just after each code expires.
import { api } from "../frontend/js/http.js";

const root = document.getElementById("screen");
const box = document.getElementById("s-challenge");
const code = document.getElementById("s-challenge-code");
const url = `/api/games/${root.dataset.game}/challenge?key=${encodeURIComponent(root.dataset.key)}`;
const POLL_MS = 5000; // also picks up the host turning it on or off

let timer = null;

async function refresh() {
  clearTimeout(timer);
  let next = POLL_MS;
  try {
    const body = await api(url, { cache: "no-store", credentials: "omit" });
    // A game with venues: each venue's screen shows its own code, this one none.
    box.hidden = !body.enabled || !body.code;
    code.textContent = body.enabled && body.code ? body.code : "";
    if (body.enabled) next = Math.min(POLL_MS, Math.max(250, body.expires_at - body.now + 150));
  } catch (e) {
    // offline for a moment: keep showing the last code and try again soon
  }
  timer = setTimeout(refresh, next);
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
});
refresh();
