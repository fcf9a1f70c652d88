// Review queue: publish a question or send it back with a note, through the REST API.
import { api, errorText } from "./api.js";

const status = document.getElementById("review-status");

document.querySelectorAll(".review-card").forEach((card) => {
  card.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("click", async () => {
      const action = button.dataset.action;
      const body = action === "reject" ? { note: card.querySelector("textarea").value } : undefined;
      card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        await api("POST", `/api/questions/${card.dataset.id}/${action}/`, body);
        status.className = "ok";
        status.textContent = action === "publish"
          ? interpolate(gettext("Question #%s is published."), [card.dataset.id])
          : interpolate(gettext("Question #%s went back to its author."), [card.dataset.id]);
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
