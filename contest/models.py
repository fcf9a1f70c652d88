"""Contest models: contests, rounds, participants, attempts, answers, results, corrections.

Scores are never the only copy of anything: every score and rank can be rebuilt from the stored
answers (Answer rows), the active corrections (Correction rows) and the ranking rules.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from quizzes.models import Question, Quiz, Unit


def _in(language: str | None, vi: str, en: str) -> str:
    return (en if (language or "vi").startswith("en") else vi) or vi or en


def new_overlay_key() -> str:
    """A fresh read-only key for broadcast overlays and feeds (docs/broadcast.md), contests'
    and live games' alike."""
    return secrets.token_urlsafe(24)


def overlay_key_ok(expected: str, given: object) -> bool:
    """The one comparison of overlay keys (REST, sockets, pages): constant time, strings only."""
    return (
        isinstance(given, str)
        and bool(given)
        and bool(expected)
        and hmac.compare_digest(given.encode(), expected.encode())
    )


class Contest(models.Model):
    """A contest made of rounds; its ranking combines the rounds with their weights."""

    class Aggregation(models.TextChoices):
        SUM = "sum", _("Sum of scores")
        MEAN = "mean", _("Mean score")
        TOP_N = "top_n", _("Mean of the top N scores")
        PARTICIPATION = "participation", _("Participation rate")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=250)
    title_en = models.CharField(_("title (English)"), max_length=250, blank=True)
    description_vi = models.TextField(_("description (Vietnamese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    rules_vi = models.TextField(_("rules (Vietnamese)"), blank=True)
    rules_en = models.TextField(_("rules (English)"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    unit_aggregation = models.CharField(
        _("unit ranking"), max_length=16, choices=Aggregation.choices, default=Aggregation.MEAN
    )
    aggregation_top_n = models.PositiveSmallIntegerField(_("N for top-N mean"), default=10)
    # Anti-fraud at registration (docs/contests.md, "Registration").
    require_email_verification = models.BooleanField(
        _("registration needs a verified email"), default=False
    )
    require_captcha = models.BooleanField(
        _("registration needs a proof-of-work check"), default=False
    )
    # Certificates (contest.services.certificates): the signature block, and whether the public
    # verification page shows the full name (else the masked public name).
    certificate_signer_name = models.CharField(
        _("certificate signer's name"), max_length=120, blank=True
    )
    certificate_signer_title = models.CharField(
        _("certificate signer's title"), max_length=200, blank=True
    )
    certificate_full_name = models.BooleanField(
        _("the verification page shows full names"), default=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who runs this contest: edits it, sees its personal data and answer keys, exports it. The
    # access check is contest.access.is_contest_staff (superusers count as staff everywhere).
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="staffed_contests",
        verbose_name=_("staff"),
    )
    # Read-only key of the broadcast overlays and the feed (docs/broadcast.md): public data only;
    # the contest's staff rotate it.
    overlay_key = models.CharField(max_length=64, default=new_overlay_key)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contest")
        verbose_name_plural = _("contests")

    def __str__(self) -> str:
        return self.title_vi

    def title_in(self, language: str | None = None) -> str:
        return _in(language or get_language(), self.title_vi, self.title_en)

    def description_in(self, language: str | None = None) -> str:
        return _in(language or get_language(), self.description_vi, self.description_en)

    def rules_in(self, language: str | None = None) -> str:
        return _in(language or get_language(), self.rules_vi, self.rules_en)


def answer_grace() -> timedelta:
    """How long after a deadline an answer sent in time may still arrive and be stored
    (settings.ANSWER_GRACE_SECONDS): the one grace of attempts' deadlines and of a round's close."""
    return timedelta(seconds=float(getattr(settings, "ANSWER_GRACE_SECONDS", 0.5)))


class Round(models.Model):
    """A self-paced window (attempts with a time budget) or a live game whose results count."""

    class Kind(models.TextChoices):
        SELF_PACED = "self_paced", _("Self-paced")
        LIVE = "live", _("Live game")

    class Counting(models.TextChoices):
        BEST = "best", _("Best attempt")
        FIRST = "first", _("First attempt")
        LATEST = "latest", _("Latest attempt")
        EARLIEST_TOP = "earliest_top", _("Earliest attempt with the top score")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="rounds")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=250)
    title_en = models.CharField(_("title (English)"), max_length=250, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SELF_PACED)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    time_limit_seconds = models.PositiveIntegerField(_("time per attempt (s)"), default=900)
    # 0 means unlimited.
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed (0 = unlimited)"), default=1
    )
    counting = models.CharField(
        _("attempt that counts"), max_length=16, choices=Counting.choices, default=Counting.BEST
    )
    quiz = models.ForeignKey(
        Quiz,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("quiz"),
    )
    shuffle_options = models.BooleanField(_("shuffle options per participant"), default=True)
    shuffle_questions = models.BooleanField(_("shuffle questions per participant"), default=False)
    weight = models.FloatField(_("weight in the contest ranking"), default=1.0)
    # Prediction tie-breaker: empty text means the round has none.
    prediction_text_vi = models.CharField(
        _("prediction question (Vietnamese)"), max_length=300, blank=True
    )
    prediction_text_en = models.CharField(
        _("prediction question (English)"), max_length=300, blank=True
    )
    prediction_actual = models.IntegerField(_("actual number"), null=True, blank=True)
    # Ordered keys from contest.ranking.KEYS; empty means ranking.DEFAULT_CHAIN.
    ranking_chain = models.JSONField(_("ranking chain"), default=list, blank=True)
    freeze_hours = models.PositiveSmallIntegerField(
        _("freeze the public board for the last N hours"), default=0
    )
    # Hidden by default: a score shown while the round is open lets fake registrations probe
    # the answer key (submit, read the score, try again under another name).
    scores_while_open = models.BooleanField(
        _("participants see scores and ranks while the round is open"), default=False
    )
    qualifier_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("qualifies from round"),
    )
    qualifier_top_n = models.PositiveIntegerField(_("top N qualify"), default=0)
    qualified: models.ManyToManyField = models.ManyToManyField(
        "Participant", blank=True, related_name="qualified_rounds"
    )
    live_game_id = models.CharField(_("live game"), max_length=64, blank=True, db_index=True)
    finalized_at = models.DateTimeField(_("results computed at"), null=True, blank=True)
    # Kept by contest.services.ceremony: a prepared award ceremony covering this round has not
    # reached its last step, so the public still sees the standing of the close
    # (boards.public_state), never the final one.
    results_held = models.BooleanField(_("results held for the award ceremony"), default=False)

    class Meta:
        ordering = ["contest", "position", "id"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="round_closes_after_opens",
            ),
        ]

    def __str__(self) -> str:
        return self.title_vi

    def title_in(self, language: str | None = None) -> str:
        return _in(language or get_language(), self.title_vi, self.title_en)

    def prediction_in(self, language: str | None = None) -> str:
        return _in(language or get_language(), self.prediction_text_vi, self.prediction_text_en)

    @property
    def has_prediction(self) -> bool:
        return bool(self.prediction_text_vi or self.prediction_text_en)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def closed_at(self) -> datetime:
        """When the round is over: its close plus the answer grace (an answer sent before the
        close may still arrive and be stored until then). Nothing that reveals a key or a final
        standing is shown before it: one moment for every reveal and the close job."""
        return self.closes_at + answer_grace()

    def is_closed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.closed_at()

    def needs_finalizing(self, now=None) -> bool:
        """A self-paced round that has closed and whose final results are not computed yet: the
        one condition of contest.services.rounds.round_finalize_if_due (and of the fast path,
        which leaves such a round to Django)."""
        return (
            self.kind == Round.Kind.SELF_PACED and self.finalized_at is None and self.is_closed(now)
        )

    def is_frozen(self, now=None) -> bool:
        """In its freeze: from freeze_at until its final results are out. Not only until the
        close: the answer grace and the close job come after it, and the public must not see
        the live standing in between (the standing handed in during the freeze)."""
        now = now or timezone.now()
        return bool(self.freeze_hours) and self.freeze_at <= now and self.finalized_at is None

    @property
    def freeze_at(self):
        return self.closes_at - timedelta(hours=self.freeze_hours)

    def scores_hidden(self, now=None) -> bool:
        """Participants and the public see no score or rank of this round yet (organisers do):
        the round keeps them until it closes, and its results are not final."""
        return not self.scores_while_open and self.finalized_at is None and not self.is_closed(now)


