"""A fast reading of a request body (one that skips DRF's fields) against the serializer it
shortcuts: whatever the fast reading accepts, the serializer accepts with the same validated
data (tests/contest/test_answers_input.py, tests/realtime/test_join_input.py)."""

from __future__ import annotations

from typing import Any


def serializer_reading(serializer_class: Any, body: Any) -> dict | None:
    """The serializer's validated data for `body`, or None when it refuses it."""
    serializer = serializer_class(data=body)
    return dict(serializer.validated_data) if serializer.is_valid() else None


def assert_agrees(fast: dict | None, serializer_class: Any, body: Any) -> None:
    """A fast reading that accepted `body` read it as the serializer does."""
    if fast is not None:
        assert serializer_reading(serializer_class, body) == fast
