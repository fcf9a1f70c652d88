"""The demo contest for `make run` (idempotent): one open self-paced round drawing ten questions
per participant from the demo bank's published questions, ending with a prediction question."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contest.models import Contest, Round
from contest.services.results import audit
from core.errors import ApplicationError
from quizzes.models import Quiz, QuizDrawRule, Theme

DEMO_SLUG = "lifelong-learning-week-2026"

RULES_VI = """Cuộc thi mở cho mọi học sinh và người dân. Đăng ký bằng họ tên, trường (chọn từ danh sách), ngày sinh hoặc lớp, và email hoặc số điện thoại.
Mỗi người có 3 lượt làm bài, mỗi lượt 15 phút; lượt có điểm cao nhất được tính.
Câu trả lời được lưu tự động: nếu đóng trình duyệt, bạn có thể làm tiếp với thời gian còn lại.
Khi bằng điểm: dự đoán gần đúng nhất xếp trước, rồi thời gian làm bài ngắn hơn, rồi nộp bài sớm hơn."""
RULES_EN = """Open to every student and citizen. Register with your name, your school (picked from the list), your date of birth or class, and an email address or phone number.
Everyone has 3 attempts of 15 minutes each; the best attempt counts.
Answers are saved automatically: if you close the browser, you continue with the time that is left.
On equal scores: the closest prediction ranks first, then the shorter time, then the earlier submission."""


# The demo paper: 10 questions drawn from every theme of the demo bank but the live-game quiz's
# (quizzes.services.demo.LIVE_QUIZ_THEME), so that teachers may host that quiz while the round
# is open.
DEMO_DRAW = (
    ("sdg", 2),
    ("climate", 2),
    ("peace-asean", 2),
    ("human-rights", 1),
    ("culture", 1),
    ("health", 1),
    ("digital", 1),
)


@transaction.atomic
def seed_demo_contest() -> Contest:
    """Create (once) the Lifelong Learning Week 2026 demo contest; keep its round open."""
    organiser = get_user_model().objects.filter(username="organiser").first()
    quiz, _created = Quiz.objects.get_or_create(
        title="Công dân toàn cầu – đề ngẫu nhiên / Global citizen – random paper",
        defaults={
            "mode": Quiz.Mode.DRAW,
            "shuffle_options": True,
            "author": organiser,
            "visibility": "public",
        },
    )
    # A demo seeded before its paper kept to DEMO_DRAW's themes (one rule over the whole bank)
    # is brought to them.
    if not quiz.draw_rules.exists() or quiz.draw_rules.filter(theme__isnull=True).exists():
        quiz.draw_rules.all().delete()
        themes = {
            t.slug: t for t in Theme.objects.filter(slug__in=[slug for slug, _n in DEMO_DRAW])
        }
        QuizDrawRule.objects.bulk_create(
            QuizDrawRule(
                quiz=quiz,
                position=n,
                count=count,
                theme=themes.get(slug),
                difficulty_min=1,
                difficulty_max=5,
            )
            for n, (slug, count) in enumerate(DEMO_DRAW)
        )
    contest, contest_created = Contest.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "title_vi": "Tuần lễ học tập suốt đời 2026: Cuộc thi Công dân toàn cầu",
            "title_en": "Lifelong Learning Week 2026: the Global Citizen contest",
            "description_vi": "Cuộc thi trực tuyến một tuần về công dân toàn cầu, phát triển bền vững và học tập suốt đời.",
            "description_en": "A week-long online contest on global citizenship, sustainable development and lifelong learning.",
            "rules_vi": RULES_VI,
            "rules_en": RULES_EN,
            "unit_aggregation": Contest.Aggregation.TOP_N,
            "aggregation_top_n": 10,
            "created_by": organiser,
        },
    )
    if organiser is not None:
        contest.staff.add(organiser)  # the demo organiser runs the demo contest
    now = timezone.now()
    round_, created = Round.objects.get_or_create(
        contest=contest,
        position=1,
        defaults={
            "title_vi": "Vòng thi tuần",
            "title_en": "Week round",
            "opens_at": now - timedelta(hours=1),
            "closes_at": now + timedelta(days=7),
            "time_limit_seconds": 900,
            "max_attempts": 3,
            "counting": Round.Counting.BEST,
            "quiz": quiz,
            "prediction_text_vi": "Theo bạn, bao nhiêu người sẽ trả lời đúng tất cả các câu hỏi?",
            "prediction_text_en": "How many participants will answer every question correctly?",
        },
    )
    # Created here rather than through contest_create/round_create (fixed slug, idempotent), so
    # audited here: the demo's audit log starts like any contest's.
    if contest_created:
        audit(
            contest=contest, actor=organiser, action="contest_create", summary=_("Contest created.")
        )
    if created:
        audit(
            contest=contest,
            round_=round_,
            actor=organiser,
            action="round_create",
            summary=_("Round created: %(title)s.") % {"title": round_.title_vi},
        )
    if not created and round_.closes_at < now:
        # Keep the demo usable: a demo started weeks later still has an open round.
        Round.objects.filter(pk=round_.pk).update(
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7), finalized_at=None
        )
    return contest


# --- Simulated participants: boards, unit bars and the ceremony screen are not empty -------------

DEMO_EMAIL_DOMAIN = "demo.citizenquiz.example"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Thị", "Văn", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh", "Hữu", "Bảo"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Khánh", "Lan", "Linh"]
GIVEN += ["Long", "Mai", "Minh", "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Tâm", "Trang", "Tú", "Vy"]


def _demo_response(key: dict, right: bool, rnd) -> dict | None:
    """A response to one question: the key itself when `right`, else a plausible wrong one."""
    from quizzes.grading import correct_response

    correct = correct_response(key) or {}
    qtype = key["type"]
    if qtype in {"single", "truefalse"}:
        ids = list(key["weights"])
        wrong = [c for c in ids if c not in correct.get("choices", [])]
        pick = correct["choices"][0] if right or not wrong else rnd.choice(wrong)
        return {"choice": pick}
    if qtype == "multi":
        return {"choices": correct["choices"] if right else list(key["weights"])[:1]}
    if qtype == "order":
        order = list(correct["order"])
        if not right and len(order) > 1:
            order[0], order[1] = order[1], order[0]
        return {"order": order}
    if qtype == "text" and correct.get("accepted"):
        return {"text": correct["accepted"][0] if right else "?"}
    if qtype == "numeric":
        value = correct.get("value", correct.get("min", 0))
        return {"value": value if right else value + 1000}
    return None


def seed_demo_participants(*, contest: Contest, round_: Round, count: int = 300, seed: int = 2026):
    """Register `count` simulated participants across the demo classes, and hand in a paper for
    about four in five of them, through the same services as real ones (idempotent: each is
    known by their email address, and someone already registered is skipped)."""
    import random
    from datetime import date

    from contest.models import Attempt, Participant
    from contest.services.attempts import attempt_start, attempt_submit, paper_option_ids
    from contest.services.marking import question_keys
    from contest.services.registration import participant_register
    from quizzes.models import Unit
    from quizzes.options import to_opaque_response

    classes = list(Unit.objects.filter(level="class").order_by("code").values_list("pk", flat=True))
    if not classes or not round_.is_open():
        return 0
    existing = set(
        Participant.objects.filter(
            contest=contest, email__endswith="@" + DEMO_EMAIL_DOMAIN
        ).values_list("email", flat=True)
    )
    rnd = random.Random(seed)
    made = 0
    for i in range(count):
        # Draw every value even for someone who exists, so a re-run makes the same people.
        name = f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
        unit = rnd.choice(classes)
        born = date(2006 + rnd.randrange(8), rnd.randrange(1, 13), rnd.randrange(1, 29))
        skill = rnd.uniform(0.25, 0.95)
        takes_part = rnd.random() < 0.8
        minutes = rnd.uniform(3, 14)
        email = f"sim{i:04d}@{DEMO_EMAIL_DOMAIN}"
        if email in existing:
            continue
        try:
            participant = participant_register(
                contest=contest,
                full_name=name,
                unit_id=unit,
                consent=True,
                date_of_birth=born,
                email=email,
            )
        except ApplicationError:
            continue  # a namesake born the same day in the same school: one is enough

        made += 1
        if not takes_part:
            continue
        attempt = attempt_start(participant=participant, round_=round_)
        # A paper takes minutes, not milliseconds: the time tie-break needs spread.
        started = attempt.started_at - timedelta(minutes=minutes)
        Attempt.objects.filter(pk=attempt.pk).update(started_at=started)
        keys = question_keys([item["q"] for item in attempt.paper])
        # A participant answers with the ids their paper shows (opaque per attempt).
        shown = paper_option_ids(attempt)
        answers = []
        for item in attempt.paper:
            response = _demo_response(keys[item["q"]], rnd.random() < skill, rnd)
            if response is not None:
                response = to_opaque_response(response, shown.get(item["q"], {}))
                answers.append({"question": item["q"], "response": response})
        attempt_submit(
            participant_id=participant.pk,
            attempt_id=attempt.pk,
            answers=answers,
            prediction=rnd.randrange(5, 60) if round_.has_prediction else None,
        )
    return made


def seed_demo_crowd(count: int = 300) -> int:
    """The demo contest's simulated participants (after seed_demo_contest and the demo bank)."""
    round_ = (
        Round.objects.filter(contest__slug=DEMO_SLUG, position=1).select_related("contest").first()
    )
    if round_ is None:
        return 0
    return seed_demo_participants(contest=round_.contest, round_=round_, count=count)


