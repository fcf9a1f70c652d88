"""Writes of the live engine (sync ORM; the hub calls them from a worker thread).

Every state transition is a compare-and-set on Game.seq in PostgreSQL, so several server processes
can drive one game and a restarted process resumes from the stored state.
"""

from __future__ import annotations

import logging
import math
import secrets
import uuid
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contest.scoring import (
    ScoringOptions,
    closeness_fraction,
    get_strategy,
    is_full,
    next_streak,
    strategy_names,
)
from contest.selectors import live_round_for_game, quiz_key_hidden_from
from contest.services.results import live_round_game_set, live_round_results_record
from quizzes.errors import ApplicationError, ForbiddenError, NotFoundError
from quizzes.grading import grade, numeric_distance
from quizzes.models import Question, Quiz
from quizzes.roles import is_teacher
from quizzes.selectors import quiz_get, quiz_list
from realtime import engine
from realtime.branding import branding_clean, branding_errors
from realtime.models import Answer, Game, Player, QuestionResult
from realtime.nicknames import clean_nickname, nickname_key
from realtime.selectors import (
    PlayQuestion,
    play_plan,
    play_question,
    players_ranked,
    teams_ranked,
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
LEADERBOARD_SIZE = 10
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
    cleaned = {
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
    if game is None or game.host_id != getattr(host, "id", None):
        raise NotFoundError("not_found", _("Game not found."))
    game.overlay_key = new_overlay_key()
    Game.objects.filter(id=game.id).update(overlay_key=game.overlay_key)
    return game


def game_for_pin(pin: Any, user=None) -> Game:
    """The joinable game with this PIN; the same error for missing, ended and locked games, and
    for someone else's practice game (only its host may join: it may hold unpublished drafts)."""
    not_found = NotFoundError("game_not_found", MSG_GAME_NOT_FOUND)
    if not isinstance(pin, str | int) or not str(pin).strip().isdigit() or len(str(pin)) > 12:
        raise not_found
    game = Game.objects.filter(pin=str(pin).strip()).exclude(status=Game.Status.ENDED).first()
    if game is None or game.state.get("locked"):
        raise not_found
    if game.status == Game.Status.RUNNING and not game.state.get("late_join", True):
        raise not_found
    if game.practice and getattr(user, "pk", None) != game.host_id:
        raise not_found
    return game


def device_kicked(*, game_id: int, device: str | None, user=None) -> bool:
    """Whether this device (realtime.device) or account has a kicked player in the game."""
    account = user if getattr(user, "is_authenticated", False) else None
    if not device and account is None:
        return False
    same = Q(device=device) if device else Q(pk__in=[])
    if account is not None:
        same |= Q(user=account)
    return Player.objects.filter(same, game_id=game_id, banned=True).exists()


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
        raise ApplicationError("nickname_taken", MSG_NICKNAME_TAKEN)
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
        raise ApplicationError("nickname_taken", MSG_NICKNAME_TAKEN)
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


# --- Answers: the micro-batch insert ---------------------------------------------------------


def answers_store(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, bool]]:
    """Insert a batch of answers in one transaction; one (status, submission_id, new) per row.

    status "ok": stored (or already stored: submission_id is the ORIGINAL one, new=False);
    "late": the question closed before this batch committed. The game rows are read FOR SHARE,
    so a concurrent close (an UPDATE of the game row) waits for this batch, and a batch after the
    close sees it: every acknowledged answer is committed before the question is scored.
    """
    out: list[tuple[str, str | None, bool]] = [("late", None, False)] * len(rows)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        groups_pg: dict[tuple[int, int], list[int]] = {}
        for i, r in enumerate(rows):
            groups_pg.setdefault((r["game_id"], r["q"]), []).append(i)
        for (game_id, q), indexes in groups_pg.items():
            _answers_insert_pg(rows, indexes, game_id, q, out)
        return out
    with transaction.atomic():
        game_ids = sorted({r["game_id"] for r in rows})
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, phase, current_q FROM realtime_game WHERE id = ANY(%s) FOR SHARE",
                    [game_ids],
                )
                live = {gid: (phase, q) for gid, phase, q in cursor.fetchall()}
        else:
            live = {
                gid: (phase, q)
                for gid, phase, q in Game.objects.filter(id__in=game_ids).values_list(
                    "id", "phase", "current_q"
                )
            }
        accepted = [
            i for i, r in enumerate(rows) if live.get(r["game_id"]) == (engine.QUESTION, r["q"])
        ]
        groups: dict[tuple[int, int], list[int]] = {}
        for i in accepted:
            groups.setdefault((rows[i]["game_id"], rows[i]["q"]), []).append(i)
        for (game_id, q), indexes in groups.items():
            players = {rows[i]["player_id"] for i in indexes}
            before = dict(
                Answer.objects.filter(game_id=game_id, q=q, player_id__in=players).values_list(
                    "player_id", "submission_id"
                )
            )
            fresh: dict[int, Answer] = {}
            for i in indexes:
                r = rows[i]
                if r["player_id"] in before or r["player_id"] in fresh:
                    continue
                fresh[r["player_id"]] = Answer(
                    game_id=game_id,
                    player_id=r["player_id"],
                    q=q,
                    question_id=r["question_id"],
                    submission_id=r["submission_id"],
                    response=r["response"],
                    received_ms=r["received_ms"],
                    elapsed_ms=r["elapsed_ms"],
                )
            if fresh:
                Answer.objects.bulk_create(fresh.values(), ignore_conflicts=True)
            after = dict(
                Answer.objects.filter(game_id=game_id, q=q, player_id__in=players).values_list(
                    "player_id", "submission_id"
                )
            )
            counted: set[int] = set()
            for i in indexes:
                pid = rows[i]["player_id"]
                sid = after.get(pid)
                new = (
                    pid not in before
                    and pid not in counted
                    and sid is not None
                    and sid == rows[i]["submission_id"]
                )
                if new:
                    counted.add(pid)
                out[i] = ("ok", str(sid) if sid else None, new)
    return out


