// The "Overlays" panel of the host console and the organiser page: the overlay URLs (GET
// data-api) with Copy buttons, and a new read-only key (POST data-api: old links stop at once).
// Labels come from the template (data-*), so any page's catalogue works.
const panel = document.getElementById("overlays");

function csrf() {
  const m = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : "";
}

function fill(body) {
  for (const overlay of body.overlays || []) {
    const input = document.getElementById(`overlay-${overlay.kind}`);
    if (input) input.value = overlay.url;
  }
  const feed = document.getElementById("overlay-feed");
  if (feed && body.feed) feed.value = body.feed.rest;
}

async function load(method = "GET") {
  const response = await fetch(panel.dataset.api, {
    method,
    credentials: "same-origin",
    cache: "no-store",
    headers: method === "POST" ? { "X-CSRFToken": csrf(), Accept: "application/json" } : { Accept: "application/json" },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || String(response.status));
  fill(body);
}

for (const button of panel.querySelectorAll("[data-overlay-copy]")) {
  button.addEventListener("click", async () => {
    const input = document.getElementById(button.dataset.overlayCopy);
    const label = button.textContent;
    let copied = false;
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch (e) {
      input.select();
      copied = document.execCommand && document.execCommand("copy");
    }
    button.textContent = copied ? panel.dataset.copied : panel.dataset.copyFailed;
    setTimeout(() => (button.textContent = label), 2500);
  });
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
