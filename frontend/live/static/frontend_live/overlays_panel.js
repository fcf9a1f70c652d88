// The "Overlays" panel of the host console and the organiser page: the overlay URLs (GET
// data-api) with Copy buttons, and a new read-only key (POST data-api: old links stop at once).
// Labels come from the template (data-*), so any page's catalogue works.
import { copyButton } from "../frontend/js/dom.js";
import { api } from "../frontend/js/http.js";

const panel = document.getElementById("overlays");

function fill(body) {
  for (const overlay of body.overlays || []) {
    const input = document.getElementById(`overlay-${overlay.kind}`);
    if (input) input.value = overlay.url;
  }
  const feed = document.getElementById("overlay-feed");
  if (feed && body.feed) feed.value = body.feed.rest;
}

async function load(method = "GET") {
  fill(await api(panel.dataset.api, { method, cache: "no-store" }));
}

for (const button of panel.querySelectorAll("[data-overlay-copy]")) {
  const input = document.getElementById(button.dataset.overlayCopy);
  copyButton(button, input, { copied: panel.dataset.copied, failed: panel.dataset.copyFailed });
}

const rotate = document.getElementById("overlay-rotate");
rotate.addEventListener("click", async () => {
  if (!confirm(panel.dataset.confirm)) return;
  const status = document.getElementById("overlay-status");
  rotate.disabled = true;
  try {
    await load("POST");
    status.textContent = "✓";
  } catch (e) {
    status.textContent = e.message;
  } finally {
    rotate.disabled = false;
  }
});

load().catch((e) => (document.getElementById("overlay-status").textContent = e.message));
