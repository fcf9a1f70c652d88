// Review queue: publish a question or send it back with a note, through the REST API.
import { api, errorText } from "../frontend/js/http.js";
import { fmt, gettext } from "../frontend/js/i18n.js";

const status = document.getElementById("review-status");

document.querySelectorAll(".review-card").forEach((card) => {
  card.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("click", async () => {
      const action = button.dataset.action;
      const body = action === "reject" ? { note: card.querySelector("textarea").value } : undefined;
      card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        await api(`/api/questions/${card.dataset.id}/${action}/`, { method: "POST", body });
        status.className = "ok";
        status.textContent = action === "publish"
          ? fmt(gettext("Question #%s is published."), [card.dataset.id])
          : fmt(gettext("Question #%s went back to its author."), [card.dataset.id]);
        const next = card.nextElementSibling?.querySelector("button") || status;
        card.remove();
        next.focus?.();
      } catch (error) {
        status.className = "error";
        status.textContent = errorText(error);
        card.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      }
    });
  });
});
