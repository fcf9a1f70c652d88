"""Shared builders for the bank's API tests."""

from __future__ import annotations

from typing import Any


def single_choice_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "single",
        "theme": "sdg",
        "text": {"vi": "Công dân toàn cầu là gì?", "en": "What is a global citizen?"},
        "explanation": {"vi": "Giải thích", "en": "Because"},
        "source": "UNESCO",
        "difficulty": 2,
        "tags": ["gced"],
        "time_limit": 20,
        "points": 1,
        "choices": [
            {"text": {"vi": "Người quan tâm thế giới", "en": "Someone who cares"}, "weight": 1},
            {"text": {"vi": "Khách du lịch", "en": "A tourist"}, "weight": 0},
        ],
    }
    data.update(overrides)
    return data
