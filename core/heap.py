"""The cyclic garbage collector in a long-lived process (a server, a job worker).

A process holds its startup heap (Django, the apps, every module) for its life. With CPython's
defaults (700, 10, 10) a full collection walks all of it each time the heap has grown by a
quarter, and young collections run every 700 new objects: a 10,000-player join on one server
process ran 24 full collections, 6.5 s of CPU (bench/README.md "Garbage collection"), and a
round's close on a job worker builds 100,000 rows several times over.
"""

from __future__ import annotations

import gc

# The collector's thresholds in a server or job worker process (CPython's: 700, 10, 10).
GC_THRESHOLDS = (10_000, 10, 10)


def freeze_startup_heap() -> None:
    """Move everything the process holds now out of the collector's reach, and let a young
    collection wait for GC_THRESHOLDS[0] new objects. Cycles are still freed: later and in
    bigger, fewer steps. Call it once the process has imported what it runs."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
