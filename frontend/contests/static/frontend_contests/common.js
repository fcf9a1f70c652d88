// Helpers shared by the contest pages: translations, fetch with the participant token, clock.
// Strings are marked with gettext("...") at the call site so makemessages finds them.
export const gettext = (s) => (window.gettext ? window.gettext(s) : s);
export const t = gettext;
export const ngettext = (s, p, n) => (window.ngettext ? window.ngettext(s, p, n) : n === 1 ? s : p);
export const fmt = (s, obj) => (window.interpolate ? window.interpolate(s, obj, true) : s);
export const SHAPES = ["▲", "◆", "●", "■", "★", "⬟"];

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export async function api(url, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["X-Participant-Token"] = token;
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    const error = new Error((data && data.message) || response.statusText);
    error.status = response.status;
    error.data = data || {};
    throw error;
  }
  return data;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// The server owns the clock: we keep the offset between its clock and ours.
export function serverOffset(serverNowIso) {
  return Date.parse(serverNowIso) - Date.now();
}

export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (d > 0) return fmt(gettext("%(d)s d %(h)s h %(m)s min"), { d, h: pad(h), m: pad(m) });
  if (h > 0) return `${h}:${pad(m)}:${pad(s)}`;
  return `${pad(m)}:${pad(s)}`;
}
