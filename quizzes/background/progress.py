"""Progress of a running job, kept in memory by the job's callback and written by the runner's
writer thread at most once per interval (a pure object: no ORM, property-tested)."""

from __future__ import annotations

import threading


def percent_of(done: int, total: int, start: int = 0, end: int = 100) -> int:
    """`done` of `total` mapped onto the slice start..end of the bar (total 0 counts as done)."""
    if total <= 0:
        return end
    share = min(max(done, 0), total) / total
    return start + int((end - start) * share)


class Progress:
    """The latest progress of one attempt: percent never goes back and stays within 0..100."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.percent = 0
        self.message = ""
        self._dirty = False

    def set(self, percent: int, message: str | None = None) -> None:
        with self._lock:
            percent = max(self.percent, min(100, max(0, int(percent))))
            if percent != self.percent or (message is not None and message != self.message):
                self.percent = percent
                if message is not None:
                    self.message = message[:300]
                self._dirty = True

    def take(self) -> tuple[int, str] | None:
        """The change since the last take, or None: what the writer should store now."""
        with self._lock:
            if not self._dirty:
                return None
            self._dirty = False
            return self.percent, self.message
