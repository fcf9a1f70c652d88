"""Result exports (CSV and XLSX) per round and per unit, with the prediction and time columns."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from contest.models import Round


def export_columns() -> list[tuple[str, str]]:
    return [
        ("rank", _("Rank")),
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


def results_csv(*, round_: Round, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = export_columns()
    writer.writerow([label for _key, label in columns])
    for row in rows:
        writer.writerow(["" if row.get(key) is None else row.get(key) for key, _label in columns])
    # A byte-order mark so spreadsheet programs read Vietnamese correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def results_xlsx(*, round_: Round, rows: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    columns = export_columns()
    sheet.append([label for _key, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(key) for key, _label in columns])
    sheet.freeze_panes = "A2"
    if round_.prediction_actual is not None:
        info = workbook.create_sheet(_("Round")[:31])
        info.append([_("Round"), round_.title_in()])
        info.append([_("Actual number (prediction question)"), round_.prediction_actual])
        info.append([_("Prediction question"), round_.prediction_in()])
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
