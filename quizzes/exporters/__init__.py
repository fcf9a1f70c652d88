"""Question export: the bank (or a filtered part of it) as a file in one of our formats.

    payload, content_type, filename = questions_export(questions=qs, fmt="gift")

JSON and CSV/XLSX keep everything (both languages); GIFT and Moodle XML are one-language formats
and have no ordering or poll type, so those questions are listed in a comment, not lost silently.
QTI 2.1 (a zip of items) is one-language too and carries every type.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from quizzes.exporters import gift, json_format, moodle_xml, qti, tabular
from quizzes.models import Choice
from quizzes.services.questions import question_to_data

FORMATS = {
    "json": (json_format.render, "application/json", "json"),
    "gift": (gift.render, "text/plain; charset=utf-8", "gift.txt"),
    "moodle-xml": (moodle_xml.render, "application/xml", "xml"),
    "csv": (tabular.render_csv, "text/csv; charset=utf-8", "csv"),
    "xlsx": (
        tabular.render_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "qti": (qti.render, "application/zip", "qti.zip"),
}


def questions_export(
    *, questions: QuerySet, fmt: str, language: str = "vi"
) -> tuple[bytes, str, str]:
    """(file bytes, content type, file name) of the given questions in a format."""
    if fmt not in FORMATS:
        raise ApplicationError(
            "unknown_format",
            _("Unknown format “%(format)s”: choose one of %(formats)s.")
            % {"format": fmt, "formats": ", ".join(FORMATS)},
        )
    render, content_type, extension = FORMATS[fmt]
    rows = (
        questions.select_related("theme")
        .prefetch_related(
            "tags", Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
        )
        .order_by("external_id", "id")
    )
    items = [question_to_data(q) for q in rows]
    return render(items, language=language), content_type, f"citizenquiz-questions.{extension}"
