"""Where `../shared` (fixtures the tests may read, beside the checkout in CI) is found.

In CI it sits beside the checkout. A clean clone made elsewhere for a check
(`d=$(mktemp -d) && git clone . $d && cd $d && bash .ci/run`) finds it beside the checkout it
was cloned from. CQ_SHARED_DIR names it explicitly.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    if os.environ.get("CQ_SHARED_DIR"):
        return Path(os.environ["CQ_SHARED_DIR"])
    beside = ROOT.parent / "shared"
    if beside.is_dir():
        return beside
    origin = subprocess.run(
        ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        return Path(origin).resolve().parent / "shared"
    return beside  # missing: the tests that need it fail with the path they looked for
