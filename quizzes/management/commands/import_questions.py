"""Import questions from GIFT, Moodle XML, Aiken, CSV, XLSX, CitizenQuiz JSON, the Kahoot!,
Wayground/Quizizz and Blooket spreadsheet templates, or an IMS QTI 2.1 package."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from quizzes.importers import FORMATS, questions_import


class Command(BaseCommand):
    help = "Import questions; bad ones are reported by line and the rest are imported."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="default: detected from the content, then the file name",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--atomic", action="store_true", help="import nothing if any question is rejected"
        )
        parser.add_argument("--author", help="username of the author of the imported questions")
        parser.add_argument("--status", choices=["draft", "published"], default="draft")
        parser.add_argument("--language", choices=["auto", "vi", "en"], default="auto")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        author = None
        if options["author"]:
            author = get_user_model().objects.filter(username=options["author"]).first()
            if author is None:
                raise CommandError(f"No such user: {options['author']}")

        def progress(done: int, total: int) -> None:
            if total >= 100:
                self.stdout.write(f"... {done}/{total} questions")

        try:
            report = questions_import(
                content=path.read_bytes(),
                filename=path.name,
                fmt=options["format"],
                author=author,
                status=options["status"],
                language=options["language"],
                dry_run=options["dry_run"],
                atomic=options["atomic"],
                progress=progress,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        data = report.to_dict()
        for problem in data["warnings"]:
            self.stdout.write(
                self.style.WARNING(f"{_where(problem)}: warning: {problem['message']}")
            )
        for problem in data["errors"]:
            self.stderr.write(self.style.ERROR(f"{_where(problem)}: {problem['message']}"))
        prefix = "Dry run: " if report.dry_run else ""
        if report.rolled_back:
            prefix = "Nothing imported (--atomic): "
        self.stdout.write(
            f"{prefix}{report.format}: {report.found} found, {report.created} created, "
            f"{report.updated} updated, {report.skipped} unchanged, {len(report.errors)} rejected."
        )
        if report.errors:
            raise SystemExit(1)


def _where(problem: dict) -> str:
    parts = []
    if problem["line"]:
        parts.append(f"line {problem['line']}")
    if problem["name"]:
        parts.append(f"“{problem['name']}”")
    return " ".join(parts) or "file"
