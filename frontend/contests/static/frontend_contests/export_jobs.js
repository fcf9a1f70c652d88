// Organiser page: buttons that start a background job (exports, certificates) and open its page,
// which shows the progress and then offers the file.
import { api } from "../frontend/js/http.js";

const errorBox = document.querySelector("#export-error");

for (const box of document.querySelectorAll("[data-job-api]")) {
  for (const button of box.querySelectorAll("button")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      errorBox.hidden = true;
      try {
        const body = button.dataset.format ? { format: button.dataset.format } : {};
        const job = await api(box.dataset.jobApi, { method: "POST", body });
        window.location.assign(job.page_url);
      } catch (error) {
        errorBox.textContent = error.message;
        errorBox.hidden = false;
        button.disabled = false;
      }
    });
  }
}