_ANSWERS_PG_SQL = """WITH live AS (
    SELECT id FROM realtime_game
    WHERE id = %s AND phase = %s AND current_q = %s FOR SHARE
), ins AS (
    INSERT INTO realtime_answer (game_id, player_id, q, question_id, submission_id, response,
                                 received_ms, elapsed_ms)
    SELECT live.id, v.player_id, %s, v.question_id, v.submission_id, v.response, v.received_ms,
           v.elapsed_ms
    FROM live, jsonb_to_recordset(%s::jsonb) AS v(
        player_id bigint, question_id bigint, submission_id uuid, response jsonb,
        received_ms bigint, elapsed_ms integer)
    ON CONFLICT (game_id, player_id, q) DO NOTHING
    RETURNING player_id
)
SELECT (SELECT count(*) FROM live), ARRAY(SELECT player_id FROM ins)"""
_ANSWERS_PG_CONFLICTS_SQL = (
    "SELECT player_id, submission_id FROM realtime_answer"
    " WHERE game_id = %s AND q = %s AND player_id = ANY(%s::bigint[])"
)


def _answers_pg_plan(
    rows: list[dict[str, Any]], indexes: list[int], game_id: int, q: int
) -> tuple[dict[int, int], list]:
    """(player -> index of their first row in the batch, parameters of _ANSWERS_PG_SQL)."""
    first: dict[int, int] = {}
    for i in indexes:
        first.setdefault(rows[i]["player_id"], i)
    payload = orjson.dumps(
        [
            {
                "player_id": r["player_id"],
                "question_id": r["question_id"],
                "submission_id": r["submission_id"],
                "response": r["response"],
                "received_ms": r["received_ms"],
                "elapsed_ms": r["elapsed_ms"],
            }
            for r in (rows[i] for i in first.values())
        ]
    ).decode()
    return first, [game_id, engine.QUESTION, q, q, payload]


