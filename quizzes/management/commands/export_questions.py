"""Export the current question revisions to a file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from quizzes.exporters import FORMATS, questions_export
from quizzes.models import Question


class Command(BaseCommand):
    help = "Export the bank (current revisions) as json, gift, moodle-xml, csv, xlsx or qti (zip)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--format", choices=list(FORMATS), default="json")
        parser.add_argument("--theme", help="theme slug")
        parser.add_argument("--status", choices=[s for s in Question.Status.values])
        parser.add_argument("--language", choices=["vi", "en"], default="vi")

    def handle(self, *args, **options):
        questions = Question.objects.filter(is_current=True)
        if options["theme"]:
            questions = questions.filter(theme__slug=options["theme"])
        if options["status"]:
            questions = questions.filter(status=options["status"])
        payload, _type, _name = questions_export(
            questions=questions, fmt=options["format"], language=options["language"]
        )
        Path(options["path"]).write_bytes(payload)
        self.stdout.write(f"Exported {questions.count()} questions to {options['path']}.")
