"""Writes of the live engine (sync ORM; the hub calls them from a worker thread).

Every state transition is a compare-and-set on Game.seq in PostgreSQL, so several server processes
can drive one game and a restarted process resumes from the stored state.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contest.scoring import (
    strategy_names,
)
from contest.selectors import live_round_for_game, quiz_key_hidden_from
from contest.services.results import live_round_game_set, live_round_results_record
from core.errors import ApplicationError, ForbiddenError, NotFoundError
from core.roles import is_teacher
from quizzes.models import Question, Quiz
from quizzes.selectors import quiz_get, quiz_list
from realtime import access, engine
from realtime.access import device_kicked, may_host
from realtime.branding import branding_clean, branding_errors
from realtime.models import Game, Player
from realtime.nicknames import clean_nickname, nickname_key
from realtime.selectors import (
    play_plan,
)
from realtime.tokens import player_token

logger = logging.getLogger(__name__)

MSG_GAME_NOT_FOUND = _("No open game has this PIN. Check the PIN with your teacher.")
MSG_NICKNAME_TAKEN = _("Someone in this game already uses this nickname. Please choose another.")
MSG_GAME_FULL = _("This game is full.")
MSG_BANNED = _("You were removed from this game.")
MSG_QUIZ_NOT_FOUND = _("Quiz not found.")
MSG_QUIZ_EMPTY = _("This quiz has no questions yet.")
MSG_NOT_HOST = _("Only teachers can host live games.")
MSG_BAD_SETTINGS = _("Some game settings are invalid.")
MSG_GAME_NOT_TIED = _("This game is not tied to a contest round.")
MSG_GAME_NOT_ENDED = _("The game has not ended yet.")
MSG_PRACTICE_NOT_CONTEST = _("A practice game cannot be part of a contest.")
MSG_UNPUBLISHED = _(
    "This quiz has questions that are not published yet: try it as a practice game, or ask a "
    "reviewer to publish them."
)
MSG_OTHERS_DRAFTS = _(
    "A practice game may use your own draft questions only: this quiz has someone else's."
)

PIN_DIGITS = 7
DEFAULT_CAPACITY = 10_000

_SETTINGS: dict[str, type | tuple[type, ...]] = {
    "read_seconds": (int, float),
    "scoring": str,
    "streak_bonus": bool,
    "partial_credit": bool,
    "closeness": bool,
    "auto_advance": bool,
    "show_leaderboard": bool,
    "allow_late_join": bool,
    "capacity": int,
    "teams": int,
    "team_mode": str,
    "branding": dict,
    "join_challenge": bool,
}


def settings_clean(raw: Any) -> dict[str, Any]:
    """Allow-listed, type-checked game settings with defaults."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ApplicationError("invalid", MSG_BAD_SETTINGS)
    bad = [
        name
        for name, value in raw.items()
        if name not in _SETTINGS
        or not isinstance(value, _SETTINGS[name])
        or (isinstance(value, bool) and _SETTINGS[name] in (int, (int, float)))
    ]
    cleaned: dict[str, Any] = {
        "read_seconds": 3,
        "scoring": "speed",
        "streak_bonus": False,
        "partial_credit": False,
        "closeness": False,
        "auto_advance": False,
        "show_leaderboard": True,
        "allow_late_join": True,
        "capacity": DEFAULT_CAPACITY,
        "teams": 0,
        "team_mode": "mean",
        "branding": {},
        "join_challenge": False,
    }
    cleaned.update({k: v for k, v in raw.items() if k not in bad})
    if cleaned["scoring"] not in strategy_names():
        bad.append("scoring")
    if cleaned["team_mode"] not in {"mean", "sum"}:
        bad.append("team_mode")
    if not 0 <= cleaned["read_seconds"] <= 30:
        bad.append("read_seconds")
    if not 1 <= cleaned["capacity"] <= 100_000:
        bad.append("capacity")
    if not 0 <= cleaned["teams"] <= 50:
        bad.append("teams")
    branding = branding_errors(cleaned["branding"])
    if branding:
        bad.append("branding")
    if bad:
        details: dict[str, Any] = {"fields": sorted(set(bad))}
        if branding:
            details["branding"] = branding
        raise ApplicationError("invalid", MSG_BAD_SETTINGS, details)
    cleaned["branding"] = branding_clean(cleaned["branding"])
    return cleaned


