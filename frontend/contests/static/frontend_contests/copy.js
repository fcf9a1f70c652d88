// "Copy" buttons: <button data-copy="input-id">. Uses the Clipboard API, else selects the text.
import { gettext } from "./common.js";

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const input = document.getElementById(button.dataset.copy);
    const label = button.textContent;
    let copied = false;
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch (e) {
      input.select();
      copied = document.execCommand && document.execCommand("copy");
    }
    button.textContent = copied ? gettext("Copied") : gettext("Select the link and copy it");
    setTimeout(() => (button.textContent = label), 2500);
  });
}
