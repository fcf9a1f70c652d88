"""Live game records."""

from __future__ import annotations
