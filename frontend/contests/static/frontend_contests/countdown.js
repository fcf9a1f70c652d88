import { formatDuration, serverOffset } from "./common.js";

for (const box of document.querySelectorAll("[data-countdown]")) {
  const offset = serverOffset(box.dataset.serverNow);
  const target = Date.parse(box.dataset.target);
  const value = box.querySelector("[data-countdown-value]");
  const tick = () => {
    const left = target - (Date.now() + offset);
    value.textContent = formatDuration(left);
    if (left <= 0) { clearInterval(timer); setTimeout(() => location.reload(), 1500); }
  };
  const timer = setInterval(tick, 1000);
  tick();
}
