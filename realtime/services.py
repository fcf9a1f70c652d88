"""Writes of the live engine (sync ORM; the hub calls them from a worker thread).

Every state transition is a compare-and-set on Game.seq in PostgreSQL, so several server processes
can drive one game and a restarted process resumes from the stored state.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from contextlib import nullcontext
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contest.scoring import (
    strategy_names,
)
from contest.selectors import live_round_for_game
from contest.services.results import live_round_game_set, live_round_results_record
from contest.shared_keys import quiz_key_hidden_from
from core.errors import ApplicationError, ForbiddenError, NotFoundError
from core.roles import is_teacher
from core.text import PIN_MAX_LENGTH, digit_code
from quizzes.models import Question, Quiz
from quizzes.selectors import quiz_get, quiz_list
from realtime import access, engine
from realtime.access import device_kicked, may_host, player_seen  # noqa: F401 (player_seen: here too)
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
    see its key (contest.shared_keys.quiz_key_hidden_from). Anything else: 404, the same answer."""
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


def _game_columns() -> list:
    """The game's columns a look-up and a join read: every one but the plan."""
    return [f for f in Game._meta.concrete_fields if f.attname != "plan"]


def _game_by_pin_sql() -> str:
    from realtime.venues import venues_json_sql

    columns = ", ".join(
        f"g.{f.column}::text" if f.get_internal_type() == "JSONField" else f"g.{f.column}"
        for f in _game_columns()
    )
    return (
        f"SELECT {columns}, {venues_json_sql('g.id')} FROM {Game._meta.db_table} g"
        f" WHERE g.pin = %s AND NOT g.status = '{Game.Status.ENDED}' LIMIT 1"
    )


_GAME_BY_PIN_SQL: str | None = None


def _game_by_pin(pin: str) -> Game | None:
    """The game with this PIN that has not ended (at most one: game_pin_unique_while_live),
    without its plan (every question of the quiz, as JSON: a look-up and a join need only the
    game's state and settings). On PostgreSQL one fixed statement: Django compiling the query
    was most of the cost of reading the game, twice per player (look-up and join). It reads the
    game's venues too (`venues_read`: realtime/venues.py game_venues), which both need."""
    global _GAME_BY_PIN_SQL
    if connection.vendor != "postgresql":
        return Game.objects.filter(pin=pin).exclude(status=Game.Status.ENDED).defer("plan").first()
    if _GAME_BY_PIN_SQL is None:
        _GAME_BY_PIN_SQL = _game_by_pin_sql()
    with connection.cursor() as cursor:
        cursor.execute(_GAME_BY_PIN_SQL, [pin])
        row = cursor.fetchone()
    if row is None:
        return None
    fields = _game_columns()
    values = [
        orjson.loads(value) if f.get_internal_type() == "JSONField" else value
        for f, value in zip(fields, row[:-1], strict=True)
    ]
    game = Game.from_db(connection.alias, [f.attname for f in fields], values)
    game.venues_read = orjson.loads(row[-1])
    return game


def game_joinable(status: str, state: dict) -> bool:
    """Whether a game takes joins now: not ended, not locked, and not running with late joins
    off. The one rule: game_for_pin reads it, and _JOINABLE_SQL says the same for the join's
    seat, which PostgreSQL checks against the game row's latest version (a lock committed while
    a join was on its way stops it; tests/realtime/test_join_concurrency.py proves the two
    agree)."""
    if status == Game.Status.ENDED or state.get("locked") is True:
        return False
    return not (status == Game.Status.RUNNING and state.get("late_join", True) is False)


# game_joinable in SQL, on the game row (`state` is jsonb: a flag counts only as true or false).
_JOINABLE_SQL = (
    f"status <> '{Game.Status.ENDED}' AND NOT state @> '{{\"locked\": true}}'::jsonb"
    f" AND NOT (status = '{Game.Status.RUNNING}' AND state @> '{{\"late_join\": false}}'::jsonb)"
)


