"""Shapes of the bank's REST API. Input serializers check types only; rules live in services."""

from __future__ import annotations

import functools
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.strict import IdField, StrictTypes
from quizzes import limits
from quizzes.models import Question, QuestionType, Quiz, QuizDrawRule, QuizItem, Tag, Theme
from quizzes.permissions import (
    can_archive_question,
    can_edit_question,
    can_review_question,
    can_submit_question,
)
from quizzes.services.questions import question_to_data


class BilingualSerializer(StrictTypes, serializers.Serializer):
    vi = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False)
    en = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False)


@functools.cache
def bilingual(limit: int) -> type[BilingualSerializer]:
    """A {"vi", "en"} serializer whose texts are at most `limit` characters (quizzes.limits).
    One class per limit, named after it: the API schema shows one component per limit."""

    class Limited(BilingualSerializer):
        vi = serializers.CharField(
            allow_blank=True, required=False, default="", trim_whitespace=False, max_length=limit
        )
        en = serializers.CharField(
            allow_blank=True, required=False, default="", trim_whitespace=False, max_length=limit
        )

    Limited.__name__ = Limited.__qualname__ = f"Bilingual{limit}"
    return Limited


class ChoiceDataSerializer(StrictTypes, serializers.Serializer):
    text = bilingual(limits.CHOICE_TEXT_MAX)()
    weight = serializers.FloatField(required=False, default=0.0)
    feedback = bilingual(limits.FEEDBACK_MAX)(required=False)


class QuestionDataSerializer(StrictTypes, serializers.Serializer):
    """The canonical question dict (the same shape as one question of the JSON import format).

    answer: text questions {"accepted": [...], "ignore_case", "ignore_diacritics",
    "ignore_spaces"}; numeric {"value", "tolerance"} or {"min", "max"}; others {}.
    Choice weights: 1 = right (single, true/false); multiple choice weights add up to 1.
    """

    uid = serializers.CharField(required=False, allow_blank=True, max_length=limits.EXTERNAL_ID_MAX)
    type = serializers.ChoiceField(choices=QuestionType.choices)
    theme = serializers.CharField(required=False, allow_blank=True, default="")
    text = bilingual(limits.QUESTION_TEXT_MAX)()
    explanation = bilingual(limits.EXPLANATION_MAX)(required=False)
    source = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.SOURCE_MAX
    )
    difficulty = serializers.IntegerField(required=False, default=2)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=limits.TAG_MAX),
        required=False,
        default=list,
        max_length=limits.TAGS_MAX,
    )
    time_limit = serializers.IntegerField(required=False, default=20)
    points = serializers.IntegerField(required=False, default=1)
    choices = ChoiceDataSerializer(many=True, required=False, max_length=limits.CHOICES_MAX)
    answer = serializers.JSONField(required=False, default=dict)
    visibility = serializers.ChoiceField(choices=Question.Visibility.choices, required=False)

    def to_data(self) -> dict[str, Any]:
        """Plain dicts for the services (no OrderedDicts, no empty optional keys)."""
        data = _plain(self.validated_data)
        if not data.get("uid"):
            data.pop("uid", None)
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class ThemeSerializer(StrictTypes, serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["id", "slug", "name_vi", "name_en", "description_vi", "description_en"]


class TagSerializer(StrictTypes, serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class ThemeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name_vi", "name_en"]


class QuestionSummarySerializer(serializers.ModelSerializer):
    """A bank row: everything a list shows, no answer key (cheap: no choices needed)."""

    theme = ThemeBriefSerializer(read_only=True, allow_null=True)  # a question may have no theme
    text = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id",
            "family",
            "revision",
            "is_current",
            "type",
            "theme",
            "text",
            "difficulty",
            "tags",
            "time_limit",
            "points",
            "status",
            "visibility",
            "author",
            "languages",
            "image",
            "review_note",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(BilingualSerializer)
    def get_text(self, obj: Question) -> dict[str, str]:
        return {"vi": obj.text_vi, "en": obj.text_en}

    def get_tags(self, obj: Question) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    def get_author(self, obj: Question) -> str | None:
        return obj.author.get_username() if obj.author_id else None

    def get_image(self, obj: Question) -> str | None:
        return obj.image.url if obj.image else None


class QuestionPermissionsSerializer(serializers.Serializer):
    edit = serializers.BooleanField()
    submit = serializers.BooleanField()
    publish = serializers.BooleanField()
    archive = serializers.BooleanField()


class QuestionDetailSerializer(QuestionSummarySerializer):
    """One question with its full content and answer key (teachers only) and what the caller
    may do with it."""

    data = serializers.SerializerMethodField()
    choice_ids = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    can = serializers.SerializerMethodField()

    class Meta(QuestionSummarySerializer.Meta):
        fields = [
            *QuestionSummarySerializer.Meta.fields,
            "data",
            "choice_ids",
            "reviewed_by",
            "can",
        ]

    @extend_schema_field(QuestionDataSerializer)
    def get_data(self, obj: Question) -> dict[str, Any]:
        return question_to_data(obj)

    def get_choice_ids(self, obj: Question) -> list[int]:
        return [choice.pk for choice in obj.choices.all()]

    def get_reviewed_by(self, obj: Question) -> str | None:
        return obj.reviewed_by.get_username() if obj.reviewed_by_id else None

    @extend_schema_field(QuestionPermissionsSerializer)
    def get_can(self, obj: Question) -> dict[str, bool]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        current = obj.is_current
        return {
            "edit": bool(user) and current and can_edit_question(user, obj),
            "submit": bool(user)
            and current
            and obj.status == Question.Status.DRAFT
            and can_submit_question(user, obj),
            "publish": bool(user)
            and current
            and obj.status == Question.Status.REVIEW
            and can_review_question(user, obj),
            "archive": bool(user)
            and obj.status != Question.Status.ARCHIVED
            and can_archive_question(user, obj),
        }


class RejectSerializer(StrictTypes, serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.REVIEW_NOTE_MAX, default=""
    )


class BulkSerializer(StrictTypes, serializers.Serializer):
    action = serializers.ChoiceField(choices=["publish", "archive"])
    ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=500)


class BulkFailureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField())
    failed = BulkFailureSerializer(many=True)


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="PNG, JPEG, WebP or GIF, at most 2 MB")


