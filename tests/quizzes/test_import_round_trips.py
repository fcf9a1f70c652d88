"""Round trips over generated questions: our QTI export imports back as the same questions, and
what each vendor template can hold, taken from our tabular export into the vendor's published
columns, imports back as the same questions. Random bytes only ever yield reported problems."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.exporters import qti as qti_export
from quizzes.exporters import tabular as tabular_export
from quizzes.importers import parse_file, qti, vendor_sheets
from quizzes.importers.tabular import csv_rows, split_cell
from quizzes.services.questions import question_normalize_data, question_validate_data
from tests.quizzes.test_import_properties import GARBAGE, TEXT, questions

NOT_TRUE_FALSE = TEXT.filter(lambda t: t.lower() not in ("true", "false", "đúng", "sai"))


def mono(text: str, vi: bool) -> dict:
    return {"vi": text, "en": ""} if vi else {"vi": "", "en": text}


@st.composite
def qti_questions(draw):
    """Every type QTI carries, in one language: GIFT's generator plus ordering and polls."""
    vi = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        qtype = draw(st.sampled_from(["order", "poll"]))
        count = draw(st.integers(2, 5))
        data = {
            "uid": draw(TEXT),
            "type": qtype,
            "text": mono(draw(TEXT), vi),
            "choices": [
                {"text": mono(draw(NOT_TRUE_FALSE), vi), "weight": 0.0} for _ in range(count)
            ],
        }
        lang = "vi" if vi else "en"
    else:
        data = draw(questions(vi=vi))
        lang = data.pop("_lang")
        if data["type"] == "text":
            data["answer"]["ignore_case"] = draw(st.booleans())
        for choice in data.get("choices", []):
            if data["type"] != "truefalse" and choice["text"][lang].lower() in (
                "true", "false", "đúng", "sai"
            ):  # fmt: skip
                choice["text"] = mono("x" + choice["text"][lang], vi)
    return data, lang


def carried_by_qti(data: dict) -> dict:
    """What a QTI item holds: all but tags, theme, difficulty, time, source and points; typed
    answers keep their accepted texts and case rule; a zero-width range is a value."""
    normal = question_normalize_data(data)
    for key in ("tags", "theme", "difficulty", "time_limit", "source"):
        normal.pop(key, None)
    if data["type"] != "slide":
        normal.pop("points", None)
    for choice in normal.get("choices", []):
        choice["weight"] = round(choice["weight"], 5)
    answer = normal.get("answer")
    if data["type"] == "text":
        normal["answer"] = {k: answer[k] for k in ("accepted", "ignore_case")}
    if data["type"] == "numeric" and "min" in answer and answer["min"] == answer["max"]:
        normal["answer"] = {"value": answer["min"], "tolerance": 0}
    return normal


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(qti_questions())
def test_qti_export_then_import_gives_back_the_same_question(generated):
    data, lang = generated
    assert question_validate_data(data) == []
    package = qti_export.render([question_normalize_data(data)], language=lang)
    result = qti.parse(package)
    assert result.errors == []
    [parsed] = result.questions
    assert parsed.data["uid"] == data["uid"]
    assert carried_by_qti(parsed.data) == carried_by_qti(data)


# --- vendor templates: what each can hold, from our tabular export ---------------------------

VENDOR_TYPES = {
    "kahoot": ["single", "multi", "truefalse"],
    "blooket": ["single", "multi", "truefalse"],
    "quizizz": ["single", "multi", "truefalse", "text", "poll"],
}
MAX_CHOICES = {"kahoot": 4, "blooket": 4, "quizizz": 5}
KAHOOT_HEADER = [
    "", "Question - max 120 characters", "Answer 1 - max 75 characters",
    "Answer 2 - max 75 characters", "Answer 3 - max 75 characters",
    "Answer 4 - max 75 characters", "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs",
    "Correct answer(s) - choose at least one",
]  # fmt: skip
BLOOKET_HEADER = [
    "Question #", "Question Text", "Answer 1", "Answer 2", "Answer 3\n(Optional)",
    "Answer 4\n(Optional)", "Time Limit (sec)\n(Max: 300 seconds)",
    "Correct Answer(s)\n(Only include Answer #)",
]  # fmt: skip
QUIZIZZ_HEADER = [
    "Question Text", "Question Type", "Option 1", "Option 2", "Option 3", "Option 4", "Option 5",
    "Correct Answer", "Time in seconds", "Image Link", "Answer explanation",
]  # fmt: skip
QUIZIZZ_TYPE = {"single": "Multiple Choice", "truefalse": "Multiple Choice", "multi": "Checkbox",
                "text": "Fill-in-the-Blank", "poll": "Poll"}  # fmt: skip