def _answers_pg_fill(
    rows: list[dict[str, Any]],
    indexes: list[int],
    first: dict[int, int],
    inserted: set[int],
    existing: dict[int, Any],
    out: list[tuple[str, str | None, bool]],
) -> None:
    for i in indexes:
        pid = rows[i]["player_id"]
        if pid in inserted:
            out[i] = ("ok", str(rows[first[pid]]["submission_id"]), i == first[pid])
        else:
            sid = existing.get(pid)
            out[i] = ("ok", str(sid) if sid else None, False)


def _answers_insert_pg(
    rows: list[dict[str, Any]],
    indexes: list[int],
    game_id: int,
    q: int,
    out: list[tuple[str, str | None, bool]],
) -> None:
    """One (game, question) group of a batch in ONE statement (PostgreSQL, autocommit).

    The game row is read FOR SHARE in the same statement that inserts, so a concurrent close
    (an UPDATE of that row) waits until these answers are committed, and a statement after the
    close sees the new phase and stores nothing ("late"). The unique constraint decides which
    answer stands. Rows travel as one JSON document (jsonb_to_recordset): no model instances and
    no per-value quoting in Python. A second SELECT runs only for conflicts (retries).
    """
    first, params = _answers_pg_plan(rows, indexes, game_id, q)
    existing: dict[int, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(_ANSWERS_PG_SQL, params)
        is_live, inserted_ids = cursor.fetchone()
        if not is_live:
            return  # the question closed first: every row stays "late"
        inserted = set(inserted_ids)
        conflicts = [pid for pid in first if pid not in inserted]
        if conflicts:
            cursor.execute(_ANSWERS_PG_CONFLICTS_SQL, [game_id, q, conflicts])
            existing = dict(cursor.fetchall())
    _answers_pg_fill(rows, indexes, first, inserted, existing, out)


async def answers_store_async(
    conn, rows: list[dict[str, Any]]
) -> list[tuple[str, str | None, bool]]:
    """answers_store on PostgreSQL over an asyncio psycopg connection in autocommit mode.

    The same statements as the thread path, awaited on the event loop: no worker thread, so no
    GIL hand-offs between the loop (reading answers, sending acks) and a database thread during
    an answer burst. Acks are sent only after this returns: each statement has committed.
    """
    out: list[tuple[str, str | None, bool]] = [("late", None, False)] * len(rows)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r["game_id"], r["q"]), []).append(i)
    async with conn.cursor() as cursor:
        for (game_id, q), indexes in groups.items():
            first, params = _answers_pg_plan(rows, indexes, game_id, q)
            await cursor.execute(_ANSWERS_PG_SQL, params)
            is_live, inserted_ids = await cursor.fetchone()
            if not is_live:
                continue
            inserted = set(inserted_ids)
            existing: dict[int, Any] = {}
            conflicts = [pid for pid in first if pid not in inserted]
            if conflicts:
                await cursor.execute(_ANSWERS_PG_CONFLICTS_SQL, [game_id, q, conflicts])
                existing = dict(await cursor.fetchall())
            _answers_pg_fill(rows, indexes, first, inserted, existing, out)
    return out


def new_submission_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw is not None else uuid.uuid4()
    except ValueError:
        return None


# --- Closing a question: score it, then reveal -----------------------------------------------


def _fraction(pq: PlayQuestion, response: dict | None, options: ScoringOptions) -> float | None:
    value = grade(pq.key, response)
    if value is None or not response:
        return value
    if options.closeness and pq.type == "numeric" and value < 1.0:
        try:
            distance = numeric_distance(pq.key, response.get("value"))
        except (TypeError, ValueError):
            return value
        target = float(pq.key.get("value", 0) or 0)
        if math.isfinite(distance):
            return closeness_fraction(distance, target=target)
    return value


