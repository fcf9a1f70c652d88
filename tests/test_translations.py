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


def _rest_framework_messages() -> set:
    """Every error text Django REST framework can answer with: its fields' and relations' error
    messages, its exceptions' default details and its validators' messages (read from DRF
    itself, so a DRF upgrade with a new message fails the test below)."""
    import inspect

    from django.utils.functional import Promise
    from rest_framework import exceptions, fields, relations, serializers, validators

    found = set()
    for module in (fields, relations, serializers):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, fields.Field):
                found.update(getattr(cls, "default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(exceptions, inspect.isclass):
        if issubclass(cls, exceptions.APIException):
            found.add(cls.default_detail)
    for _name, cls in inspect.getmembers(validators, inspect.isclass):
        if isinstance(getattr(cls, "message", None), str | Promise):
            found.add(cls.message)
    return found


def test_every_message_rest_framework_can_answer_with_reads_in_vietnamese():
    from django.utils import translation

    messages = _rest_framework_messages()
    assert len(messages) > 60
    untranslated = []
    for message in messages:
        with translation.override("en"):
            english = str(message)
        with translation.override("vi"):
            if str(message) == english:
                untranslated.append(english)
    assert untranslated == [], f"English in Vietnamese pages: {sorted(untranslated)[:10]}"


@pytest.mark.django_db
def test_an_invalid_request_is_answered_in_vietnamese(client):
    response = client.post(
        "/api/games/join",
        {"pin": "1234567"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert response.status_code == 400
    assert "Trường này là bắt buộc." in str(response.json()["details"])
