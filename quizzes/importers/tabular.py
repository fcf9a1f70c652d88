"""CSV and XLSX: one row per question, the same columns in both (see docs/import-formats.md).

Cells that hold several values (choices, weights, feedback, accepted answers) separate them with
"|"; write "\\|" for a literal bar. Weights are numbers per choice ("1|0|0", "50%|50%|-100%") or
the letters of the right choices ("B", "A,C").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from quizzes.importers.common import ParsedQuestion, ParseResult, content_hash, number

COLUMNS = [
    "uid",
    "type",
    "theme",
    "text_vi",
    "text_en",
    "explanation_vi",
    "explanation_en",
    "source",
    "difficulty",
    "tags",
    "time_limit",
    "points",
    "choices_vi",
    "choices_en",
    "weights",
    "feedback_vi",
    "feedback_en",
    "answer",
    "answer_options",
    "status",
    "visibility",
]
TEXT_OPTIONS = ("ignore_case", "ignore_diacritics", "ignore_spaces")
TEXT_DEFAULTS = {"ignore_case": True, "ignore_diacritics": False, "ignore_spaces": True}
TRUE_WORDS = {"true", "t", "đúng", "dung", "1", "yes"}
FALSE_WORDS = {"false", "f", "sai", "0", "no"}
_BAR = re.compile(r"(?<!\\)\|")


class RowError(ValueError):
    pass


def split_cell(value: str) -> list[str]:
    if not value.strip():
        return []
    return [part.replace("\\|", "|").strip() for part in _BAR.split(value)]


def join_cell(values: Iterable[str]) -> str:
    return " | ".join(str(v).replace("|", "\\|") for v in values)


def format_number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def parse_rows(rows: Iterable[tuple[int, list[str]]]) -> ParseResult:
    """Rows are (line number, cells); the first non-empty row is the header."""
    result = ParseResult()
    header: list[str] | None = None
    for line, cells in rows:
        cells = [("" if c is None else str(c)) for c in cells]
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lower().lstrip("\ufeff") for c in cells]
            missing = [c for c in ("type",) if c not in header]
            if missing or not ({"text_vi", "text_en"} & set(header)):
                result.reject(
                    line,
                    "",
                    _(
                        "The header row needs the columns type and text_vi or text_en; found: "
                        "%(found)s"
                    )
                    % {"found": ", ".join(header)},
                )
                return result
            unknown = [c for c in header if c and c not in COLUMNS]
            if unknown:
                result.reject(
                    line, "", _("Unknown columns: %(cols)s") % {"cols": ", ".join(unknown)}
                )
                return result
            continue
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        name = row.get("uid") or (row.get("text_vi") or row.get("text_en") or "")[:60]
        try:
            data = row_to_data(row)
        except RowError as exc:
            result.reject(line, name, str(exc))
            continue
        if not data.get("uid"):
            data["uid"] = "csv-" + content_hash({k: v for k, v in row.items() if k != "status"})
        result.questions.append(ParsedQuestion(line, name, data))
    if header is None:
        result.reject(1, "", _("The file is empty."))
    return result


def _int(row: dict, column: str) -> int | None:
    value = row.get(column, "")
    if not value:
        return None
    parsed = number(value)
    if not isinstance(parsed, int):
        raise RowError(
            _("“%(value)s” in %(column)s is not a whole number.")
            % {"value": value, "column": column}
        )
    return parsed


def row_to_data(row: dict) -> dict:
    qtype = row.get("type", "").strip().lower()
    data: dict = {
        "type": qtype,
        "text": {"vi": row.get("text_vi", ""), "en": row.get("text_en", "")},
        "explanation": {"vi": row.get("explanation_vi", ""), "en": row.get("explanation_en", "")},
    }
    for key in ("uid", "theme", "source", "status", "visibility"):
        if row.get(key):
            data[key] = row[key]
    for key in ("difficulty", "time_limit", "points"):
        value = _int(row, key)
        if value is not None:
            data[key] = value
    tags = [t.strip() for t in re.split(r"[,;]", row.get("tags", "")) if t.strip()]
    if tags:
        data["tags"] = tags

    choices_vi, choices_en = (
        split_cell(row.get("choices_vi", "")),
        split_cell(row.get("choices_en", "")),
    )
    if qtype == "truefalse" and not choices_vi and not choices_en:
        word = row.get("answer", "").strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise RowError(_("A true-or-false row needs choices, or an answer of true or false."))
        right = word in TRUE_WORDS
        data["choices"] = [
            {"text": {"vi": "Đúng", "en": "True"}, "weight": 1.0 if right else 0.0},
            {"text": {"vi": "Sai", "en": "False"}, "weight": 0.0 if right else 1.0},
        ]
    elif choices_vi or choices_en:
        if choices_vi and choices_en and len(choices_vi) != len(choices_en):
            raise RowError(
                _("choices_vi has %(vi)s choices but choices_en has %(en)s.")
                % {"vi": len(choices_vi), "en": len(choices_en)}
            )
        count = max(len(choices_vi), len(choices_en))
        weights = _weights(row.get("weights", ""), count, qtype)
        feedback_vi, feedback_en = (
            split_cell(row.get("feedback_vi", "")),
            split_cell(row.get("feedback_en", "")),
        )
        for column, values in (("feedback_vi", feedback_vi), ("feedback_en", feedback_en)):
            if values and len(values) != count:
                raise RowError(
                    _("%(column)s has %(n)s entries for %(count)s choices.")
                    % {"column": column, "n": len(values), "count": count}
                )
        choices = []
        for i in range(count):
            choice = {
                "text": {
                    "vi": choices_vi[i] if choices_vi else "",
                    "en": choices_en[i] if choices_en else "",
                },
                "weight": weights[i],
            }
            fb = {
                "vi": feedback_vi[i] if feedback_vi else "",
                "en": feedback_en[i] if feedback_en else "",
            }
            if fb["vi"] or fb["en"]:
                choice["feedback"] = fb
            choices.append(choice)
        data["choices"] = choices
    if qtype == "text":
        data["answer"] = {"accepted": split_cell(row.get("answer", "")), **_options(row)}
    elif qtype == "numeric":
        data["answer"] = _numeric(row.get("answer", ""))
    return data


def shared_weights(picked: list[int], count: int, *, multi: bool) -> list[float]:
    """Weights for `count` choices where the (0-based) `picked` ones are right: 1 each for a
    single answer, else an equal share of 1 (the last right choice takes the remainder)."""
    picked = sorted(set(picked))
    share = round(1 / len(picked), 4) if multi else 1.0
    weights = [0.0] * count
    for i in picked:
        weights[i] = share
    if multi:
        weights[picked[-1]] = round(1 - share * (len(picked) - 1), 4)
    return weights


def _weights(cell: str, count: int, qtype: str) -> list[float]:
    tokens = [t for t in re.split(r"[|,;\s]+", cell.strip()) if t]
    if not tokens:
        return [0.0] * count
    if all(re.fullmatch(r"[A-Za-z]", t) for t in tokens):
        picked = sorted({ord(t.upper()) - ord("A") for t in tokens})
        if any(i >= count for i in picked):
            raise RowError(_("A right-choice letter in weights is beyond the last choice."))
        return shared_weights(picked, count, multi=qtype == "multi")
    tokens = split_cell(cell)
    if len(tokens) != count:
        raise RowError(
            _("weights has %(n)s entries for %(count)s choices.")
            % {"n": len(tokens), "count": count}
        )
    weights = []
    for token in tokens:
        percent = token.endswith("%")
        value = number(token.rstrip("%"))
        if value is None:
            raise RowError(_("The weight “%(value)s” is not a number.") % {"value": token})
        weights.append(float(value) / 100 if percent else float(value))
    return weights


def _options(row: dict) -> dict:
    cell = row.get("answer_options", "").strip().lower()
    if not cell:
        return dict(TEXT_DEFAULTS)
    flags = {t for t in re.split(r"[\s,;|]+", cell) if t}
    unknown = flags - set(TEXT_OPTIONS) - {"exact"}
    if unknown:
        raise RowError(
            _(
                "Unknown answer options %(options)s: use ignore_case, ignore_diacritics, "
                "ignore_spaces or exact."
            )
            % {"options": ", ".join(sorted(unknown))}
        )
    return {option: option in flags for option in TEXT_OPTIONS}


def _numeric(cell: str) -> dict:
    text = cell.replace(" ", "").replace("±", ":")
    if ".." in text:
        low, _dots, high = text.partition("..")
        answer = {"min": number(low), "max": number(high)}
    elif ":" in text:
        value, _colon, tolerance = text.partition(":")
        answer = {"value": number(value), "tolerance": number(tolerance)}
    else:
        answer = {"value": number(text), "tolerance": 0}
    if any(v is None for v in answer.values()):
        raise RowError(
            _("The numeric answer “%(value)s” is not a number, number:tolerance or min..max.")
            % {"value": cell}
        )
    return answer


class RowsError(ValueError):
    """The file could not be read as rows at all (reported on the file, not on a row)."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def csv_rows(content: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of a CSV text; `,` `;` or tab separated, a BOM is fine."""
    text = content.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    if not any(d in first for d in (",", ";", "\t")):  # a title cell first (Blooket)
        first = text[:4096]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        previous = 0
        for row in reader:  # a quoted cell may span lines: report the row's first line
            rows.append((previous + 1, row))
            previous = reader.line_num
    except csv.Error as exc:
        raise RowsError(
            reader.line_num, _("This CSV could not be read: %(error)s") % {"error": exc}
        ) from exc
    return rows


def xlsx_rows(content: bytes, limit: int | None = None) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) of the first sheet of an Excel workbook (its first `limit`)."""
    from openpyxl import load_workbook

    from quizzes.importers.archives import ArchiveError, check_zip

    try:
        check_zip(content)
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ArchiveError as exc:
        raise RowsError(None, exc.message) from exc
    except Exception as exc:
        raise RowsError(None, _("This is not an Excel (.xlsx) workbook.")) from exc
    sheet = book.worksheets[0]

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return format_number(value)
        return str(value)

    rows = [
        (index, [cell(v) for v in values])
        for index, values in enumerate(sheet.iter_rows(values_only=True, max_row=limit), start=1)
    ]
    book.close()
    return rows


def _rows_or_error(read, content) -> ParseResult:
    try:
        rows = read(content)
    except RowsError as exc:
        result = ParseResult()
        result.reject(exc.line, "", exc.message)
        return result
    return parse_rows(rows)


def parse_csv(content: str) -> ParseResult:
    return _rows_or_error(csv_rows, content)


def parse_xlsx(content: bytes) -> ParseResult:
    return _rows_or_error(xlsx_rows, content)