def reveal_payload(pq: PlayQuestion, answers: list[Answer], fractions: dict[int, Any]) -> dict:
    correct = pq.correct_public()
    if pq.type in {"single", "truefalse", "poll", "multi"}:
        distribution = {pq.to_opaque[c]: 0 for c in pq.to_opaque}
        for a in answers:
            picked = a.response.get("choices") or [a.response.get("choice")]
            for c in picked:
                if str(c) in pq.to_opaque:
                    distribution[pq.to_opaque[str(c)]] += 1
    elif pq.type == "slide":
        distribution = {}
    else:
        right = sum(1 for a in answers if is_full(fractions.get(a.player_id)))
        distribution = {"right": right, "wrong": len(answers) - right}
    return {
        "q": pq.q,
        "correct": correct,
        "distribution": distribution,
        "answers": len(answers),
        "explanation": pq.explanation,
        "source": pq.source,
    }


_PLAYER_TOTALS = ("score", "streak", "correct", "answers", "time_ms", "last_correct_ms", "rank")
_PLAYER_READ = ("id", *_PLAYER_TOTALS, "team", "nickname")
_ANSWER_READ = ("id", "player_id", "response", "elapsed_ms", "received_ms", "fraction", "points")


class _Row:
    """A read row with attribute access (scoring reads thousands; no model instances needed)."""

    def __init__(self, names: tuple[str, ...], values: tuple) -> None:
        self.__dict__.update(zip(names, values, strict=True))


def _answers_points_save(answers: list[_Row]) -> None:
    """Every answer's fraction and points in one set-based UPDATE (PostgreSQL).

    Django's bulk_update builds a CASE WHEN per row and field (~1 ms of Python per row, holding
    the GIL while the event loop should be sending frames); one JSON document instead.
    """
    if not answers:
        return
    if connection.vendor != "postgresql":
        Answer.objects.bulk_update(
            [Answer(id=a.id, fraction=a.fraction, points=a.points) for a in answers],
            ["fraction", "points"],
            batch_size=1000,
        )
        return
    payload = orjson.dumps([[a.id, a.fraction, a.points] for a in answers]).decode()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Answer._meta.db_table} AS a SET fraction = (v->>1)::float8,"
            " points = (v->>2)::integer"
            " FROM jsonb_array_elements(%s::jsonb) AS v WHERE a.id = (v->>0)::bigint",
            [payload],
        )


def _players_totals_save(players: list[_Row]) -> None:
    """Every player's totals and rank in one set-based UPDATE (PostgreSQL; see above)."""
    if not players:
        return
    if connection.vendor != "postgresql":
        rows = [Player(id=p.id, **{f: getattr(p, f) for f in _PLAYER_TOTALS}) for p in players]
        Player.objects.bulk_update(rows, list(_PLAYER_TOTALS), batch_size=1000)
        return
    types = ("integer", "integer", "integer", "integer", "bigint", "bigint", "integer")
    assignments = ", ".join(
        f"{field} = (v->>{n})::{kind}"
        for n, (field, kind) in enumerate(zip(_PLAYER_TOTALS, types, strict=True), start=1)
    )
    payload = orjson.dumps(
        [[p.id, *(getattr(p, field) for field in _PLAYER_TOTALS)] for p in players]
    ).decode()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Player._meta.db_table} AS p SET {assignments}"
            " FROM jsonb_array_elements(%s::jsonb) AS v WHERE p.id = (v->>0)::bigint",
            [payload],
        )


