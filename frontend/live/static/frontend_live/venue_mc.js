// A venue MC's phone or tablet (issue #17): the venue's count, the question's countdown (the
// server's deadline), the venue's rank and a "ready" button the host console shows. Read-only on
// the socket: it joins as its venue's screen with the venue's key (hello "mc": true).
import { LiveSocket } from "./ws.js";
import { connStatus, formatNumber } from "./common.js";
import { valueText } from "./venue_common.js";
import { $ } from "../frontend/js/dom.js";
import { api, errorText } from "../frontend/js/http.js";
import { fmt, gettext, ngettext } from "../frontend/js/i18n.js";

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
      $("#mc-phase").textContent = gettext("This venue link is not valid.");
      $("#mc-ready").disabled = true;
      return false;
    }
    return true;
  },
});

const PHASES = {
  lobby: () => gettext("Waiting for the host to start"),
  question: () => gettext("Question on screen"),
  closed: () => gettext("Time's up"),
  reveal: () => gettext("Answer shown"),
  leaderboard: () => gettext("Leaderboard"),
  podium: () => gettext("Podium"),
  ended: () => gettext("Ended"),
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
    ? fmt(gettext("%(n)s answered"), { n: formatNumber(mine.answered, lang) }) : "";
  $("#mc-total").textContent = formatNumber(status.totals.players, lang);
  const row = (status.board || []).find((r) => r.venue === me);
  $("#mc-rank").textContent = row ? String(row.rank) : "–";
  $("#mc-value").textContent = row
    ? fmt(ngettext("of %(n)s venue · %(value)s", "of %(n)s venues · %(value)s", status.board.length), { n: status.board.length, value: valueText(row, status.method, lang) }) : "";
  ready = mine.ready;
  const button = $("#mc-ready");
  button.setAttribute("aria-pressed", String(ready));
  button.textContent = ready ? gettext("Ready ✓ (press to undo)") : gettext("Our venue is ready");
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
  const error = $("#mc-error");
  try {
    const body = await api(`/api/venues/${me}/ready`, {
      method: "POST", body: { key: root.dataset.key, ready: !ready }, credentials: "omit",
    });
    error.hidden = true;
    ready = body.ready;
    $("#mc-ready").setAttribute("aria-pressed", String(ready));
    $("#mc-ready").textContent = ready ? gettext("Ready ✓ (press to undo)") : gettext("Our venue is ready");
  } catch (failure) {
    error.hidden = false;
    error.textContent = failure && failure.code ? errorText(failure) : gettext("Could not save. Please try again.");
  }
});

if (root.dataset.game !== "0") sock.start();
else $("#mc-phase").textContent = gettext("This venue link is not valid.");
