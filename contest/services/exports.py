"""Result exports (CSV and XLSX) per round and per unit, with the prediction and time columns,
and the one rule that keeps any export's cells from running as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from contest.models import Round

# --- Spreadsheet cells (every CSV and XLSX export: contest rounds and live games) ----------------

# OWASP, "CSV Injection": a cell starting with one of these is run as a formula by spreadsheet
# programs (=, +, -, @, tab, carriage return). Line feed is added: some programs skip it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def spreadsheet_cell(value: Any) -> Any:
    """A cell value that no spreadsheet runs as a formula: text starting with a formula trigger
    gets OWASP's single-quote prefix (real numbers, as numbers or as text, stay as they are).
    Nothing else changes, so the original is the cell without that one quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        if not _NUMBER.fullmatch(value):
            return "'" + value
    return value


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """CSV with every text cell escaped and quoted (OWASP), numbers bare, and a byte-order mark
    so spreadsheet programs read Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for row in (header, *rows):
        writer.writerow(["" if v is None else spreadsheet_cell(v) for v in row])
    return "\ufeff" + out.getvalue()


def xlsx_append(sheet, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet: text escaped like CSV (openpyxl would store "=..." as a
    formula), and the control characters XML cannot hold shown as U+FFFD instead of failing."""
    cells = []
    for value in values:
        value = spreadsheet_cell(value)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cells.append(value)
    sheet.append(cells)


# --- Round results ---------------------------------------------------------------------------


def export_columns() -> list[tuple[str, str]]:
    return [
        ("rank", _("Rank")),
        ("rank_status", _("Rank status")),
        ("name", _("Full name")),
        ("public_name", _("Public name")),
        ("date_of_birth", _("Date of birth")),
        ("class", _("Class")),
        ("school", _("School")),
        ("district", _("District")),
        ("province", _("Province")),
        ("email", _("Email")),
        ("phone", _("Phone")),
        ("score", _("Score")),
        ("max_score", _("Maximum score")),
        ("time_s", _("Time taken (s)")),
        ("submitted_at", _("Submitted at")),
        ("prediction", _("Prediction")),
        ("prediction_error", _("Prediction error")),
        ("attempts", _("Attempts")),
    ]


def _values(row: dict, columns: list[tuple[str, str]]) -> list[Any]:
    labels = {"provisional": _("provisional"), "final": _("final")}
    return [
        labels.get(row.get(key, ""), row.get(key)) if key == "rank_status" else row.get(key)
        for key, _label in columns
    ]


def results_csv(*, round_: Round, rows: list[dict]) -> bytes:
    columns = export_columns()
    return csv_text(
        [label for _key, label in columns], (_values(row, columns) for row in rows)
    ).encode("utf-8")


def results_xlsx(*, round_: Round, rows: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    columns = export_columns()
    xlsx_append(sheet, [label for _key, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(sheet, _values(row, columns))
    sheet.freeze_panes = "A2"
    if round_.prediction_actual is not None:
        info = workbook.create_sheet(_("Round")[:31])
        xlsx_append(info, [_("Round"), round_.title_in()])
        xlsx_append(info, [_("Actual number (prediction question)"), round_.prediction_actual])
        xlsx_append(info, [_("Prediction question"), round_.prediction_in()])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def results_file(
    *, round_: Round, rows: list[dict], fmt: str, unit_id: int | None = None
) -> tuple[bytes, str, str]:
    """A round's results as a file: (content, content type, file name), for the download and
    the background export job alike."""
    name = (
        f"{round_.contest.slug}-round{round_.position}{'-unit' + str(unit_id) if unit_id else ''}"
    )
    render = results_csv if fmt == "csv" else results_xlsx
    return render(round_=round_, rows=rows), CONTENT_TYPES[fmt], f"{name}.{fmt}"
