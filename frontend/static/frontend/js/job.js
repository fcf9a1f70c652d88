// A background job's page: polls GET /api/jobs/<id>/ until the job is done or failed, so the
// progress survives a reload (the server keeps it); then offers the file or the error and Retry.
import { $ } from "./dom.js";
import { api } from "./http.js";
import { gettext } from "./i18n.js";

const app = $("#job-app");
const POLL_MS = 1000;

function render(job) {
  $("#job-title").textContent = job.kind_label;
  $("#job-status").textContent = job.stalled ? gettext("Stalled: its worker stopped") : job.status_label;
  app.dataset.status = job.status;
  const bar = $("#job-progress");
  bar.value = job.progress;
  $("#job-percent").textContent = `${job.progress}%`;
  $("#job-message").textContent = job.status === "failed" ? "" : job.message;
  const error = $("#job-error");
  error.hidden = !job.error;
  error.textContent = job.error;
  const download = $("#job-download");
  download.hidden = !job.result_url;
  if (job.result_url) {
    download.href = job.result_url;
    download.textContent = `${gettext("Download the result")} (${job.result_name})`;
  }
  $("#job-retry").hidden = !job.retryable;
}

async function poll() {
  let job = null;
  try {
    job = await api(app.dataset.api);
    render(job);
  } catch (error) {
    $("#job-error").hidden = false;
    $("#job-error").textContent = error.message || gettext("The server could not be reached. Please try again.");
  }
  if (!job || job.status === "queued" || job.status === "running") setTimeout(poll, POLL_MS);
}

$("#job-retry").addEventListener("click", async () => {
  $("#job-retry").disabled = true;
  try {
    render(await api(app.dataset.retry, { method: "POST" }));
    setTimeout(poll, POLL_MS);
  } catch (error) {
    $("#job-error").hidden = false;
    $("#job-error").textContent = error.message;
  } finally {
    $("#job-retry").disabled = false;
  }
});

poll();
