"""Test data builders (plain functions: quick to read, no magic)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from quizzes.models import Choice, Profile, Question, Theme, Unit


def make_user(username: str, *, roles: list[str] = (), password: str = "pw-123456", unit=None):
    user = get_user_model().objects.create_user(username=username, password=password)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    Profile.objects.create(user=user, display_name=username, unit=unit)
    return user


def make_theme(slug: str = "sdg") -> Theme:
    return Theme.objects.get_or_create(
        slug=slug, defaults={"name_vi": f"Chủ đề {slug}", "name_en": f"Theme {slug}"}
    )[0]


def make_units() -> dict[str, Unit]:
    province = Unit.objects.create(code="P", name="Hà Nội", level="province")
    district = Unit.objects.create(code="P-D", name="Ba Đình", level="district", parent=province)
    school = Unit.objects.create(
        code="P-D-S", name="THPT Phan Đình Phùng", level="school", parent=district
    )
    klass = Unit.objects.create(code="P-D-S-10A1", name="10A1", level="class", parent=school)
    return {"province": province, "district": district, "school": school, "class": klass}


def make_question(
    *,
    type: str = "single",
    text_en: str = "Which SDG is about quality education?",
    text_vi: str = "Mục tiêu Phát triển Bền vững nào nói về giáo dục có chất lượng?",
    choices: list[tuple[str, float]] | None = None,
    answer: dict | None = None,
    status: str = "published",
    author=None,
    theme: Theme | None = None,
    **fields,
) -> Question:
    question = Question.objects.create(
        type=type,
        text_en=text_en,
        text_vi=text_vi,
        answer=answer or {},
        status=status,
        author=author,
        theme=theme,
        **fields,
    )
    if choices is None and type in {"single", "multi", "poll", "order"}:
        choices = [("SDG 4", 1.0), ("SDG 5", 0.0), ("SDG 13", 0.0), ("SDG 1", 0.0)]
    if choices is None and type == "truefalse":
        choices = [("True", 1.0), ("False", 0.0)]
    for position, (text, weight) in enumerate(choices or []):
        Choice.objects.create(
            question=question, position=position, text_en=text, text_vi=text, weight=weight
        )
    return question
