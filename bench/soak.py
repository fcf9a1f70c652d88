"""Soak run (reliability plan T19) at full size: the suite's soak test, scaled up.

tests/realtime/test_crash_soak.py plays one game of 300 players x 60 questions against a real
server process and its own redis-server, and checks memory growth (< 10 % from the warmed-up point),
stored answers, scores, and that nothing is left behind (connections, Redis keys, bus subscribers,
errors in the server log). This script runs the same test longer: several games in a row in the
same server process (the memory reference is taken in the first game, the end point in the last).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cq_soak REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/soak.py --players 300 --questions 60 --games 10

Take the quiet lock first (/work/tools/COMMON.md). Prints the test's figures line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=300)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--games", type=int, default=10)
    args = parser.parse_args()
    env = {
        **os.environ,
        "SOAK_PLAYERS": str(args.players),
        "SOAK_QUESTIONS": str(args.questions),
        "SOAK_GAMES": str(args.games),
        "CQ_REQUIRE_SERVICES": "1",
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/realtime/test_crash_soak.py",
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
