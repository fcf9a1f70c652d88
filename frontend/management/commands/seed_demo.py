"""Seed the demo: roles, accounts, units, themes, the demo bank, a demo contest and game.

Lives in `frontend` because it is the one app allowed to call every domain app.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from quizzes.services import demo


class Command(BaseCommand):
    help = "Seed demo data (idempotent: running it twice changes nothing)."

    def handle(self, *args, **options):
        demo.seed_roles()
        demo.seed_units()
        demo.seed_themes()
        accounts = demo.seed_users()
        for step in _extra_steps():
            step()
        self.stdout.write("Demo accounts: " + ", ".join(f"{u}/{p}" for u, p in accounts))


def _extra_steps():
    """Seeding steps owned by other parts (bank import, demo contest, demo game)."""
    steps = []
    seed_bank = getattr(demo, "seed_bank", None)
    if seed_bank:
        steps.append(seed_bank)
    steps.append(demo.seed_live_quiz)
    contest_demo = __import__("contest.services.demo", fromlist=["x"])
    steps.append(contest_demo.seed_demo_contest)
    steps.append(contest_demo.seed_demo_crowd)
    steps.append(contest_demo.seed_demo_ceremony)
    return steps
