"""Print the URLs to open and the demo log-ins after `make run`'s setup."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from quizzes.services.demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the product's URLs and demo accounts."

    def handle(self, *args, **options):
        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        pages = [
            ("Home", "/"),
            ("Teacher question bank", "/bank/"),
            ("Host a game", "/host/"),
            ("Join as a player", "/play"),
            ("Ceremony screen", "/screen/ (the host console gives each game's secret link)"),
            ("Contests", "/contests/"),
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