def quiz_for_hosting(*, host, quiz_id: Any) -> Quiz:
    """The quiz `host` may run as a live game: one they can see in the bank (the bank's own
    visibility rule), and not the secret quiz of a contest round still to close unless they may
    see its key (contest.selectors.quiz_key_hidden_from). Anything else: 404, the same answer."""
    try:
        pk = int(quiz_id)
    except (TypeError, ValueError):
        raise NotFoundError("not_found", MSG_QUIZ_NOT_FOUND) from None
    try:
        quiz = quiz_get(user=host, pk=pk)
    except NotFoundError:
        raise NotFoundError("not_found", MSG_QUIZ_NOT_FOUND) from None
    if quiz_key_hidden_from(quiz=quiz, user=host):
        raise NotFoundError("not_found", MSG_QUIZ_NOT_FOUND)
    return quiz


def game_quiz_playable(*, game_id: int) -> bool:
    """Whether the game's host may still play its quiz: the hosting rule (quiz_key_hidden_from)
    again when questions open, since a quiz may join a contest round after the game was made."""
    game = Game.objects.select_related("quiz", "host").filter(pk=game_id).first()
    if game is None or game.quiz is None:
        return False
    return not quiz_key_hidden_from(quiz=game.quiz, user=game.host)


def quizzes_for_hosting(*, host) -> list[Quiz]:
    """The quizzes the /host/ page offers `host`, each with its item_count: exactly those
    quiz_for_hosting accepts (the bank's visibility, minus secret quizzes of contest rounds
    still to close), so no listed Host button answers "Quiz not found"."""
    quizzes = quiz_list(user=host).annotate(item_count=Count("items", distinct=True))
    return [quiz for quiz in quizzes if not quiz_key_hidden_from(quiz=quiz, user=host)]


def _check_playable(*, plan: list[dict[str, Any]], host, practice: bool) -> None:
    """Games play published questions; a practice game may also play the host's own drafts."""
    unpublished = Question.objects.filter(pk__in=[item["question"] for item in plan]).exclude(
        status__in=[Question.Status.PUBLISHED, Question.Status.ARCHIVED]
    )
    if not practice:
        if unpublished.exists():
            raise ApplicationError("quiz_not_published", MSG_UNPUBLISHED)
    elif unpublished.exclude(author=host).exists():
        raise ApplicationError("quiz_not_published", MSG_OTHERS_DRAFTS)


@transaction.atomic
def game_create(
    *,
    host,
    quiz_id: Any,
    settings: Any = None,
    contest_round_id: int | None = None,
    practice: bool = False,
) -> Game:
    """Create a live game in the lobby with a fresh PIN (unique among games not ended).

    With a contest round: only the contest's staff may tie a game to one of its live rounds, and
    the round then names this game (the only one that may record the round's results). A practice
    game lets a teacher try a quiz with their own drafts: only its host may join it, and it is
    never part of a contest."""
    if not is_teacher(host):
        raise ForbiddenError("permission_denied", MSG_NOT_HOST)
    if practice and contest_round_id is not None:
        raise ApplicationError("practice_not_contest", MSG_PRACTICE_NOT_CONTEST)
    quiz = quiz_for_hosting(host=host, quiz_id=quiz_id)
    round_ = None
    if contest_round_id is not None:
        round_ = live_round_for_game(round_id=contest_round_id, user=host, quiz=quiz)
    cleaned = settings_clean(settings)
    seed = secrets.randbelow(2**31)
    plan = play_plan(quiz=quiz, seed=seed)
    if not plan:
        raise ApplicationError("quiz_empty", MSG_QUIZ_EMPTY)
    _check_playable(plan=plan, host=host, practice=practice)
    state = engine.initial_state(total=len(plan), settings=cleaned)
    for _attempt in range(30):
        pin = str(secrets.randbelow(9 * 10 ** (PIN_DIGITS - 1)) + 10 ** (PIN_DIGITS - 1))
        try:
            with transaction.atomic():
                game = Game.objects.create(
                    quiz=quiz,
                    host=host,
                    pin=pin,
                    settings=cleaned,
                    plan=plan,
                    state=state,
                    screen_key=secrets.token_urlsafe(24),
                    secret=secrets.token_hex(16),
                    contest_round_id=round_.pk if round_ else None,
                    practice=practice,
                )
        except IntegrityError:
            continue
        if round_ is not None:
            live_round_game_set(round_=round_, game_id=game.id, actor=host)
        return game
    raise ApplicationError("busy", _("Please try again."), status=503)


