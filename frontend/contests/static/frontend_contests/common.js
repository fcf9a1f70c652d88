// Helpers of the contest pages: the server's clock and durations. DOM, HTTP, translations and
// answer shapes come from frontend/js/.
import { fmt, gettext } from "../frontend/js/i18n.js";

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
