// A venue MC's phone or tablet (issue #17): the venue's count, the question's countdown (the
// server's deadline), the venue's rank and a "ready" button the host console shows. Read-only on
// the socket: it joins as its venue's screen with the venue's key (hello "mc": true).
import { LiveSocket } from "./ws.js";
import { $, _, connStatus, fmt, formatNumber } from "./common.js";
import { api, valueText } from "./venue_common.js";

const root = $("#mc");
const me = Number(root.dataset.venue);
const lang = root.dataset.lang || "vi";
let question = null;
let closed = true;
let ready = false;

const sock = new LiveSocket({
  gameId: root.dataset.game,
  hello: () => ({ type: "hello", v: 1, role: "screen", key: root.dataset.key, venue: me, mc: true, lang }),
  onMessage: handle,
  onStatus: connStatus($("#mc-conn")),
  onClose: (event) => {
    if (event.code === 4001 || event.code === 4004) {
      $("#mc-phase").textContent = _("This venue link is not valid.");
      $("#mc-ready").disabled = true;
      return false;
    }
    return true;
  },
});

const PHASES = {
  lobby: () => _("Waiting for the host to start"),
  question: () => _("Question on screen"),
  closed: () => _("Time's up"),
  reveal: () => _("Answer shown"),
  leaderboard: () => _("Leaderboard"),
  podium: () => _("Podium"),
  ended: () => _("Ended"),
};

function handle(msg) {
  if (msg.type === "state") {
    question = msg.question || null;
    closed = !question || !["read", "open"].includes((msg.game || {}).phase);
  } else if (msg.type === "question") {
    question = msg;
    closed = false;
  } else if (msg.type === "timer" && question && msg.q === question.q) {
    question.ends_at = msg.ends_at;
  } else if (["closed", "reveal", "leaderboard", "podium", "ended"].includes(msg.type)) {
    closed = true;
  } else if (msg.type === "venues") {
    render(msg);
  }
  tick();
}

function render(status) {
  const mine = status.venues.find((v) => v.id === me);
  if (!mine) return;
  $("#mc-name").textContent = mine.name;
  $("#mc-phase").textContent = (PHASES[status.phase] || (() => ""))();
  $("#mc-count").textContent = formatNumber(mine.players, lang);
  $("#mc-answered").textContent = status.q !== null && !["lobby"].includes(status.phase)
    ? fmt(_("%(n)s answered"), { n: formatNumber(mine.answered, lang) }) : "";
  $("#mc-total").textContent = formatNumber(status.totals.players, lang);
  const row = (status.board || []).find((r) => r.venue === me);
  $("#mc-rank").textContent = row ? String(row.rank) : "–";
  $("#mc-value").textContent = row
    ? fmt(ngettext("of %(n)s venue · %(value)s", "of %(n)s venues · %(value)s", status.board.length), { n: status.board.length, value: valueText(row, status.method, lang) }) : "";
  ready = mine.ready;
  const button = $("#mc-ready");
  button.setAttribute("aria-pressed", String(ready));
  button.textContent = ready ? _("Ready ✓ (press to undo)") : _("Our venue is ready");
}

function tick() {
  const clock = $("#mc-clock");
  if (!question || closed) {
    clock.textContent = "–";
    return;
  }
  const left = Math.max(0, Math.ceil((question.ends_at - sock.now()) / 1000));
  clock.textContent = String(left);
}
setInterval(tick, 250);

$("#mc-ready").addEventListener("click", async () => {
  const [ok, body] = await api("POST", `/api/venues/${me}/ready`, { key: root.dataset.key, ready: !ready });
  const error = $("#mc-error");
  error.hidden = ok;
  if (!ok) error.textContent = body.message || _("Could not save. Please try again.");
  else {
    ready = body.ready;
    $("#mc-ready").setAttribute("aria-pressed", String(ready));
    $("#mc-ready").textContent = ready ? _("Ready ✓ (press to undo)") : _("Our venue is ready");
  }
});

if (root.dataset.game !== "0") sock.start();
else $("#mc-phase").textContent = _("This venue link is not valid.");
