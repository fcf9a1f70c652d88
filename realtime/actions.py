"""What a live socket can ask of a game: answer, host commands (kick and team among them),
join, and the state snapshot a socket gets on hello and after a resync.

Each action validates against the live state the hub holds, writes through the services (or the
answer batcher), publishes through the hub, and raises `ClientError` to refuse: the socket turns
it into an error frame (realtime/socket.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from channels.db import database_sync_to_async

from core import metrics
from quizzes.grading import (
    InvalidResponse,
    response_well_formed,
    response_within_bounds,
    validate_response,
)
from realtime import access, engine, scoring, services
from realtime import protocol as p
from realtime.frames import (
    FLAGS,
    ClientError,
    ack_frame,
    closed_frame,
    ended_frame,
    flags_frame,
    key_frame,
    leaderboard_frame,
    lobby_frame,
    podium_frame,
    question_frame,
    reveal_frame,
    skipped_frame,
    timer_frame,
)
from realtime.hub import TO_ALL, TO_HOST, TO_STAFF, grace_ms
from realtime.models import Answer, Player, QuestionResult
from realtime.selectors import podium, roster
from realtime.wire import now_ms

if TYPE_CHECKING:
    from realtime.hub import Hub, LocalGame

db = database_sync_to_async


# --- answer ------------------------------------------------------------------------------------


async def answer(hub: Hub, lg: LocalGame, player_id: int, msg: dict) -> dict:
    """Validate against the live state, store durably, then acknowledge (the ack frame)."""
    now = now_ms()  # the server's clock, read once: this decides
    q = msg.get("q")
    answer_id = msg.get("answer_id")
    if not isinstance(answer_id, str) or len(answer_id) > 64:
        raise ClientError(p.E_MALFORMED)
    error = engine.answer_error(lg.state, q, now=now, grace_ms=grace_ms())
    known = lg.answered.get(player_id)  # a retry of a stored answer: the original stands
    if error:
        if known and error in {p.E_LATE, p.E_NOT_OPEN} and lg.answered_q == q:
            return ack_frame(known)
        raise ClientError(error)
    if known:
        return ack_frame(known)
    submission = services.new_submission_id(answer_id)
    if submission is None:
        raise ClientError(p.E_MALFORMED)
    if not response_well_formed(msg.get("response")):
        raise ClientError(p.E_INVALID_ANSWER)  # a shape no question takes (an unknown key...)
    if not response_within_bounds(msg.get("response")):
        raise ClientError(p.E_TOO_LARGE)
    pq = await hub.question(lg, cast(int, q))  # answer_error accepted it: the open question
    try:
        response = validate_response(pq.key, pq.real_response(msg.get("response")))
    except InvalidResponse:
        raise ClientError(p.E_INVALID_ANSWER) from None
    status, stored, _new = await hub.batcher.submit(
        {
            "game_id": lg.id,
            "player_id": player_id,
            "q": q,
            "question_id": pq.question_id,
            "submission_id": submission,
            "response": response,
            "received_ms": now,
            "elapsed_ms": engine.elapsed_ms(lg.state, now, pq.limit_ms),
        }
    )
    if status == "ok" and stored:
        if lg.answered_q == q:
            lg.answered[player_id] = stored
        return ack_frame(stored)
    raise ClientError(p.E_LATE if status == "late" else p.E_BUSY)


# --- host commands -----------------------------------------------------------------------------


async def command(hub: Hub, lg: LocalGame, msg: dict) -> None:
    """Run a host action: a state transition (persisted, then published), a kick or a team."""
    action = msg.get("action")
    if action not in p.HOST_ACTIONS:
        raise ClientError(p.E_UNKNOWN_TYPE)
    if action == p.A_KICK:
        return await kick(hub, lg, msg.get("player"))
    if action == p.A_TEAM:
        return await set_team(hub, lg, msg.get("player"), msg.get("team"))
    if action in (p.A_START, p.A_NEXT) and not await db(services.game_quiz_playable)(game_id=lg.id):
        # The quiz joined a contest round still open after this game was made: its keys
        # (the host's key frame, the reveals) stay with the round's staff.
        raise ClientError(p.E_QUIZ_LOCKED)
    for _attempt in range(2):
        async with lg.lock:
            old = lg.state
            now = now_ms()
            try:
                new = engine.apply(old, action, msg, now=now, plan=lg.plan)
            except engine.InvalidTransition:
                raise ClientError(p.E_INVALID_ACTION) from None
            persisted = await db(services.game_transition)(
                game_id=lg.id, expected_seq=old["seq"], new_state=new
            )
            if persisted is None:
                await hub.reload(lg)
                continue
            lg.state = persisted
            hub.arm(lg)
            frames = await _frames_for(hub, lg, old, persisted, action)
            await hub.publish(lg, state=persisted, frames=frames)
        if persisted["phase"] == engine.CLOSED and old["phase"] == engine.QUESTION:
            await hub.score(lg, persisted["seq"])
        if persisted["phase"] == engine.ENDED:
            await hub.store.forget(lg.id)
        return None
    raise ClientError(p.E_INVALID_ACTION)


async def _frames_for(
    hub: Hub, lg: LocalGame, old: dict, new: dict, action: str
) -> list[tuple[int, dict]]:
    """The frames a transition sends, each with the roles that get it."""
    frames: list[tuple[int, dict]] = []
    if old["phase"] in {engine.QUESTION, engine.CLOSED} and action == p.A_SKIP:
        pq = await hub.question(lg, old["q"])
        await db(scoring.question_skip_record)(
            game_id=lg.id, q=old["q"], question_id=pq.question_id
        )
        frames.append((TO_ALL, skipped_frame(old["q"])))
    if new["phase"] == engine.QUESTION and (
        old["phase"] != engine.QUESTION or old["q"] != new["q"]
    ):
        pq = await hub.question(lg, new["q"])
        # "now" = the server clock when the frame leaves (after the state was persisted).
        frames.append((TO_ALL, question_frame(new, pq, now_ms())))
        # The key goes to the host console only, never to the screen or the phones.
        frames.append((TO_HOST, key_frame(pq)))
    elif new["phase"] == engine.QUESTION:
        frames.append((TO_ALL, timer_frame(new, now_ms())))
    if new["phase"] == engine.CLOSED and old["phase"] == engine.QUESTION:
        frames.append((TO_ALL, closed_frame(new)))
    if new["phase"] == engine.LEADERBOARD and old["phase"] != engine.LEADERBOARD:
        frames.append((TO_STAFF, leaderboard_frame(await db(_leaderboard)(lg.id, new["q"]))))
    if new["phase"] in {engine.PODIUM, engine.ENDED} and old["phase"] != engine.PODIUM:
        frames.append((TO_ALL, podium_frame(await db(podium)(game=lg.game))))
    if new["phase"] == engine.ENDED:
        frames.append((TO_ALL, ended_frame()))
    if any(old.get(flag) != new.get(flag) for flag in FLAGS):
        frames.append((TO_STAFF, flags_frame(new)))
    return frames


def _leaderboard(game_id: int, q: int) -> dict:
    row = QuestionResult.objects.filter(game_id=game_id, q=q).values("leaderboard").first()
    return row["leaderboard"] if row else {"q": q, "top": [], "teams": []}


async def kick(hub: Hub, lg: LocalGame, player_id: Any) -> None:
    if not isinstance(player_id, int) or isinstance(player_id, bool):
        raise ClientError(p.E_INVALID_ACTION)

    def ban() -> tuple[bool | None, str | None]:
        kicked = services.player_kick(game_id=lg.id, player_id=player_id)
        return kicked, access.kicked_device(game_id=lg.id, player_id=player_id)

    kicked, device = await db(ban)()
    if kicked is None:
        raise ClientError(p.E_INVALID_ACTION)
    count = await hub.store.players_incr(lg.id, -1) if kicked else lg.players_count
    await hub.publish(
        lg,
        kick=player_id,
        kick_device=device,
        players=count,
        players_lobby=True,
        frames=[(TO_STAFF, lobby_frame(count, left=player_id))],
    )


async def set_team(hub: Hub, lg: LocalGame, player_id: Any, team: Any) -> None:
    teams = int(lg.game.settings.get("teams", 0))
    valid_team = team is None or (
        isinstance(team, int) and not isinstance(team, bool) and 1 <= team <= max(teams, 1)
    )
    if not isinstance(player_id, int) or not valid_team:
        raise ClientError(p.E_INVALID_ACTION)
    if not await db(services.player_team_set)(game_id=lg.id, player_id=player_id, team=team):
        raise ClientError(p.E_INVALID_ACTION)
    nickname = await db(
        lambda: Player.objects.filter(id=player_id).values_list("nickname", flat=True).first()
    )()
    joined = {"player": player_id, "nickname": nickname, "team": team}
    await hub.publish(lg, frames=[(TO_STAFF, lobby_frame(lg.players_count, joined=joined))])


# --- join --------------------------------------------------------------------------------------


# Per game: the players who arrived in this process and are not counted in yet (player_arrived).
_arriving: dict[int, list[Player]] = {}


async def player_arrived(hub: Hub, lg: LocalGame, player: Player) -> None:
    """A player's first hello (access.player_hello marked them connected, once): count them in
    and tell the staff, one `lobby` frame each, with the count as of their arrival.

    The players who arrive while a count is on its way are counted in together: one increment
    and one event for all of them, sent by the arrival that found no count on its way. In a join
    burst every phone cost a Redis increment, a published event and its delivery to every
    process, a tenth of the event loop's time in the burst (bench/README.md)."""
    metrics.player_joined()
    waiting = _arriving.get(lg.id)
    if waiting is not None:
        waiting.append(player)  # the arrival counting players in now counts this one in too
        return
    waiting = _arriving[lg.id] = [player]
    try:
        while waiting:
            batch = list(waiting)
            del waiting[:]
            count = await hub.store.players_incr(lg.id, len(batch))  # atomic across processes
            first = count - len(batch) + 1
            frames = [
                (
                    TO_STAFF,
                    lobby_frame(
                        first + n,
                        joined={"player": one.id, "nickname": one.nickname, "team": one.team},
                    ),
                )
                for n, one in enumerate(batch)
            ]
            await hub.publish(lg, players=count, players_lobby=True, frames=frames)
    finally:
        # Nothing awaited since the loop saw no one waiting. If the count failed (Redis gone),
        # those still waiting stay uncounted, as a hello whose count failed left its own player
        # before; the error goes to this hello.
        del _arriving[lg.id]


