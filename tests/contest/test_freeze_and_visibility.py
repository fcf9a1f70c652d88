"""What participants and the public see of a round's standing while it is open: nothing moves
during the freeze (round, unit and contest boards, my rank, around me, pages), scores are kept
until the close unless the organiser shows them, and organisers always see the live standing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from contest.models import Attempt, Round, RoundResult
from contest.selectors import attempt_state
from contest.services.registration import COOKIE_PREFIX
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
    register,
    staff_of_every_contest,
    wrong_choice,
)
from tests.contest.helpers import start_attempt as start

pytestmark = pytest.mark.django_db


def _take(client, round_, token, questions, right: int) -> dict:
    state = start(client, round_, token)
    answers = [
        {
            "question": q.pk,
            "response": {"choice": (correct_choice if i < right else wrong_choice)(q)},
        }
        for i, q in enumerate(questions)
    ]
    reply = client.post(
        f"/api/attempts/{state['id']}/submit/",
        {"answers": paper_answers(state, answers)},
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert reply.status_code == 200
    return reply.json()


def _get(client, url, token=None):
    extra = {TOKEN_HEADER: token} if token else {}
    response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return response.json()


def _scores(board) -> list[tuple[str, int]]:
    return [(row["name"].split(" (")[0], row["score"]) for row in board["rows"]]


@pytest.fixture
def frozen(api_client):
    """Lan and Bình hand in before the freeze; then the freeze starts (the last 2 hours); then
    Cường hands in a perfect paper and Lan a second, better one."""
    return _frozen(api_client, scores_while_open=True)


def _frozen(api_client, *, scores_while_open: bool):
    contest, round_, questions = make_contest(
        max_attempts=2,
        scores_while_open=scores_while_open,
        closes_at=timezone.now() + timedelta(hours=1),
        freeze_hours=2,
    )
    cg = make_school("CG", "THCS Cầu Giấy")
    bd = make_school("BD", "THCS Ba Đình")
    lan = register(api_client, contest, cg["school"], name="Nguyễn Thị Lan", email="l@x.org")
    binh = register(api_client, contest, cg["school"], name="Trần Văn Bình", email="b@x.org")
    cuong = register(api_client, contest, bd["school"], name="Lê Văn Cường", email="c@x.org")
    # Bình and Lan handed in three hours ago (before the freeze started, an hour ago).
    _take(api_client, round_, binh, questions, right=2)
    _take(api_client, round_, lan, questions, right=1)
    earlier = timezone.now() - timedelta(hours=3)
    Attempt.objects.filter(round=round_).update(
        started_at=earlier - timedelta(minutes=5), submitted_at=earlier
    )
    RoundResult.objects.filter(round=round_).update(submitted_at=earlier)
    if not scores_while_open:
        before = {
            "board": _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/"),
            "units": _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/units/?level=school"),
        }
        _take(api_client, round_, cuong, questions, right=3)
        _take(api_client, round_, lan, questions, right=3)
        return contest, round_, {"lan": lan, "binh": binh, "cuong": cuong}, before
    before = {
        "board": _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/"),
        "contest": _get(api_client, f"/api/contests/{contest.slug}/leaderboard/"),
        "units": _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/units/?level=school"),
        "contest_units": _get(
            api_client, f"/api/contests/{contest.slug}/leaderboard/units/?level=school"
        ),
        "me": _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", lan),
        "around": _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/around/", lan),
    }
    # During the freeze: a perfect paper, and Lan's second attempt (the best one counts).
    _take(api_client, round_, cuong, questions, right=3)
    _take(api_client, round_, lan, questions, right=3)
    return contest, round_, {"lan": lan, "binh": binh, "cuong": cuong}, before


def test_a_submission_during_the_freeze_moves_no_public_board(api_client, frozen):
    contest, round_, tokens, before = frozen
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert board["board"] == "frozen"
    assert board["frozen_since"] == round_.freeze_at.isoformat()
    assert (
        _scores(board) == _scores(before["board"]) == [("Trần V. B.", 2000), ("Nguyễn T. L.", 1000)]
    )
    assert board["total"] == 2
    contest_board = _get(api_client, f"/api/contests/{contest.slug}/leaderboard/")
    assert _scores(contest_board) == _scores(before["contest"])
    assert contest_board["frozen_rounds"] == [
        {"round": round_.pk, "frozen_since": round_.freeze_at.isoformat()}
    ]
    units = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/units/?level=school")
    assert units["rows"] == before["units"]["rows"]
    assert units["board"] == "frozen"
    contest_units = _get(
        api_client, f"/api/contests/{contest.slug}/leaderboard/units/?level=school"
    )
    assert contest_units["rows"] == before["contest_units"]["rows"]
    me = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", tokens["lan"])
    assert (
        (me["me"]["rank"], me["me"]["score"])
        == (2, 1000)
        == (
            before["me"]["me"]["rank"],
            before["me"]["me"]["score"],
        )
    )
    assert me["frozen_since"] == round_.freeze_at.isoformat()
    around = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/around/", tokens["lan"])
    assert _scores(around) == _scores(before["around"])
    newcomer = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", tokens["cuong"])
    assert newcomer["me"] is None
    assert newcomer["board"] == "frozen"


def _participation(client, round_) -> dict[str, tuple[int, int, int]]:
    rows = _get(client, f"/api/rounds/{round_.pk}/participation/?level=school")["rows"]
    return {r["name"]: (r["registered"], r["attempted"], r["completed"]) for r in rows}


def test_public_participation_counts_stay_as_at_the_freeze(api_client, frozen, organiser):
    """Counts per unit tell nobody who moved during the freeze: Lan's better paper (handed in
    during it) does not take her out of "completed", and Cường's attempt (started during it) is
    not "attempted" yet. Organisers see the live counts."""
    from django.core.cache import cache

    _contest, round_, _tokens, _before = frozen
    cache.clear()
    assert _participation(api_client, round_) == {
        "THCS Cầu Giấy": (2, 2, 2),
        "THCS Ba Đình": (1, 0, 0),
    }
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    assert _participation(api_client, round_) == {
        "THCS Cầu Giấy": (2, 2, 2),
        "THCS Ba Đình": (1, 1, 1),
    }


def test_a_round_keeping_its_scores_hidden_shows_its_counts_as_at_the_freeze(api_client):
    """No scores, but counts: during the freeze, a round that keeps its scores hidden still
    tells the public nothing about who handed in during it (its board's total, the unit board's
    participation), as /participation/ does."""
    from django.core.cache import cache

    _contest, round_, _tokens, before = _frozen(api_client, scores_while_open=False)
    cache.clear()
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert board["board"] == "hidden"
    assert board["total"] == before["board"]["total"] == 2
    units = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/units/?level=school")
    assert units["method"] == "participation"
    assert units["rows"] == before["units"]["rows"]
    assert _participation(api_client, round_)["THCS Ba Đình"] == (1, 0, 0)


def test_the_freeze_holds_through_the_close_until_the_results_are_final(
    api_client, frozen, settings
):
    """Between the close and the end of its answer grace, and then until the close job has
    computed the final results, the public still sees the standing at the freeze: never the
    live standing, which holds the papers handed in during the freeze."""
    from django.core.cache import cache

    from contest.services import round_finalize_if_due

    contest, round_, tokens, before = frozen
    settings.ANSWER_GRACE_SECONDS = 600  # the close was a second ago: in the grace
    round_.closes_at = timezone.now() - timedelta(seconds=1)
    round_.save(update_fields=["closes_at"])
    cache.clear()
    assert not round_.is_closed()
    assert round_.finalized_at is None
    for url, token in (
        (f"/api/rounds/{round_.pk}/leaderboard/", None),
        (f"/api/rounds/{round_.pk}/leaderboard/me/", tokens["lan"]),
    ):
        assert _get(api_client, url, token)["board"] == "frozen", url
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert _scores(board) == _scores(before["board"])
    me = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", tokens["lan"])
    assert (me["me"]["rank"], me["me"]["score"]) == (2, 1000)
    around = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/around/", tokens["lan"])
    assert _scores(around) == _scores(before["around"])
    units = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/units/?level=school")
    assert units["rows"] == before["units"]["rows"]
    contest_board = _get(api_client, f"/api/contests/{contest.slug}/leaderboard/")
    assert _scores(contest_board) == _scores(before["contest"])
    assert _participation(api_client, round_)["THCS Ba Đình"] == (1, 0, 0)
    assert _get(api_client, f"/api/rounds/{round_.pk}/")["frozen"] is True
    # The grace ends; the close job computes the final results: then the final standing.
    settings.ANSWER_GRACE_SECONDS = 0
    round_.refresh_from_db()
    round_finalize_if_due(round_)
    final = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert final["board"] == "final"
    assert _scores(final)[0][1] == 3000


def test_organisers_see_the_live_standing_during_the_freeze(api_client, frozen, organiser):
    contest, round_, tokens, _before = frozen
    # Exports and detailed results are the organisers' (non-organisers: 403 until the close).
    assert api_client.get(f"/api/rounds/{round_.pk}/export.csv").status_code == 403
    assert api_client.get(f"/api/rounds/{round_.pk}/results/").status_code == 403
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    export = api_client.get(f"/api/rounds/{round_.pk}/export.csv").content.decode("utf-8-sig")
    assert "Lê Văn Cường" in export
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert board["board"] == "live"
    assert sorted(_scores(board)) == [
        ("Lê V. C.", 3000),
        ("Nguyễn T. L.", 3000),
        ("Trần V. B.", 2000),
    ]
    contest_board = _get(api_client, f"/api/contests/{contest.slug}/leaderboard/")
    assert [row["score"] for row in contest_board["rows"]] == [3000, 3000, 2000]
    units = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/units/?level=school")
    assert {row["name"] for row in units["rows"] if row["participants"]} == {
        "THCS Cầu Giấy",
        "THCS Ba Đình",
    }
    page = Client()
    staff_of_every_contest(organiser)
    page.force_login(organiser)
    html = page.get(f"/contests/{contest.slug}/rounds/{round_.pk}/results/").content.decode()
    assert "You see the live standing; the public sees it frozen since" in html
    assert "Lê V. C." in html


def test_no_shared_cache_may_hand_the_organisers_live_board_to_the_public(
    api_client, frozen, organiser
):
    """The board URLs answer organisers with the live standing during the freeze: a proxy or
    CDN in front must never store that reply, and must key every board reply by who asks."""
    contest, round_, _tokens, _before = frozen
    urls = [
        f"/api/rounds/{round_.pk}/leaderboard/",
        f"/api/rounds/{round_.pk}/leaderboard/units/?level=school",
        f"/api/contests/{contest.slug}/leaderboard/",
        f"/api/contests/{contest.slug}/leaderboard/units/?level=school",
        f"/api/rounds/{round_.pk}/participation/?level=school",  # live counts for the staff
    ]
    for url in urls:
        public = api_client.get(url)
        vary = {v.strip().lower() for v in public.get("Vary", "").split(",")}
        assert {"cookie", "authorization"} <= vary, url
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    for url in urls:
        staff = api_client.get(url)
        assert staff.status_code == 200, url
        control = {v.strip() for v in staff.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= control, url


def test_the_results_page_shows_the_frozen_standing_and_since_when(api_client, frozen):
    contest, round_, tokens, _before = frozen
    page = Client()
    page.cookies[f"{COOKIE_PREFIX}{contest.pk}"] = tokens["lan"]
    html = page.get(f"/contests/{contest.slug}/rounds/{round_.pk}/results/").content.decode()
    since = date_format(timezone.localtime(round_.freeze_at), "DATETIME_FORMAT")
    assert f"Frozen since {since}" in html
    assert "Frozen leaderboard" in html
    assert "Live leaderboard" not in html
    assert "Lê V. C." not in html
    assert "3000" not in html


def test_a_round_keeps_scores_hidden_until_the_close_by_default(api_client, organiser):
    contest, round_, questions = make_contest()
    assert round_.scores_while_open is False
    units = make_school("CG", "THCS Cầu Giấy")
    token = register(api_client, contest, units["school"])
    submitted = _take(api_client, round_, token, questions, right=3)
    assert "score" not in json.dumps(submitted)
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    closes = round_.closes_at.isoformat()
    assert (board["board"], board["rows"], board["total"]) == ("hidden", [], 1)
    assert board["scores_published_at"] == closes
    assert board["round"]["scores_hidden"] is True
    me = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", token)
    assert me == {"me": None, "board": "hidden", "scores_published_at": closes}
    around = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/around/", token)
    assert around["rows"] == []
    units_board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/units/?level=school")
    assert units_board["method"] == "participation"
    assert [(u["name"], u["value"]) for u in units_board["rows"]] == [("THCS Cầu Giấy", 100.0)]
    contest_board = _get(api_client, f"/api/contests/{contest.slug}/leaderboard/", token)
    assert contest_board["rows"] == []
    assert contest_board["me"] is None
    assert contest_board["hidden_rounds"] == [{"round": round_.pk, "scores_published_at": closes}]
    # Organisers see the scores.
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    assert _scores(_get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")) == [
        ("Nguyễn V. A.", 3000)
    ]
    # The close publishes them.
    api_client.force_authenticate(None)
    close_round(round_)
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert board["board"] == "final"
    assert _scores(board) == [("Nguyễn V. A.", 3000)]
    assert (
        _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", token)["me"]["score"] == 3000
    )


def test_pages_say_when_hidden_scores_are_published_and_show_none(api_client):
    contest, round_, questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    token = register(api_client, contest, units["school"])
    _take(api_client, round_, token, questions, right=3)
    page = Client()
    page.cookies[f"{COOKIE_PREFIX}{contest.pk}"] = token
    when = date_format(timezone.localtime(round_.closes_at), "DATETIME_FORMAT")
    for url in (
        f"/contests/{contest.slug}/rounds/{round_.pk}/results/",
        f"/contests/{contest.slug}/",
        f"/contests/{contest.slug}/rounds/{round_.pk}/play/",
    ):
        html = page.get(url).content.decode()
        assert f"Scores are published when the round closes at {when}" in html, url
        assert "3000" not in html
        assert "Your rank" not in html


def test_organisers_choose_to_show_scores_while_the_round_is_open(api_client, organiser):
    contest, round_, questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    token = register(api_client, contest, units["school"])
    _take(api_client, round_, token, questions, right=2)
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    reply = api_client.patch(
        f"/api/rounds/{round_.pk}/", {"scores_while_open": True}, format="json"
    )
    assert reply.status_code == 200
    assert reply.json()["scores_while_open"] is True
    api_client.force_authenticate(None)
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert board["board"] == "live"
    assert _scores(board) == [("Nguyễn V. A.", 2000)]
    me = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", token)
    assert (me["me"]["rank"], me["me"]["score"]) == (1, 2000)
    page = Client()
    page.cookies[f"{COOKIE_PREFIX}{contest.pk}"] = token
    html = page.get(f"/contests/{contest.slug}/rounds/{round_.pk}/results/").content.decode()
    assert "Your rank: 1 of 1 · 2000 points" in html
    assert "Scores are published when the round closes" not in html
    assert Round.objects.get(pk=round_.pk).scores_while_open


def test_the_export_ranks_are_filled_while_the_round_is_open_as_provisional(api_client, organiser):
    import csv
    import io

    contest, round_, questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    slow = register(api_client, contest, units["school"], name="Trần Văn Bình", email="b@x.org")
    fast = register(api_client, contest, units["school"], name="Nguyễn Thị Lan", email="l@x.org")
    _take(api_client, round_, slow, questions, right=1)
    _take(api_client, round_, fast, questions, right=3)
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    body = api_client.get(f"/api/rounds/{round_.pk}/export.csv").content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    col = {name: i for i, name in enumerate(header)}
    assert [(r[col["Rank"]], r[col["Rank status"]], r[col["Full name"]]) for r in rows] == [
        ("1", "provisional", "Nguyễn Thị Lan"),
        ("2", "provisional", "Trần Văn Bình"),
    ]
    close_round(round_)
    body = api_client.get(f"/api/rounds/{round_.pk}/export.csv").content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert [(r[col["Rank"]], r[col["Rank status"]]) for r in rows] == [
        ("1", "final"),
        ("2", "final"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_the_fast_path_never_replays_the_public_frozen_board_to_an_organiser():
    from asgiref.sync import sync_to_async
    from channels.testing import HttpCommunicator

    from config.asgi import django_asgi_app
    from contest import services
    from contest.fastpath import BoardReplay
    from tests.contest.conftest import clear_boards
    from tests.factories import make_user

    def build():
        from datetime import date

        clear_boards()
        contest, round_, questions = make_contest(
            scores_while_open=True, closes_at=timezone.now() + timedelta(hours=1), freeze_hours=2
        )
        units = make_school("CG", "THCS Cầu Giấy")
        p = services.participant_register(
            contest=contest,
            full_name="Lê Văn Cường",
            unit_id=units["school"].pk,
            consent=True,
            date_of_birth=date(2010, 5, 3),
            email="c@x.org",
        )
        attempt = services.attempt_start(participant=p, round_=round_)
        answers = [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions]
        services.attempt_submit(
            participant_id=p.pk,
            attempt_id=attempt.pk,
            answers=paper_answers(attempt_state(attempt), answers),
        )
        browser = Client()
        organiser = make_user("org", roles=["organiser"])
        contest.staff.add(organiser)
        browser.force_login(organiser)
        return round_.pk, browser.cookies[settings.SESSION_COOKIE_NAME].value

    round_id, session = await sync_to_async(build)()
    app = BoardReplay(django_asgi_app)
    path = f"/api/rounds/{round_id}/leaderboard/"

    async def get(*extra):
        communicator = HttpCommunicator(
            app, "GET", path, headers=[(b"host", b"testserver"), *extra]
        )
        response = await communicator.get_response()
        await communicator.wait()
        return json.loads(response["body"])

    public = await get()
    assert public["board"] == "frozen"
    assert public["rows"] == []
    assert (await get())["rows"] == []  # replayed (with Redis) or rendered: the same
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}".encode()
    organiser = await get((b"cookie", cookie))
    assert organiser["board"] == "live"
    assert [r["score"] for r in organiser["rows"]] == [3000]
    assert (await get())["rows"] == []  # and the organiser's board is never replayed to others


_EXAMPLES = iter(range(10**6))
ATTEMPTS = st.lists(
    st.tuples(
        st.integers(0, 3),  # who
        st.integers(0, 3).map(lambda right: right * 1000),  # score
        st.integers(1, 900),  # seconds taken
        st.booleans(),  # handed in during the freeze (the last 2 hours)
    ),
    min_size=1,
    max_size=10,
)
PROPERTY = hsettings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _World:
    """A contest whose round closes in an hour, four participants in two schools, and attempts
    stored as the services store them (round_result_refresh feeds every board)."""

    def __init__(self, client, **round_fields):
        from datetime import date

        from contest import services

        n = next(_EXAMPLES)
        self.client = client
        self.now = timezone.now()
        self.contest, self.round, _questions = make_contest(
            slug=f"world-{n}",
            max_attempts=0,
            closes_at=self.now + timedelta(hours=1),
            **round_fields,
        )
        schools = [make_school(f"W{n}S{i}", f"Trường {i}")["school"] for i in range(2)]
        self.people = [
            services.participant_register(
                contest=self.contest,
                full_name=f"Người Thứ {i}",
                unit_id=schools[i % 2].pk,
                consent=True,
                date_of_birth=date(2010, 1, i + 1),
                email=f"w{n}-{i}@example.org",
            )
            for i in range(4)
        ]
        self.tokens = [services.participant_token(p) for p in self.people]
        self.numbers = dict.fromkeys(range(4), 0)

    def hand_in(self, who, score, seconds, at):
        from contest import services

        self.numbers[who] += 1
        Attempt.objects.create(
            round=self.round,
            participant=self.people[who],
            number=self.numbers[who],
            status=Attempt.Status.SUBMITTED,
            started_at=at - timedelta(seconds=seconds),
            deadline=at + timedelta(minutes=10),
            submitted_at=at,
            seed=self.numbers[who],
            score=score,
            max_score=3000,
            time_ms=seconds * 1000,
        )
        services.round_result_refresh(round_=self.round, participant_id=self.people[who].pk)

    def hand_in_all(self, attempts, *, during: bool, score=None):
        start = self.now - (timedelta(minutes=30) if during else timedelta(hours=3))
        for step, (who, points, seconds, late) in enumerate(attempts):
            if late == during:
                at = start + timedelta(seconds=step)
                self.hand_in(who, points if score is None else score, seconds, at)

    def public_views(self, variant: int) -> dict:
        """Every public view, as a participant and anybody else sees it. `variant` changes
        each cached body's key: what is compared is computed, not replayed."""
        r, slug, get = self.round.pk, self.contest.slug, self.client
        views = {
            "board": _get(get, f"/api/rounds/{r}/leaderboard/?n={90 + variant}"),
            "units": _get(get, f"/api/rounds/{r}/leaderboard/units/?level=school&top_n={variant}"),
            "contest": _get(get, f"/api/contests/{slug}/leaderboard/"),
            "contest_units": _get(
                get, f"/api/contests/{slug}/leaderboard/units/?level=school&top_n={variant}"
            ),
        }
        for key in ("board", "contest"):
            views[key] = (views[key]["rows"], views[key]["total"])
        views["units"] = views["units"]["rows"]
        views["contest_units"] = views["contest_units"]["rows"]
        for i, token in enumerate(self.tokens):
            views[f"me{i}"] = _get(get, f"/api/rounds/{r}/leaderboard/me/", token)["me"]
            views[f"around{i}"] = _get(get, f"/api/rounds/{r}/leaderboard/around/", token)["rows"]
        return views


