"""Question import: parse a file in any supported format, then write each question on its own.

    report = questions_import(content=b"...", filename="bank.gift", author=user)

Every parser turns a file into canonical question dicts (quizzes/services/questions.py) plus
per-line problems; this module validates, de-duplicates and writes them, one savepoint each.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from quizzes.importers import aiken, gift, json_format, moodle_xml, qti, tabular, vendor_sheets
from quizzes.importers.archives import ArchiveError, check_zip, is_zip
from quizzes.importers.common import (
    ImportProblem,
    ImportReport,
    ParsedQuestion,
    ParseResult,
    localise,
)
from quizzes.models import Question
from quizzes.permissions import can_review_question
from quizzes.services.questions import (
    question_create,
    question_normalize_data,
    question_to_data,
    question_validate_data,
)

FORMATS = (
    "json", "gift", "moodle-xml", "aiken", "csv", "xlsx", "kahoot", "quizizz", "blooket", "qti",
)  # fmt: skip
FORMAT_NAMES = {
    "json": "CitizenQuiz JSON",
    "gift": "GIFT",
    "moodle-xml": "Moodle XML",
    "aiken": "Aiken",
    "csv": "CSV",
    "xlsx": "Excel (.xlsx)",
    "kahoot": "Kahoot!",
    "quizizz": "Wayground/Quizizz",
    "blooket": "Blooket",
    "qti": "IMS QTI 2.1",
}
EXTENSIONS = {
    ".json": "json",
    ".gift": "gift",
    ".xml": "moodle-xml",
    ".aiken": "aiken",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".zip": "qti",
}
# Formats that carry one language: their texts are localised after parsing.
ONE_LANGUAGE = ("gift", "moodle-xml", "aiken", "kahoot", "quizizz", "blooket")
PREVIEW_LIMIT = 500
PROGRESS_EVERY = 100
UNKNOWN_FORMAT = "unknown_format"
FILE_TOO_LARGE = "file_too_large"
MAX_BYTES = 10 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
SNIFF_ROWS = 30
_GIFT_MARKER = re.compile(rb"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_XML_ROOT = re.compile(r"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_AIKEN_OPTION = re.compile(r"^\s*[A-Z][.)]\s+\S", re.MULTILINE)
_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*:\s*[A-Z]\s*$", re.MULTILINE | re.IGNORECASE)


def detect_format(filename: str, content: bytes) -> str:
    """The format of a file, by its content first, by its name when the content is not telling.

    The one detection used by the API, the import command and the wizard: a .csv or .xlsx that
    is a Kahoot/Quizizz/Blooket template is read as that template, a .zip or .xml is QTI or
    Moodle XML by its root element, a .txt is GIFT or Aiken by its syntax.
    """
    found = _format_from_content(content)
    if found:
        return found
    name = (filename or "").lower()
    if name.endswith(".gift.txt"):
        return "gift"
    for extension, fmt in EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    found = _text_format(content)
    if found:
        return found
    raise ApplicationError(
        UNKNOWN_FORMAT,
        _("Could not tell the format of this file: choose one of %(formats)s.")
        % {"formats": ", ".join(FORMATS)},
    )


def _format_from_content(content: bytes) -> str | None:
    """A format the content shows beyond doubt (zip layout, XML root, JSON, a header row)."""
    if is_zip(content):
        try:
            names = check_zip(content).namelist()
        except ArchiveError:
            return None  # the format's own reader reports the reason
        if any(n.rsplit("/", 1)[-1] == "imsmanifest.xml" for n in names):
            return "qti"
        if "xl/workbook.xml" in names:
            try:
                rows = tabular.xlsx_rows(content, limit=SNIFF_ROWS)
            except tabular.RowsError:
                return "xlsx"
            return vendor_sheets.sniff(rows) or "xlsx"
        return None
    head = content[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        root = _XML_ROOT.search(head[:SNIFF_BYTES].decode("utf-8", errors="replace"))
        tag = root.group(1) if root else ""
        if tag == "quiz":
            return "moodle-xml"
        if tag in ("assessmentItem", "questestinterop"):
            return "qti"
        return None
    if head.startswith((b"{", b"[")) and not _GIFT_MARKER.match(head):
        return "json"
    text = _decode(head)
    if "\n" in text and len(content) > SNIFF_BYTES:
        text = text.rsplit("\n", 1)[0]  # never sniff half a row
    try:
        rows = tabular.csv_rows(text)[:SNIFF_ROWS]
    except tabular.RowsError:
        return None
    vendor = vendor_sheets.sniff(rows)
    if vendor:
        return vendor
    header = next((cells for _line, cells in rows if any(c.strip() for c in cells)), [])
    keys = {c.strip().lower().lstrip("\ufeff") for c in header}
    if len(header) > 1 and "type" in keys and keys & {"text_vi", "text_en"}:
        return "csv"
    return None


def _text_format(content: bytes) -> str | None:
    """GIFT or Aiken by their syntax (for .txt files and files without a telling name)."""
    text = _decode(content[:SNIFF_BYTES])
    if _AIKEN_ANSWER.search(text) and _AIKEN_OPTION.search(text) and "{" not in text:
        return "aiken"
    if ("{" in text and "}" in text) or text.lstrip().startswith(("::", "//", "$CATEGORY")):
        return "gift"
    return None


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1258", errors="replace")  # Vietnamese Windows code page


def parse_file(*, content: bytes, fmt: str, language: str = "auto") -> ParseResult:
    """Parse a file into canonical dicts (one-language formats localised) and problems."""
    if fmt == "xlsx":
        result = tabular.parse_xlsx(content)
    elif fmt == "moodle-xml":
        result = moodle_xml.parse(content)
    elif fmt == "qti":
        result = qti.parse(content, language)  # localises by each item's xml:lang
    elif fmt in vendor_sheets.VENDORS:
        try:
            rows = (
                tabular.xlsx_rows(content)
                if is_zip(content)
                else tabular.csv_rows(_decode(content))
            )
        except tabular.RowsError as exc:
            result = ParseResult()
            result.reject(exc.line, "", exc.message)
            return result
        result = vendor_sheets.parse(rows, fmt)
    else:
        parser = {
            "json": json_format.parse,
            "gift": gift.parse,
            "aiken": aiken.parse,
            "csv": tabular.parse_csv,
        }.get(fmt)
        if parser is None:
            raise ApplicationError(
                UNKNOWN_FORMAT,
                _("Unknown format “%(format)s”: choose one of %(formats)s.")
                % {"format": fmt, "formats": ", ".join(FORMATS)},
            )
        result = parser(_decode(content))
    if fmt in ONE_LANGUAGE:
        for parsed in result.questions:
            localise(parsed.data, language)
    return result


class _RollBack(Exception):
    """Raised inside the outer transaction to undo a dry run or a failed atomic import."""


def questions_import(
    *,
    content: bytes,
    filename: str = "",
    fmt: str | None = None,
    author=None,
    status: str = "draft",
    visibility: str | None = None,
    language: str = "auto",
    dry_run: bool = False,
    atomic: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import every valid question of a file; report each rejected one by line and reason.

    Each question is written in its own savepoint, so a failure never leaves half a question.
    Re-importing is idempotent: a question whose external id (uid) the author already has is
    skipped when unchanged, or saved as a new revision of the same family when it changed.
    `atomic` imports all or nothing; `dry_run` does the whole import and rolls it back.
    """
    if len(content) > MAX_BYTES:
        raise ApplicationError(
            FILE_TOO_LARGE,
            _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
        )
    fmt = fmt or detect_format(filename, content)
    parsed = parse_file(content=content, fmt=fmt, language=language)
    report = ImportReport(format=fmt, dry_run=dry_run, atomic=atomic)
    report.errors.extend(parsed.errors)
    report.found = len(parsed.questions) + len(parsed.errors)
    try:
        with transaction.atomic():
            _write_all(parsed.questions, report, author, status, visibility, progress)
            if dry_run or (atomic and report.errors):
                raise _RollBack
    except _RollBack:
        if atomic and report.errors and not dry_run:
            report.rolled_back = True
            report.created = report.updated = 0
    by_line = lambda p: (p.line is None, p.line or 0)  # noqa: E731
    report.errors.sort(key=by_line)
    report.warnings.sort(key=by_line)
    return report


