// The operator's console: step forward and back (keyboard and presentation clickers send
// PageDown/PageUp, arrows, space or B), jump to a step, blackout. The next step's preview is
// sent to operators only.
import { byId, el } from "../frontend/js/dom.js";
import { fmt, gettext, pick } from "../frontend/js/i18n.js";
import { LiveSocket } from "../frontend_live/ws.js";
import { ShowView, ceremonySocketUrl } from "./ceremony_show.js";

const root = document.getElementById("console");
const lang = root.dataset.lang || "vi";
const view = new ShowView(byId("cc-audience"), { lang, title: root.dataset.title, subtitle: root.dataset.subtitle, mode: "screen" });
let state = null;

const socket = new LiveSocket({
  url: ceremonySocketUrl(root.dataset.ceremony),
  hello: () => ({ type: "hello", role: "operator", lang }),
  onMessage: (msg) => {
    if (msg.type === "error") { byId("cc-conn").textContent = msg.message; return; }
    if (msg.type !== "console" || (state && msg.seq < state.seq)) return;
    state = msg;
    render();
  },
  onStatus: (status) => { byId("cc-conn").textContent = status === "open" ? "" : gettext("Reconnecting…"); },
  onClose: (event) => event.code !== 4001,
});

/** A step in words, in the console's language (the server sends its data, not its wording). */
function describe(step) {
  const n = step.note || {};
  switch (step.kind) {
    case "intro": return gettext("Title");
    case "frozen": return gettext("The board at the freeze (already public)");
    case "resolve": return fmt(gettext("%(name)s: place %(from)s → %(to)s"), { name: n.name, from: n.from || "–", to: n.to || "–" });
    case "place": {
      const where = [n.school, n.district].filter(Boolean).join(", ");
      const prize = n.prize ? pick(n.prize, lang) : gettext("no prize");
      return fmt(gettext("Place %(place)s: %(name)s, %(where)s: %(prize)s"), { place: n.place, name: n.name, where, prize });
    }
    case "unit": return `${pick(n.title, lang)}: ${n.name}`;
    case "podium": return fmt(gettext("Podium: %(names)s"), { names: (n.names || []).join(", ") });
    default: return step.kind;
  }
}

function render() {
  const current = state.steps[state.step];
  byId("cc-current").textContent = current ? describe(current) : "–";
  byId("cc-count").textContent = fmt(gettext("step %(n)s of %(total)s"), { n: state.step + 1, total: state.total });
  byId("cc-next").textContent = state.next ? describe(state.next) : gettext("(the end of the show)");
  byId("cc-blackout").setAttribute("aria-pressed", String(state.blackout));
  byId("cc-back").disabled = state.step <= 0;
  byId("cc-forward").disabled = state.step >= state.total - 1;
  const jump = byId("cc-jump");
  if (jump.options.length !== state.total) {
    jump.replaceChildren(...state.steps.map((s, i) => el("option", { value: String(i), text: `${i + 1}. ${describe(s)}` })));
  }
  jump.value = String(state.step);
  root.dataset.step = String(state.step);
  view.render(state.audience);
}

const go = (frame) => socket.send(frame);
byId("cc-forward").addEventListener("click", () => go({ type: "go", delta: 1 }));
byId("cc-back").addEventListener("click", () => go({ type: "go", delta: -1 }));
byId("cc-blackout").addEventListener("click", () => go({ type: "blackout", on: !(state && state.blackout) }));
byId("cc-jump").addEventListener("change", (e) => go({ type: "go", index: Number(e.target.value) }));

document.addEventListener("keydown", (e) => {
  const tag = (e.target.tagName || "").toLowerCase();
  if (["input", "textarea", "select"].includes(tag) || e.altKey || e.ctrlKey || e.metaKey) return;
  if (["PageDown", "ArrowRight", "ArrowDown", " "].includes(e.key)) {
    e.preventDefault();
    go({ type: "go", delta: 1 });
  } else if (["PageUp", "ArrowLeft", "ArrowUp"].includes(e.key)) {
    e.preventDefault();
    go({ type: "go", delta: -1 });
  } else if (e.key === "b" || e.key === "B" || e.key === ".") {
    e.preventDefault(); // clickers' "black screen" key sends "." or B
    go({ type: "blackout", on: !(state && state.blackout) });
  }
});
socket.start();

// Preparing again restarts the show: ask first when it is under way.
for (const form of document.querySelectorAll("form")) {
  const action = form.querySelector("input[name=action]");
  if (!action || action.value !== "prepare") continue;
  form.addEventListener("submit", (e) => {
    if (state && state.step > 0 && !window.confirm(gettext("Prepare again? The show restarts at its first step on every screen."))) e.preventDefault();
  });
}