def game_overlay_key_rotate(*, game_id: int, host) -> Game:
    """A new read-only overlay key for the host's game (docs/broadcast.md); the caller tells the
    processes (realtime.feed.overlay_key_rotated) so that open feed sockets close at once."""
    from contest.models import new_overlay_key

    game = Game.objects.select_related("quiz").filter(id=game_id).first()
    if game is None or not may_host(host, game):
        raise NotFoundError("not_found", access.MSG_GAME_NOT_FOUND)
    game.overlay_key = new_overlay_key()
    Game.objects.filter(id=game.id).update(overlay_key=game.overlay_key)
    return game


def game_for_pin(pin: Any, user=None) -> Game:
    """The joinable game with this PIN; the same error for missing, ended and locked games, and
    for someone else's practice game (only its host may join: it may hold unpublished drafts)."""
    not_found = NotFoundError("game_not_found", MSG_GAME_NOT_FOUND)
    if not isinstance(pin, str | int) or not str(pin).strip().isdigit() or len(str(pin)) > 12:
        raise not_found
    # Without the plan (every question of the quiz, as JSON): a look-up and a join need only the
    # game's state and settings, and decoding the plan was a large share of a join's CPU.
    game = (
        Game.objects.filter(pin=str(pin).strip())
        .exclude(status=Game.Status.ENDED)
        .defer("plan")
        .first()
    )
    if game is None or game.state.get("locked"):
        raise not_found
    if game.status == Game.Status.RUNNING and not game.state.get("late_join", True):
        raise not_found
    if game.practice and not may_host(user, game):
        raise not_found
    return game


def player_join(
    *,
    pin: Any,
    nickname: Any,
    team: Any = None,
    user=None,
    challenge: Any = None,
    device: str | None = None,
    venue: Any = None,
) -> tuple[Player, str]:
    """Join a game by PIN (and the screen's rotating code when the game asks for it): returns
    the player and their signed token. A device or account kicked from the game stays out,
    whatever the nickname."""
    from realtime.challenge import challenge_check

    game = game_for_pin(pin, user=user)
    challenge_check(game=game, code=challenge)
    from realtime.venues import venue_for_join

    venue_id = venue_for_join(game=game, venue=venue)
    if device_kicked(game_id=game.id, device=device, user=user):
        raise ForbiddenError("banned", MSG_BANNED)
    name = clean_nickname(nickname)
    key = nickname_key(name)
    existing = Player.objects.filter(game=game, nickname_key=key).first()
    if existing is not None:
        if existing.banned:
            raise ForbiddenError("banned", MSG_BANNED)
        raise ApplicationError("nickname_taken", MSG_NICKNAME_TAKEN) from None
    active = Player.objects.filter(game=game, banned=False)
    if active.count() >= int(game.settings.get("capacity", DEFAULT_CAPACITY)):
        raise ApplicationError("game_full", MSG_GAME_FULL)
    teams = int(game.settings.get("teams", 0))
    chosen = None
    if teams:
        if isinstance(team, int) and not isinstance(team, bool) and 1 <= team <= teams:
            chosen = team
        else:
            sizes = {t: 0 for t in range(1, teams + 1)}
            for t in active.exclude(team=None).values_list("team", flat=True):
                if t is not None:
                    sizes[t] = sizes.get(t, 0) + 1
            chosen = min(sizes, key=lambda t: (sizes[t], t))
    unit = getattr(getattr(user, "profile", None), "unit", None) if user else None
    try:
        with transaction.atomic():
            player = Player.objects.create(
                game=game,
                nickname=name,
                nickname_key=key,
                team=chosen,
                user=user if getattr(user, "is_authenticated", False) else None,
                unit=unit,
                venue_id=venue_id,
                device=device or "",
            )
    except IntegrityError:
        raise ApplicationError("nickname_taken", MSG_NICKNAME_TAKEN) from None
    return player, player_token(game_id=game.id, player_id=player.id)