def game_for_pin(pin: Any, user=None) -> Game:
    """The joinable game with this PIN; the same error for missing, ended and locked games, and
    for someone else's practice game (only its host may join: it may hold unpublished drafts).

    Within a batch of look-ups and joins (realtime/threads.py Batches), the game as the batch's
    first call of this PIN read it: a few milliseconds before, as if the calls had come at the
    same moment. A join may take it too: its statement takes the seat against the game row's
    latest version (_JOINABLE_SQL and the capacity, under the row's lock), so a game locked or
    filled meanwhile still turns the join away (tests/realtime/test_join_concurrency.py)."""
    from realtime.threads import batch_memo

    pin = digit_code(pin, max_length=PIN_MAX_LENGTH)
    if not pin:
        raise _game_not_found()
    memo = batch_memo()
    if memo is not None and pin in memo:
        game = memo[pin]
    else:
        game = _game_by_pin(pin)
        if memo is not None:
            memo[pin] = game
    if game is None or not game_joinable(game.status, game.state):
        raise _game_not_found()
    if game.practice and not may_host(user, game):
        raise _game_not_found()
    return game


def _game_not_found() -> NotFoundError:
    return NotFoundError("game_not_found", MSG_GAME_NOT_FOUND)


def player_join(
    *,
    pin: Any,
    nickname: Any,
    team: Any = None,
    user=None,
    challenge: Any = None,
    device: str | None = None,
    venue: Any = None,
    arrive_in: int | None = None,
) -> tuple[Player, str]:
    """Join a game by PIN (and the screen's rotating code when the game asks for it: the code of
    the venue's screen in a game with venues): returns
    the player and their signed token. A device or account kicked from the game stays out,
    whatever the nickname.

    arrive_in: a game whose socket counts the player in with this join (the join socket, when
    its process holds the game: realtime/join.py socket_join_sync). A player who joins that game
    is marked connected by the join's own statement (player.seen), as their first hello would
    (access.player_hello)."""
    from realtime.challenge import challenge_check
    from realtime.venues import venue_for_join

    game = game_for_pin(pin, user=user)
    venue_id = venue_for_join(game=game, venue=venue)
    challenge_check(game=game, code=challenge, venue_id=venue_id)  # a venue's own code
    try:
        name = clean_nickname(nickname)
    except ApplicationError:
        # The kicked device's answer comes first, whatever the nickname (as it always did).
        if device_kicked(game_id=game.id, device=device, user=user):
            raise ForbiddenError("banned", MSG_BANNED) from None
        raise
    key = nickname_key(name)
    capacity = int(game.settings.get("capacity", DEFAULT_CAPACITY))
    teams = int(game.settings.get("teams", 0))
    chosen = None
    if teams:
        if isinstance(team, int) and not isinstance(team, bool) and 1 <= team <= teams:
            chosen = team
        else:
            sizes = {t: 0 for t in range(1, teams + 1)}
            active = Player.objects.filter(game=game, banned=False).exclude(team=None)
            for t in active.values_list("team", flat=True):
                if t is not None:
                    sizes[t] = sizes.get(t, 0) + 1
            chosen = min(sizes, key=lambda t: (sizes[t], t))
    account = user if getattr(user, "is_authenticated", False) else None
    unit = getattr(getattr(user, "profile", None), "unit", None) if account else None
    player = Player(
        game=game,
        nickname=name,
        nickname_key=key,
        team=chosen,
        user=account,
        unit=unit,
        venue_id=venue_id,
        device=device or "",
        seen=arrive_in == game.id,
        joined_at=timezone.now(),
    )
    _player_insert(player, capacity=capacity)
    return player, player_token(game_id=game.id, player_id=player.id)


_JOIN_SQL = f"""
WITH kicked AS (
    SELECT EXISTS (
        SELECT 1 FROM {Player._meta.db_table}
        WHERE game_id = %(game)s::bigint AND banned
          AND ((%(device)s::text <> '' AND device = %(device)s::text)
               OR user_id = %(user)s::integer)
    ) AS yes
), taken AS (
    SELECT banned FROM {Player._meta.db_table}
    WHERE game_id = %(game)s::bigint AND nickname_key = %(key)s::text
), seat AS (
    UPDATE {Game._meta.db_table} SET active_players = active_players + 1
    WHERE id = %(game)s::bigint AND active_players < %(capacity)s::integer AND {_JOINABLE_SQL}
      AND NOT (SELECT yes FROM kicked) AND NOT EXISTS (SELECT 1 FROM taken)
    RETURNING id
), added AS (
    INSERT INTO {Player._meta.db_table} (
        game_id, nickname, nickname_key, team, user_id, unit_id, venue_id, device,
        banned, seen, score, streak, correct, answers, time_ms, joined_at
    )
    SELECT seat.id, %(nickname)s::text, %(key)s::text, %(team)s::smallint,
        %(user)s::integer, %(unit)s::bigint, %(venue)s::bigint, %(device)s::text,
        false, %(seen)s::boolean, 0, 0, 0, 0, 0, %(now)s::timestamptz
    FROM seat
    RETURNING id
)
SELECT (SELECT id FROM added), (SELECT yes FROM kicked), (SELECT banned FROM taken)
"""


