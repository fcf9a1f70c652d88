"""Wording a user reads: real numbers instead of a literal "N", and plurals that agree."""

from __future__ import annotations

import pytest

from tests.contest.helpers import make_contest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Mean of the top 7 scores"), ("vi", "Trung bình 7 điểm cao nhất")],
)
def test_the_unit_board_names_the_real_number_of_scores_it_averages(client, lang, expected):
    from tests.contest.conftest import clear_boards

    clear_boards()
    # Scores shown while open: with hidden scores the unit board ranks by participation.
    contest, round_, _questions = make_contest(slug="wording", scores_while_open=True)
    contest.unit_aggregation = "top_n"
    contest.aggregation_top_n = 7
    contest.save()
    page = client.get(
        f"/contests/{contest.slug}/rounds/{round_.pk}/results/", HTTP_ACCEPT_LANGUAGE=lang
    ).content.decode()
    assert expected in page
    assert " N " not in page


@pytest.mark.parametrize(
    ("seconds", "expected"), [(60, "1 minute"), (900, "15 minutes"), (90, "90 seconds")]
)
def test_the_contest_page_gives_the_time_per_attempt_in_words_that_agree(client, seconds, expected):
    contest, round_, _questions = make_contest(slug="timing", time_limit_seconds=seconds)
    page = client.get(f"/contests/{contest.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"<dd>{expected}</dd>" in page


def test_no_count_is_written_with_a_fixed_plural_noun():
    """ "1 questions", "1 seconds left": a count next to a noun goes through ngettext."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    nouns = "questions|seconds|points|players|participants|answers|minutes|attempts"
    fixed = re.compile(
        # A fixed maximum (%(max)s) is never 1: only counts are checked.
        r"(?<![n\w])(?:_|gettext)\(\s*[\"'][^\"']*%(?:\((?!max\))\w+\))?s (?:" + nouns + r")\b"
    )
    hits = []
    for folder in ("frontend", "contest", "realtime", "quizzes"):
        for path in (root / folder).rglob("*"):
            if path.suffix not in {".js", ".py"} or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if fixed.search(line):
                    hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert hits == []


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_dates_are_written_day_first_on_every_page_in_both_languages(client, lang):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    opens = datetime(2026, 3, 4, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    contest, round_, _questions = make_contest(
        slug="dates", opens_at=opens, closes_at=opens + timedelta(days=30)
    )
    landing = client.get(f"/contests/{contest.slug}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    listing = client.get("/contests/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert "04/03/2026 09:30" in landing  # opens: 4 March, day first, 24-hour clock
    assert "03/04/2026 09:30" in landing
    assert "03/04/2026 09:30" in listing
