"""Hostile nicknames (tests/hardening/nickname_corpus.py) through the join API: each one is
refused or comes back neutralised (short, visible, no invisible or control characters, marks
capped); markup is kept as inert text and proven harmless in Chromium (test_nickname_render)."""

from __future__ import annotations

import unicodedata

import pytest

from core.text import MAX_COMBINING
from realtime.models import Player
from realtime.nicknames import MAX_LENGTH
from tests.factories import make_user
from tests.hardening.nickname_corpus import TAKEN, corpus
from tests.realtime.conftest import create_game, join, make_quiz

pytestmark = pytest.mark.django_db

FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Letters that render as blank space (Hangul fillers): covered by test_nickname_policy_gaps.py.
BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
# Categories whose policy is complete in the engine today; homoglyph and profanity gaps are
# tested in test_nickname_policy_gaps.py.
CHECKED = {"markup", "invisible", "zalgo", "long", "emoji"}


def policy_violations(name: str) -> list[str]:
    problems = []
    if name != name.strip() or "  " in name:
        problems.append("untrimmed")
    if not 1 <= len(name) <= MAX_LENGTH:
        problems.append(f"length {len(name)}")
    if unicodedata.normalize("NFC", name) != name:
        problems.append("not NFC")
    marks = 0
    for ch in name:
        category = unicodedata.category(ch)
        if category in FORBIDDEN_CATEGORIES:
            problems.append(f"invisible/control U+{ord(ch):04X}")
        if ch.isspace() and ch != " ":
            problems.append(f"odd space U+{ord(ch):04X}")
        marks = marks + 1 if category.startswith("M") else 0
        if marks > MAX_COMBINING:
            problems.append("stacked marks")
    if not any(unicodedata.category(ch)[0] in "LNPSo" for ch in name if not ch.isspace()):
        problems.append("nothing visible")
    return problems


def test_corpus_has_at_least_two_thousand_hostile_names_in_every_category():
    names = corpus()
    assert len(names) >= 2000
    categories = {category for category, _ in names}
    assert categories >= {"markup", "invisible", "zalgo", "long", "homoglyph", "profanity", "emoji"}
    assert max(len(name) for _, name in names) >= 1000


def test_every_hostile_name_is_refused_or_neutralised_by_the_join_api(api_client, settings):
    settings.RATE_LIMITS_ENABLED = False  # thousands of joins from one test address
    host = make_user("nickhost", roles=["teacher"])
    game = create_game(host, make_quiz(host), capacity=100_000)
    for name in TAKEN:
        join(game, name)
    accepted: dict[str, str] = {}
    statuses: dict[int, int] = {}
    for category, raw in corpus():
        if category not in CHECKED or set(raw) & BLANK_LETTERS:
            continue
        response = api_client.post(
            "/api/games/join", {"pin": game.pin, "nickname": raw}, format="json"
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 201:
            accepted[raw] = response.json()["nickname"]
        else:
            assert response.status_code == 400, (raw, response.content)
            assert response.json()["code"] in {"nickname_invalid", "nickname_taken", "invalid"}
    violations = {raw: (name, policy_violations(name)) for raw, name in accepted.items()}
    violations = {raw: v for raw, v in violations.items() if v[1]}
    assert violations == {}
    # Stored names are exactly what the API returned: nothing else reaches the pages.
    stored = set(Player.objects.filter(game=game).values_list("nickname", flat=True))
    assert set(accepted.values()) <= stored
    assert all(not policy_violations(name) for name in stored)
    assert statuses.get(500, 0) == 0
    # The invisible-character variants of taken names collapse onto them and are refused.
    assert "La\u200bn Anh" not in accepted
    assert "Mi\u202enh" not in accepted
    assert "La\u200bn Anh" in {raw for _, raw in corpus()}
