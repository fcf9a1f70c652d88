"""Production safety: DEBUG is off unless `make run`, `make test` or pytest ask for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_a_fresh_process(env_overrides: dict[str, str | None], code: str) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "PYTEST_VERSION"}
    }
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout + result.stderr


def test_a_server_started_without_debug_in_its_environment_runs_in_production_mode():
    out = _settings_in_a_fresh_process(
        {"SECRET_KEY": "k" * 50},
        "from django.conf import settings; print('DEBUG', settings.DEBUG, settings.PRODUCTION)",
    )
    assert "DEBUG False True" in out


def test_without_debug_and_without_a_secret_key_the_settings_refuse_to_load():
    out = _settings_in_a_fresh_process({}, "print('loaded')")
    assert "SECRET_KEY must be set" in out
    assert "loaded" not in out


def test_make_run_and_run_cluster_ask_for_debug_explicitly():
    makefile = (ROOT / "Makefile").read_text()
    assert "\nrun: export DEBUG = 1\n" in makefile
    assert "\nrun-cluster: export DEBUG = 1\n" in makefile
    development = next(
        line
        for line in makefile.splitlines()
        if line.endswith(": export DEBUG = 1") and " test" in line
    )
    assert {"translations", "messages", "test"} <= set(development.split(":")[0].split())
