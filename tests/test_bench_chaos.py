"""bench/live.py --chaos at a small size, and the simulated phones' parity with the real client.

The smoke run plays one 200-player game on two supervised server processes behind nginx while a
server is killed (question 1), Redis restarts (question 2) and PostgreSQL is unreachable for 3 s
(question 3): it asserts counts (nothing lost, nothing stored twice, every score recomputed, every
player back), never times.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench.chaos import PLAY_JS, WS_JS, client_timing, reconnect_delay_ms
from tests.test_bench_smoke import bench_database_url

ROOT = Path(__file__).resolve().parents[1]
PLAYERS = 200


def test_simulated_phones_reconnect_with_the_backoff_of_ws_js():
    """The harness reads ws.js's numbers; this fails if ws.js's formula changes shape."""
    ws = WS_JS.read_text()
    retry = ws[ws.index("  retry() {") : ws.index("  tick() {")]
    assert "const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempt);" in retry
    assert "this.attempt += 1;" in retry
    assert "const delay = MIN_DELAY + Math.random() * cap;" in retry
    assert re.search(r"ws\.onopen = \(\) => \{\s*this\.attempt = 0;", ws)
    timing = client_timing()
    for name in ("MIN_DELAY", "BASE_DELAY", "MAX_DELAY"):
        assert f"const {name} = {timing[name]};" in ws
    floor, base, cap = timing["MIN_DELAY"], timing["BASE_DELAY"], timing["MAX_DELAY"]
    for attempt in range(8):
        assert reconnect_delay_ms(attempt, timing, lambda: 0.0) == floor
        assert reconnect_delay_ms(attempt, timing, lambda: 1.0) == floor + min(
            cap, base * 2**attempt
        )


def test_simulated_phones_resend_on_busy_after_the_delay_of_play_js():
    play = PLAY_JS.read_text()
    busy = play[play.index('if (msg.code === "busy"') :][:400]
    assert "answer_id: pending.answer_id" in busy  # the same answer_id
    assert f"}}), {client_timing()['BUSY_RETRY']});" in busy


@pytest.mark.django_db
@pytest.mark.slow
def test_a_server_kill_a_redis_restart_and_a_database_cut_lose_and_duplicate_nothing(tmp_path):
    out = tmp_path / "chaos.json"
    completed = subprocess.run(
        [
            sys.executable,
            "bench/live.py",
            "--chaos",
            "--players",
            str(PLAYERS),
            "--chaos-time-limit",
            "5",
            "--chaos-fault-at",
            "1",
            "--chaos-think",
            "2.5",
            "--json",
            str(out),
            "--plot",
            str(tmp_path / "chaos.png"),
            "--database-url",
            bench_database_url(),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert settings.DATABASE_URL  # the harness needs PostgreSQL (and starts its own Redis)
    assert doc["joined"] == PLAYERS
    assert doc["lost_answers"] == 0
    assert doc["duplicate_answers"] == 0
    assert doc["score_mismatches"] == 0
    assert doc["acked_answers"] == doc["stored_answers"] == 4 * PLAYERS
    assert doc["never_acked"] == 0
    assert doc["final_scores_seen"] == PLAYERS
    assert [f["fault"] for f in doc["faults"]] == ["server_kill", "redis_restart", "postgres_cut"]
    assert doc["server_restarts"] == [0, 1]  # the supervisor brought the killed process back
    assert [f["never_back"] for f in doc["faults"]] == [0, 0, 0]
    kill, redis, cut = doc["faults"]
    assert kill["disconnected"] > 0
    assert kill["never_back"] == 0
    assert kill["reconnect_ms"]["n"] == kill["disconnected"]
    assert redis["state_resent"] >= PLAYERS  # the state is resent once the bus is back
    assert set(doc["answers_refused"]) <= {"busy"}  # refused while the database was away
    assert doc["errors"] == {}
    assert {entry["stored"] for entry in doc["per_question"]} == {PLAYERS}
    assert [entry["q"] for entry in doc["per_question"]] == [1, 2, 3, 4]
    assert (tmp_path / "chaos.png").stat().st_size > 0
    assert "lost_answers=0" in completed.stdout


def test_the_harness_supervisor_restarts_a_killed_process_like_systemd_restart_always():
    import signal
    import time

    from bench.faults import SYSTEMD_RESTART_SEC, Supervised

    assert SYSTEMD_RESTART_SEC == 0.1  # systemd's DefaultRestartSec; docs/deploy.md sets none
    supervisor = Supervised(lambda: subprocess.Popen(["sleep", "60"]))
    first = supervisor.process
    try:
        first.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while supervisor.process is first and time.monotonic() < deadline:
            time.sleep(0.02)
        assert supervisor.process is not first
        assert supervisor.process.poll() is None
        assert len(supervisor.started) == 2
        assert supervisor.exits[0][1] == -signal.SIGKILL
    finally:
        supervisor.stop()
        supervisor.process.kill()
        supervisor.process.wait()
    supervisor.join(10)  # the watcher saw the process end after stop() and gave up
    assert len(supervisor.started) == 2  # stopped: a process ending now is not restarted