def player_seen(*, player_id: int) -> bool:
    """Mark a player as connected; True the first time (they appear in the lobby)."""
    return bool(Player.objects.filter(id=player_id, seen=False).update(seen=True))


def player_kick(*, game_id: int, player_id: int) -> bool | None:
    """Ban a player for this game: None if unknown, True if they counted as connected."""
    players = Player.objects.filter(game_id=game_id, id=player_id)
    counted = players.filter(banned=False, seen=True).update(banned=True)
    if counted:
        return True
    return False if players.update(banned=True) else None


def player_team_set(*, game_id: int, player_id: int, team: int | None) -> bool:
    return bool(Player.objects.filter(game_id=game_id, id=player_id).update(team=team))


def _status_for(phase: str) -> str:
    if phase == engine.ENDED:
        return Game.Status.ENDED
    if phase == engine.LOBBY:
        return Game.Status.LOBBY
    return Game.Status.RUNNING


def game_transition(*, game_id: int, expected_seq: int, new_state: dict) -> dict | None:
    """Persist a new live state if nobody changed it meanwhile (compare-and-set on seq)."""
    new_state = {**new_state, "seq": expected_seq + 1}
    status = _status_for(new_state["phase"])
    fields: dict[str, Any] = {
        "state": new_state,
        "seq": expected_seq + 1,
        "phase": new_state["phase"],
        "current_q": new_state["q"],
        "status": status,
    }
    now = timezone.now()
    if status == Game.Status.RUNNING:
        Game.objects.filter(id=game_id, started_at=None).update(started_at=now)
    if status == Game.Status.ENDED:
        fields["ended_at"] = now
    updated = Game.objects.filter(id=game_id, seq=expected_seq).update(**fields)
    if not updated:
        return None
    if status == Game.Status.ENDED:
        _record_contest_round(game_id)
    return new_state


def _final_rows(game_id: int) -> list[dict[str, Any]]:
    return [
        {
            "user_id": p.user_id,
            "nickname": p.nickname,
            "unit_id": p.unit_id,
            "score": p.score,
            "time_ms": p.time_ms,
        }
        for p in Player.objects.filter(game_id=game_id, banned=False).order_by("id")
    ]


def _record_contest_round(game_id: int) -> None:
    """Hand a finished live round's results to the contest app, as the game's host. Refused
    (and logged) when the round names another game or already has results: replacing them
    needs a staff member's confirmation (game_contest_results_record)."""
    game = Game.objects.select_related("host").get(id=game_id)
    if not game.contest_round_id:
        return
    try:
        live_round_results_record(
            round_id=game.contest_round_id,
            game_id=game.id,
            rows=_final_rows(game_id),
            actor=game.host,
        )
    except ApplicationError as exc:
        logger.warning("game %s: contest round results not recorded: %s", game_id, exc.code)
    except Exception:  # the game is over either way; never lose the game record
        logger.exception("live_round_results_record failed for game %s", game_id)


def game_contest_results_record(*, game_id: int, actor, overwrite: bool) -> int:
    """Record (again) an ended game's results in the live round it is tied to, on purpose: the
    contest's staff confirm replacing results the round already has with `overwrite`."""
    game = Game.objects.filter(id=game_id).first()
    if game is None or not game.contest_round_id:
        raise NotFoundError("not_found", MSG_GAME_NOT_TIED)
    live_round_for_game(round_id=game.contest_round_id, user=actor)
    if game.status != Game.Status.ENDED:
        raise ApplicationError("game_not_ended", MSG_GAME_NOT_ENDED, status=409)
    return live_round_results_record(
        round_id=game.contest_round_id,
        game_id=game.id,
        rows=_final_rows(game.id),
        actor=actor,
        overwrite=overwrite,
    )


def new_submission_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw is not None else uuid.uuid4()
    except ValueError:
        return None