def question_score(*, game_id: int, expected_seq: int) -> dict[str, Any] | None:
    """Score the closed question from the stored answers and move the game to the reveal.

    One transaction: answers' points, players' totals and ranks, the question's statistics and
    the state change all commit together (a crash halfway leaves the question 'closed' and any
    process scores it again from scratch). Returns None when another process got there first.
    """
    with transaction.atomic():
        game = Game.objects.select_for_update(of=("self",)).select_related("quiz").get(id=game_id)
        if game.seq != expected_seq or game.phase != engine.CLOSED:
            return None
        state = dict(game.state)
        q = state["q"]
        pq = play_question(game=game, q=q)
        options = ScoringOptions.from_dict(game.settings)
        strategy = get_strategy(game.settings.get("scoring", "speed"))
        # Plain rows, not model instances: 10,000 players cost ~0.3 s of ORM instantiation.
        answers = [
            _Row(_ANSWER_READ, values)
            for values in Answer.objects.filter(game_id=game_id, q=q).values_list(*_ANSWER_READ)
        ]
        by_player = {a.player_id: a for a in answers}
        players = [
            _Row(_PLAYER_READ, values)
            for values in Player.objects.filter(game_id=game_id, banned=False)
            .order_by("id")
            .values_list(*_PLAYER_READ)
        ]
        scored = pq.type not in {"poll", "slide"}
        results: dict[int, list] = {}
        fractions: dict[int, float | None] = {}
        before = {p.id: p.score for p in players}
        for player in players:
            answer = by_player.get(player.id)
            fraction = _fraction(pq, answer.response if answer else None, options)
            if not scored:
                fraction = None
            elif answer is None:
                fraction = 0.0
            fractions[player.id] = fraction
            streak = next_streak(player.streak, fraction)
            points = 0
            if answer is not None:
                points = strategy.points(
                    fraction,
                    weight=pq.weight,
                    elapsed_ms=answer.elapsed_ms,
                    limit_ms=pq.limit_ms,
                    streak=streak,
                    options=options,
                )
                answer.fraction = fraction
                answer.points = points
                player.answers += 1
                if points > 0:
                    # The time tie-break counts only answers that earned points: answering
                    # wrongly never ranks below not answering (docs/protocol.md, Ranking).
                    player.time_ms += answer.elapsed_ms
                if is_full(fraction):
                    player.correct += 1
                    player.last_correct_ms = answer.received_ms
            player.streak = streak
            player.score += points
            results[player.id] = [fraction, points, streak]
        ranked = players_ranked(
            {
                "id": p.id,
                "score": p.score,
                "time_ms": p.time_ms,
                "last_correct_ms": p.last_correct_ms,
                "team": p.team,
                "nickname": p.nickname,
            }
            for p in players
        )
        ranks = {r["id"]: r["rank"] for r in ranked}
        for player in players:
            player.rank = ranks[player.id]
        _answers_points_save(answers)
        _players_totals_save(players)
        reveal = reveal_payload(pq, answers, fractions)
        leaderboard = {
            "q": q,
            "top": [
                {
                    "rank": r["rank"],
                    "player": r["id"],
                    "nickname": r["nickname"],
                    "team": r["team"],
                    "score": r["score"],
                    "delta": r["score"] - before[r["id"]],
                }
                for r in ranked[:LEADERBOARD_SIZE]
            ],
            "teams": teams_ranked(ranked, mode=game.settings.get("team_mode", "mean")),
        }
        right = sum(1 for a in answers if is_full(fractions.get(a.player_id)))
        QuestionResult.objects.create(
            game=game,
            q=q,
            question_id=pq.question_id,
            answers=len(answers),
            right=right if scored else 0,
            wrong=len(answers) - right if scored else 0,
            points_total=sum(a.points or 0 for a in answers),
            reveal=reveal,
            leaderboard=leaderboard,
        )
        new_state = {**state, "phase": engine.REVEAL, "seq": expected_seq + 1}
        Game.objects.filter(id=game_id).update(
            state=new_state, seq=expected_seq + 1, phase=engine.REVEAL
        )
    scores = {p.id: p.score for p in players}
    personal = {
        pid: [q, None if f is None else is_full(f), f, pts, scores[pid], ranks[pid], st]
        for pid, (f, pts, st) in results.items()
    }
    return {"state": new_state, "reveal": reveal, "leaderboard": leaderboard, "personal": personal}


def question_skip_record(*, game_id: int, q: int, question_id: int | None) -> None:
    QuestionResult.objects.get_or_create(
        game_id=game_id, q=q, defaults={"question_id": question_id, "skipped": True}
    )
