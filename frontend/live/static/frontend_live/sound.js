// Optional sound for the ceremony screen, synthesised with Web Audio: no audio file is ever
// downloaded. Muted by default; the choice is remembered on this device.
const STORE = "cq.live.screen.sound";

export class ScreenSound {
  constructor() {
    let saved = null;
    try {
      saved = localStorage.getItem(STORE);
    } catch (e) {
      /* private mode: stays muted */
    }
    this.on = saved === "on";
    this.ctx = null;
  }

  context() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!this.ctx) this.ctx = new Ctx();
    if (this.ctx.state === "suspended") this.ctx.resume();
    return this.ctx;
  }

  /** Turn sound on or off (call from a click: browsers only start audio after a gesture). */
  set(on) {
    this.on = on;
    try {
      localStorage.setItem(STORE, on ? "on" : "off");
    } catch (e) {
      /* not remembered */
    }
    if (on) this.context();
  }

  tone(freq, start, duration, { type = "sine", gain = 0.18 } = {}) {
    const ctx = this.context();
    if (!ctx) return;
    const at = ctx.currentTime + start;
    const osc = ctx.createOscillator();
    const amp = ctx.createGain();
    osc.type = type;
    osc.frequency.setValueAtTime(freq, at);
    amp.gain.setValueAtTime(0.0001, at);
    amp.gain.exponentialRampToValueAtTime(gain, at + 0.015);
    amp.gain.exponentialRampToValueAtTime(0.0001, at + duration);
    osc.connect(amp).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + duration + 0.05);
  }

  /** One short tick per second for the last seconds; the last one is higher. */
  tick(secondsLeft) {
    if (!this.on) return;
    this.tone(secondsLeft <= 1 ? 1320 : 880, 0, 0.09, { type: "square", gain: 0.08 });
  }

  /** A rising three-note chime when the answer is shown. */
  reveal() {
    if (!this.on) return;
    [523.25, 659.25, 783.99].forEach((f, i) => this.tone(f, i * 0.12, 0.45));
  }
}
