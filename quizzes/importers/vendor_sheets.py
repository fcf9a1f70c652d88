"""The spreadsheet templates teachers fill in for other quiz products, read as they publish them.

- Kahoot! ("Quiz spreadsheet template", .xlsx): instruction rows, then the header
  `Question - max 120 characters | Answer 1 - max 75 characters | … | Answer 4 … |
  Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs | Correct answer(s) - choose at least
  one`, with an unnamed first column of row numbers (numbered blank rows are normal).
- Wayground/Quizizz (.xlsx or .csv): the header `Question Text | Question Type | Option 1 … Option 5 |
  Correct Answer | Time in seconds | Image Link | Answer explanation`, then an instruction row.
- Blooket (.csv): a title row "Blooket Import Template", then `Question # | Question Text |
  Answer 1 | Answer 2 | Answer 3 (Optional) | Answer 4 (Optional) | Time Limit (sec) (Max: 300
  seconds) | Correct Answer(s) (Only include Answer #)`.

Header cells are matched on their name before any " - ", "(" or line break, so the vendors'
hints in the header ("max 75 characters", "(Optional)") and small wording changes do not matter.
Rows are read by `tabular.csv_rows` / `tabular.xlsx_rows`; each row becomes a canonical question
(one language, localised by the caller) or a problem with its row number.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from quizzes.importers.common import ParsedQuestion, ParseResult, content_hash, number
from quizzes.importers.tabular import RowError, shared_weights

VENDORS = ("kahoot", "quizizz", "blooket")
VENDOR_NAMES = {"kahoot": "Kahoot!", "quizizz": "Wayground/Quizizz", "blooket": "Blooket"}
HEADER_SCAN_ROWS = 20
# Time limits: our range, and each vendor's default when the cell is empty.
TIME_MIN, TIME_MAX = 5, 240
DEFAULT_TIME = {"kahoot": 20, "quizizz": 30, "blooket": 20}
_CUT = re.compile(r"\n|\s[-–—]\s|\(")
TRUE_FALSE = [({"true", "false"}), ({"đúng", "sai"})]
TRUE_WORDS = {"true", "đúng"}


def header_key(cell: str) -> str:
    """ "Answer 3\\n(Optional)" -> "answer 3"; "Correct answer(s) - choose…" -> "correct answer"."""
    key = _CUT.split(str(cell or "").strip().lstrip("\ufeff"), maxsplit=1)[0]
    return re.sub(r"\s+", " ", key).strip().rstrip(":").lower()


_SIGNATURES = {
    "quizizz": {"question text", "question type", "option 1", "option 2", "correct answer"},
    "blooket": {"question text", "answer 1", "answer 2", "correct answer"},
    "kahoot": {"question", "answer 1", "answer 2", "correct answer"},
}


def find_header(rows: list[tuple[int, list[str]]]) -> tuple[str, int] | None:
    """(vendor, index of the header row in `rows`) when a vendor's header is near the top."""
    seen = 0
    for index, (_line, cells) in enumerate(rows):
        if not any(str(c or "").strip() for c in cells):
            continue
        keys = {header_key(c) for c in cells}
        for vendor, needed in _SIGNATURES.items():  # quizizz first: its header is the richest
            if needed <= keys:
                return vendor, index
        seen += 1
        if seen >= HEADER_SCAN_ROWS:
            break
    return None


def sniff(rows: list[tuple[int, list[str]]]) -> str | None:
    found = find_header(rows)
    return found[0] if found else None


def parse(rows: list[tuple[int, list[str]]], vendor: str) -> ParseResult:
    """Canonical one-language questions from a vendor template's rows; bad rows reported."""
    result = ParseResult()
    found = find_header(rows)
    if found is None or found[0] != vendor:
        expected = {
            "kahoot": "Question, Answer 1…4, Time limit, Correct answer(s)",
            "quizizz": "Question Text, Question Type, Option 1…5, Correct Answer, Time in seconds",
            "blooket": "Question #, Question Text, Answer 1…4, Time Limit, Correct Answer(s)",
        }[vendor]
        result.reject(
            rows[0][0] if rows else 1,
            "",
            _("This is not a %(vendor)s template: no header row with the columns %(columns)s.")
            % {"vendor": VENDOR_NAMES[vendor], "columns": expected},
        )
        return result
    _vendor, start = found
    header = [header_key(c) for c in rows[start][1]]
    for line, cells in rows[start + 1 :]:
        row: dict[str, str] = {}
        for i, key in enumerate(header):
            if key and key not in row:
                row[key] = str(cells[i]).strip() if i < len(cells) and cells[i] is not None else ""
        content = {k: v for k, v in row.items() if k not in ("question #", "") and v}
        if not content:
            continue  # blank rows, and Kahoot's numbered empty rows
        text = row.get("question text") or row.get("question") or ""
        if vendor == "quizizz" and text.lower().startswith("text of the question"):
            continue  # the template's instruction row
        name = text[:60]
        warnings: list[str] = []
        try:
            if vendor == "quizizz":
                data = _quizizz(row, text, warnings)
            else:
                data = _answers_sheet(row, text, vendor, warnings)
        except RowError as exc:
            result.reject(line, name, str(exc))
            continue
        data["uid"] = f"{vendor}-" + content_hash(content)
        result.questions.append(ParsedQuestion(line, name, data, warnings))
    return result


def _numbers(cell: str, count: int, column: str) -> list[int]:
    """0-based indexes from "2", "1,3", "1; 3" or "2.0" (Excel), each within 1..count."""
    tokens = [t for t in re.split(r"[,;\s]+", cell.strip()) if t]
    picked = []
    for token in tokens:
        value = number(token)
        if not isinstance(value, int) or not 1 <= value <= count:
            raise RowError(
                _("“%(value)s” in %(column)s is not an answer number from 1 to %(count)s.")
                % {"value": token, "column": column, "count": count}
            )
        picked.append(value - 1)
    return sorted(set(picked))


