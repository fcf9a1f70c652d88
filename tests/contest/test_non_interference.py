"""Non-interference: nothing a participant receives before a round closes depends on the key.

Two worlds hold the same contest, built from quizzes with the same texts for all eight question
types; they differ only in which option is right (or which text or number is accepted) and in the
authored order of the options (authors put the right option first; an ordering question's authored
order is its key). One participant goes through every participant-visible entry point before the
close, in both worlds, with the same attempt seed and clock: the pages, registration, the paper
(start, resume, detail), autosave and submit replies, my rank, around me, the boards (through the
ASGI fast path, as served), the refused review and results. Every response must be byte for byte
the same once each world's own names are replaced by neutral labels: database ids (given
separate, distinctive ranges per world, so that a leaked id of another kind, such as a choice id,
shows up as a difference), the contest slug, the participant token, and each opaque option id by
the text of the option it names (a consistent mapping, taken from the paper itself).

The participant first saves answers that are right in one world and wrong in the other (the
replies must not differ), then answers that earn the same score in both worlds, and hands in: the
boards show scores, which legitimately depend on the answers given.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.db import connection
from django.utils import timezone

from contest.models import Answer, Attempt, Contest, Participant, Round, RoundResult
from quizzes.models import Choice, Question, Quiz, QuizItem
from tests.contest.helpers import make_school
from tests.key_worlds import QTEXT, RIGHT_IN_A, SAME_SCORE, make_world_quiz

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now().replace(microsecond=0)
SEED = 0x5EED_1234_ABCD
MODELS = (Contest, Round, Quiz, QuizItem, Question, Choice, Participant, Attempt, Answer)
MODELS += (RoundResult,)


def _ids_start_at(model, start: int) -> None:
    """Make the next id of a table `start`: every world gets its own distinctive id range."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, start]
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start - 1]
            )


def build_world(world: str, school) -> dict:
    offset = 0 if world == "a" else 500
    for index, model in enumerate(MODELS):
        _ids_start_at(model, 710000 + index * 10000 + offset)
    contest = Contest.objects.create(
        slug=f"world-{world}",
        title_vi="Cuộc thi Công dân toàn cầu",
        title_en="Global citizen contest",
        is_published=True,
    )
    quiz, questions = make_world_quiz(world)
    round_ = Round.objects.create(
        contest=contest,
        title_vi="Vòng 1",
        title_en="Round 1",
        opens_at=NOW - timedelta(hours=1),
        closes_at=NOW + timedelta(days=7),
        time_limit_seconds=1200,
        max_attempts=1,
        quiz=quiz,
        shuffle_questions=True,
        shuffle_options=True,
        prediction_text_vi="Bao nhiêu người trả lời đúng tất cả?",
        prediction_text_en="How many participants will answer every question correctly?",
    )
    names = {str(contest.pk): "<contest>", str(round_.pk): "<round>", str(quiz.pk): "<quiz>"}
    names.update({str(q.pk): f"<question {q.type}>" for q in questions})
    return {"contest": contest, "round": round_, "names": names, "school": school}


class Visitor:
    """One participant's browser and app: a cookie jar, the token header once registered, and a
    record of every response (status, content type, body)."""

    def __init__(self, world: dict):
        from config.asgi import application

        self.app = application  # the fast path in front of Django, as served
        self.world = world
        self.cookies: dict[str, str] = {}
        self.token: str | None = None
        self.seen: list[tuple[str, int, str, str]] = []

    async def call(self, name: str, method: str, path: str, body=None, *, token=True) -> dict:
        headers = [(b"host", b"testserver")]
        if self.cookies:
            cookie = "; ".join(f"{k}={v}" for k, v in sorted(self.cookies.items()))
            headers.append((b"cookie", cookie.encode()))
        if token and self.token:
            headers.append((b"x-participant-token", self.token.encode()))
        raw = b""
        if body is not None:
            raw = json.dumps(body).encode()
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(raw)).encode()))
        communicator = HttpCommunicator(self.app, method, path, body=raw, headers=headers)
        response = await communicator.get_response(timeout=20)
        await communicator.wait()
        content_type = ""
        for key, value in response["headers"]:
            if key.lower() == b"set-cookie":
                pair = value.decode().split(";", 1)[0]
                cookie_name, _, cookie_value = pair.partition("=")
                self.cookies[cookie_name] = cookie_value
            if key.lower() == b"content-type":
                content_type = value.decode()
        text = response["body"].decode()
        self.seen.append((name, response["status"], content_type, text))
        return {"status": response["status"], "text": text}

    def json(self, response: dict):
        return json.loads(response["text"])


