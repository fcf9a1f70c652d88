// What an award ceremony step looks like: shared by the audience screen, the overlay and the
// console's preview. Everything drawn comes from the step's frame (the revealed state only).
import { el } from "../frontend/js/dom.js";
import { fmt, gettext, ngettext, pick } from "../frontend/js/i18n.js";
import { flip, formatNumber, keyed } from "../frontend_live/common.js";

const points = (n, lang) => fmt(ngettext("%(score)s point", "%(score)s points", n), { score: formatNumber(n, lang) });

function awardCard(card, lang) {
  const where = [card.school, card.district].filter(Boolean).join(" · ");
  return el("article", { class: "cs-award", "data-place": String(card.place) },
    card.prize ? el("p", { class: "cs-prize", text: pick(card.prize, lang) }) : null,
    el("p", { class: "cs-place", text: fmt(gettext("Place %(place)s"), { place: card.place }) }),
    el("h2", { class: "cs-who", text: card.name }),
    where ? el("p", { class: "cs-where", text: where }) : null,
    el("p", { class: "cs-pts", text: points(card.score, lang) }));
}

function unitCard(card, lang) {
  const value = card.method === "participation" ? `${formatNumber(card.value, lang)} %`
    : points(card.value, lang);
  return el("article", { class: "cs-award cs-unit" },
    el("p", { class: "cs-prize", text: pick(card.title, lang) }),
    el("h2", { class: "cs-who", text: card.name }),
    el("p", { class: "cs-pts", text: value }),
    el("p", { class: "cs-where",
      text: fmt(ngettext("%(n)s participant", "%(n)s participants", card.participants), { n: formatNumber(card.participants, lang) }) }));
}

function boardRow(row, moved, lang) {
  return [
    el("span", { class: "sc-lb-rank", text: String(row.place) }),
    el("span", { class: "sc-lb-name" }, row.name, row.school ? el("span", { class: "sc-lb-team", text: row.school }) : null),
    el("span", { class: "sc-lb-delta", text: moved ? "▲" : "" }),
    el("span", { class: "sc-lb-score", text: formatNumber(row.score, lang) }),
  ];
}

export class ShowView {
  constructor(root, { lang, title, subtitle, mode }) {
    Object.assign(this, { root, lang, title, subtitle, mode });
    this.board = null; // the <ol> kept between board steps so rows slide to their new place
    this.kind = null;
  }

  render(frame) {
    const show = frame.blackout ? null : frame.show;
    this.root.dataset.kind = frame.blackout ? "blackout" : show ? show.kind : "none";
    this.root.parentElement.style.setProperty("--cs-stage-offset", `${frame.stage_offset || 0}vh`);
    if (!show) return this.replace([]);
    if (this.mode === "overlay") {
      if (show.kind === "place") return this.replace([awardCard(show.card, this.lang)]);
      if (show.kind === "unit") return this.replace([unitCard(show.card, this.lang)]);
      return this.replace([]);
    }
    if (show.kind === "intro") {
      return this.replace([el("div", { class: "cs-intro" },
        el("p", { class: "cs-kicker", text: gettext("Award ceremony") }),
        el("h1", { class: "cs-title", text: this.title }),
        this.subtitle ? el("p", { class: "cs-subtitle", text: this.subtitle }) : null)]);
    }
    if (show.kind === "unit") return this.replace([unitCard(show.card, this.lang)]);
    if (show.kind === "podium") return this.replace([this.podium(show.cards)]);
    return this.boardStep(show);
  }

  replace(children) {
    this.board = null;
    this.root.classList.remove("with-card");
    this.root.replaceChildren(...children);
  }

  boardStep(show) {
    const heading = show.kind === "frozen" ? gettext("The board at the freeze")
      : show.kind === "resolve" ? gettext("After the freeze") : gettext("Results");
    const keep = this.board && this.board.isConnected;
    const list = keep ? this.board : el("ol", { class: "sc-lb-list cs-board" });
    flip(list, () => {
      const rows = show.rows.map((row) => {
        const li = keyed(list, row.id, () => el("li", { class: "sc-lb-row" }));
        li.replaceChildren(...boardRow(row, show.moved === row.id, this.lang));
        li.classList.toggle("moved", show.moved === row.id);
        li.classList.toggle("awarded", show.kind === "place" && show.card.id === row.id);
        return li;
      });
      list.replaceChildren(...rows);
      list.classList.toggle("many", rows.length > 8);
    });
    if (!keep) {
      const column = el("section", { class: "cs-board-col" }, el("h1", { class: "sc-h", text: heading }), list);
      this.root.replaceChildren(column);
      this.board = list;
    } else {
      this.root.querySelector(".cs-board-col .sc-h").textContent = heading;
    }
    const old = this.root.querySelector(".cs-award");
    if (old) old.remove();
    this.root.classList.toggle("with-card", show.kind === "place");
    if (show.kind === "place") this.root.append(awardCard(show.card, this.lang));
  }

  podium(cards) {
    const order = [2, 1, 3];
    return el("ol", { class: "sc-podium cs-podium", "aria-label": gettext("Podium") },
      ...order.map((place) => {
        const here = cards.filter((c) => c.place === place);
        return el("li", { class: `sc-place p${place}${here.length > 1 ? " tied" : ""}` },
          el("span", { class: "sc-medal", text: String(place) }),
          el("div", { class: "sc-pnames" }, ...here.map((c) => el("span", { class: "sc-pname", text: c.name }))),
          el("span", { class: "sc-pscore", text: here.map((c) => c.school).filter(Boolean).join(" · ") }),
          el("div", { class: "sc-block", text: String(place) }));
      }));
  }
}

/** The ceremony socket's address (same host; wss behind TLS). */
export const ceremonySocketUrl = (id) =>
  `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/ceremony/${id}/`;
