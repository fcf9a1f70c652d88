// Quiz list: create a quiz by title, then open its builder.
import { api, errorText } from "../frontend/js/http.js";

const form = document.getElementById("new-quiz");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const errors = document.getElementById("quiz-errors");
  try {
    const quiz = await api(form.dataset.api, { method: "POST", body: { title: document.getElementById("new-title").value } });
    window.location.href = form.dataset.builder.replace("ID", String(quiz.id));
  } catch (error) {
    errors.hidden = false;
    errors.textContent = errorText(error);
  }
});
