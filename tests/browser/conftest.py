"""Browser tests: the ASGI app (HTTP + WebSockets) in a child Daphne process, driven by Debian's
Chromium through Playwright's async API. Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a server process that must see the test database."""
    from django.db import connection

    env = os.environ.copy()
    name = connection.settings_dict["NAME"]
    if settings.DATABASE_URL:
        base = settings.DATABASE_URL.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{name}"
    else:
        env["SQLITE_PATH"] = str(name)
    env.setdefault("DEBUG", "1")
    env.update(extra or {})
    return env


class AsgiServer:
    def __init__(self, port: int, log: Path, env: dict[str, str]):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log
        self._log = open(log, "wb")
        from config.serve import command

        # The server as shipped (config/serve.py), as `make run` starts it.
        self.process = subprocess.Popen(
            command("127.0.0.1", port),
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


@pytest.fixture
def asgi_server(transactional_db, tmp_path):
    """A real Daphne server on a free loopback port, sharing the test database and Redis."""
    server = AsgiServer(free_port(), tmp_path / "server.log", child_env())
    yield server
    server.stop()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


async def new_page(browser, *, locale: str = "en", phone: bool = False, errors: list | None = None):
    """A page in its own browser context; console errors and CSP violations land in `errors`."""
    viewport = {"width": 360, "height": 740} if phone else {"width": 1920, "height": 1080}
    context = await browser.new_context(
        locale=locale, viewport=viewport, extra_http_headers={"Accept-Language": locale}
    )
    page = await context.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
    return page
