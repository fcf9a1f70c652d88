// Bank list: select rows, then publish or archive them in bulk through /api/questions/bulk/.
import { api, errorText } from "../frontend/js/http.js";
import { fmt, gettext } from "../frontend/js/i18n.js";

const form = document.getElementById("bulk");
const status = document.getElementById("bulk-status");
const all = document.getElementById("select-all");
const rows = () => [...document.querySelectorAll(".row-select")];
const selected = () => rows().filter((box) => box.checked).map((box) => Number(box.value));

function refresh() {
  const count = selected().length;
  form.querySelectorAll("[data-bulk]").forEach((button) => { button.disabled = count === 0; });
  if (all) all.checked = count > 0 && count === rows().length;
}

all?.addEventListener("change", () => {
  rows().forEach((box) => { box.checked = all.checked; });
  refresh();
});
document.addEventListener("change", (event) => {
  if (event.target.classList?.contains("row-select")) refresh();
});

form?.querySelectorAll("[data-bulk]").forEach((button) => {
  button.addEventListener("click", async () => {
    const ids = selected();
    if (!ids.length) return;
    button.disabled = true;
    try {
      const result = await api(form.dataset.api, { method: "POST", body: { action: button.dataset.bulk, ids } });
      status.textContent = fmt(gettext("%(done)s done, %(failed)s not possible."), {
        done: result.done.length, failed: result.failed.length,
      });
      if (result.done.length) setTimeout(() => window.location.reload(), 600);
    } catch (error) {
      status.textContent = errorText(error);
    } finally {
      refresh();
    }
  });
});
refresh();
