// The one WebSocket client of live pages (player, host, screen).
// - sends "hello" on every (re)connect; the server answers with the full current state;
// - reconnects silently with jittered exponential backoff (full jitter, capped), right away when
//   the page becomes visible again or the network comes back;
// - estimates the server clock from ping/pong (offset of the lowest-latency sample) so countdowns
//   render `ends_at - (Date.now() + offset)`.

// Reconnect delay: MIN_DELAY + random * min(MAX_DELAY, BASE_DELAY * 2^attempt) ms. bench/chaos.py
// reads these three numbers from this file (tests/test_bench_chaos.py checks the formula).
const MIN_DELAY = 150;
const BASE_DELAY = 400;
const MAX_DELAY = 15000;
const PING_EVERY = 10000;
const STALE_AFTER = 25000; // no frame for this long while open: the socket is dead (phone slept)

export class LiveSocket {
  constructor({ gameId, url, path, hello, onMessage, onStatus, onClose }) {
    // url: a whole socket URL of the same protocol shape (the award ceremony's); path: another
    // socket on this host (the read-only feed of overlays, which needs no hello).
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path || `/ws/game/${gameId}/`}`;
    this.hello = hello; // () => hello frame (called on each connect: tokens may change); null: none
    this.onMessage = onMessage;
    this.onStatus = onStatus || (() => {});
    // onClose(event, hadState) -> false to stop reconnecting (e.g. the server refused the hello)
    this.onClose = onClose || (() => true);
    this.hadState = false;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.timer = null;
    this.pingTimer = null;
    this.lastFrame = 0;
    this.samples = []; // [rtt, offset]
    this.offset = 0;
    this.haveOffset = false;
    this.wake = () => {
      if (this.stopped) return;
      if (!this.isOpen()) this.connectNow();
      else this.ping();
    };
    addEventListener("online", this.wake);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.wake();
    });
    addEventListener("pageshow", this.wake);
  }

  /** From the next (re)connect on: another socket on this host and another hello (the join
   * socket's phone resumes on its game's socket with its token). */
  become({ path, hello }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.hello = hello;
  }

  isOpen() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Server time now (ms), as well as we can tell. */
  now() {
    return Date.now() + this.offset;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000);
  }

  connectNow() {
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    this.onStatus(this.attempt ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.retry();
      return;
    }
    this.ws = ws;
    this.hadState = false;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastFrame = Date.now();
      if (this.hello) ws.send(JSON.stringify(this.hello()));
      this.ping();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.tick(), PING_EVERY);
      this.onStatus("open");
    };
    ws.onmessage = (event) => {
      this.lastFrame = Date.now();
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (msg.type === "pong") {
        this.clock(msg);
        return;
      }
      if (!this.haveOffset && typeof msg.now === "number") this.offset = msg.now - Date.now();
      if (msg.type === "state") this.hadState = true;
      this.onMessage(msg);
    };
    ws.onclose = (event) => {
      clearInterval(this.pingTimer);
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (this.onClose(event, this.hadState) === false) {
        this.stopped = true;
        this.onStatus("stopped");
        return;
      }
      this.retry();
    };
    ws.onerror = () => {}; // onclose follows and schedules the retry
  }

  retry() {
    clearTimeout(this.timer);
    this.onStatus("reconnecting");
    const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempt);
    this.attempt += 1;
    const delay = MIN_DELAY + Math.random() * cap;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  tick() {
    if (!this.isOpen()) return;
    if (Date.now() - this.lastFrame > STALE_AFTER) {
      this.ws.close(3000); // client-side close: reconnect follows
      return;
    }
    this.ping();
  }

  ping() {
    this.send({ type: "ping", t: Date.now() });
  }

  clock(msg) {
    const received = Date.now();
    const rtt = received - msg.t;
    if (rtt < 0 || typeof msg.now !== "number") return;
    this.samples.push([rtt, msg.now + rtt / 2 - received]);
    if (this.samples.length > 8) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b[0] < a[0] ? b : a));
    this.offset = best[1];
    this.haveOffset = true;
    // A few quick samples at the start give a good estimate fast.
    if (this.samples.length < 3) setTimeout(() => this.ping(), 300);
  }

  /** Send a frame; false when the socket is not open (the caller may retry after reconnect). */
  send(frame) {
    if (!this.isOpen()) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}

/** A random UUID (answer ids), with a fallback for older phones and non-secure origins. */
export function uuid() {
  if (crypto.randomUUID && isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