@st.composite
def vendor_questions(draw, vendor: str):
    vi = draw(st.booleans())
    qtype = draw(st.sampled_from(VENDOR_TYPES[vendor]))
    data: dict = {"uid": "x", "type": qtype, "text": mono(draw(NOT_TRUE_FALSE), vi),
                  "time_limit": draw(st.integers(5, 240))}  # fmt: skip
    if vendor == "quizizz" and draw(st.booleans()):
        data["explanation"] = mono(draw(TEXT), vi)
    if qtype == "truefalse":
        right = draw(st.booleans())
        data["choices"] = [
            {"text": {"vi": "Đúng", "en": "True"}, "weight": 1.0 if right else 0.0},
            {"text": {"vi": "Sai", "en": "False"}, "weight": 0.0 if right else 1.0},
        ]
    elif qtype == "text":
        accepted = draw(st.lists(TEXT.filter(lambda t: "|" not in t and "\\" not in t),
                                 min_size=1, max_size=5, unique=True))  # fmt: skip
        data["answer"] = {"accepted": accepted, "ignore_case": True, "ignore_diacritics": False,
                          "ignore_spaces": True}  # fmt: skip
    else:
        count = draw(st.integers(2, MAX_CHOICES[vendor]))
        texts = draw(st.lists(NOT_TRUE_FALSE, min_size=count, max_size=count))
        data["choices"] = [{"text": mono(t, vi), "weight": 0.0} for t in texts]
        if qtype == "single":
            data["choices"][draw(st.integers(0, count - 1))]["weight"] = 1.0
        elif qtype == "multi":
            right = draw(st.lists(st.integers(0, count - 1), min_size=2, unique=True))
            for i in right:
                data["choices"][i]["weight"] = round(1 / len(right), 4)
            data["choices"][right[-1]]["weight"] = round(
                1 - round(1 / len(right), 4) * (len(right) - 1), 4
            )
    return data, "vi" if vi else "en"


def pick(row: dict, column: str, lang: str) -> list[str]:
    return split_cell(row[f"{column}_{lang}"])


def vendor_row(row: dict, vendor: str, lang: str, number: int) -> list:
    """A teacher's copy of one row of our tabular export into the vendor's template."""
    text = row[f"text_{lang}"]
    if row["type"] == "text":
        options = split_cell(row["answer"])
    else:
        options = pick(row, "choices", lang)
    weights = [float(w) for w in split_cell(row["weights"])] if row["weights"] else []
    right = ",".join(str(i + 1) for i, w in enumerate(weights) if w > 0)
    if vendor == "quizizz":
        cells = options + [""] * (5 - len(options))
        return [text, QUIZIZZ_TYPE[row["type"]], *cells, right, row["time_limit"], "",
                row[f"explanation_{lang}"]]  # fmt: skip
    cells = options + [""] * (4 - len(options))
    return [number, text, *cells, row["time_limit"], right]


def vendor_file(items: list[dict], vendor: str, lang: str) -> bytes:
    exported = tabular_export.render_csv(items).decode("utf-8")
    ours = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    body = [vendor_row(r, vendor, lang, n) for n, r in enumerate(ours, start=1)]
    if vendor == "blooket":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["Blooket\nImport Template"] + [""] * 7)
        writer.writerow(BLOOKET_HEADER)
        writer.writerows(body)
        return buffer.getvalue().encode("utf-8")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if vendor == "kahoot":
        sheet["B2"] = "Quiz template"
        sheet.append([])
        sheet.append(KAHOOT_HEADER)
    else:
        sheet.append(QUIZIZZ_HEADER)
        sheet.append(["Text of the question\n\n(required)"] + [""] * 10)
    for cells in body:
        sheet.append(cells)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula (as our own xlsx export does)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def carried_by_vendor(data: dict) -> dict:
    normal = question_normalize_data(data)
    kept = {k: normal[k] for k in ("type", "text", "explanation", "time_limit")}
    if "choices" in normal:
        kept["choices"] = [c["text"] for c in normal["choices"]]
        kept["right"] = [i for i, c in enumerate(normal["choices"]) if c["weight"] > 0]
        kept["weight_sum"] = round(
            sum(c["weight"] for c in normal["choices"] if c["weight"] > 0), 3
        )
    if "answer" in normal:
        kept["answer"] = normal["answer"]
    return kept


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", vendor_sheets.VENDORS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_what_a_vendor_template_holds_comes_back_from_our_tabular_export(vendor, data):
    generated, lang = data.draw(vendor_questions(vendor))
    assert question_validate_data(generated) == []
    normal = {**question_normalize_data(generated), "status": "draft", "visibility": "public"}
    content = vendor_file([normal], vendor, lang)
    result = parse_file(content=content, fmt=vendor, language=lang)
    assert result.errors == []
    [parsed] = result.questions
    assert question_validate_data(parsed.data) == []
    assert carried_by_vendor(parsed.data) == carried_by_vendor(generated)


@pytest.mark.parametrize("vendor", vendor_sheets.VENDORS)
@settings(max_examples=100, deadline=None)
@given(content=GARBAGE)
def test_random_rows_under_a_vendor_header_never_raise(vendor, content):
    header = {"kahoot": KAHOOT_HEADER, "blooket": BLOOKET_HEADER, "quizizz": QUIZIZZ_HEADER}
    text = ",".join(f'"{h}"' for h in header[vendor]) + "\n" + content
    try:
        rows = csv_rows(text)
    except ValueError:
        return  # unreadable CSV: reported on the file by the caller
    result = vendor_sheets.parse(rows, vendor)
    for problem in result.errors:
        assert isinstance(problem.message, str)
        assert problem.message


@settings(max_examples=100, deadline=None)
@given(content=st.binary(max_size=400) | GARBAGE.map(str.encode))
def test_random_bytes_as_qti_never_raise(content):
    result = qti.parse(content)
    assert result.errors or result.questions