@given(attempts=ATTEMPTS, counting=st.sampled_from([c.value for c in Round.Counting]))
@PROPERTY
def test_no_attempt_handed_in_during_the_freeze_changes_any_public_view(
    api_client, attempts, counting
):
    """Invariant: whatever is handed in during the freeze (new participants, better or worse
    attempts, any counting rule), every public view stays as it was at the freeze."""
    world = _World(api_client, counting=counting, scores_while_open=True, freeze_hours=2)
    world.hand_in_all(attempts, during=False)
    at_the_freeze = world.public_views(1)
    world.hand_in_all(attempts, during=True)
    assert world.public_views(2) == at_the_freeze


@given(attempts=ATTEMPTS)
@PROPERTY
def test_while_scores_are_hidden_no_public_view_depends_on_a_score(api_client, attempts):
    """Invariant (non-interference): with scores hidden until the close, the same hand-ins with
    other scores give byte-for-byte the same public views (only participation shows)."""
    scored = _World(api_client)
    scored.hand_in_all(attempts, during=False)
    scored.hand_in_all(attempts, during=True)
    zero = _World(api_client)
    zero.hand_in_all(attempts, during=False, score=0)
    zero.hand_in_all(attempts, during=True, score=0)

    def without_ids(views):
        # The two worlds' units have other database ids (and the same names).
        for key in ("units", "contest_units"):
            views[key] = [{k: v for k, v in row.items() if k != "unit_id"} for row in views[key]]
        return views

    assert scored.public_views(1)["board"][0] == []
    assert without_ids(scored.public_views(3)) == without_ids(zero.public_views(3))