def _player_insert(player: Player, *, capacity: int) -> None:
    """Insert a joining player unless the game turns them away; the checks, in this order: a
    kicked device or account, a nickname in use (by a kicked player: banned), a game locked or
    ended since it was read (game_joinable), a full game.

    On PostgreSQL the checks and the insert are one statement (_JOIN_SQL): one round trip and no
    query for Django to compile, where a join used to take five, one of them counting the game's
    players. The game's row keeps that count (Game.active_players): the statement takes a seat
    under the row's lock, which PostgreSQL re-checks against the latest count, so concurrent
    joins never go past the capacity. A nickname taken by a concurrent join is the unique
    constraint's answer: the whole statement, seat included, is undone ("taken")."""
    if connection.vendor != "postgresql":
        row = _player_insert_orm(player, capacity=capacity)
    else:
        try:
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                with connection.cursor() as cursor:
                    cursor.execute(
                        _JOIN_SQL,
                        {
                            "game": player.game_id,
                            "nickname": player.nickname,
                            "key": player.nickname_key,
                            "team": player.team,
                            "user": player.user_id,
                            "unit": player.unit_id,
                            "venue": player.venue_id,
                            "device": player.device,
                            "seen": player.seen,
                            "now": player.joined_at,
                            "capacity": capacity,
                        },
                    )
                    row = cursor.fetchone()
        except IntegrityError:
            row = (None, False, False)  # a concurrent join took the nickname first
    joined, kicked, taken_banned = row
    if kicked or taken_banned:
        raise ForbiddenError("banned", MSG_BANNED)
    if taken_banned is not None:
        raise ApplicationError("nickname_taken", MSG_NICKNAME_TAKEN)
    if joined is None:
        game = Game.objects.filter(id=player.game_id).values("status", "state").first()
        if game is None or not game_joinable(game["status"], game["state"]):
            raise _game_not_found()  # locked (or ended) while this join was on its way
        raise ApplicationError("game_full", MSG_GAME_FULL)
    player.id = joined
    player._state.adding = False
    player._state.db = connection.alias


def _player_insert_orm(player: Player, *, capacity: int) -> tuple[int | None, bool, Any]:
    """_JOIN_SQL's answer, with the ORM (SQLite: development and the embedded defaults)."""
    game_id = player.game_id
    if device_kicked(game_id=game_id, device=player.device, user=player.user):
        return None, True, None
    existing = Player.objects.filter(game_id=game_id, nickname_key=player.nickname_key)
    taken_banned = existing.values_list("banned", flat=True).first()
    if taken_banned is not None:
        return None, False, taken_banned
    try:
        with transaction.atomic():
            now = Game.objects.filter(id=game_id).values("status", "state").first()
            if now is None or not game_joinable(now["status"], now["state"]):
                return None, False, None
            seats = Game.objects.filter(id=game_id, active_players__lt=capacity)
            if not seats.update(active_players=F("active_players") + 1):
                return None, False, None
            player.save(force_insert=True)
    except IntegrityError:
        return None, False, False
    return player.pk, False, None


@transaction.atomic
def player_kick(*, game_id: int, player_id: int) -> bool | None:
    """Ban a player for this game: None if unknown, True if they counted as connected. The seat
    they held (Game.active_players) is free again."""
    players = Player.objects.filter(game_id=game_id, id=player_id)
    row = players.select_for_update().values_list("banned", "seen").first()
    if row is None:
        return None
    banned, seen = row
    if banned:
        return False
    players.update(banned=True)
    Game.objects.filter(id=game_id).update(active_players=F("active_players") - 1)
    return seen


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
