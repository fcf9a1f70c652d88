"""A round's public scores never give away the keys of another round still to close.

An attacker registered a few times in a round and answered a question differently on each
paper: the scores on its public board (while open, with scores_while_open) or in its results
(once closed) said which answer was right, for another round, still open, that asks the same
question. Scores now wait, as the review does, until no round still to close may ask one of the
round's questions: every public board, result, rank and certificate of it (its organisers see
them).
"""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contest import boards, selectors, services
from contest.apis.leaderboards import BOARD_BODY_SECONDS
from contest.models import Round
from contest.services.certificates import certificates_issue
from core.errors import ApplicationError
from quizzes.models import Quiz, QuizDrawRule
from tests.contest.ceremony_helpers import closed_round
from tests.contest.conftest import clear_boards
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
    public_views,
    register,
    start_attempt,
    wrong_choice,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("Nguyễn Văn An", "THCS Ba Đình", [(2713, 60_000, 30)]),
    ("Trần Thị Bình", "THCS Cầu Giấy", [(1609, 61_000, 30)]),
]
SCORES = ("2713", "1609")


def _other_round(quiz, *, closes_in=timedelta(days=2)) -> Round:
    """A round of another contest, open, whose quiz is `quiz`."""
    other, _r, _q = make_contest(slug="other-city", quiz=quiz)
    Round.objects.filter(contest=other).update(closes_at=timezone.now() + closes_in)
    round_ = Round.objects.get(contest=other)
    round_.save(update_fields=["closes_at"])  # as the organiser pages save it
    return round_


def _public_board_turns(round_, board: str) -> None:
    """The round's public board shows `board` within BOARD_BODY_SECONDS: a body rendered
    before a change (another round made or closed) is still served for the rest of its second,
    never longer."""
    deadline = time.monotonic() + BOARD_BODY_SECONDS + 1.0
    url = reverse("round-leaderboard", args=[round_.pk])
    while (shown := Client().get(url).json()["board"]) != board:
        assert time.monotonic() < deadline, f"the public board still shows {shown!r}"
        time.sleep(0.05)


def _reopened_with_scores_shown():
    """closed_round's contest, its round open again for a day, showing scores while open."""
    contest, round_, people = closed_round(PEOPLE, scores_while_open=True)
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() + timedelta(days=1))
    round_.refresh_from_db()
    round_.save(update_fields=["closes_at"])
    return contest, round_, people


def _public_bodies(contest, round_, people) -> dict[str, str]:
    """Every public view of the round's scores, as the public and as one of its participants."""
    public = Client()
    gets = public_views(contest, round_, people[0])
    return {
        name: public.get(url, **headers).content.decode() for name, (url, headers) in gets.items()
    }


def _leaks(bodies: dict[str, str], *needles: str) -> list[str]:
    return [name for name, body in bodies.items() if any(n in body for n in needles)]


@pytest.mark.parametrize("how", ["same quiz", "draw rules"])
def test_no_public_view_shows_a_closed_rounds_scores_while_another_round_may_ask_its_questions(
    how,
):
    clear_boards()
    contest, round_, people = closed_round(PEOPLE)
    services.round_finalize_if_due(round_)  # what the job queue does at the close
    assert set(_leaks(_public_bodies(contest, round_, people), *SCORES)) >= {
        "round board",
        "results API",
        "results page",
    }

    first = certificates_issue(round_=round_)[0]  # issued before another round asks them
    verify = reverse("certificate-verify", args=[first.code])
    assert "Valid certificate" in Client().get(verify).content.decode()

    if how == "same quiz":
        quiz = round_.quiz
    else:
        quiz = Quiz.objects.create(title="Đề bốc thăm", mode="draw")
        QuizDrawRule.objects.create(quiz=quiz, position=0, count=2)
    other = _other_round(quiz)
    _public_board_turns(round_, "hidden")

    bodies = _public_bodies(contest, round_, people)
    assert _leaks(bodies, *SCORES) == []
    board = Client().get(reverse("round-leaderboard", args=[round_.pk])).json()
    assert (board["board"], board["rows"]) == ("hidden", [])
    results = Client().get(reverse("round-results", args=[round_.pk]), HTTP_ACCEPT_LANGUAGE="vi")
    assert (results.status_code, results.json()["code"]) == (403, "scores_withheld")
    assert "vòng" in results.json()["message"]  # translated
    when = re.escape("once every round that may ask the same questions has closed")
    assert re.search(when, bodies["results page"])
    assert re.search(when, bodies["landing page"])
    assert "Not yet published" in Client().get(verify).content.decode()
    assert selectors.round_public(round_)["scores_withheld_until"] == other.closed_at().isoformat()

    # Its organisers see the scores, and are told the public does not yet.
    boss = make_user("boss", roles=["organiser"])
    contest.staff.add(boss)
    staff = Client()
    staff.force_login(boss)
    page = staff.get(reverse("contest-results", args=[contest.slug, round_.pk])).content.decode()
    assert "2713" in page
    assert "the public sees them once every round that may ask the same questions" in page
    assert "2713" in staff.get(reverse("round-results", args=[round_.pk])).content.decode()
    with pytest.raises(ApplicationError) as refused:
        certificates_issue(round_=round_)
    assert refused.value.code == "scores_withheld"

    close_round(other)
    _public_board_turns(round_, "final")
    shown = _leaks(_public_bodies(contest, round_, people), *SCORES)
    assert {"round board", "my rank", "results API", "results page", "contest board"} <= set(shown)
    assert certificates_issue(round_=round_)