# --- snapshot (hello, every reconnect, a resync) -----------------------------------------------


async def snapshot(hub: Hub, lg: LocalGame, role: str, player: Player | None) -> dict:
    """The full current state for one socket (hello and every reconnect)."""
    state = lg.state
    now = now_ms()
    phase = engine.public_phase(state, now)
    game = lg.game
    info = {
        "id": lg.id,
        "pin": game.pin,
        "phase": phase,
        "paused": state["paused"],
        "locked": state["locked"],
        "late_join": state["late_join"],
        "auto_advance": state["auto_advance"],
        "show_leaderboard": state["show_leaderboard"],
        "players": lg.players_count,
        "q": state["q"],
        "total": state["total"],
        "branding": game.settings.get("branding", {}),
        "practice": game.practice,
    }
    if role == p.ROLE_HOST:
        info["title"] = game.quiz.title if game.quiz else ""
    frame: dict[str, Any] = {
        "type": p.S_STATE,
        "v": p.PROTOCOL_VERSION,
        "role": role,
        "now": now,
        "game": info,
        "question": None,
        "reveal": None,
        "leaderboard": None,
        "podium": None,
    }
    q = state["q"]
    in_question = state["phase"] in {
        engine.QUESTION,
        engine.CLOSED,
        engine.REVEAL,
        engine.LEADERBOARD,
    }
    pq = await hub.question(lg, q) if in_question and q is not None else None
    if pq is not None:
        frame["question"] = question_frame(state, pq, now)
        if role == p.ROLE_HOST:
            frame["key"] = {"q": pq.q, "correct": pq.correct_public()}
    if state["phase"] in {engine.REVEAL, engine.LEADERBOARD} and q is not None:
        result = await db(
            lambda: (
                QuestionResult.objects.filter(game_id=lg.id, q=q)
                .values("reveal", "leaderboard")
                .first()
            )
        )()
        if result:
            frame["reveal"] = reveal_frame(result["reveal"])
            if state["phase"] == engine.LEADERBOARD and role != p.ROLE_PLAYER:
                frame["leaderboard"] = leaderboard_frame(result["leaderboard"])
    if state["phase"] in {engine.PODIUM, engine.ENDED} and state["q"] is not None:
        frame["podium"] = podium_frame(await db(podium)(game=game))
    if role == p.ROLE_PLAYER and player is not None:
        stored = None
        if q is not None and in_question:
            stored = await db(
                lambda: (
                    Answer.objects.filter(game_id=lg.id, q=q, player_id=player.id)
                    .values("response", "submission_id")
                    .first()
                )
            )()
        frame["you"] = {
            "player": player.id,
            "nickname": player.nickname,
            "team": player.team,
            "venue": player.venue.name if player.venue is not None else None,
            "score": player.score,
            "rank": player.rank,
            "streak": player.streak,
            "answered": stored is not None,
            "answer": pq.opaque_response(stored["response"]) if stored and pq else None,
            "submission_id": str(stored["submission_id"]) if stored else None,
        }
    else:
        frame["roster"] = await db(roster)(game_id=lg.id)
        count = await hub.store.answered_get(lg.id, q) if q is not None else 0
        frame["answers"] = {"q": q, "count": count, "total": lg.players_count}
    return frame
