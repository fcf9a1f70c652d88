"""Live game records: games, players, answers and per-question results.

PostgreSQL is the system of record: the live state of a running game (phase, question index,
timestamps, flags) is persisted on Game.state with a version (`seq`) that every transition bumps
with a compare-and-set, so a restarted server reloads it and any process can drive the game.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contest.models import new_overlay_key


class Game(models.Model):
    class Status(models.TextChoices):
        LOBBY = "lobby", _("Lobby")
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")

    # The venue picker's rows, when the game was read by its PIN with them (not a column:
    # realtime/services.py _game_by_pin, realtime/venues.py game_venues).
    venues_read: list[dict] | None = None

    quiz = models.ForeignKey(
        "quizzes.Quiz", null=True, on_delete=models.SET_NULL, related_name="games"
    )
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_games"
    )
    pin = models.CharField(_("PIN"), max_length=12, db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.LOBBY
    )
    # Internal phase (lobby, question, closed, reveal, leaderboard, podium, ended); read/open are
    # derived from the timestamps. current_q and phase are columns so the answer batcher can check
    # them under a shared row lock.
    phase = models.CharField(max_length=12, default="lobby")
    current_q = models.IntegerField(null=True, blank=True)
    seq = models.PositiveIntegerField(default=0)
    state = models.JSONField(default=dict)
    settings = models.JSONField(default=dict)
    # [{"question": id, "time_limit": s, "points": w}] frozen when the game is created.
    plan = models.JSONField(default=list)
    screen_key = models.CharField(max_length=64)
    # Read-only key of the broadcast overlays and the feed (docs/broadcast.md): screen-role data
    # only, never the answer key before the reveal; the host rotates it.
    overlay_key = models.CharField(max_length=64, default=new_overlay_key)
    secret = models.CharField(max_length=64)
    contest_round_id = models.IntegerField(null=True, blank=True)
    # A teacher trying a quiz (with their own drafts): only the host may join, never linked to a
    # contest; pages and phones say "Practice".
    practice = models.BooleanField(_("practice"), default=False)
    # Players not kicked (the capacity's count), kept by the join statement and player_kick under
    # the game row's lock: a join no longer counts the game's players (O(N) per join), and
    # concurrent joins cannot go past the capacity.
    active_players = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("live game")
        verbose_name_plural = _("live games")
        constraints = [
            models.UniqueConstraint(
                fields=["pin"],
                condition=~models.Q(status="ended"),
                name="game_pin_unique_while_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pin} ({self.status})"


class Player(models.Model):
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="players")
    nickname = models.CharField(_("nickname"), max_length=40)
    nickname_key = models.CharField(max_length=80)
    team = models.PositiveSmallIntegerField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    unit = models.ForeignKey("quizzes.Unit", null=True, blank=True, on_delete=models.SET_NULL)
    # The venue the player plays at (games with venues only: realtime/venues.py).
    venue = models.ForeignKey(
        "realtime.Venue", null=True, blank=True, on_delete=models.SET_NULL, related_name="players"
    )
    banned = models.BooleanField(default=False)
    # realtime.device: the browser this player joined from (a kicked device cannot join again).
    device = models.CharField(max_length=32, blank=True, default="")
    seen = models.BooleanField(default=False)
    score = models.IntegerField(default=0)
    streak = models.IntegerField(default=0)
    correct = models.IntegerField(default=0)
    answers = models.IntegerField(default=0)
    time_ms = models.BigIntegerField(default=0)
    last_correct_ms = models.BigIntegerField(null=True, blank=True)
    rank = models.IntegerField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["game", "id"]
        verbose_name = _("player")
        verbose_name_plural = _("players")
        constraints = [
            models.UniqueConstraint(
                fields=["game", "nickname_key"], name="player_nickname_unique_in_game"
            )
        ]
        indexes = [
            # Joins look up kicked devices: a handful of rows per game, whatever its size.
            models.Index(
                fields=["game", "device"],
                condition=models.Q(banned=True),
                name="player_banned_device",
            )
        ]

    def __str__(self) -> str:
        return self.nickname


class Answer(models.Model):
    """One player's answer to one question of a game: at most one, enforced by the database."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="answers")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="answer_set")
    q = models.PositiveSmallIntegerField()
    question = models.ForeignKey(
        "quizzes.Question", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submission_id = models.UUIDField(default=uuid.uuid4)
    response = models.JSONField(default=dict)
    received_ms = models.BigIntegerField()  # server epoch ms at receipt
    elapsed_ms = models.IntegerField()  # since the window opened, pauses excluded
    fraction = models.FloatField(null=True, blank=True)
    points = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["game", "q", "received_ms", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["game", "player", "q"], name="answer_once_per_player_question"
            )
        ]
        indexes = [models.Index(fields=["game", "q"])]


class QuestionResult(models.Model):
    """Per-question statistics, written once when the question is scored (or skipped)."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="question_results")
    q = models.PositiveSmallIntegerField()
    question = models.ForeignKey(
        "quizzes.Question", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    skipped = models.BooleanField(default=False)
    answers = models.IntegerField(default=0)
    right = models.IntegerField(default=0)
    wrong = models.IntegerField(default=0)
    points_total = models.BigIntegerField(default=0)
    reveal = models.JSONField(default=dict)
    leaderboard = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["game", "q"]
        constraints = [models.UniqueConstraint(fields=["game", "q"], name="question_result_once")]


class Venue(models.Model):
    """One venue ("điểm cầu") of a game played at several places at once (realtime/venues.py):
    its own big screen (its own key) and its own join link; players belong to one venue."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="venues")
    name = models.CharField(_("name"), max_length=120)
    unit = models.ForeignKey("quizzes.Unit", null=True, blank=True, on_delete=models.SET_NULL)
    # Secret of the venue's screen and MC view: it opens this venue's pages only.
    screen_key = models.CharField(max_length=64, default=new_overlay_key)
    order = models.PositiveIntegerField(default=0)
    # The venue's MC pressed "ready" (cleared by the host when the game starts).
    ready = models.BooleanField(default=False)
    # Server epoch ms at which a process last held this venue's screen open.
    screen_seen_ms = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["game", "order", "id"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [
            models.UniqueConstraint(fields=["game", "name"], name="venue_name_unique_in_game")
        ]

    def __str__(self) -> str:
        return self.name
