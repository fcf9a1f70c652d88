"""Vietnamese and English ship complete: every catalogue entry has its Vietnamese text."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in ROOT.glob("**/locale/vi/LC_MESSAGES/*.po") if ".venv" not in p.parts)


def test_there_is_a_vietnamese_catalogue_for_every_app():
    owners = {p.relative_to(ROOT).parts[0] for p in CATALOGUES}
    assert {"locale", "quizzes", "contest", "realtime", "frontend"} <= owners


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated_to_vietnamese(path):
    catalogue = polib.pofile(str(path))
    missing = [
        e.msgid
        for e in catalogue
        if not e.obsolete
        and ("fuzzy" in e.flags or not (e.msgstr or any(e.msgstr_plural.values())))
    ]
    assert missing == [], f"untranslated in {path}: {missing[:10]}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_placeholders_survive_translation(path):
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
    for entry in polib.pofile(str(path)):
        if entry.msgstr:
            assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr)), (
                entry.msgid
            )