def _time_limit(row: dict, vendor: str, warnings: list[str]) -> int:
    cell = row.get("time limit") or row.get("time in seconds") or ""
    if not cell:
        return DEFAULT_TIME[vendor]
    value = number(cell)
    if not isinstance(value, int):
        raise RowError(
            _("The time limit “%(value)s” is not a whole number of seconds.") % {"value": cell}
        )
    clamped = min(max(value, TIME_MIN), TIME_MAX)
    if clamped != value:
        warnings.append(
            _("The time limit of %(value)s s is outside 5–240 s: %(clamped)s s is used.")
            % {"value": value, "clamped": clamped}
        )
    return clamped


def _choice_question(
    options: list[tuple[int, str]], picked_cell: str, column: str, *, multi_allowed: bool
) -> dict:
    """single / multi / truefalse from numbered options (blank ones skipped) and right numbers."""
    present = [(i, text) for i, text in options if text]
    if len(present) < 2:
        raise RowError(_("The question needs at least two answers."))
    if not picked_cell:
        raise RowError(
            _("%(column)s is empty: give the number of the right answer.") % {"column": column}
        )
    picked = _numbers(picked_cell, len(options), column)
    numbers = [i for i, _text in present]
    for index in picked:
        if index + 1 not in numbers:
            raise RowError(
                _("%(column)s names answer %(n)s, which is empty.")
                % {"column": column, "n": index + 1}
            )
    right = [numbers.index(index + 1) for index in picked]
    texts = [text for _i, text in present]
    if len(right) > 1 and not multi_allowed:
        raise RowError(
            _("A Multiple Choice question has one right option; use the Checkbox type for several.")
        )
    if len(texts) == 2 and len(right) == 1 and {t.lower() for t in texts} in TRUE_FALSE:
        return {
            "type": "truefalse",
            "choices": [
                {
                    "text": {"vi": "Đúng", "en": "True"}
                    if t.lower() in TRUE_WORDS
                    else {"vi": "Sai", "en": "False"},
                    "weight": 1.0 if i in right else 0.0,
                }
                for i, t in enumerate(texts)
            ],
        }
    multi = len(right) > 1
    weights = shared_weights(right, len(texts), multi=multi)
    return {
        "type": "multi" if multi else "single",
        "choices": [{"text": t, "weight": w} for t, w in zip(texts, weights, strict=True)],
    }


def _answers_sheet(row: dict, text: str, vendor: str, warnings: list[str]) -> dict:
    """Kahoot and Blooket: Answer 1–4 (Kahoot allows up to 6), right answers by number."""
    if not text:
        raise RowError(_("The question text is empty."))
    options = [(i, row.get(f"answer {i}", "")) for i in range(1, 7) if f"answer {i}" in row]
    data = _choice_question(options, row.get("correct answer", ""), "Correct answer(s)",
                            multi_allowed=True)  # fmt: skip
    data["text"] = text
    data["time_limit"] = _time_limit(row, vendor, warnings)
    return data


QUIZIZZ_TYPES = {
    "": "multiple choice",
    "multiple choice": "multiple choice",
    "mcq": "multiple choice",
    "checkbox": "checkbox",
    "fill-in-the-blank": "fill-in-the-blank",
    "fill in the blank": "fill-in-the-blank",
    "poll": "poll",
    "open-ended": "open-ended",
    "open ended": "open-ended",
    "draw": "draw",
}


def _quizizz(row: dict, text: str, warnings: list[str]) -> dict:
    if not text:
        raise RowError(_("The question text is empty."))
    raw_type = row.get("question type", "")
    qtype = QUIZIZZ_TYPES.get(re.sub(r"\s+", " ", raw_type.strip().lower()))
    if qtype is None:
        raise RowError(
            _(
                "Unknown Question Type “%(type)s”: use Multiple Choice, Checkbox, "
                "Fill-in-the-Blank or Poll."
            )
            % {"type": raw_type}
        )
    if qtype in ("open-ended", "draw"):
        raise RowError(
            _("Wayground/Quizizz “%(type)s” questions are not supported.") % {"type": raw_type}
        )
    options = [(i, row.get(f"option {i}", "")) for i in range(1, 6) if f"option {i}" in row]
    correct = row.get("correct answer", "")
    if qtype in ("multiple choice", "checkbox"):
        data = _choice_question(
            options, correct, "Correct Answer", multi_allowed=qtype == "checkbox"
        )
        if qtype == "checkbox" and data["type"] == "single":
            data["type"] = "multi"  # one right box of several is still a checkbox question
    elif qtype == "fill-in-the-blank":
        accepted = [t for _i, t in options if t]
        if not accepted:
            raise RowError(_("A Fill-in-the-Blank question needs its answer in Option 1."))
        data = {
            "type": "text",
            "answer": {"accepted": accepted, "ignore_case": True, "ignore_diacritics": False,
                       "ignore_spaces": True},
        }  # fmt: skip
    else:  # poll
        present = [t for _i, t in options if t]
        if len(present) < 2:
            raise RowError(_("The question needs at least two answers."))
        data = {"type": "poll", "choices": [{"text": t, "weight": 0.0} for t in present]}
        if correct:
            warnings.append(_("A poll has no right answer: the Correct Answer cell is ignored."))
    data["text"] = text
    if row.get("answer explanation"):
        data["explanation"] = row["answer explanation"]
    data["time_limit"] = _time_limit(row, "quizizz", warnings)
    if row.get("image link"):
        warnings.append(
            _("The image link is not downloaded: add the image to the question in the editor.")
        )
    return data
