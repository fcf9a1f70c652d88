"""Our JSON format: everything, both languages; the reference for a loss-free round trip."""

from __future__ import annotations

import json

from quizzes.importers.json_format import FORMAT_NAME, VERSION


def render(items: list[dict], *, language: str = "vi") -> bytes:
    document = {"format": FORMAT_NAME, "version": VERSION, "questions": items}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