# --- Quizzes ----------------------------------------------------------------------------------


class QuizItemSerializer(serializers.ModelSerializer):
    question_text = serializers.SerializerMethodField()
    question_type = serializers.CharField(source="question.type", read_only=True)
    question_status = serializers.CharField(source="question.status", read_only=True)
    question_revision = serializers.IntegerField(source="question.revision", read_only=True)
    default_time_limit = serializers.IntegerField(source="question.time_limit", read_only=True)
    default_points = serializers.IntegerField(source="question.points", read_only=True)

    class Meta:
        model = QuizItem
        fields = [
            "id",
            "question",
            "position",
            "time_limit",
            "points",
            "question_text",
            "question_type",
            "question_status",
            "question_revision",
            "default_time_limit",
            "default_points",
        ]

    @extend_schema_field(BilingualSerializer)
    def get_question_text(self, obj: QuizItem) -> dict[str, str]:
        return {"vi": obj.question.text_vi, "en": obj.question.text_en}


class QuizDrawRuleSerializer(serializers.ModelSerializer):
    theme = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    tag = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = QuizDrawRule
        fields = ["count", "theme", "type", "tag", "difficulty_min", "difficulty_max"]


class QuizSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    items = QuizItemSerializer(many=True, read_only=True)
    draw_rules = QuizDrawRuleSerializer(many=True, read_only=True)

    class Meta:
        model = Quiz
        fields = [
            "id",
            "title",
            "description",
            "mode",
            "shuffle_options",
            "shuffle_questions",
            "visibility",
            "author",
            "items",
            "draw_rules",
            "created_at",
            "updated_at",
        ]

    def get_author(self, obj: Quiz) -> str | None:
        return obj.author.get_username() if obj.author_id else None


class QuizSummarySerializer(QuizSerializer):
    class Meta(QuizSerializer.Meta):
        fields = [
            f for f in QuizSerializer.Meta.fields if f not in ("items", "draw_rules", "description")
        ]


class QuizItemInputSerializer(StrictTypes, serializers.Serializer):
    question = IdField()
    time_limit = serializers.IntegerField(required=False, allow_null=True, default=None)
    points = serializers.IntegerField(required=False, allow_null=True, default=None)


class QuizDrawRuleInputSerializer(StrictTypes, serializers.Serializer):
    count = serializers.IntegerField(default=10)
    theme = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    type = serializers.CharField(required=False, allow_blank=True, default="")
    tag = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    difficulty_min = serializers.IntegerField(default=1)
    difficulty_max = serializers.IntegerField(default=5)


class QuizInputSerializer(StrictTypes, serializers.Serializer):
    title = serializers.CharField(max_length=limits.TITLE_MAX)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.DESCRIPTION_MAX
    )
    mode = serializers.ChoiceField(choices=Quiz.Mode.choices, required=False)
    shuffle_options = serializers.BooleanField(required=False)
    shuffle_questions = serializers.BooleanField(required=False)
    visibility = serializers.ChoiceField(choices=Question.Visibility.choices, required=False)
    items = QuizItemInputSerializer(many=True, required=False)
    draw_rules = QuizDrawRuleInputSerializer(many=True, required=False)