def test_a_round_that_shows_scores_while_open_hides_them_while_another_may_ask_its_questions():
    clear_boards()
    contest, round_, people = _reopened_with_scores_shown()
    assert Client().get(reverse("round-leaderboard", args=[round_.pk])).json()["board"] == "live"

    other = _other_round(round_.quiz, closes_in=timedelta(days=3))
    _public_board_turns(round_, "hidden")
    assert _leaks(_public_bodies(contest, round_, people), *SCORES) == []
    # The other round is not held back by this one's scores: it closes after this one.
    assert boards.public_state(other) == "hidden"  # its own rule: scores at its close
    assert selectors.round_public(other)["scores_withheld_until"] == round_.closed_at().isoformat()


def test_the_publics_view_of_a_withheld_round_does_not_depend_on_its_keys():
    """Two participants answered the first question differently; fixing its key the other way
    swaps who scored. While another round may ask it, no public view changes."""
    clear_boards()
    contest, round_, questions = make_contest(closes_at=timezone.now() + timedelta(days=1))
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    api = APIClient()
    for name, pick in (("Nguyễn Văn An", correct_choice), ("Trần Thị Bình", wrong_choice)):
        token = register(api, contest, school, name=name)
        state = start_attempt(api, round_, token)
        answers = paper_answers(
            state, [{"question": questions[0].pk, "response": {"choice": pick(questions[0])}}]
        )
        reply = api.post(
            f"/api/attempts/{state['id']}/submit/",
            {"answers": answers},
            format="json",
            **{TOKEN_HEADER: token},
        )
        assert reply.status_code == 200
    close_round(round_)
    _other_round(round_.quiz)
    _public_board_turns(round_, "hidden")
    people = list(contest.participants.order_by("pk"))

    def bodies():
        clear_boards()
        return {
            name: re.sub(r'"server_now": ?"[^"]*"|name="csrfmiddlewaretoken" value="\w+"', "", body)
            for name, body in _public_bodies(contest, round_, people).items()
        }

    before = bodies()
    boss = make_user("boss", roles=["organiser"])
    contest.staff.add(boss)
    staff = Client()
    staff.force_login(boss)
    results = reverse("round-results", args=[round_.pk])
    assert staff.get(results).json()["rows"][0]["name"] == "Nguyễn Văn An"
    services.answer_key_fix(
        round_=round_,
        question_id=questions[0].pk,
        correct=[wrong_choice(questions[0])],
        actor=boss,
        reason="Đáp án in nhầm",
    )
    assert staff.get(results).json()["rows"][0]["name"] == "Trần Thị Bình"  # the key swapped
    assert bodies() == before


@pytest.mark.django_db(transaction=True)
async def test_my_rank_on_the_fast_path_hides_the_score_once_another_round_may_ask_the_questions():
    from asgiref.sync import sync_to_async
    from channels.testing import HttpCommunicator

    from config.asgi import django_asgi_app
    from contest.fastpath import BoardReplay

    def build():
        clear_boards()
        _contest, round_, people = _reopened_with_scores_shown()
        return round_, round_.quiz, services.participant_token(people[0])

    round_, quiz, token = await sync_to_async(build)()
    calls = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    app = BoardReplay(django)

    async def me():
        headers = [(b"host", b"testserver"), (b"x-participant-token", token.encode())]
        communicator = HttpCommunicator(
            app, "GET", reverse("round-my-rank", args=[round_.pk]), headers=headers
        )
        response = await communicator.get_response()
        await communicator.wait()
        assert response["status"] == 200
        return json.loads(response["body"])["me"]

    assert (await me())["score"] == 2713  # Django, which leaves what the fast path needs
    assert (await me())["score"] == 2713

    await sync_to_async(_other_round)(quiz)
    before = len(calls)
    assert await me() is None
    assert await me() is None
    if settings.REDIS_URL:  # the fast path answers again, the score hidden, once it knows
        assert len(calls) - before <= 1