def _write_all(questions, report, author, status, visibility, progress) -> None:
    total = len(questions)
    for done, parsed in enumerate(questions, start=1):
        _write_one(parsed, report, author, status, visibility)
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)


MSG_NOT_PUBLISHED = gettext_lazy("Not published: only reviewers may publish questions.")


def _write_one(
    parsed: ParsedQuestion, report: ImportReport, author, status: str, visibility: str | None
) -> None:
    data = parsed.data
    if visibility and not data.get("visibility"):
        data["visibility"] = visibility
    for warning in parsed.warnings:
        report.warnings.append(ImportProblem(parsed.line, parsed.name, warning))
    if data.get("status") == Question.Status.PUBLISHED and not can_review_question(author):
        # A file's own "status" published nothing the importer may not publish (a teacher's
        # JSON file skipped review, and draw rules of contest rounds then drew its questions).
        data["status"] = status
        report.warnings.append(ImportProblem(parsed.line, parsed.name, str(MSG_NOT_PUBLISHED)))
    problems = question_validate_data(data)
    if problems:
        report.errors.append(ImportProblem(parsed.line, parsed.name, " ".join(problems)))
        return
    uid = data.get("uid") or ""
    existing = (
        Question.objects.filter(external_id=uid, is_current=True, author=author)
        .order_by("-revision")
        .first()
        if uid
        else None
    )
    action = "create"
    try:
        with transaction.atomic():  # one savepoint per question: never half a question
            if existing is None:
                question_create(data=data, author=author, status=status)
                report.created += 1
            elif _same(existing, data):
                action = "skip"
                report.skipped += 1
            else:
                action = "update"
                last = Question.objects.filter(family=existing.family).order_by("-revision").first()
                Question.objects.filter(family=existing.family, is_current=True).update(
                    is_current=False
                )
                question_create(
                    data=data,
                    author=author,
                    status=status,
                    family=existing.family,
                    revision=last.revision + 1,
                )
                report.updated += 1
    except ApplicationError as exc:
        details = exc.details if isinstance(exc.details, list) else [exc.message]
        report.errors.append(ImportProblem(parsed.line, parsed.name, " ".join(map(str, details))))
        return
    except Exception:  # a database constraint we did not foresee: this question only
        report.errors.append(
            ImportProblem(parsed.line, parsed.name, _("This question could not be saved."))
        )
        return
    if len(report.preview) < PREVIEW_LIMIT:
        report.preview.append(_preview(parsed, action))


def _same(existing: Question, data: dict) -> bool:
    ignore = ("uid", "status", "visibility")
    current = {k: v for k, v in question_to_data(existing).items() if k not in ignore}
    incoming = {k: v for k, v in question_normalize_data(data).items() if k not in ignore}
    return current == incoming


def _preview(parsed: ParsedQuestion, action: str) -> dict:
    """One row of the wizard's preview: the question, its options and its key as they will be
    saved (normalised like the bank stores them), so the teacher checks the key before importing."""
    data = question_normalize_data(parsed.data)
    options = [
        {"text": choice["text"], "weight": choice["weight"]} for choice in data.get("choices", [])
    ]
    return {
        "line": parsed.line,
        "name": parsed.name,
        "uid": parsed.data.get("uid", ""),
        "type": data["type"],
        "text": data["text"],
        "choices": len(options),
        "options": options,
        # Typed and numeric answers: the accepted texts, or the value/tolerance or range.
        "key": data.get("answer", {}),
        "action": action,
    }
