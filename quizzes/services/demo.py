"""Demo data for `make run`: roles, demo accounts, units, themes and the demo bank.

Every function is idempotent: running the seed twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from core.roles import ORGANISER, REVIEWER, ROLES, TEACHER
from quizzes.models import Profile, Theme, Unit
from quizzes.services.units import units_import_csv

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO_PASSWORD = "citizenquiz"
# username -> (roles, display name, unit code or None)
DEMO_USERS = {
    "organiser": ([ORGANISER], "Ban tổ chức / Organiser", None),
    "teacher": ([TEACHER], "Cô Lan (teacher)", "HN-BD-PDP"),
    "reviewer": ([REVIEWER, TEACHER], "Thầy Minh (reviewer)", "HN-BD-PDP"),
    "student": ([], "Học sinh An (student)", None),
}


def seed_roles() -> None:
    for role in ROLES:
        Group.objects.get_or_create(name=role)


@transaction.atomic
def seed_users() -> list[tuple[str, str]]:
    """Create the demo accounts (and an admin); return (username, password) pairs."""
    user_model = get_user_model()
    created = []
    admin, was_created = user_model.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    if was_created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    created.append(("admin", DEMO_PASSWORD))
    for username, (roles, display_name, unit_code) in DEMO_USERS.items():
        user, was_created = user_model.objects.get_or_create(username=username)
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(*Group.objects.filter(name__in=roles))
        unit = Unit.objects.filter(code=unit_code).first() if unit_code else None
        Profile.objects.update_or_create(
            user=user, defaults={"display_name": display_name, "unit": unit}
        )
        created.append((username, DEMO_PASSWORD))
    return created


def seed_units() -> None:
    path = FIXTURES / "demo_units.csv"
    if path.exists():
        units_import_csv(text=path.read_text(encoding="utf-8"))


def seed_themes() -> None:
    path = FIXTURES / "themes.json"
    if not path.exists():
        return
    for item in json.loads(path.read_text(encoding="utf-8")):
        Theme.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name_vi": item["name"]["vi"],
                "name_en": item["name"]["en"],
                "description_vi": item.get("description", {}).get("vi", ""),
                "description_en": item.get("description", {}).get("en", ""),
            },
        )


def seed_bank() -> None:
    """Import the demo bank as published, public questions by the demo teacher (idempotent:
    re-importing skips the questions the teacher already has)."""
    from quizzes.importers import questions_import

    path = FIXTURES / "demo_bank.json"
    if not path.exists():
        return
    teacher = get_user_model().objects.filter(username="teacher").first()
    report = questions_import(
        content=path.read_bytes(),
        filename=path.name,
        author=teacher,
        status="published",
        visibility="public",
    )
    if report.errors:
        raise RuntimeError(
            "The demo bank has invalid questions: "
            + "; ".join(f"{e.name}: {e.message}" for e in report.errors)
        )


LIVE_QUIZ_TITLE = "Công dân toàn cầu – trò chơi trực tiếp / Global citizen – live game"
# The live-game quiz asks the questions of this theme; the demo contest's round draws from the
# others (contest.services.demo.DEMO_DRAW). A round still to close keeps the keys of every
# question it may ask, so no game may play them (contest.shared_keys.quiz_key_hidden_from): with
# one pool for both, no teacher could host the demo quiz during the demo contest.
LIVE_QUIZ_THEME = "lifelong-learning"


def seed_live_quiz(size: int = 10) -> None:
    """A public quiz by the demo teacher for live games (idempotent): the demo contest's paper
    stays hidden from teachers while its round is open, so a first-time teacher has this one to
    host. Questions of the demo bank's LIVE_QUIZ_THEME, each scored type in turn."""
    from quizzes.grading import SCORED_TYPES
    from quizzes.models import Question, Quiz, QuizItem

    teacher = get_user_model().objects.filter(username="teacher").first()
    existing = Quiz.objects.filter(title=LIVE_QUIZ_TITLE).first()
    if teacher is None or (
        # A demo seeded before the quiz kept to its theme is brought to it.
        existing is not None
        and not existing.items.exclude(question__theme__slug=LIVE_QUIZ_THEME).exists()
    ):
        return
    by_type: dict[str, list[Question]] = {}
    for question in Question.objects.filter(
        is_current=True,
        status="published",
        visibility="public",
        type__in=SCORED_TYPES,
        theme__slug=LIVE_QUIZ_THEME,
    ).order_by("id"):
        by_type.setdefault(question.type, []).append(question)
    picked: list[Question] = []
    while len(picked) < size and any(by_type.values()):
        for qtype in sorted(by_type):
            if by_type[qtype] and len(picked) < size:
                picked.append(by_type[qtype].pop(0))
    if not picked:
        return
    quiz = existing or Quiz.objects.create(
        title=LIVE_QUIZ_TITLE, author=teacher, visibility="public", shuffle_options=True
    )
    quiz.items.all().delete()
    QuizItem.objects.bulk_create(
        QuizItem(quiz=quiz, question=question, position=n) for n, question in enumerate(picked)
    )
