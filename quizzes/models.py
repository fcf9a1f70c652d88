"""Question bank models, plus the organisation tree (units) and user profiles.

Units and profiles live here, in the lowest domain app, because both the bank (school
visibility) and contests (registration, unit rankings) build on them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.text import fold, text_fingerprint
from quizzes import limits
from quizzes.grading import is_scored_type

# --- Units and people -------------------------------------------------------------------------


class Unit(models.Model):
    """A node of the official hierarchy: province -> district (or commune) -> school -> class."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        DISTRICT = "district", _("District or commune")
        SCHOOL = "school", _("School")
        CLASS = "class", _("Class")

    # Which level a child may have under each level.
    CHILD_LEVEL = {
        "province": "district",
        "district": "school",
        "school": "class",
        "class": None,
    }

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=limits.NAME_MAX)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    # Expected headcount (students of a school, staff of a department): the denominator of the
    # participation rate on contest boards. Empty means unknown (no rate is shown).
    headcount = models.PositiveIntegerField(_("expected headcount"), null=True, blank=True)

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["level", "parent"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.level == self.Level.PROVINCE:
            if self.parent_id:
                raise ValidationError({"parent": _("A province has no parent.")})
        elif not self.parent_id or self.CHILD_LEVEL.get(self.parent.level) != self.level:
            raise ValidationError({"parent": _("This level needs a parent of the level above.")})

    def ancestors(self) -> list[Unit]:
        """This unit and its ancestors, from itself up to the province."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Profile(models.Model):
    """What an account adds to Django's user: a display name, a unit and a language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("unit")
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="vi"
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    @property
    def school(self) -> Unit | None:
        for unit in self.unit.ancestors() if self.unit else []:
            if unit.level == Unit.Level.SCHOOL:
                return unit
        return None


# --- Themes and tags --------------------------------------------------------------------------


class Theme(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=limits.NAME_MAX)
    name_en = models.CharField(_("name (English)"), max_length=limits.NAME_MAX)
    description_vi = models.TextField(
        _("description (Vietnamese)"),
        blank=True,
        validators=limits.max_length(limits.DESCRIPTION_MAX),
    )
    description_en = models.TextField(
        _("description (English)"), blank=True, validators=limits.max_length(limits.DESCRIPTION_MAX)
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.name_en or self.name_vi

    def name_in(self, language: str) -> str:
        return (self.name_en if language == "en" else self.name_vi) or self.name_vi or self.name_en


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=limits.TAG_MAX, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


# --- Questions --------------------------------------------------------------------------------


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTI = "multi", _("Multiple choice")
    TRUEFALSE = "truefalse", _("True or false")
    TEXT = "text", _("Typed answer")
    NUMERIC = "numeric", _("Numeric")
    ORDER = "order", _("Ordering")
    POLL = "poll", _("Poll")
    SLIDE = "slide", _("Info slide")


CHOICE_TYPES = {
    QuestionType.SINGLE,
    QuestionType.MULTI,
    QuestionType.TRUEFALSE,
    QuestionType.ORDER,
    QuestionType.POLL,
}


class Question(models.Model):
    """One revision of a question. Editing a published question creates a new revision row in the
    same family; games and contests point at the row (revision) they used."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        SCHOOL = "school", _("School")
        PUBLIC = "public", _("Public")

    family = models.UUIDField(_("family"), default=uuid.uuid4, db_index=True, editable=False)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    is_current = models.BooleanField(_("current revision"), default=True)
    # Stable identity from an import file (e.g. a GIFT title or our JSON uid); makes re-import
    # idempotent. Empty for questions written in the editor.
    external_id = models.CharField(
        _("external id"), max_length=limits.EXTERNAL_ID_MAX, blank=True, db_index=True
    )

    type = models.CharField(_("type"), max_length=16, choices=QuestionType.choices)
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("theme")
    )
    tags = models.ManyToManyField(Tag, blank=True, verbose_name=_("tags"))
    text_vi = models.TextField(
        _("text (Vietnamese)"), blank=True, validators=limits.max_length(limits.QUESTION_TEXT_MAX)
    )
    text_en = models.TextField(
        _("text (English)"), blank=True, validators=limits.max_length(limits.QUESTION_TEXT_MAX)
    )
    explanation_vi = models.TextField(
        _("explanation (Vietnamese)"),
        blank=True,
        validators=limits.max_length(limits.EXPLANATION_MAX),
    )
    explanation_en = models.TextField(
        _("explanation (English)"), blank=True, validators=limits.max_length(limits.EXPLANATION_MAX)
    )
    source = models.CharField(_("source"), max_length=limits.SOURCE_MAX, blank=True)
    image = models.ImageField(_("image"), upload_to="questions/%Y/%m/", blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), default=2, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    time_limit = models.PositiveSmallIntegerField(
        _("time limit (s)"), default=20, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    points = models.PositiveSmallIntegerField(
        _("points weight"), default=1, choices=[(0, "0"), (1, "1"), (2, "2")]
    )
    # Type-specific answer key for text and numeric questions:
    #   text:    {"accepted": [...], "ignore_case": bool, "ignore_diacritics": bool,
    #             "ignore_spaces": bool}
    #   numeric: {"value": x, "tolerance": t} or {"min": a, "max": b}
    # Choice-based types keep their key on Choice.weight / Choice.position.
    answer = models.JSONField(_("answer key"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("author"),
    )
    school = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("school"),
        help_text=_("For school visibility: the author's school."),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    # Why a reviewer sent the question back to its author (cleared when it is submitted again).
    review_note = models.TextField(
        _("review note"), blank=True, validators=limits.max_length(limits.REVIEW_NOTE_MAX)
    )
    # Folded (lower-case, diacritic-free) text of both languages, tags and source: the search key.
    search_text = models.TextField(editable=False, blank=True)
    # core.text.text_fingerprint of each text, set on save: copies of a question (a file imported
    # twice) are found by what they read as (contest.shared_keys).
    text_key_vi = models.CharField(max_length=32, editable=False, blank=True, db_index=True)
    text_key_en = models.CharField(max_length=32, editable=False, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["family", "revision"], name="question_family_revision"),
            models.CheckConstraint(
                condition=models.Q(difficulty__gte=1, difficulty__lte=5),
                name="question_difficulty_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(time_limit__gte=5, time_limit__lte=240),
                name="question_time_limit_5_240",
            ),
            models.CheckConstraint(
                condition=models.Q(points__in=[0, 1, 2]), name="question_points_0_1_2"
            ),
        ]
        indexes = [
            models.Index(fields=["is_current", "status", "theme"]),
            models.Index(fields=["type"]),
            models.Index(fields=["difficulty"]),
            # The bank's default listing: current revisions, most recently edited first.
            models.Index(
                fields=["is_current", "-updated_at", "-id"], name="question_current_recent"
            ),
        ]

    def __str__(self) -> str:
        return (self.text_en or self.text_vi)[:80]

    @property
    def languages(self) -> list[str]:
        return [lang for lang, text in (("vi", self.text_vi), ("en", self.text_en)) if text]

    @property
    def is_scored(self) -> bool:
        return is_scored_type(self.type)

    def text_in(self, language: str) -> str:
        """The text in the asked language when the question has it, else the other one."""
        primary, other = (
            (self.text_en, self.text_vi) if language == "en" else (self.text_vi, self.text_en)
        )
        return primary or other

    def explanation_in(self, language: str) -> str:
        primary, other = (
            (self.explanation_en, self.explanation_vi)
            if language == "en"
            else (self.explanation_vi, self.explanation_en)
        )
        return primary or other

    def build_search_text(self, tag_names: list[str] | None = None) -> str:
        parts = [self.text_vi, self.text_en, self.source]
        if tag_names:
            parts.extend(tag_names)
        return fold(" ".join(p for p in parts if p))

    def clean(self) -> None:
        if not (self.text_vi or self.text_en):
            raise ValidationError(_("A question needs its text in Vietnamese or English."))

    def save(self, *args, **kwargs):
        # Tags are M2M and can't be read before the first save; services refresh after tagging.
        tag_names = list(self.tags.values_list("name", flat=True)) if self.pk else None
        self.search_text = self.build_search_text(tag_names)
        self.text_key_vi, self.text_key_en = (
            text_fingerprint(self.text_vi),
            text_fingerprint(self.text_en),
        )
        super().save(*args, **kwargs)


class Choice(models.Model):
    """An option of a choice-based question.

    weight: the fraction of the points this option earns when chosen (1.0 = correct for single
    choice and true/false; multiple choice sums the chosen weights, negatives allowed; polls use
    0). position: display order as authored; for ordering questions it is the correct order.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text_vi = models.CharField(
        _("text (Vietnamese)"), max_length=limits.CHOICE_TEXT_MAX, blank=True
    )
    text_en = models.CharField(_("text (English)"), max_length=limits.CHOICE_TEXT_MAX, blank=True)
    weight = models.FloatField(
        _("weight"), default=0.0, validators=[MinValueValidator(-1.0), MaxValueValidator(1.0)]
    )
    feedback_vi = models.TextField(
        _("feedback (Vietnamese)"), blank=True, validators=limits.max_length(limits.FEEDBACK_MAX)
    )
    feedback_en = models.TextField(
        _("feedback (English)"), blank=True, validators=limits.max_length(limits.FEEDBACK_MAX)
    )

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text_en or self.text_vi

    def text_in(self, language: str) -> str:
        primary, other = (
            (self.text_en, self.text_vi) if language == "en" else (self.text_vi, self.text_en)
        )
        return primary or other


# --- Quizzes ----------------------------------------------------------------------------------


class Quiz(models.Model):
    """An ordered list of items, or draw rules that pick questions from the bank."""

    class Mode(models.TextChoices):
        FIXED = "fixed", _("Fixed list of questions")
        DRAW = "draw", _("Drawn from the bank by rules")

    title = models.CharField(_("title"), max_length=limits.TITLE_MAX)
    description = models.TextField(
        _("description"), blank=True, validators=limits.max_length(limits.DESCRIPTION_MAX)
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.FIXED)
    shuffle_options = models.BooleanField(_("shuffle options per player"), default=False)
    shuffle_questions = models.BooleanField(_("shuffle question order per player"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="quizzes",
        verbose_name=_("author"),
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=Question.Visibility.choices,
        default=Question.Visibility.PRIVATE,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title


class QuizItem(models.Model):
    """A question (a specific revision) at a position in a quiz, with optional overrides."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="quiz_items")
    position = models.PositiveIntegerField(_("position"), default=0)
    time_limit = models.PositiveSmallIntegerField(
        _("time limit override (s)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    points = models.PositiveSmallIntegerField(
        _("points override"), null=True, blank=True, choices=[(0, "0"), (1, "1"), (2, "2")]
    )

    class Meta:
        ordering = ["quiz", "position", "id"]
        verbose_name = _("quiz item")
        verbose_name_plural = _("quiz items")

    def __str__(self) -> str:
        return f"{self.quiz} #{self.position}"

    @property
    def effective_time_limit(self) -> int:
        return self.time_limit or self.question.time_limit

    @property
    def effective_points(self) -> int:
        return self.points if self.points is not None else self.question.points


class QuizDrawRule(models.Model):
    """'count questions from theme X at difficulty a-b' (optionally of a type or with a tag)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="draw_rules")
    position = models.PositiveIntegerField(default=0)
    count = models.PositiveSmallIntegerField(
        _("count"), default=10, validators=[MinValueValidator(1)]
    )
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL)
    type = models.CharField(_("type"), max_length=16, choices=QuestionType.choices, blank=True)
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.SET_NULL)
    difficulty_min = models.PositiveSmallIntegerField(default=1)
    difficulty_max = models.PositiveSmallIntegerField(default=5)

    class Meta:
        ordering = ["quiz", "position", "id"]
        verbose_name = _("draw rule")
        verbose_name_plural = _("draw rules")

    def __str__(self) -> str:
        return f"{self.count} × {self.theme or '*'} [{self.difficulty_min}-{self.difficulty_max}]"


# --- Background jobs ----------------------------------------------------------------------------


class Job(models.Model):
    """One piece of long work (an import, an export, a recompute...) run outside the request.

    Lives in the lowest app because the bank's imports are jobs too; the kinds themselves are
    registered by each app (`<app>/jobs.py`, see quizzes/background/registry.py). The row is the
    truth about a job: the queue only carries its id, and a worker claims the row before running.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="jobs"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text="0-100"
    )
    message = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    # The language the owner asked in: messages, errors and file headers are written in it.
    language = models.CharField(max_length=10, default="vi")
    input_path = models.CharField(max_length=300, blank=True)
    # Set only after the whole file was written and renamed into place: never a partial file.
    result_path = models.CharField(max_length=300, blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    result_type = models.CharField(max_length=120, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A new token per attempt: a worker that lost its claim can no longer write the row.
    run_token = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A delayed job (a round's close) is due then: the embedded queue, which lives in the server's
    # memory, sends it again for then when a server starts (backends.server_started).
    run_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
