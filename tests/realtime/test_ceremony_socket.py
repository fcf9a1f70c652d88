"""The ceremony WebSocket: the operator moves the show, every audience screen follows with one
frame per step (revealed state only), a late screen gets the current step at once, and only the
contest's staff can move it."""

from __future__ import annotations

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from contest.models import Ceremony
from contest.services import ceremony as svc
from tests.contest.ceremony_helpers import closed_round
from tests.factories import make_user
from tests.realtime.conftest import ORIGIN, Socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Chi", "Phạm Đức Dũng"]


class CeremonySocket(Socket):
    def __init__(self, ceremony_id: int, headers=()):
        from config.asgi import application

        self.comm = WebsocketCommunicator(
            application, f"/ws/ceremony/{ceremony_id}/", headers=[ORIGIN, *headers]
        )
        self.frames = []
        self.raw = []


def _show():
    people = [(n, "THCS Ba Đình", [(3000 - 100 * i, 1000, 30)]) for i, n in enumerate(PEOPLE)]
    contest, round_, _made = closed_round(people)
    boss = make_user("boss", roles=["organiser"])
    contest.staff.add(boss)
    ceremony = svc.ceremony_prepare(
        user=boss,
        contest=contest,
        data={
            "source": "round",
            "round_id": round_.pk,
            "places": 4,
            "masked": False,
            "units": "none",
        },
    )
    return ceremony, boss


async def _operator(ceremony, user):
    cookie = await sync_to_async(session_cookie)(user)
    sock = await CeremonySocket(ceremony.pk, headers=[cookie]).connect()
    frame = await sock.hello(role="operator")
    assert frame["type"] == "console", frame
    return sock


async def _screen(ceremony, key=None):
    sock = await CeremonySocket(ceremony.pk).connect()
    frame = await sock.hello(role="screen", key=key or ceremony.screen_key)
    return sock, frame


async def test_screens_follow_the_operator_and_a_late_screen_starts_at_the_current_step():
    ceremony, boss = await sync_to_async(_show)()
    operator = await _operator(ceremony, boss)
    screen, first = await _screen(ceremony)
    assert first["type"] == "ceremony"
    assert first["step"] == 0
    assert first["show"] == {"kind": "intro"}
    try:
        await operator.send({"type": "go", "delta": 1})
        frame = await screen.until("ceremony")
        assert frame["step"] == 1
        assert frame["show"]["card"]["name"] == "Phạm Đức Dũng"
        console = await operator.until("console")
        assert console["next"]["note"]["name"] == "Lê Minh Chi"  # the private preview
        await operator.send({"type": "go", "index": 3})
        await screen.until("ceremony")
        late, current = await _screen(ceremony)
        assert current["step"] == 3
        assert current["show"]["card"]["name"] == "Trần Thị Bình"
        await late.close()
        # No audience frame ever carried a name before its step, or a console preview.
        assert "Nguyễn Văn An" not in "".join(screen.raw)
        assert not any(f.get("type") == "console" for f in screen.frames)
        await operator.send({"type": "blackout", "on": True})
        dark = await screen.until("ceremony")
        assert dark["blackout"] is True
        assert dark["show"] is None
    finally:
        await screen.close()
        await operator.close()
    stored = await sync_to_async(Ceremony.objects.get)(pk=ceremony.pk)
    assert (stored.step, stored.blackout) == (3, True)  # a restarted server resumes here


async def test_a_screen_cannot_move_the_show_and_a_wrong_or_old_key_is_refused():
    ceremony, boss = await sync_to_async(_show)()
    screen, _frame = await _screen(ceremony)
    await screen.send({"type": "go", "delta": 1})
    refused = await screen.until("error")
    assert refused["code"] == "not_authorised"
    await screen.close()
    old_key = ceremony.screen_key
    await sync_to_async(svc.ceremony_key_rotate)(user=boss, ceremony=ceremony)
    stale, frame = await _screen(ceremony, key=old_key)
    assert frame["type"] == "error"
    closed = await stale.recv()
    assert closed == {"type": "__closed__", "code": 4001}
    stored = await sync_to_async(Ceremony.objects.get)(pk=ceremony.pk)
    assert stored.step == 0


async def test_only_the_contests_staff_operate_a_ceremony():
    ceremony, _boss = await sync_to_async(_show)()
    stranger = await sync_to_async(make_user)("stranger", roles=["organiser"])
    cookie = await sync_to_async(session_cookie)(stranger)
    sock = await CeremonySocket(ceremony.pk, headers=[cookie]).connect()
    frame = await sock.hello(role="operator")
    assert frame["type"] == "error"
    assert frame["code"] == "not_authorised"
    anonymous = await CeremonySocket(ceremony.pk).connect()
    frame = await anonymous.hello(role="operator")
    assert frame["type"] == "error"
    await sock.close()
    await anonymous.close()
    assert orjson.dumps(frame)  # refused frames carry no step
    assert "show" not in frame


async def test_a_jump_to_a_step_that_does_not_exist_is_refused_in_the_consoles_language():
    ceremony, boss = await sync_to_async(_show)()
    cookie = await sync_to_async(session_cookie)(boss)
    operator = await CeremonySocket(ceremony.pk, headers=[cookie]).connect()
    assert (await operator.hello(role="operator", lang="vi"))["type"] == "console"
    await operator.send({"type": "go", "index": 99})
    refused = await operator.until("error")
    assert refused["code"] == "no_step"
    assert refused["message"] == "Không có bước này."
    await operator.send({"type": "hello", "role": "screen", "key": ceremony.screen_key})
    assert (await operator.until("error"))["code"] == "invalid_action"  # one hello per socket
    await operator.close()
    assert (await sync_to_async(Ceremony.objects.get)(pk=ceremony.pk)).step == 0