# --- A finished final with a frozen board, and its award ceremony, ready to run ------------------

FINAL_POSITION = 2


def _final_attempts(round_: Round, rnd) -> None:
    """Handed-in papers for the demo crowd: one before the freeze, and for about one in four a
    better one during it (those rows move when the ceremony resolves the freeze)."""
    from contest.models import Attempt, Participant
    from contest.services.marking import round_result_refresh

    people = list(
        Participant.objects.filter(contest=round_.contest, email__endswith="@" + DEMO_EMAIL_DOMAIN)
        .select_related("school")
        .order_by("pk")[:60]
    )
    for participant in people:
        tries = [(rnd.randrange(20, 90) * 100, 30.0)]
        if rnd.random() < 0.25:
            tries.append(
                (min(10000, tries[0][0] + rnd.randrange(5, 30) * 100), rnd.uniform(0.2, 1.8))
            )
        for number, (score, hours) in enumerate(tries, start=1):
            submitted = round_.closes_at - timedelta(hours=hours)
            time_ms = int(rnd.uniform(3, 14) * 60_000)
            Attempt.objects.create(
                round=round_,
                participant=participant,
                number=number,
                status=Attempt.Status.SUBMITTED,
                started_at=submitted - timedelta(milliseconds=time_ms),
                deadline=submitted + timedelta(minutes=1),
                submitted_at=submitted,
                seed=rnd.randrange(1, 2**31),
                score=score,
                max_score=10000,
                time_ms=time_ms,
            )
        round_result_refresh(
            round_=round_,
            participant_id=participant.pk,
            update_boards=False,
            participant=participant,
        )


