"""Two tabs (or a double tap) start the same participant's attempt at the same moment: one
attempt is opened, both requests get it (the second resumes it, as any later start does), and
nothing is left half-done."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from contest import services
from contest.models import Attempt, Participant
from contest.services import attempts as attempts_service
from core.errors import ApplicationError
from tests.contest.helpers import make_contest, make_school

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_starts_at_the_same_moment_open_one_attempt(monkeypatch):
    contest, round_, _questions = make_contest(max_attempts=0)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    participant = services.participant_register(
        contest=contest,
        full_name="Lê Văn Cường",
        unit_id=school.pk,
        consent=True,
        date_of_birth=date(2010, 5, 3),
        email="c@x.org",
    )
    both_checked = threading.Barrier(2, timeout=30)
    draw = attempts_service.build_paper

    def draw_once_both_have_checked(round_, seed):
        both_checked.wait()  # both found no attempt in progress: both will insert
        return draw(round_, seed)

    monkeypatch.setattr(attempts_service, "build_paper", draw_once_both_have_checked)
    outcomes: list = []

    def start() -> None:
        try:
            me = Participant.objects.get(pk=participant.pk)
            outcomes.append(services.attempt_start(participant=me, round_=round_).pk)
            outcomes.append(Attempt.objects.count())  # the connection is still usable
        except ApplicationError as exc:
            outcomes.append(exc.code)
            outcomes.append(Attempt.objects.count())
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    opened = Attempt.objects.get(participant=participant)
    # Both get the one attempt (the second used to be refused: "finish your attempt first").
    assert sorted(map(str, outcomes)) == sorted(["1", "1", str(opened.pk), str(opened.pk)])