def _hand_ins_during_the_freeze_half_an_hour_ago(round_) -> None:
    """The hand-ins made during the freeze happened half an hour ago (before a freeze of 1 hour)."""
    half_an_hour_ago = timezone.now() - timedelta(minutes=30)
    for model in (Attempt, RoundResult):
        model.objects.filter(round=round_, submitted_at__gt=round_.freeze_at).update(
            submitted_at=half_an_hour_ago
        )
    Attempt.objects.filter(round=round_, started_at__gt=round_.freeze_at).update(
        started_at=half_an_hour_ago - timedelta(minutes=5)
    )


def test_moving_the_freeze_during_it_shows_the_standing_at_the_new_time(
    api_client, frozen, organiser
):
    contest, round_, _tokens, _before = frozen
    _hand_ins_during_the_freeze_half_an_hour_ago(round_)
    units_url = f"/api/rounds/{round_.pk}/leaderboard/units/?level=school"
    assert len(_get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")["rows"]) == 2

    def with_results(units) -> dict[str, int]:
        return {u["name"]: u["participants"] for u in units["rows"] if u["participants"]}

    assert with_results(_get(api_client, units_url)) == {"THCS Cầu Giấy": 2}
    assert _participation(api_client, round_)["THCS Ba Đình"] == (1, 0, 0)
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    reply = api_client.patch(f"/api/rounds/{round_.pk}/", {"freeze_hours": 1}, format="json")
    assert reply.status_code == 200
    api_client.force_authenticate(None)
    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert board["board"] == "frozen"
    assert sorted(_scores(board)) == [
        ("Lê V. C.", 3000),
        ("Nguyễn T. L.", 3000),
        ("Trần V. B.", 2000),
    ]
    # The unit board and the participation counts move to the new time at once too, not when
    # their few seconds of cache run out.
    assert with_results(_get(api_client, units_url)) == {"THCS Cầu Giấy": 2, "THCS Ba Đình": 1}
    assert _participation(api_client, round_)["THCS Ba Đình"] == (1, 1, 1)


def test_a_reader_still_holding_the_old_freeze_cannot_bring_the_old_standing_back(
    api_client, frozen, organiser
):
    """A request that read the round just before the organiser moved the freeze, and builds
    the frozen board only after the move (a slow reader, a process's copy of the round), must
    not leave the standing at the old time behind for everyone reading after it."""
    from contest import boards

    contest, round_, tokens, _before = frozen
    _hand_ins_during_the_freeze_half_an_hour_ago(round_)
    read_before_the_move = Round.objects.select_related("contest").get(pk=round_.pk)
    staff_of_every_contest(organiser)
    api_client.force_authenticate(organiser)
    reply = api_client.patch(f"/api/rounds/{round_.pk}/", {"freeze_hours": 1}, format="json")
    assert reply.status_code == 200
    api_client.force_authenticate(None)
    # The slow reader's board: the standing at the old freeze (Bình and Lan's first paper).
    late = boards.top(boards.round_scope(read_before_the_move, public=True))
    assert sorted((r["score"] for r in late), reverse=True) == [2000, 1000]

    board = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/")
    assert sorted(_scores(board)) == [
        ("Lê V. C.", 3000),
        ("Nguyễn T. L.", 3000),
        ("Trần V. B.", 2000),
    ]
    me = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/me/", tokens["lan"])
    assert me["me"]["score"] == 3000
    around = _get(api_client, f"/api/rounds/{round_.pk}/leaderboard/around/", tokens["lan"])
    assert sorted(r["score"] for r in around["rows"]) == [2000, 3000, 3000]


@pytest.mark.django_db(transaction=True)
async def test_my_rank_on_the_fast_path_keeps_hidden_scores_hidden_as_django_does():
    from datetime import date

    from asgiref.sync import sync_to_async
    from channels.testing import HttpCommunicator

    from config.asgi import django_asgi_app
    from contest import services
    from contest.fastpath import BoardReplay
    from tests.contest.conftest import clear_boards

    def build():
        clear_boards()
        contest, round_, questions = make_contest()
        units = make_school("CG", "THCS Cầu Giấy")
        p = services.participant_register(
            contest=contest,
            full_name="Lê Văn Cường",
            unit_id=units["school"].pk,
            consent=True,
            date_of_birth=date(2010, 5, 3),
            email="c@x.org",
        )
        attempt = services.attempt_start(participant=p, round_=round_)
        answers = [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions]
        services.attempt_submit(
            participant_id=p.pk,
            attempt_id=attempt.pk,
            answers=paper_answers(attempt_state(attempt), answers),
        )
        return round_.pk, services.participant_token(p)

    round_id, token = await sync_to_async(build)()
    calls = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    app = BoardReplay(django)

    async def me():
        headers = [(b"host", b"testserver"), (b"x-participant-token", token.encode())]
        path = f"/api/rounds/{round_id}/leaderboard/me/"
        communicator = HttpCommunicator(app, "GET", path, headers=headers)
        response = await communicator.get_response()
        await communicator.wait()
        return response

    by_django, fast = await me(), await me()
    assert by_django["status"] == fast["status"] == 200
    assert fast["body"] == by_django["body"]
    assert json.loads(fast["body"])["me"] is None
    assert b"3000" not in fast["body"]
    assert len(calls) == (1 if settings.REDIS_URL else 2)
