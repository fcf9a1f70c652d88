"""Exports (contest rounds and live games, CSV and XLSX): no cell runs as a spreadsheet formula,
whatever a participant, player or author typed, and nothing typed is lost (OWASP, CSV Injection)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from contest.models import Round
from contest.services import exports
from tests.contest.helpers import TOKEN_HEADER, close_round, register, start_attempt

pytestmark = pytest.mark.django_db

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = st.one_of(st.integers(-(10**9), 10**9), st.floats(-1e9, 1e9, allow_nan=False))
# Arbitrary text, and text built to start with a trigger (so every example probes the rule).
# (No NUL: PostgreSQL refuses it in text, so no stored name can hold one.)
ANY = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=18)
TEXT = st.one_of(
    ANY,
    st.builds(lambda t, s: t + s, st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n"]), ANY),
    st.sampled_from(['=HYPERLINK("http://x","y")', "@SUM(A1)", "-2+3", "+cmd|' /C calc'!A0"]),
)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower() not in {"nan", "inf", "-inf", "+inf"}


def _assert_safe_text(cell: str, original: str) -> None:
    if cell.startswith(TRIGGERS):
        assert _is_number(cell), repr(cell)
    # Escaping only ever adds one leading quote: nothing the person typed is lost.
    assert cell == original or (cell == "'" + original and original.startswith(TRIGGERS + ("\n",)))


def _csv_rows(body: str) -> list[list]:
    # QUOTE_NONNUMERIC reads every unquoted field as a number: a text cell left unquoted fails.
    return list(
        csv.reader(io.StringIO(body.lstrip("\ufeff"), newline=""), quoting=csv.QUOTE_NONNUMERIC)
    )


def _xlsx_expected(original: str) -> str:
    # XML cannot hold most control characters (shown as U+FFFD) and reads CR as LF.
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", original)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _xlsx_cells(body: bytes):
    book = load_workbook(io.BytesIO(body))
    for sheet in book.worksheets:
        yield from (cell for row in sheet.iter_rows() for cell in row)


@given(name=TEXT, school=TEXT, district=TEXT, score=NUMBER)
@hsettings(max_examples=60, deadline=None)
def test_round_export_cells_never_start_a_formula_and_keep_the_text(name, school, district, score):
    row = {
        "rank": 1,
        "name": name,
        "public_name": name,
        "school": school,
        "district": district,
        "class": "9A",
        "score": score,
        "submitted_at": "2026-01-01T08:00:00+07:00",
    }
    round_ = Round(title_vi=name, title_en=name, prediction_actual=3, prediction_text_vi=school)
    header, body_row = _csv_rows(exports.results_csv(round_=round_, rows=[row]).decode("utf-8"))
    columns = [key for key, _label in exports.export_columns()]
    for key, cell in zip(columns, body_row, strict=True):
        value = row.get(key)
        if isinstance(value, str):
            _assert_safe_text(cell, value)
        elif value is not None:
            assert cell == value  # numbers stay numbers
    cells = list(_xlsx_cells(exports.results_xlsx(round_=round_, rows=[row])))
    assert all(cell.data_type != "f" for cell in cells)
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    for text in texts:
        assert not text.startswith(TRIGGERS + ("\n",)) or _is_number(text), repr(text)
    for original in (name, school, district):
        if original:
            wanted = _xlsx_expected(exports.spreadsheet_cell(original))
            assert wanted in texts


@given(nickname=TEXT, question_text=TEXT)
@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_live_game_export_cells_never_start_a_formula_and_keep_the_text(
    teacher, nickname, question_text
):
    from realtime import results
    from realtime.models import Player, QuestionResult
    from tests.realtime.conftest import create_game, make_quiz

    quiz = make_quiz(teacher, ["single"])
    game = create_game(teacher, quiz)
    question_id = game.plan[0]["question"]
    from quizzes.models import Question

    Question.objects.filter(pk=question_id).update(text_vi=question_text or "?")
    QuestionResult.objects.create(game=game, q=0, question_id=question_id, answers=1, right=1)
    Player.objects.create(game=game, nickname=nickname, nickname_key="k", score=-5, rank=1)
    header, body_row = _csv_rows(results.results_csv(game=game))
    _assert_safe_text(body_row[1], nickname)
    assert body_row[3] == -5  # a negative score is a number, not text
    cells = list(_xlsx_cells(results.results_xlsx(game=game)))
    assert all(cell.data_type != "f" for cell in cells)
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    for text in texts:
        assert not text.startswith(TRIGGERS + ("\n",)) or _is_number(text), repr(text)
    for original in (nickname, question_text or "?"):
        if original:
            assert _xlsx_expected(exports.spreadsheet_cell(original)) in texts


def test_a_registrant_named_like_a_formula_is_exported_as_text(api_client, setup, organiser):
    contest, round_, _questions, units = setup
    units["school"].name = "@SUM(1+1)*cmd|' /C calc'!A0"
    units["school"].save()
    token = register(
        api_client,
        contest,
        units["school"],
        name='=HYPERLINK("http://evil","x")',
        email="evil@example.org",
    )
    state = start_attempt(api_client, round_, token)
    api_client.post(
        f"/api/attempts/{state['id']}/submit/", {}, format="json", **{TOKEN_HEADER: token}
    )
    close_round(round_)
    setup[0].staff.add(organiser)
    api_client.force_authenticate(organiser)
    body = api_client.get(f"/api/rounds/{round_.pk}/export.csv").content.decode("utf-8")
    rows = _csv_rows(body)
    assert rows[1][2] == '\'=HYPERLINK("http://evil","x")'
    assert rows[1][6] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    xlsx = api_client.get(f"/api/rounds/{round_.pk}/export.xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.cell(2, 3).data_type == "s"
    assert sheet.cell(2, 3).value == '\'=HYPERLINK("http://evil","x")'