class Participant(models.Model):
    """A registered person (with or without an account). Duplicates are refused by constraints."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    full_name = models.CharField(_("full name"), max_length=120)
    name_key = models.CharField(max_length=120, editable=False)
    public_name = models.CharField(max_length=200, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # The email as one mailbox (services.registration.email_key): what "one entry per email" means.
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Tokens carry the version they were issued with; revoking bumps it (old tokens stop working).
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # The deepest unit picked (a class or a school) and its ancestors, denormalised for boards.
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    class_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    province = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    consent_at = models.DateTimeField(_("consent given at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["contest", "user"],
                condition=models.Q(user__isnull=False),
                name="participant_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["contest", "email_key"],
                condition=~models.Q(email_key=""),
                name="participant_unique_email_key",
            ),
            models.UniqueConstraint(
                fields=["contest", "phone"],
                condition=~models.Q(phone=""),
                name="participant_unique_phone",
            ),
            models.UniqueConstraint(
                fields=["contest", "name_key", "date_of_birth", "school"],
                condition=models.Q(date_of_birth__isnull=False),
                name="participant_unique_person",
            ),
        ]
        indexes = [
            models.Index(fields=["contest", "school"]),
            models.Index(fields=["contest", "name_key"]),
        ]

    def __str__(self) -> str:
        return self.public_name


class EmailCode(models.Model):
    """A one-time code sent to prove an email address before registering (stored hashed)."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="+")
    email_key = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["contest", "email_key", "-created_at"])]


