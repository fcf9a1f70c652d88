"""CSV and XLSX in the import template's columns (docs/import-formats.md)."""

from __future__ import annotations

import csv
import io

from quizzes.importers.tabular import COLUMNS, TEXT_OPTIONS, format_number, join_cell


def _row(item: dict) -> dict[str, str]:
    row = {
        "uid": item.get("uid", ""),
        "type": item["type"],
        "theme": item.get("theme", ""),
        "text_vi": item["text"]["vi"],
        "text_en": item["text"]["en"],
        "explanation_vi": item["explanation"]["vi"],
        "explanation_en": item["explanation"]["en"],
        "source": item.get("source", ""),
        "difficulty": str(item["difficulty"]),
        "tags": ", ".join(item.get("tags", [])),
        "time_limit": str(item["time_limit"]),
        "points": str(item["points"]),
        "status": item.get("status", ""),
        "visibility": item.get("visibility", ""),
    }
    choices = item.get("choices") or []
    if choices:
        row["choices_vi"] = join_cell(c["text"]["vi"] for c in choices)
        row["choices_en"] = join_cell(c["text"]["en"] for c in choices)
        if item["type"] not in ("order", "poll"):
            row["weights"] = join_cell(format_number(c["weight"]) for c in choices)
        if any(c.get("feedback") for c in choices):
            row["feedback_vi"] = join_cell((c.get("feedback") or {}).get("vi", "") for c in choices)
            row["feedback_en"] = join_cell((c.get("feedback") or {}).get("en", "") for c in choices)
    answer = item.get("answer") or {}
    if item["type"] == "text":
        row["answer"] = join_cell(answer.get("accepted", []))
        flags = [option for option in TEXT_OPTIONS if answer.get(option)]
        row["answer_options"] = " ".join(flags) or "exact"
    elif item["type"] == "numeric":
        if "min" in answer or "max" in answer:
            row["answer"] = f"{format_number(answer['min'])}..{format_number(answer['max'])}"
        else:
            row["answer"] = (
                f"{format_number(answer['value'])}:{format_number(answer.get('tolerance', 0))}"
            )
    return {column: row.get(column, "") for column in COLUMNS}


def render_csv(items: list[dict], *, language: str = "vi") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        writer.writerow(_row(item))
    # A BOM so that Excel opens the Vietnamese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_xlsx(items: list[dict], *, language: str = "vi") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "questions"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in items:
        row = _row(item)
        sheet.append([row[c] for c in COLUMNS])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
