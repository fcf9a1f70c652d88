// An audience screen or overlay of an award ceremony: follows the operator's step over the
// ceremony socket; on (re)connect the server sends the current step first.
import { LiveSocket } from "../frontend_live/ws.js";
import { connStatus } from "../frontend_live/common.js";
import { ShowView, ceremonySocketUrl } from "./ceremony_show.js";

const root = document.getElementById("ceremony");
const view = new ShowView(document.getElementById("cs-show"), {
  lang: root.dataset.lang || "vi", title: root.dataset.title, subtitle: root.dataset.subtitle, mode: root.dataset.mode,
});
let seq = -1;
const socket = new LiveSocket({
  url: ceremonySocketUrl(root.dataset.ceremony),
  hello: () => ({ type: "hello", role: "screen", key: root.dataset.key, lang: root.dataset.lang }),
  onMessage: (msg) => {
    if (msg.type !== "ceremony" || msg.seq < seq) return;
    seq = msg.seq;
    document.body.classList.toggle("cs-blackout", msg.blackout);
    view.render(msg);
    root.dataset.step = String(msg.step);
  },
  onStatus: connStatus(document.getElementById("cs-conn")),
  onClose: (event) => event.code !== 4001, // a rotated key: stop (reloading with the new link works)
});
socket.start();