FINAL_QUIZ_TITLE = "Chung kết (demo) / Final (demo)"


def _final_quiz(organiser) -> Quiz:
    """The finished final's paper: draws from the live-game quiz's theme, which the open round
    never draws (DEMO_DRAW), so the final's scores are public once its ceremony ends, not when
    the open round closes (contest.shared_keys.scores_withheld_until)."""
    from quizzes.services.demo import LIVE_QUIZ_THEME

    quiz, created = Quiz.objects.get_or_create(
        title=FINAL_QUIZ_TITLE, defaults={"mode": Quiz.Mode.DRAW, "author": organiser}
    )
    theme = Theme.objects.filter(slug=LIVE_QUIZ_THEME).first()
    if created and theme is not None:  # no rule over the whole bank: it would ask everything
        QuizDrawRule.objects.create(
            quiz=quiz, position=0, count=10, theme=theme, difficulty_min=1, difficulty_max=5
        )
    return quiz


def seed_demo_ceremony(seed: int = 18):
    """A finished final of the demo contest whose board was frozen for its last two hours, and a
    prepared award ceremony for it (idempotent). Returns the ceremony, or None without the
    demo contest and organiser."""
    import random

    from contest.models import Ceremony
    from contest.services.ceremony import ceremony_prepare
    from contest.services.results import round_finalize

    contest = Contest.objects.filter(slug=DEMO_SLUG).first()
    organiser = get_user_model().objects.filter(username="organiser").first()
    first = Round.objects.filter(contest=contest, position=1).first() if contest else None
    if contest is None or organiser is None or first is None:
        return None
    now = timezone.now()
    paper = _final_quiz(organiser)
    round_, created = Round.objects.get_or_create(
        contest=contest,
        position=FINAL_POSITION,
        defaults={
            "title_vi": "Chung kết (đã kết thúc)",
            "title_en": "Final (finished)",
            "opens_at": now - timedelta(days=3),
            "closes_at": now - timedelta(hours=1),
            "time_limit_seconds": 900,
            "max_attempts": 2,
            "counting": Round.Counting.BEST,
            "quiz": paper,
            "freeze_hours": 2,
            "weight": 0,  # the demo's open round keeps its own contest ranking
        },
    )
    if round_.quiz_id == first.quiz_id:
        # A demo seeded when the final asked the open round's paper: its scores stayed hidden
        # until that round closed (contest.shared_keys.scores_withheld_until).
        round_.quiz = paper
        round_.save(update_fields=["quiz"])
    if created:
        _final_attempts(round_, random.Random(seed))
        round_finalize(round_=round_)
    ceremony = Ceremony.objects.filter(contest=contest, round=round_).first()
    if ceremony is None:
        ceremony = ceremony_prepare(
            user=organiser,
            contest=contest,
            data={"source": "round", "round_id": round_.pk, "places": 10, "units": "after"},
        )
    return ceremony