def answers_by_text(state: dict, by_type: dict) -> list[tuple[str, dict]]:
    """Answers given by option text, sent as the participant's app sends them: opaque ids."""
    out = []
    for question in state["questions"]:
        wanted = by_type.get(question["type"])
        if wanted is None:
            continue
        ids = {c["text"]: c["id"] for c in question["choices"]}
        response = dict(wanted)
        if "choice" in response:
            response["choice"] = ids[response["choice"]]
        for name in ("choices", "order"):
            if name in response:
                response[name] = [ids[t] for t in response[name]]
        out.append((question["type"], {"question": question["id"], "response": response}))
    return out


async def visit(world: dict) -> tuple[list[tuple[str, int, str, str]], dict]:
    """Every participant-visible request before the close, in order (normalised), and the paper."""
    slug, round_id = world["contest"].slug, world["round"].pk
    v = Visitor(world)
    boards = [
        ("board", f"/api/rounds/{round_id}/leaderboard/?n=10"),
        ("board again (replayed)", f"/api/rounds/{round_id}/leaderboard/?n=10"),
        ("my rank", f"/api/rounds/{round_id}/leaderboard/me/"),
        ("my rank again (fast path)", f"/api/rounds/{round_id}/leaderboard/me/"),
        ("around me", f"/api/rounds/{round_id}/leaderboard/around/?k=2"),
        ("unit board", f"/api/rounds/{round_id}/leaderboard/units/?level=school"),
        ("contest board", f"/api/contests/{slug}/leaderboard/"),
        ("contest unit board", f"/api/contests/{slug}/leaderboard/units/?level=school"),
        ("results page", f"/contests/{slug}/rounds/{round_id}/results/"),
        ("screen page", f"/contests/{slug}/rounds/{round_id}/screen/"),
        ("round", f"/api/rounds/{round_id}/"),
        ("results (refused)", f"/api/rounds/{round_id}/results/"),
    ]

    await v.call("contest list page", "GET", "/contests/")
    await v.call("landing page", "GET", f"/contests/{slug}/")
    await v.call("contest", "GET", f"/api/contests/{slug}/")
    await v.call("register page", "GET", f"/contests/{slug}/register/")
    registered = await v.call(
        "register",
        "POST",
        f"/api/contests/{slug}/register/",
        {
            "full_name": "Nguyễn Thị Lan",
            "unit": world["school"].pk,
            "consent": True,
            "date_of_birth": "2010-05-01",
            "email": "lan@example.org",
        },
    )
    assert registered["status"] == 201, registered["text"]
    v.token = v.json(registered)["token"]
    await v.call("me", "GET", f"/api/contests/{slug}/me/")
    await v.call("landing page, registered", "GET", f"/contests/{slug}/")
    await v.call("attempt page", "GET", f"/contests/{slug}/rounds/{round_id}/play/")
    for name, path in boards:
        await v.call(f"{name}, before starting", "GET", path)

    started = await v.call("start", "POST", f"/api/rounds/{round_id}/attempts/", {})
    assert started["status"] == 201, started["text"]
    state = v.json(started)
    attempt = f"/api/attempts/{state['id']}"
    await v.call("resume", "POST", f"/api/rounds/{round_id}/attempts/", {})
    await v.call("detail", "GET", f"{attempt}/")
    for qtype, answer in answers_by_text(state, RIGHT_IN_A):
        saved = await v.call(
            f"autosave {qtype}", "POST", f"{attempt}/answers/", {"answers": [answer]}
        )
        assert saved["status"] == 200, saved["text"]
    await v.call("autosave with a prediction", "POST", f"{attempt}/answers/", {"prediction": 3})
    await v.call("detail with saved answers", "GET", f"{attempt}/")
    await v.call("review (refused)", "GET", f"{attempt}/review/")
    for name, path in boards:
        await v.call(f"{name}, during the attempt", "GET", path)

    *first, last = [answer for _type, answer in answers_by_text(state, SAME_SCORE)]
    await v.call("autosave again", "POST", f"{attempt}/answers/", {"answers": first})
    submitted = await v.call("submit", "POST", f"{attempt}/submit/", {"answers": [last]})
    assert submitted["status"] == 200, submitted["text"]
    await v.call("detail after submit", "GET", f"{attempt}/")
    await v.call("autosave after submit (refused)", "POST", f"{attempt}/answers/", {})
    await v.call("start again (refused)", "POST", f"/api/rounds/{round_id}/attempts/", {})
    await v.call("review after submit (refused)", "GET", f"{attempt}/review/")
    await v.call("me after submit", "GET", f"/api/contests/{slug}/me/")
    await v.call("landing page after submit", "GET", f"/contests/{slug}/")
    for name, path in boards:
        await v.call(f"{name}, after submit", "GET", path)

    names = dict(world["names"])
    names[str(state["id"])] = "<attempt>"
    participant = await sync_to_async(
        lambda: Participant.objects.get(contest=world["contest"]).pk
    )()
    names[str(participant)] = "<participant>"
    # A token is signed with the second it was made in (pages sign a fresh one): the payload
    # names the participant and the contest.
    token_pattern = re.escape(v.token.split(":")[0]) + r":[\w-]+:[\w-]+"
    names[slug] = "<slug>"
    for question in state["questions"]:
        for choice in question["choices"]:
            names[str(choice["id"])] = f"<option {question['type']}: {choice['text']}>"
    seen = [
        (name, status, ctype, normalise(re.sub(token_pattern, "<token>", body), names))
        for name, status, ctype, body in v.seen
    ]
    return seen, state


