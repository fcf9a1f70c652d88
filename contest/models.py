"""Contest models: contests, rounds, participants, attempts, answers."""

from __future__ import annotations
