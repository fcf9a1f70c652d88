// Organiser page: "Export … in the background" starts an export job and opens its page.
import { api } from "./common.js";

const box = document.querySelector("#export-jobs");
const errorBox = document.querySelector("#export-error");

for (const button of box.querySelectorAll("button[data-format]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    errorBox.hidden = true;
    try {
      const job = await api(box.dataset.api, { method: "POST", body: { format: button.dataset.format } });
      window.location.assign(job.page_url);
    } catch (error) {
      errorBox.textContent = error.message;
      errorBox.hidden = false;
      button.disabled = false;
    }
  });
}
