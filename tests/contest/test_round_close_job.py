"""A round's close runs on the job queue, not inside a reader's request (issue #15).

The first read after closes_at used to finalize the round inside that request (seconds of work
at 100,000 results, holding the process's one sync thread and the round's row lock). Now the
`round_finalize` job does it: queued for closes_at when a round is saved, and queued by a reader
that finds none on its way. Readers answer at once with what is there, marked not final.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from contest import services
from contest.models import Attempt, Round, answer_grace
from contest.services import results, rounds
from contest.services.rounds import MSG_NOT_FINAL_YET, ROUND_FINALIZE
from quizzes.background import backends, job_enqueue
from quizzes.models import Job
from tests.factories import make_user
from tests.job_fixtures import finish, jobs_in_threads  # noqa: F401

from .ceremony_helpers import closed_round

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    ("Nguyễn An", "Trường A", [(2000, 60_000, 1)]),
    ("Trần Bình", "Trường A", [(3000, 50_000, 2)]),
    ("Lê Chi", "Trường B", [(2000, 40_000, 3)]),
    ("Phạm Dũng", "Trường B", [(1000, 30_000, 1)]),
]


class _Undo(Exception):
    pass


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    """Every read makes sure a job is on its way (no once-a-second shortcut in this process)."""
    monkeypatch.setattr(rounds, "ENSURE_EVERY_SECONDS", 0.0)
    rounds._ENSURED.clear()


def _finalize_jobs(round_: Round):
    return Job.objects.filter(kind=ROUND_FINALIZE, params__round=round_.pk)


def _comparable(rows: list[dict]) -> list[tuple]:
    return [(r["rank"], r["rank_status"], r["name"], r["score"], r["time_ms"]) for r in rows]


def test_a_read_after_the_close_answers_at_once_not_final_and_queues_the_close(
    api_client, monkeypatch
):
    sent = []
    monkeypatch.setattr(backends, "dispatch", lambda job_id, delay=0: sent.append(job_id))
    _contest, round_, _people = closed_round(PEOPLE)

    reply = api_client.get(f"/api/rounds/{round_.pk}/results/")
    assert reply.status_code == 409, reply.json()
    assert reply.json()["code"] == "results_not_final"
    assert reply.json()["message"] == str(MSG_NOT_FINAL_YET)
    organiser = make_user("closing-staff", roles=["organiser"])
    _contest.staff.add(organiser)
    api_client.force_login(organiser)  # the contest's staff: provisional ranks, marked so
    body = api_client.get(f"/api/rounds/{round_.pk}/results/").json()
    assert body["round"]["final"] is False
    assert body["round"]["closing"] is True
    assert {r["rank_status"] for r in body["rows"]} == {"provisional"}
    api_client.logout()
    board = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/").json()
    assert board["board"] != "final"
    assert board["closing"] is True

    round_.refresh_from_db()
    assert round_.finalized_at is None  # the readers computed nothing
    assert list(_finalize_jobs(round_).values_list("status", flat=True)) == ["queued"]
    assert sent == [_finalize_jobs(round_).get().pk]


@pytest.mark.usefixtures("jobs_in_threads")
def test_after_the_close_job_runs_the_read_is_final_and_equal_to_the_old_path(api_client):
    _contest, closing, _people = closed_round(PEOPLE)
    # The old path, undone afterwards: the request finalized with the same rule, then read.
    try:
        with transaction.atomic():
            services.round_finalize_if_due(Round.objects.get(pk=closing.pk))
            before = api_client.get(f"/api/rounds/{closing.pk}/results/").json()
            raise _Undo
    except _Undo:
        pass
    assert before["round"]["final"] is True
    assert Round.objects.get(pk=closing.pk).finalized_at is None

    api_client.get(f"/api/rounds/{closing.pk}/results/")  # queues the job
    job = finish(_finalize_jobs(closing).get().pk)
    assert job.status == Job.Status.DONE, job.error
    after = api_client.get(f"/api/rounds/{closing.pk}/results/").json()

    assert after["round"]["final"] is True
    assert after["round"]["closing"] is False
    assert _comparable(after["rows"]) == _comparable(before["rows"])
    assert {r["rank_status"] for r in after["rows"]} == {"final"}
    board = api_client.get(f"/api/rounds/{closing.pk}/leaderboard/").json()
    assert board["board"] == "final"
    assert "closing" not in board


def test_readers_and_the_job_at_the_close_finalize_once_and_queue_one_job(api_client, monkeypatch):
    monkeypatch.setattr(backends, "dispatch", lambda job_id, delay=0: None)
    _contest, round_, _people = closed_round(PEOPLE)
    writes = []
    store_ranks = results._store_ranks
    monkeypatch.setattr(results, "_store_ranks", lambda r: (writes.append(r.pk), store_ranks(r))[1])
    readers = 6
    start = threading.Barrier(readers + 1)
    errors: list[Exception] = []

    def read():
        try:
            start.wait()
            for _ in range(3):
                services.round_close_ensure(Round.objects.get(pk=round_.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def close():
        try:
            start.wait()
            services.round_finalize_if_due(Round.objects.get(pk=round_.pk))  # what the job runs
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(readers)]
    threads.append(threading.Thread(target=close))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert writes == [round_.pk]
    assert _finalize_jobs(round_).count() <= 1
    round_.refresh_from_db()
    assert round_.finalized_at is not None
    assert not Attempt.objects.filter(round=round_, status=Attempt.Status.OPEN).exists()


def test_concurrent_readers_of_a_closing_round_queue_exactly_one_job(monkeypatch):
    monkeypatch.setattr(backends, "dispatch", lambda job_id, delay=0: None)
    _contest, round_, _people = closed_round(PEOPLE)
    start = threading.Barrier(8)
    errors: list[Exception] = []

    def read():
        try:
            start.wait()
            for _ in range(5):
                assert services.round_close_ensure(Round.objects.get(pk=round_.pk)) is True
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert _finalize_jobs(round_).count() == 1
    assert Round.objects.get(pk=round_.pk).finalized_at is None


def test_saving_a_round_queues_its_close_for_closes_at(monkeypatch, organiser):
    sent = []
    monkeypatch.setattr(backends, "dispatch", lambda job_id, delay=0: sent.append((job_id, delay)))
    _contest, round_, _people = closed_round(PEOPLE)
    closes_at = timezone.now() + timedelta(hours=2)
    services.round_update(round_=round_, actor=organiser, closes_at=closes_at)

    job = _finalize_jobs(round_).get()
    assert job.status == Job.Status.QUEUED
    assert job.params["at"] == closes_at.isoformat()
    [(job_id, delay)] = sent
    assert job_id == job.pk
    # at the close + the answer grace: answers sent before the close may arrive until then
    assert 2 * 3600 - 60 < delay <= 2 * 3600 + answer_grace().total_seconds()


@pytest.mark.usefixtures("jobs_in_threads")
def test_a_close_job_that_runs_before_the_close_does_nothing():
    _contest, round_, _people = closed_round(PEOPLE)
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() + timedelta(hours=1))
    early = finish(job_enqueue(kind=ROUND_FINALIZE, owner=None, params={"round": round_.pk}).pk)
    assert early.status == Job.Status.DONE
    assert early.result == {"final": False}
    assert Round.objects.get(pk=round_.pk).finalized_at is None


def test_the_direct_export_of_a_closing_round_says_not_ready_yet(
    api_client, organiser, monkeypatch
):
    monkeypatch.setattr(backends, "dispatch", lambda job_id, delay=0: None)
    contest, round_, _people = closed_round(PEOPLE)
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    reply = api_client.get(f"/api/rounds/{round_.pk}/export.csv")
    assert reply.status_code == 409
    assert reply.json()["code"] == "results_not_final"
    assert reply.json()["message"] == str(MSG_NOT_FINAL_YET)
    assert Round.objects.get(pk=round_.pk).finalized_at is None


@pytest.mark.usefixtures("jobs_in_threads")
def test_the_results_page_of_a_closing_round_says_final_results_are_being_computed(
    client, monkeypatch
):
    dispatch = backends.dispatch
    held: list[int] = []  # the worker picks the job up only once the pages were read
    monkeypatch.setattr(backends, "dispatch", lambda job_id, delay=0: held.append(job_id))
    contest, round_, _people = closed_round(PEOPLE)
    page = client.get(f"/contests/{contest.slug}/rounds/{round_.pk}/results/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Final results are being computed…" in html
    assert 'http-equiv="refresh"' in html
    vi = client.get(
        f"/contests/{contest.slug}/rounds/{round_.pk}/results/", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert "Kết quả chính thức đang được tính…" in vi.content.decode()
    dispatch(held[0])
    assert finish(held[0]).status == Job.Status.DONE
    html = client.get(f"/contests/{contest.slug}/rounds/{round_.pk}/results/").content.decode()
    assert "Final results are being computed…" not in html
    assert 'http-equiv="refresh"' not in html


def test_a_round_whose_final_results_are_out_cannot_be_reopened(api_client, organiser):
    """Reopening it would take answers from people who have read its keys, under a board that
    still says final (found by a black-box test: new scores appeared on the "final" board)."""
    contest, round_, _people = closed_round(PEOPLE)
    services.round_finalize_if_due(round_)
    contest.staff.add(organiser)
    api_client.force_login(organiser)
    later = (timezone.now() + timedelta(minutes=5)).isoformat()
    refused = api_client.patch(
        f"/api/rounds/{round_.pk}/", {"closes_at": later}, format="json", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "round_final"
    assert "không thể mở lại" in refused.json()["message"]
    round_.refresh_from_db()
    assert round_.is_closed()
    assert round_.finalized_at is not None
    board = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/").json()
    assert board["board"] == "final"
