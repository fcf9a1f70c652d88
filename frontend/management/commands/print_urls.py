"""Print the URLs to open and the demo log-ins after `make run`'s setup."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from quizzes.services.demo import DEMO_PASSWORD, DEMO_USERS


def _demo_contest_pages() -> list[tuple[str, str]]:
    """The demo contest and its ceremony screen, when the demo seed made them."""
    from django.urls import reverse

    from contest.models import Round
    from contest.services.demo import DEMO_SLUG

    round_ = Round.objects.filter(contest__slug=DEMO_SLUG).order_by("position").first()
    if round_ is None:
        return []
    pages = [
        ("Demo contest", reverse("contest-landing", args=[DEMO_SLUG])),
        ("Contest ceremony screen", reverse("contest-screen", args=[DEMO_SLUG, round_.pk])),
    ]
    from contest.models import Ceremony

    ceremony = Ceremony.objects.filter(contest__slug=DEMO_SLUG).order_by("pk").first()
    if ceremony is not None:  # its audience links carry a key: the console gives them
        pages.append(("Closing ceremony console", reverse("ceremony-console", args=[ceremony.pk])))
    return pages


class Command(BaseCommand):
    help = "Print the product's URLs and demo accounts."

    def handle(self, *args, **options):
        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        # Only links that answer (tests/test_getting_started.py opens each one). A live game's
        # screen has a secret link: the host console gives it, so it is not printed here.
        pages = [
            ("Home", "/"),
            ("Teacher question bank", "/bank/"),
            ("Host a game", "/host/"),
            ("Join as a player", "/play"),
            ("Contests", "/contests/"),
            *_demo_contest_pages(),
            ("Organiser pages", "/organise/"),
            ("Admin", "/admin/"),
            ("API docs", "/api/docs/"),
            ("Health", "/healthz"),
        ]
        backend = "PostgreSQL" if settings.DATABASE_URL else "SQLite"
        layer = "Redis" if settings.REDIS_URL else "in-memory"
        lines = ["", f"CitizenQuiz is starting at {base}  (database: {backend}, live: {layer})", ""]
        lines += [f"  {name:<24} {base}{url}" for name, url in pages]
        lines += ["", "  Demo log-ins (password for all: %s):" % DEMO_PASSWORD]
        lines += ["    admin        superuser"]
        lines += [
            f"    {username:<12} {', '.join(roles) or 'player'}"
            for username, (roles, _name, _unit) in DEMO_USERS.items()
        ]
        lines.append("")
        self.stdout.write("\n".join(lines))