class CaptchaUse(models.Model):
    """A solved proof-of-work challenge, kept until it expires so it is accepted only once."""

    challenge_id = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)


class Attempt(models.Model):
    """One try at a self-paced round. The server sets the clock; answers are stored as they come."""

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        EXPIRED = "expired", _("Time ran out")

    # Not a column: set on an attempt just started (services.attempt_start), which can have no
    # saved answers yet, so that its first state does not ask the database for them.
    no_answers_yet = False
    # Not a column: the round's corrections, read with the attempt by a hand-in
    # (services.attempts._attempt_with_relations); None: not read.
    corrections_read: list[Correction] | None = None
    # Not a column: (when the contest's last round closes,), read with the attempt by a hand-in
    # (its token is checked against it); None: not read.
    contest_end_read: tuple[datetime | None] | None = None

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="attempts")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    seed = models.BigIntegerField()
    # The participant's paper, fixed at start (reproducible from the seed):
    # [{"q": question revision id, "w": points weight, "o": [choice ids in display order]}]
    paper = models.JSONField(default=list)
    prediction = models.FloatField(null=True, blank=True)
    # Derived from the answers (rebuildable).
    score = models.IntegerField(default=0)
    max_score = models.IntegerField(default=0)
    correct_count = models.IntegerField(default=0)
    all_correct = models.BooleanField(default=False)
    time_ms = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["round", "participant", "number"]
        constraints = [
            # At most one attempt in progress per participant, whatever the round.
            models.UniqueConstraint(
                fields=["participant"],
                condition=models.Q(status="open"),
                name="attempt_one_open_per_participant",
            ),
            models.UniqueConstraint(
                fields=["round", "participant", "number"], name="attempt_number_unique"
            ),
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.participant} #{self.number}"

    def time_left_ms(self, now=None) -> int:
        now = now or timezone.now()
        return max(0, int((self.deadline - now).total_seconds() * 1000))


class Answer(models.Model):
    """The latest saved response of an attempt to one question (autosave upserts it)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    response = models.JSONField()
    saved_at = models.DateTimeField()
    fraction = models.FloatField(null=True, blank=True)
    points = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="answer_one_per_question")
        ]


class RoundResult(models.Model):
    """A participant's counted result in a round (the counted attempt, or a live game row).

    No index holds `rank` and on PostgreSQL the table's pages are kept half empty (fillfactor 50,
    migration 0009): a round's close writes every result's rank, and so each of those writes is
    a heap-only update in its own page, with no index to touch (100,000 ranks: 0.3 s instead of
    2.6 s). Queries by rank sort one round's rows instead."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="results")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="results"
    )
    attempt = models.ForeignKey(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Live rows may have no registered participant: they keep the nickname and unit they had.
    nickname = models.CharField(max_length=120, blank=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.IntegerField(default=0)
    max_score = models.IntegerField(default=0)
    time_ms = models.BigIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    prediction = models.FloatField(null=True, blank=True)
    all_correct = models.BooleanField(default=False)
    rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["round", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "participant"],
                condition=models.Q(participant__isnull=False),
                name="result_one_per_participant",
            )
        ]


