from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from quizzes.services.units import units_import_csv


class Command(BaseCommand):
    help = "Load the unit hierarchy (province, district, school, class) from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV with columns code,name,level,parent_code and optionally headcount"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(_("File not found: %(path)s") % {"path": path})
        report = units_import_csv(text=path.read_text(encoding="utf-8-sig"))
        for line, message in report.errors:
            self.stderr.write(_("Line %(line)s: %(message)s") % {"line": line, "message": message})
        self.stdout.write(
            _(
                "Units: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(errors)s rejected."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "errors": len(report.errors),
            }
        )
        if report.errors:
            raise CommandError(_("Some rows were rejected."), returncode=2)
