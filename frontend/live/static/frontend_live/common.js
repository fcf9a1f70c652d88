// Helpers of the live pages (and the contest screens): announcements, countdowns, branding, FLIP
// animations, reveal bars. DOM, HTTP, translations and answer shapes come from frontend/js/.
import { gettext, pick, pickLang } from "../frontend/js/i18n.js";
import { shapeOf, slotClass } from "../frontend/js/shapes.js";

export function announce(message, id = "announce") {
  const region = document.getElementById(id);
  if (!region) return;
  region.textContent = "";
  // A new text node in a cleared region is read even when the text repeats.
  setTimeout(() => (region.textContent = message), 30);
}

export function show(node, visible) {
  if (node) node.hidden = !visible;
}

/**
 * A countdown drawn from server time. `deadline` and `now()` are server epoch ms.
 * onTick(secondsLeft, fraction) runs every animation frame while visible (cheap), and
 * onSecond(secondsLeft) once per whole second (for screen-reader announcements).
 */
export class Countdown {
  constructor({ now, onTick, onSecond }) {
    this.now = now;
    this.onTick = onTick;
    this.onSecond = onSecond || (() => {});
    this.deadline = 0;
    this.total = 1;
    this.frozen = null;
    this.lastSecond = null;
    this.raf = null;
    this.interval = null;
  }

  set({ deadline, total, paused = false, serverNow = null, remaining = null }) {
    this.deadline = deadline;
    if (total) this.total = total;
    const frozen = remaining ?? deadline - (serverNow ?? this.now());
    this.frozen = paused ? Math.max(0, frozen) : null;
    this.lastSecond = null;
    this.run();
  }

  left() {
    return this.frozen !== null ? this.frozen : Math.max(0, this.deadline - this.now());
  }

  run() {
    this.stop();
    const step = () => {
      const ms = this.left();
      const seconds = Math.ceil(ms / 1000);
      this.onTick(seconds, Math.min(1, ms / this.total), this.frozen !== null);
      if (seconds !== this.lastSecond) {
        this.lastSecond = seconds;
        this.onSecond(seconds);
      }
      if (ms <= 0 || this.frozen !== null) return;
      this.raf = requestAnimationFrame(step);
    };
    step();
    // requestAnimationFrame stops in background tabs; a slow interval keeps the numbers right.
    this.interval = setInterval(() => {
      if (document.hidden) step();
    }, 1000);
  }

  stop() {
    if (this.raf) cancelAnimationFrame(this.raf);
    clearInterval(this.interval);
    this.raf = null;
  }
}

// --- Branding ---------------------------------------------------------------------------------

function rgb(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]) {
  const c = [r, g, b].map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/** White or near-black, whichever reads better on the colour (WCAG contrast). */
export function readableOn(hex) {
  const c = rgb(hex);
  if (!c) return "#ffffff";
  const l = luminance(c);
  return (1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#ffffff" : "#111827");
}

/** Event branding (title, colours, logo) as CSS custom properties on <html>. */
export function applyBranding(branding) {
  if (!branding) return;
  const root = document.documentElement.style;
  if (rgb(branding.primary)) {
    root.setProperty("--brand-primary", branding.primary);
    root.setProperty("--brand-on-primary", readableOn(branding.primary));
  }
  if (rgb(branding.accent)) {
    root.setProperty("--brand-accent", branding.accent);
    root.setProperty("--brand-on-accent", readableOn(branding.accent));
  }
}

// --- FLIP: rows slide to their new place when ranks change ------------------------------------

export const reducedMotion = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

/** Re-render keyed children of `list` with `update()`, then animate each from where it was. */
export function flip(list, update) {
  const before = new Map();
  for (const child of list.children) before.set(child.dataset.key, child.getBoundingClientRect().top);
  update();
  if (reducedMotion()) return;
  for (const child of list.children) {
    const top = before.get(child.dataset.key);
    const now = child.getBoundingClientRect().top;
    if (top === undefined) {
      child.animate(
        [{ opacity: 0, transform: "translateY(24px)" }, { opacity: 1, transform: "none" }],
        { duration: 500, easing: "ease-out" },
      );
    } else if (top !== now) {
      child.animate(
        [{ transform: `translateY(${top - now}px)` }, { transform: "none" }],
        { duration: 900, easing: "cubic-bezier(.2,.8,.2,1)" },
      );
    }
  }
}

/** Reuse keyed rows so FLIP can measure them: returns the row for `key`, made by `make()`. */
export function keyed(list, key, make) {
  for (const child of list.children) if (child.dataset.key === String(key)) return child;
  const row = make();
  row.dataset.key = String(key);
  return row;
}

export function formatNumber(n, lang) {
  try {
    return new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB").format(n);
  } catch (e) {
    return String(n);
  }
}

export function connStatus(node) {
  return (status) => {
    if (!node) return;
    // "stopped": the page gave the socket up (kicked, replaced, a join socket closed before a
    // join): nothing is reconnecting, and the page says what happened itself.
    const quiet = status === "open" || status === "stopped";
    node.hidden = quiet;
    node.textContent = quiet ? "" : gettext("Reconnecting…");
  };
}

/** 4819203 -> "481 9203": two or three short groups read well from the back of a hall. */
export function spacedPin(pin) {
  const digits = String(pin);
  const groups = Math.ceil(digits.length / 4);
  const size = Math.floor(digits.length / groups);
  const out = [];
  let at = 0;
  for (let g = 0; g < groups; g++) {
    const len = size + (g >= groups - (digits.length % groups) ? 1 : 0);
    out.push(digits.slice(at, at + len));
    at += len;
  }
  return out.join(" ");
}

function correctSet(correct) {
  if (!correct) return new Set();
  if (correct.choices) return new Set(correct.choices.map(String));
  if (correct.choice !== undefined) return new Set([String(correct.choice)]);
  return new Set();
}

/** The bars of a reveal (screen, overlay): one per option with its count and whether it is
 * right, or Right / Wrong for typed answers. */
export function revealBars(q, reveal, lang) {
  const dist = reveal.distribution || {};
  if (dist.right !== undefined) {
    return [
      { label: gettext("Right"), n: dist.right, cls: "ok", mark: "✓", correct: true },
      { label: gettext("Wrong"), n: dist.wrong, cls: "ko", mark: "✗", correct: false },
    ];
  }
  const right = correctSet(reveal.correct);
  return (q.choices || []).map((c, i) => ({
    label: pick(c.text, lang), n: dist[c.id] || 0, cls: slotClass(i), mark: shapeOf(i),
    correct: right.has(String(c.id)), lang: pickLang(c.text, lang),
  }));
}
