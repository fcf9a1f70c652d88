"""Question bank search benchmark: p50/p95 of the bank's list queries over N questions.

Creates (once) N current questions with bulk_create in a separate PostgreSQL database, then times
each kind of query through the selector functions (count + first page, as the list endpoint
does) and one pass through the REST API, and prints a table. Target: p95 < 50 ms.

    createdb -h 127.0.0.1 -U postgres cq_bench   # once (the script also tries to create it)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cq_bench \
        .venv/bin/python bench/search.py --questions 100000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # a local benchmark (DEBUG defaults to off)

WORDS_VI = (
    "học tập suốt đời công dân toàn cầu phát triển bền vững biến đổi khí hậu bình đẳng giới "
    "chuyển đổi số an toàn thông tin sức khỏe cộng đồng nước sạch năng lượng tái tạo rừng "
    "đa dạng sinh học hòa bình quyền trẻ em giáo dục có chất lượng xóa đói giảm nghèo văn hóa "
    "di sản thư viện kỹ năng sống tình nguyện môi trường rác thải nhựa tiết kiệm điện"
).split()
WORDS_EN = (
    "lifelong learning global citizen sustainable development climate change gender equality "
    "digital transformation online safety community health clean water renewable energy forest "
    "biodiversity peace children rights quality education poverty culture heritage library "
    "life skills volunteering environment plastic waste saving electricity"
).split()
TYPES = ["single", "multi", "truefalse", "text", "numeric", "order", "poll", "slide"]
THEMES = [
    ("lifelong-learning", "Học tập suốt đời", "Lifelong learning"),
    ("global-citizen", "Công dân toàn cầu", "Global citizenship"),
    ("sdg", "Mục tiêu phát triển bền vững", "Sustainable Development Goals"),
    ("digital", "Công dân số", "Digital citizenship"),
    ("climate", "Biến đổi khí hậu", "Climate change"),
    ("health", "Sức khỏe", "Health"),
    ("culture", "Văn hóa và di sản", "Culture and heritage"),
    ("peace", "Hòa bình", "Peace"),
]
TAGS = [f"tag-{n:02d}" for n in range(60)] + ["unesco", "sdg4", "nuoc-sach", "an-toan-mang"]


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def populate(total: int, seed: int = 7) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    from core.text import fold
    from quizzes.models import Profile, Question, Tag, Theme

    rng = random.Random(seed)
    themes = [
        Theme.objects.get_or_create(slug=s, defaults={"name_vi": vi, "name_en": en})[0]
        for s, vi, en in THEMES
    ]
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    users = []
    for n in range(20):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-teacher-{n}")
        user.groups.add(Group.objects.get_or_create(name="teacher")[0])
        Profile.objects.get_or_create(user=user)
        users.append(user)
    have = Question.objects.count()
    if have >= total:
        print(f"{have} questions already in the database; reusing them.")
        return
    print(f"Creating {total - have} questions...", flush=True)
    through = Question.tags.through
    started = time.perf_counter()
    batch = 5000
    for start in range(have, total, batch):
        rows = []
        tag_picks = []
        for n in range(start, min(start + batch, total)):
            words_vi = rng.sample(WORDS_VI, 9)
            words_en = rng.sample(WORDS_EN, 9)
            if n % 97 == 0:  # about 1%: the phrase the search measures
                words_vi[2:2] = ["công", "dân", "toàn", "cầu"]
                words_en[2:2] = ["global", "citizen"]
            text_vi = " ".join(words_vi).capitalize() + f" (câu {n})?"
            text_en = " ".join(words_en).capitalize() + f" (question {n})?"
            if n % 10 == 0:
                text_en = ""
            picked = rng.sample(tags, rng.randint(1, 3))
            status = rng.choices(
                ["published", "draft", "review", "archived"], weights=[70, 15, 10, 5]
            )[0]
            rows.append(
                Question(
                    type=rng.choice(TYPES),
                    theme=rng.choice(themes),
                    text_vi=text_vi,
                    text_en=text_en,
                    source="UNESCO" if n % 5 == 0 else "",
                    difficulty=rng.randint(1, 5),
                    time_limit=rng.choice([10, 20, 30, 60]),
                    points=rng.choice([0, 1, 1, 2]),
                    status=status,
                    visibility=rng.choices(["public", "school", "private"], weights=[80, 10, 10])[
                        0
                    ],
                    author=rng.choice(users),
                    search_text=fold(
                        " ".join([text_vi, text_en, "UNESCO" if n % 5 == 0 else ""])
                        + " "
                        + " ".join(t.name for t in picked)
                    ),
                )
            )
            tag_picks.append(picked)
        with transaction.atomic():
            created = Question.objects.bulk_create(rows)
            through.objects.bulk_create(
                through(question_id=q.pk, tag_id=t.pk)
                for q, picked in zip(created, tag_picks, strict=True)
                for t in picked
            )
        done = min(start + batch, total)
        print(f"  {done}/{total} ({time.perf_counter() - started:.0f} s)", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE quizzes_question; ANALYZE quizzes_question_tags;")


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm up (plans, caches)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. .../cq_bench")
    ensure_database(url)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from quizzes.filters import CappedCountPaginator, QuestionFilters
    from quizzes.selectors import question_list

    call_command("migrate", verbosity=0)
    populate(args.questions)

    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    teacher = get_user_model().objects.get(username="bench-teacher-3")

    def page_of(user, filters: QuestionFilters, number: int = 1):
        def run():
            page = CappedCountPaginator(question_list(user=user, filters=filters), 20).get_page(
                number
            )
            rows = list(page.object_list)
            for row in rows:  # what a list row reads
                _ = (row.theme and row.theme.slug, row.author_id, [t.name for t in row.tags.all()])
            count = page.paginator.count
            return (f"{count}+" if page.paginator.capped else str(count)), len(rows)

        return run

    cases = [
        ("search, with diacritics", admin, QuestionFilters(q="công dân toàn cầu"), 1),
        ("search, without diacritics", admin, QuestionFilters(q="cong dan toan cau"), 1),
        ("search, one rare word", admin, QuestionFilters(q="thu vien"), 1),
        (
            "filter theme + difficulty",
            admin,
            QuestionFilters(theme=["sdg"], difficulty_min=3, difficulty_max=3),
            1,
        ),
        ("filter tag", admin, QuestionFilters(tag=["unesco"]), 1),
        (
            "combined (search+theme+type+difficulty+status)",
            admin,
            QuestionFilters(
                q="cong dan",
                theme=["climate"],
                type=["single"],
                difficulty_min=2,
                difficulty_max=4,
                status=["published"],
            ),
            1,
        ),
        ("listing, page 1", admin, QuestionFilters(), 1),
        ("listing, page 100", admin, QuestionFilters(), 100),
        ("teacher view (visibility rules), page 1", teacher, QuestionFilters(), 1),
        (
            "teacher view + search without diacritics",
            teacher,
            QuestionFilters(q="cong dan toan cau"),
            1,
        ),
    ]
    total = question_list(user=admin).count()
    print(
        f"\n{total} current questions · PostgreSQL {connection.pg_version // 10000} · "
        f"{args.repeat} runs each (count + first page of 20)\n"
    )
    header = f"{'query':<48} {'matches':>8} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for label, user, filters, number in cases:
        run = page_of(user, filters, number)
        matches = run()[0]
        samples = timed(run, args.repeat)
        p95 = percentile(samples, 95)
        worst = max(worst, p95)
        print(f"{label:<48} {matches:>8} {statistics.median(samples):>8.1f} {p95:>8.1f}")

    client = APIClient()
    client.force_authenticate(admin)
    for label, query in [
        ("API GET /api/questions/?q=cong dan toan cau", {"q": "cong dan toan cau"}),
        ("API GET /api/questions/?theme=sdg&difficulty=3", {"theme": "sdg", "difficulty": 3}),
    ]:

        def call(query=query):
            response = client.get("/api/questions/", query)
            assert response.status_code == 200, response.content[:200]
            return response

        samples = timed(call, max(10, args.repeat // 2))
        print(
            f"{label:<48} {call().json()['count']:>8} {statistics.median(samples):>8.1f} "
            f"{percentile(samples, 95):>8.1f}"
        )
    print(f"\nWorst selector p95: {worst:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
