"""Question import: parse a file in any supported format, then write each question on its own.

    report = questions_import(content=b"...", filename="bank.gift", author=user)

Every parser turns a file into canonical question dicts (quizzes/services/questions.py) plus
per-line problems; this module validates, de-duplicates and writes them, one savepoint each.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from quizzes.errors import ApplicationError
from quizzes.importers import aiken, gift, json_format, moodle_xml, tabular
from quizzes.importers.common import (
    ImportProblem,
    ImportReport,
    ParsedQuestion,
    ParseResult,
    localise,
)
from quizzes.models import Question
from quizzes.services.questions import (
    question_create,
    question_normalize_data,
    question_to_data,
    question_validate_data,
)

FORMATS = ("json", "gift", "moodle-xml", "aiken", "csv", "xlsx")
EXTENSIONS = {
    ".json": "json",
    ".gift": "gift",
    ".xml": "moodle-xml",
    ".aiken": "aiken",
    ".csv": "csv",
    ".xlsx": "xlsx",
}
PREVIEW_LIMIT = 500
PROGRESS_EVERY = 100
UNKNOWN_FORMAT = "unknown_format"
FILE_TOO_LARGE = "file_too_large"
MAX_BYTES = 10 * 1024 * 1024


def detect_format(filename: str, content: bytes) -> str:
    """The format a file is in, from its name, else from a look at its first bytes."""
    name = (filename or "").lower()
    if name.endswith(".gift.txt"):
        return "gift"
    for extension, fmt in EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"<"):
        return "moodle-xml"
    text = head.decode("utf-8", errors="replace")
    if "{" in text and "}" in text or text.startswith(("::", "//", "$CATEGORY")):
        return "gift"
    if "ANSWER:" in text.upper():
        return "aiken"
    first = text.split("\n", 1)[0].lower()
    if "type" in first and ("," in first or ";" in first or "\t" in first):
        return "csv"
    raise ApplicationError(
        UNKNOWN_FORMAT,
        _("Could not tell the format of this file: choose one of %(formats)s.")
        % {"formats": ", ".join(FORMATS)},
    )


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
    if fmt in ("gift", "moodle-xml", "aiken"):
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


def _write_one(
    parsed: ParsedQuestion, report: ImportReport, author, status: str, visibility: str | None
) -> None:
    data = parsed.data
    if visibility and not data.get("visibility"):
        data["visibility"] = visibility
    for warning in parsed.warnings:
        report.warnings.append(ImportProblem(parsed.line, parsed.name, warning))
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