_PER_REQUEST = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
]


def normalise(text: str, names: dict[str, str]) -> str:
    """A world's own names replaced by neutral labels; numbers only as whole numbers."""
    for key in sorted(names, key=len, reverse=True):
        pattern = rf"(?<![0-9]){re.escape(key)}(?![0-9])" if key.isdigit() else re.escape(key)
        text = re.sub(pattern, names[key].replace("\\", r"\\"), text)
    for pattern, replacement in _PER_REQUEST:
        text = pattern.sub(replacement, text)
    return text


async def test_what_a_participant_receives_before_the_close_never_depends_on_the_key(
    monkeypatch,
):
    import secrets

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    monkeypatch.setattr(secrets, "randbits", lambda bits: SEED)
    # Bodies and rows kept for a few seconds must not depend on how fast this machine is: kept
    # for the whole test, each world replays exactly what its own requests built (the replayed
    # fast-path bodies stay in the comparison).
    from contest import selectors
    from contest.apis import leaderboards
    from contest.boards import units

    monkeypatch.setattr(leaderboards, "BOARD_BODY_SECONDS", 3600.0)
    monkeypatch.setattr(units, "UNIT_CACHE_SECONDS", 3600)
    monkeypatch.setattr(selectors, "ROUND_COPY_SECONDS", 3600.0)
    school = (await sync_to_async(make_school)("NI", "THCS Nguyễn Du"))["school"]

    world_a = await sync_to_async(build_world)("a", school)
    seen_a, _paper_a = await visit(world_a)
    # World a leaves the public lists (it stays in the database, ids apart), and its round is
    # over: a round still to close that asks the same questions (the two worlds' questions
    # have the same texts) would hold world b's scores back (contest.shared_keys).
    await sync_to_async(Contest.objects.filter(pk=world_a["contest"].pk).update)(is_published=False)
    await sync_to_async(Round.objects.filter(pk=world_a["round"].pk).update)(
        opens_at=NOW - timedelta(days=3), closes_at=NOW - timedelta(days=2)
    )
    world_b = await sync_to_async(build_world)("b", school)
    seen_b, paper = await visit(world_b)

    assert [s[0] for s in seen_a] == [s[0] for s in seen_b]
    for a, b in zip(seen_a, seen_b, strict=True):
        assert a == b, f"{a[0]} differs between the two keys"
    # The walk saw the paper of all eight types and stored the answers in real ids.
    assert sorted(q["type"] for q in paper["questions"]) == sorted(QTEXT)
    stored = await sync_to_async(
        lambda: sorted(
            Answer.objects.filter(attempt__round=world_b["round"]).values_list(
                "question__type", flat=True
            )
        )
    )()
    assert stored == sorted(t for t in RIGHT_IN_A)
