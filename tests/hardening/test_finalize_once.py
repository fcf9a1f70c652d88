"""Finalizing a round at its close runs once, however many requests arrive at the same moment."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from contest import services
from contest.models import Attempt, Round, RoundResult
from contest.services import results
from tests.contest.helpers import close_round, make_contest, make_school

pytestmark = pytest.mark.django_db(transaction=True)

CALLERS = 8


def _round_with_attempts(n: int = 12) -> Round:
    contest, round_, questions = make_contest()
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    for i in range(n):
        participant = services.participant_register(
            contest=contest,
            full_name=f"Nguyễn Văn {chr(65 + i)}",
            unit_id=school.pk,
            consent=True,
            date_of_birth=date(2010, 5, 1 + i),
            email=f"final{i}@example.org",
        )
        attempt = services.attempt_start(participant=participant, round_=round_)
        if i % 2:  # half hand in, half are still open at the close
            services.attempt_submit(participant_id=participant.pk, attempt_id=attempt.pk)
    close_round(round_, finalize=False)
    return round_


def test_concurrent_requests_at_the_close_finalize_the_round_once(monkeypatch):
    round_ = _round_with_attempts()
    writes = []
    store_ranks = results._store_ranks

    def counting_store_ranks(r):
        writes.append(r.pk)
        return store_ranks(r)

    monkeypatch.setattr(results, "_store_ranks", counting_store_ranks)
    # Every caller holds the round as the board views do: a copy read before the close was seen.
    copies = [Round.objects.get(pk=round_.pk) for _ in range(CALLERS)]
    start = threading.Barrier(CALLERS)
    errors = []

    def finalize(copy):
        try:
            start.wait()
            services.round_finalize_if_due(copy)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(c,)) for c in copies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert writes == [round_.pk]  # one rank write: one finalize
    round_.refresh_from_db()
    assert round_.finalized_at is not None
    assert all(c.finalized_at == round_.finalized_at for c in copies)
    assert not Attempt.objects.filter(round=round_, status=Attempt.Status.OPEN).exists()
    ranks = sorted(RoundResult.objects.filter(round=round_).values_list("rank", flat=True))
    assert len(ranks) == 12
    assert None not in ranks
