"""A first visit: a PIN box on the home page, the log-in page instead of a bare 403, each role
landing where it works, and `make run` printing only URLs that answer."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_home_page_has_a_pin_box_that_opens_the_game(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    form = re.search(r'<form[^>]*action="/play"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no form posting to /play"
    assert re.search(r'<input[^>]*name="pin"[^>]*inputmode="numeric"', form.group(1))
    assert 'method="get"' in form.group(0)


@pytest.mark.parametrize("path", ["/organise/", "/organise/contests/any/", "/bank/", "/host/"])
def test_an_anonymous_visitor_to_a_staff_page_is_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=" + path


def test_a_signed_in_teacher_on_an_organiser_page_gets_a_readable_page_not_a_bare_403(client):
    client.force_login(make_user("t1", roles=["teacher"]))
    response = client.get("/organise/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>Only organisers can do this.</h1>" in body
    assert 'href="/"' in body  # a way back


@pytest.mark.parametrize(
    ("roles", "lands"),
    [(["teacher"], "/bank/"), (["reviewer", "teacher"], "/bank/"), (["organiser"], "/organise/")],
)
def test_after_login_each_role_lands_where_it_works(client, roles, lands):
    make_user("someone", roles=roles, password="pw-123456")
    response = client.post("/accounts/login/", {"username": "someone", "password": "pw-123456"})
    assert response.status_code == 302
    assert response["Location"] == lands


def test_after_login_the_page_asked_for_still_wins(client):
    make_user("someone", roles=["organiser"], password="pw-123456")
    response = client.post(
        "/accounts/login/?next=/host/", {"username": "someone", "password": "pw-123456"}
    )
    assert response["Location"] == "/host/"


def test_make_run_prints_only_urls_that_answer(client, monkeypatch):
    from contest.services.demo import seed_demo_contest

    make_user("organiser", roles=["organiser"])
    seed_demo_contest()
    monkeypatch.setenv("PORT", "8000")
    out = io.StringIO()
    call_command("print_urls", stdout=out)
    urls = re.findall(r"http://127\.0\.0\.1:8000(/\S*)", out.getvalue())
    assert len(urls) >= 8
    assert any("/screen/" in url for url in urls)  # the ceremony screen has a working link
    for url in urls:
        status = client.get(url).status_code
        assert status in (200, 302), (url, status)


@pytest.mark.django_db
def test_after_make_runs_seed_a_teacher_finds_a_quiz_to_host_and_hosts_it(client):
    """The demo contest's paper stays hidden from teachers while its round is open; the demo
    teacher still has a live-game quiz on /host/ (the README's first steps host it)."""
    from quizzes.models import Quiz

    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    client.login(username="teacher", password="citizenquiz")

    page = client.get("/host/", HTTP_ACCEPT_LANGUAGE="en")
    quiz = Quiz.objects.get(title__contains="Global citizen – live game")

    assert quiz.title in page.content.decode()
    assert Quiz.objects.filter(title=quiz.title).count() == 1
    assert quiz.items.count() == 10
    hosted = client.post("/api/games/", {"quiz": quiz.pk}, content_type="application/json")
    assert hosted.status_code == 201, hosted.content


def test_make_run_needs_no_job_worker_even_with_redis():
    """`make run` starts no worker: with REDIS_URL set (and no JOBS_BACKEND), its jobs must still
    run (a round's close would otherwise wait forever for a worker), so they run in its threads;
    a JOBS_BACKEND the user sets wins."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]

    def run_vars(**env) -> str:
        base = {k: v for k, v in os.environ.items() if k != "JOBS_BACKEND"}
        out = subprocess.run(
            ["make", "-pn", "run"],
            cwd=root,
            env={**base, "REDIS_URL": "redis://127.0.0.1:6379/9", **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return out.stdout

    assert "run: JOBS_BACKEND = thread" in run_vars()
    chosen = run_vars(JOBS_BACKEND="dramatiq")
    assert "run: JOBS_BACKEND = thread" not in chosen
    assert "JOBS_BACKEND = dramatiq" in chosen
