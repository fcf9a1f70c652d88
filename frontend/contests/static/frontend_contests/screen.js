// Ceremony screen: polls the cached leaderboard JSON every few seconds.
import { api, el, fmt, gettext, ngettext } from "./common.js";

const root = document.getElementById("screen");
const POLL_MS = 4000;

async function refresh() {
  try {
    const [board, units] = await Promise.all([api(root.dataset.board), api(root.dataset.units)]);
    const when = (iso) => new Date(iso).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
    document.getElementById("screen-total").textContent = fmt(board.board === "hidden"
      ? ngettext("%(n)s participant has handed in", "%(n)s participants have handed in", board.total)
      : gettext("%(n)s participants ranked"), { n: board.total });
    const state = board.board === "final" ? gettext("Final results")
      : board.board === "frozen" ? fmt(gettext("Frozen since %(time)s"), { time: when(board.frozen_since) })
        : board.board === "hidden" ? fmt(gettext("Scores are published when the round closes at %(time)s"), { time: when(board.scores_published_at) })
          : gettext("Live");
    document.getElementById("screen-state").textContent = state;
    const people = board.board === "hidden" ? [el("li", { class: "muted", text: gettext("Scores and ranks appear here when the round closes.") })] : [];
    document.getElementById("screen-people").replaceChildren(...people, ...board.rows.map((r) => el("li", {},
      el("span", { class: "pos", text: String(r.rank) }),
      el("span", { text: r.name }),
      el("span", { class: "val", text: String(r.score) }))));
    document.getElementById("screen-units").replaceChildren(...units.rows.map((u) => el("li", {},
      el("span", { class: "pos", text: String(u.rank) }),
      el("span", {}, document.createTextNode(u.name), el("span", { class: "sub", text: fmt(gettext("%(n)s participants"), { n: u.participants }) })),
      el("span", { class: "val", text: String(u.value) }))));
  } catch {
    // Keep showing the last board; the next poll retries.
  }
}

refresh();
setInterval(refresh, POLL_MS);
