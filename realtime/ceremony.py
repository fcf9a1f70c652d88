"""The ceremony WebSocket (`/ws/ceremony/<id>/`): the operator's console and audience screens.

Separate from the live game's sockets, but on the same bus: a step change is stored (the
service), turned into two texts once (the audience frame and the console frame), and published
once on the live store's bus; every process hands the same text to its own local sockets
(`on_envelope`, called by the hub). A (re)connecting socket gets the current frame first.

Client -> server: {"type": "hello", "role": "operator" | "screen", "key"?, "lang"?},
{"type": "go", "index"? , "delta"?}, {"type": "blackout", "on": bool}, {"type": "ping", "t"}.
Server -> client: "ceremony" (audience), "console" (operators), "error", "pong".
"""

from __future__ import annotations

import hmac
import logging

import orjson
from channels.db import database_sync_to_async
from django.utils import translation

from contest.models import Ceremony
from contest.services import ceremony as svc
from quizzes.errors import ApplicationError
from realtime import protocol as p
from realtime.frames import CLOSE_HELLO_FAILED, ClientError
from realtime.hub import bus_handlers, get_hub
from realtime.socket import LiveSocket
from realtime.wire import dumps

logger = logging.getLogger(__name__)

ROLE_OPERATOR = "operator"
ROLE_SCREEN = "screen"

# Local sockets of this process: ceremony id -> {"screen": set, "operator": set}.
_local: dict[int, dict[str, set]] = {}


def _texts(ceremony: Ceremony) -> tuple[str, str]:
    return dumps(svc.audience_frame(ceremony)), dumps(svc.console_frame(ceremony))


async def publish(ceremony: Ceremony) -> None:
    """One event for every process: the two frames serialised once, here."""
    audience, console = _texts(ceremony)
    hub = await get_hub()
    await hub.store.publish(orjson.dumps({"cer": ceremony.pk, "a": audience, "o": console}))


async def on_envelope(env: dict) -> None:
    """A ceremony event from the bus: its texts to this process's sockets."""
    sockets = _local.get(env["cer"])
    if not sockets:
        return
    for role, text in ((ROLE_SCREEN, env["a"]), (ROLE_OPERATOR, env["o"])):
        for sock in list(sockets[role]):
            await sock.send_text(text)


bus_handlers["cer"] = on_envelope  # the hub hands it {"cer": ...} envelopes


def _hello_frame(ceremony_id: int, role: str, key, user) -> tuple[str | None, str | None]:
    """(frame text, error code) for a hello: operators must be the contest's staff, screens
    must bring the ceremony's current key."""
    ceremony = Ceremony.objects.select_related("contest").filter(pk=ceremony_id).first()
    if ceremony is None:
        return None, p.E_NOT_AUTHORISED
    if role == ROLE_OPERATOR:
        try:
            svc.ceremony_get(ceremony_id=ceremony_id, user=user)
        except ApplicationError:
            return None, p.E_NOT_AUTHORISED
        return _texts(ceremony)[1], None
    if not isinstance(key, str) or not hmac.compare_digest(key, ceremony.screen_key):
        return None, p.E_NOT_AUTHORISED
    return _texts(ceremony)[0], None


class CeremonySocket(LiveSocket):
    client_types = (p.C_HELLO, "go", "blackout", p.C_PING)

    def __init__(self, scope: dict, send):
        super().__init__(scope, send)
        try:
            self.ceremony_id = int(scope["url_route"]["kwargs"]["ceremony_id"])
        except (KeyError, TypeError, ValueError):
            self.ceremony_id = 0

    def detach(self) -> None:
        sockets = _local.get(self.ceremony_id)
        if sockets is None or self.role is None:
            return
        sockets[self.role].discard(self)
        if not sockets[ROLE_SCREEN] and not sockets[ROLE_OPERATOR]:
            _local.pop(self.ceremony_id, None)

    async def handle_hello(self, msg: dict) -> None:
        self.hello_lang(msg)
        role = msg.get("role")
        if role not in (ROLE_OPERATOR, ROLE_SCREEN):
            raise ClientError(p.E_MALFORMED)
        if self.role is not None:  # one hello per socket: each one reads the database
            raise ClientError(p.E_INVALID_ACTION)
        await get_hub()  # the bus listener runs before this socket waits for events
        self.role = role
        self.hold()
        sockets = _local.setdefault(self.ceremony_id, {ROLE_SCREEN: set(), ROLE_OPERATOR: set()})
        sockets[role].add(self)  # registered first: a step published meanwhile is held
        await self.release_after(self._first_frame(msg))

    async def _first_frame(self, msg: dict) -> str:
        with translation.override(self.lang):
            text, code = await database_sync_to_async(_hello_frame)(
                self.ceremony_id, self.role, msg.get("key"), self.scope.get("user")
            )
        if code is not None:
            self.detach()
            self.role, self.held = None, None  # refused: nothing held goes out
            raise ClientError(code, close=CLOSE_HELLO_FAILED)
        return text

    async def _move(self, **kwargs) -> None:
        if self.role != ROLE_OPERATOR:
            raise ClientError(p.E_NOT_AUTHORISED)
        user = self.scope.get("user")
        try:
            with translation.override(self.lang):  # error messages in the console's language
                ceremony = await database_sync_to_async(svc.ceremony_go)(
                    user=user, ceremony_id=self.ceremony_id, **kwargs
                )
        except ApplicationError as exc:
            raise ClientError(exc.code, message=exc.message) from None
        await publish(ceremony)

    async def handle_go(self, msg: dict) -> None:
        index, delta = msg.get("index"), msg.get("delta")
        if index is not None:
            await self._move(index=index)
        elif delta in (-1, 1):
            await self._move(delta=delta)
        else:
            raise ClientError(p.E_MALFORMED)

    async def handle_blackout(self, msg: dict) -> None:
        await self._move(blackout=bool(msg.get("on")))


def game_board(ceremony: Ceremony) -> tuple[list[dict], dict[int, dict]]:
    """A finished live game's final standing for a ceremony (contest.services.ceremony asks it
    through BOARD_PROVIDERS): only a game played for one of the ceremony's contest's rounds."""
    from contest.models import Round
    from realtime.models import Game, Player
    from realtime.selectors import standings

    game = Game.objects.filter(pk=ceremony.game_id or 0).first()
    if (
        game is None
        or not Round.objects.filter(
            pk=game.contest_round_id or 0, contest_id=ceremony.contest_id
        ).exists()
    ):
        raise ApplicationError("bad_source", svc.MSG_BAD_SOURCE)
    if game.status != Game.Status.ENDED:
        raise ApplicationError("not_finished", svc.MSG_NOT_FINISHED)
    ranked = standings(game_id=game.pk)
    units = dict(Player.objects.filter(game=game).values_list("pk", "unit__name"))
    people = {
        r["id"]: {"name": r["nickname"], "school": units.get(r["id"]) or "", "district": ""}
        for r in ranked
    }
    return ranked, people
