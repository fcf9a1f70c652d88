"""Rebuild every contest leaderboard (Redis or in-process) from the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from contest import boards
from contest.models import Contest, Round
from contest.services import round_finalize_if_due


class Command(BaseCommand):
    help = "Rebuild contest leaderboards from the stored results (optionally one contest by slug)."

    def add_arguments(self, parser):
        parser.add_argument("--contest", help="slug of one contest")

    def handle(self, *args, **options):
        contests = Contest.objects.all()
        if options.get("contest"):
            contests = contests.filter(slug=options["contest"])
        for contest in contests:
            for round_ in Round.objects.filter(contest=contest).select_related("contest"):
                round_finalize_if_due(round_)
                boards.round_rebuild_all(round_)
                size = boards.size(boards.round_scope(round_, public=False))
                self.stdout.write(f"{contest.slug} / {round_.title_vi}: {size} rows")