class Correction(models.Model):
    """After a round: a voided question or a fixed answer key. Scoring applies the active ones."""

    class Kind(models.TextChoices):
        VOID = "void", _("Question voided")
        KEY = "key", _("Answer key fixed")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="corrections")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # For KEY: a grading key in the shape of quizzes.grading.answer_key().
    key = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class AuditEntry(models.Model):
    """What an organiser changed and what it did to the results (shown on the organiser page)."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="audit")
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")


class PrizeTier(models.Model):
    """A prize of a round, best first: tier k covers the `places` ranks after the tiers above it.

    With tiers First (1 place), Second (2), Third (3): rank 1 wins First, ranks 2-3 Second,
    ranks 4-6 Third. Ranks are competition ranks, so everyone tied at a cut-off wins the better
    prize. Results without points never win a prize. Certificates and the award ceremony both
    read prizes through PrizeTier.for_rank.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="prize_tiers")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    places = models.PositiveIntegerField(_("places"), default=1)

    class Meta:
        ordering = ["round", "position", "id"]
        verbose_name = _("prize tier")
        verbose_name_plural = _("prize tiers")

    def __str__(self) -> str:
        return self.name_vi

    def name_in(self, language: str | None = None) -> str:
        return _in(language or get_language(), self.name_vi, self.name_en)

    @staticmethod
    def for_rank(tiers: list[PrizeTier], rank: int | None, score: int) -> PrizeTier | None:
        """The prize a result of this rank and score wins (tiers best first), or None: the one
        rule of contest.prizes.award_for_rank, which the award ceremony uses too."""
        from contest.prizes import award_for_rank

        return award_for_rank(rank, tiers, score)


class Certificate(models.Model):
    """A certificate issued to a participant of a round, with its unguessable verification code.

    The prize, rank and score are a snapshot taken when it was issued (re-issuing after a
    correction updates them; the code stays).
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="certificates")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="certificates"
    )
    code = models.CharField(max_length=32, unique=True)
    prize_vi = models.CharField(max_length=120, blank=True)  # empty: a participation certificate
    prize_en = models.CharField(max_length=120, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    score = models.IntegerField(default=0)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "participant"], name="certificate_one_per_participant"
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_prize(self) -> bool:
        return bool(self.prize_vi or self.prize_en)

    def prize_in(self, language: str | None = None) -> str:
        return _in(language or get_language(), self.prize_vi, self.prize_en)

    @property
    def code_display(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


class Ceremony(models.Model):
    """An award ceremony: a board snapshot turned into steps the operator reveals one by one.

    The steps (contest.services.ceremony) are computed once, when the show is prepared, and
    stored with the current step, so a restarted server resumes the show where it was.
    """

    class Source(models.TextChoices):
        ROUND = "round", _("A round")
        CONTEST = "contest", _("The whole contest")
        GAME = "game", _("A finished live game")

    class Units(models.TextChoices):
        BEFORE = "before", _("Before the individuals")
        AFTER = "after", _("After the individuals")
        NONE = "none", _("No unit awards")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="ceremonies")
    source = models.CharField(_("board"), max_length=8, choices=Source.choices)
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # realtime.Game (an id: the contest app does not depend on the live app).
    game_id = models.IntegerField(_("live game"), null=True, blank=True)
    places = models.PositiveSmallIntegerField(_("places to reveal"), default=10)
    # contest.prizes: [{"places": n, "name_vi": ..., "name_en": ...}], best first.
    tiers = models.JSONField(_("prize tiers"), default=list, blank=True)
    units = models.CharField(
        _("best schools and districts"), max_length=8, choices=Units.choices, default=Units.AFTER
    )
    masked = models.BooleanField(_("masked names"), default=True)
    # Percent of the screen's height left empty at the bottom (people standing on stage).
    stage_offset = models.PositiveSmallIntegerField(_("stage offset (%)"), default=0)
    screen_key = models.CharField(max_length=64)
    # [{"kind", "label", "preview", "show": audience payload}] (services.ceremony.build_steps).
    steps = models.JSONField(default=list, blank=True)
    step = models.PositiveIntegerField(default=0)
    blackout = models.BooleanField(default=False)
    # Bumped on every change of step or blackout: screens ignore older frames.
    seq = models.PositiveIntegerField(default=0)
    prepared_at = models.DateTimeField(null=True, blank=True)
    # When the show let the public see the final standing (its last step, or the organiser's
    # release); a prepared show that has not released it holds its rounds (Round.results_held).
    released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ceremony")
        verbose_name_plural = _("ceremonies")

    def __str__(self) -> str:
        return f"{self.contest} #{self.pk}"
