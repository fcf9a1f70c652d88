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
from quizzes.models import Quiz, QuizDrawRule

DEMO_SLUG = "lifelong-learning-week-2026"

RULES_VI = """Cuộc thi mở cho mọi học sinh và người dân. Đăng ký bằng họ tên, trường (chọn từ danh sách), ngày sinh hoặc lớp, và email hoặc số điện thoại.
Mỗi người có 3 lượt làm bài, mỗi lượt 15 phút; lượt có điểm cao nhất được tính.
Câu trả lời được lưu tự động: nếu đóng trình duyệt, bạn có thể làm tiếp với thời gian còn lại.
Khi bằng điểm: dự đoán gần đúng nhất xếp trước, rồi thời gian làm bài ngắn hơn, rồi nộp bài sớm hơn."""
RULES_EN = """Open to every student and citizen. Register with your name, your school (picked from the list), your date of birth or class, and an email address or phone number.
Everyone has 3 attempts of 15 minutes each; the best attempt counts.
Answers are saved automatically: if you close the browser, you continue with the time that is left.
On equal scores: the closest prediction ranks first, then the shorter time, then the earlier submission."""


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
    if not quiz.draw_rules.exists():
        QuizDrawRule.objects.create(quiz=quiz, count=10, difficulty_min=1, difficulty_max=5)
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
