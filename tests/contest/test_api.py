"""Contest REST API: registration, deadlines, one open attempt, secrecy, masking, results."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contest.models import Attempt, Participant, Round
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    correct_choice,
    make_school,
    paper_answers,
    register,
    wrong_choice,
)
from tests.contest.helpers import start_attempt as start

pytestmark = pytest.mark.django_db


def test_registration_masks_the_public_name_and_returns_a_resume_token(api_client, setup):
    contest, round_, _q, units = setup
    response = api_client.post(
        f"/api/contests/{contest.slug}/register/",
        {
            "full_name": "Nguyễn Văn An",
            "unit": units["class"].pk,
            "consent": True,
            "phone": "+84 912 345 678",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["public_name"] == "Nguyễn V. A. (THCS Cầu Giấy)"
    assert body["token"]
    assert "/resume/" in body["resume_url"]
    participant = Participant.objects.get()
    assert participant.phone == "0912345678"
    assert participant.school == units["school"]


def test_registration_requires_consent_a_unit_and_a_contact(api_client, setup):
    contest, *_ = setup
    response = api_client.post(
        f"/api/contests/{contest.slug}/register/", {"full_name": "An"}, format="json"
    )
    assert response.status_code == 400
    assert {"consent", "unit", "contact"} <= set(response.json()["details"])


def test_registering_twice_is_detected_by_name_birth_date_and_school(api_client, setup):
    contest, _r, _q, units = setup
    register(api_client, contest, units["school"], name="Trần Thị Bình", email="a@example.org")
    response = api_client.post(
        f"/api/contests/{contest.slug}/register/",
        {
            "full_name": "tran thi  binh",
            "unit": units["class"].pk,
            "consent": True,
            "date_of_birth": "2010-05-01",
            "email": "other@example.org",
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_registration"
    assert "already registered" in response.json()["message"]


def test_registering_twice_with_the_same_email_is_detected(api_client, setup):
    contest, _r, _q, units = setup
    register(api_client, contest, units["school"], name="Lê Văn Cường", email="same@example.org")
    other = make_school("BD", "THCS Ba Đình")
    response = api_client.post(
        f"/api/contests/{contest.slug}/register/",
        {
            "full_name": "Phạm Minh",
            "unit": other["school"].pk,
            "consent": True,
            "date_of_birth": "2011-01-01",
            "email": "SAME@example.org",
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["details"]["matched"] == "email"


def test_autosave_and_submit_never_reveal_correctness(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    assert all("weight" not in c for q in state["questions"] for c in q["choices"])
    saved = api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {
            "answers": paper_answers(
                state,
                [
                    {
                        "question": questions[0].pk,
                        "response": {"choice": correct_choice(questions[0])},
                    }
                ],
            )
        },
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert saved.status_code == 200
    assert set(saved.json()) == {"saved", "time_left_ms", "server_now"}
    submitted = api_client.post(
        f"/api/attempts/{state['id']}/submit/",
        {"prediction": 3},
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert submitted.status_code == 200
    assert "score" not in submitted.json()
    assert "correct" not in str(submitted.json())


def test_review_and_detailed_results_are_403_before_close_and_open_after(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    api_client.post(
        f"/api/attempts/{state['id']}/submit/", {}, format="json", **{TOKEN_HEADER: token}
    )
    review = api_client.get(f"/api/attempts/{state['id']}/review/", **{TOKEN_HEADER: token})
    assert review.status_code == 403
    assert review.json()["code"] == "results_secret"
    assert api_client.get(f"/api/rounds/{round_.pk}/results/").status_code == 403
    close_round(round_)
    review = api_client.get(f"/api/attempts/{state['id']}/review/", **{TOKEN_HEADER: token})
    assert review.status_code == 200
    assert review.json()["questions"][0]["correct"] is not None
    results = api_client.get(f"/api/rounds/{round_.pk}/results/").json()["rows"]
    assert results[0]["name"] == "Nguyễn V. A. (THCS Cầu Giấy)"
    assert "email" not in results[0]


def test_no_key_is_shown_while_an_answer_sent_before_the_close_may_still_be_stored(
    api_client, setup, settings
):
    """Answers sent in time are stored until the close + the grace: until then no review, no
    detailed results (else one entrant reads the key at the close and a friend's open attempt
    saves it within the grace). One moment for both: Round.closed_at()."""
    settings.ANSWER_GRACE_SECONDS = 2
    contest, round_, questions, units = setup
    done = register(api_client, contest, units["school"])
    finished = start(api_client, round_, done)
    api_client.post(
        f"/api/attempts/{finished['id']}/submit/", {}, format="json", **{TOKEN_HEADER: done}
    )
    late = register(api_client, contest, units["school"], name="Trần Thị Bình")
    open_attempt = start(api_client, round_, late)

    def close(seconds_ago: float) -> None:
        at = timezone.now() - timedelta(seconds=seconds_ago)
        Round.objects.filter(pk=round_.pk).update(closes_at=at)
        Attempt.objects.filter(pk=open_attempt["id"]).update(deadline=at)
        round_.refresh_from_db()
        round_.save(update_fields=["closes_at"])  # every process hears of it

    def autosave():
        answer = {"question": questions[0].pk, "response": {"choice": correct_choice(questions[0])}}
        return api_client.post(
            f"/api/attempts/{open_attempt['id']}/answers/",
            {"answers": paper_answers(open_attempt, [answer])},
            format="json",
            **{TOKEN_HEADER: late},
        )

    close(0.5)  # closed half a second ago: inside the grace
    assert autosave().status_code == 200
    review = api_client.get(f"/api/attempts/{finished['id']}/review/", **{TOKEN_HEADER: done})
    assert review.status_code == 403
    assert review.json()["code"] == "results_secret"
    assert api_client.get(f"/api/rounds/{round_.pk}/results/").status_code == 403

    close(3)  # the grace is over: no answer is stored any more, the key may be shown
    assert autosave().status_code == 409
    review = api_client.get(f"/api/attempts/{finished['id']}/review/", **{TOKEN_HEADER: done})
    assert review.status_code == 200
    assert review.json()["questions"][0]["correct"] is not None


def test_organiser_sees_details_before_close(api_client, setup, organiser):
    contest, round_, *_ = setup
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    assert api_client.get(f"/api/rounds/{round_.pk}/results/").status_code == 200


def test_submission_after_the_time_budget_is_rejected_on_every_entry_point(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {
            "answers": paper_answers(
                state,
                [
                    {
                        "question": questions[0].pk,
                        "response": {"choice": correct_choice(questions[0])},
                    }
                ],
            )
        },
        format="json",
        **{TOKEN_HEADER: token},
    )
    # The budget ran out (beyond the grace period).
    Attempt.objects.filter(pk=state["id"]).update(
        started_at=timezone.now() - timedelta(seconds=700),
        deadline=timezone.now() - timedelta(seconds=2),
    )
    late = {
        "answers": paper_answers(
            state,
            [{"question": questions[1].pk, "response": {"choice": correct_choice(questions[1])}}],
        )
    }
    autosave = api_client.post(
        f"/api/attempts/{state['id']}/answers/", late, format="json", **{TOKEN_HEADER: token}
    )
    assert autosave.status_code == 409
    assert autosave.json()["code"] == "deadline_passed"
    submit = api_client.post(
        f"/api/attempts/{state['id']}/submit/", late, format="json", **{TOKEN_HEADER: token}
    )
    assert submit.status_code == 409
    attempt = Attempt.objects.get(pk=state["id"])
    # It counts with what was saved in time: one right answer, not two.
    assert attempt.status == "expired"
    assert attempt.correct_count == 1


def test_answer_within_the_grace_period_is_accepted(api_client, setup, settings):
    settings.ANSWER_GRACE_SECONDS = 5
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    Attempt.objects.filter(pk=state["id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    response = api_client.post(
        f"/api/attempts/{state['id']}/submit/", {}, format="json", **{TOKEN_HEADER: token}
    )
    assert response.status_code == 200


def test_submission_after_the_round_closes_is_rejected(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    Attempt.objects.filter(pk=state["id"]).update(deadline=timezone.now() - timedelta(seconds=3))
    close_round(round_)
    response = api_client.post(
        f"/api/attempts/{state['id']}/submit/", {}, format="json", **{TOKEN_HEADER: token}
    )
    assert response.status_code == 409
    assert (
        api_client.post(
            f"/api/rounds/{round_.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: token}
        ).status_code
        == 409
    )


def test_at_most_one_attempt_is_open_at_a_time(api_client, setup):
    contest, round_, questions, units = setup
    Round.objects.filter(pk=round_.pk).update(max_attempts=0)
    token = register(api_client, contest, units["school"])
    first = start(api_client, round_, token)
    again = start(api_client, round_, token)
    assert again["id"] == first["id"]  # starting again resumes the attempt in progress
    other_round = Round.objects.create(
        contest=contest,
        title_vi="Vòng 2",
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
        quiz=round_.quiz,
    )
    response = api_client.post(
        f"/api/rounds/{other_round.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: token}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "attempt_open"
    # The database refuses a second open attempt even if a service were bypassed.
    from django.db import IntegrityError, transaction

    attempt = Attempt.objects.get(pk=first["id"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(
            round=other_round,
            participant=attempt.participant,
            number=1,
            started_at=timezone.now(),
            deadline=timezone.now(),
            seed=1,
            paper=[],
        )


def test_attempt_limit_is_enforced(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    api_client.post(
        f"/api/attempts/{state['id']}/submit/", {}, format="json", **{TOKEN_HEADER: token}
    )
    response = api_client.post(
        f"/api/rounds/{round_.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: token}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_attempts_left"


def test_resuming_keeps_answers_and_the_server_deadline(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    [answer] = paper_answers(
        state, [{"question": questions[1].pk, "response": {"choice": wrong_choice(questions[1])}}]
    )
    choice = answer["response"]["choice"]
    api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {"answers": [answer]},
        format="json",
        **{TOKEN_HEADER: token},
    )
    again = api_client.get(f"/api/attempts/{state['id']}/", **{TOKEN_HEADER: token}).json()
    assert again["deadline"] == state["deadline"]
    assert again["time_left_ms"] <= state["time_left_ms"]
    saved = {q["id"]: q["saved"] for q in again["questions"]}
    assert saved[questions[1].pk] == {"choice": str(choice)}
    assert [c["id"] for q in again["questions"] for c in q["choices"]] == [
        c["id"] for q in state["questions"] for c in q["choices"]
    ]


def test_another_participant_cannot_touch_my_attempt(api_client, setup):
    contest, round_, questions, units = setup
    mine = register(api_client, contest, units["school"])
    theirs = register(api_client, contest, units["school"], name="Đỗ Hoa", email="hoa@example.org")
    state = start(api_client, round_, mine)
    response = api_client.post(
        f"/api/attempts/{state['id']}/submit/", {}, format="json", **{TOKEN_HEADER: theirs}
    )
    assert response.status_code == 404


def test_leaderboard_is_masked_and_my_rank_is_known(api_client, setup):
    contest, round_, questions, units = setup
    round_.scores_while_open = True  # the organiser shows scores while the round is open
    round_.save()
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    answers = paper_answers(
        state, [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions]
    )
    api_client.post(
        f"/api/attempts/{state['id']}/submit/",
        {"answers": answers},
        format="json",
        **{TOKEN_HEADER: token},
    )
    board = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/?n=10").json()
    assert board["rows"][0]["name"] == "Nguyễn V. A. (THCS Cầu Giấy)"
    assert board["rows"][0]["score"] == 3000
    assert "prediction" not in board["rows"][0]
    me = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/me/", **{TOKEN_HEADER: token}).json()[
        "me"
    ]
    assert me["rank"] == 1
    assert me["total"] == 1
    units_board = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/units/?level=school").json()
    assert units_board["rows"][0]["name"] == "THCS Cầu Giấy"


def test_exports_are_for_organisers_and_carry_prediction_and_time(api_client, setup, organiser):
    contest, round_, questions, units = setup
    contest.staff.add(organiser)
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    api_client.post(
        f"/api/attempts/{state['id']}/submit/",
        {"prediction": 7},
        format="json",
        **{TOKEN_HEADER: token},
    )
    close_round(round_)
    assert api_client.get(f"/api/rounds/{round_.pk}/export.csv").status_code == 403
    api_client.force_authenticate(organiser)
    csv_text = api_client.get(f"/api/rounds/{round_.pk}/export.csv").content.decode("utf-8-sig")
    header, first = csv_text.splitlines()[:2]
    assert "Prediction" in header
    assert "Time taken (s)" in header
    assert "Nguyễn Văn An" in first
    assert ",7.0," in first
    import io

    from openpyxl import load_workbook

    response = api_client.get(f"/api/rounds/{round_.pk}/export.xlsx?unit={units['school'].pk}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "Nguyễn Văn An"
    assert rows[1][15] == 7


def test_live_round_results_become_the_round_results(setup, student):
    from contest.services import live_round_results_record

    contest, round_, _q, units = setup
    live = Round.objects.create(
        contest=contest,
        title_vi="Chung kết",
        kind="live",
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
        live_game_id="77",
    )
    from contest.services import participant_register

    participant_register(
        contest=contest,
        full_name="Học Sinh An",
        unit_id=units["class"].pk,
        consent=True,
        email="hs@example.org",
        user=student,
    )
    stored = live_round_results_record(
        round_id=live.pk,
        game_id=77,
        rows=[
            {
                "user_id": None,
                "nickname": "Guest",
                "unit_id": units["school"].pk,
                "score": 900,
                "time_ms": 5000,
            },
            {
                "user_id": student.pk,
                "nickname": "An",
                "unit_id": None,
                "score": 1200,
                "time_ms": 8000,
            },
        ],
    )
    assert stored == 2
    from contest.models import RoundResult

    ranks = list(
        RoundResult.objects.filter(round=live)
        .order_by("rank")
        .values_list("rank", "nickname", "participant__user")
    )
    assert ranks == [(1, "An", student.pk), (2, "Guest", None)]


def test_final_seeded_from_top_n_of_a_qualifier(api_client, setup):
    from contest.services import round_seed_qualifiers

    contest, round_, questions, units = setup
    tokens = [
        register(api_client, contest, units["school"], name=f"Người {i}", email=f"p{i}@example.org")
        for i in range(3)
    ]
    for i, token in enumerate(tokens):
        state = start(api_client, round_, token)
        answers = paper_answers(
            state,
            [
                {"question": q.pk, "response": {"choice": correct_choice(q)}}
                for q in questions[: i + 1]
            ],
        )
        api_client.post(
            f"/api/attempts/{state['id']}/submit/",
            {"answers": answers},
            format="json",
            **{TOKEN_HEADER: token},
        )
    close_round(round_)
    final = Round.objects.create(
        contest=contest,
        title_vi="Chung kết",
        opens_at=timezone.now() - timedelta(minutes=1),
        closes_at=timezone.now() + timedelta(days=1),
        quiz=round_.quiz,
        qualifier_from=round_,
        qualifier_top_n=2,
    )
    assert round_seed_qualifiers(round_=final) == 2
    assert start(api_client, final, tokens[2])["round"] == final.pk
    refused = api_client.post(
        f"/api/rounds/{final.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: tokens[0]}
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("prediction", ["NaN", "nan", "-nan", "5", True, [5], float("inf")])
def test_a_prediction_that_is_not_a_plain_number_is_refused_and_the_attempt_stays_open(
    api_client, setup, prediction
):
    """Found by a black-box test: "NaN" crashed autosave and hand-in with a 500 (and the debug
    page), leaving the attempt open; text and flags were taken as numbers."""
    import json

    from contest.models import Attempt

    contest, round_, _questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start(api_client, round_, token)
    for action in ("answers", "submit"):
        response = api_client.post(
            f"/api/attempts/{state['id']}/{action}/",
            json.dumps({"answers": [], "prediction": prediction}, allow_nan=True),
            content_type="application/json",
            **{TOKEN_HEADER: token},
        )
        assert response.status_code == 400, (action, response.content[:200])
        # The service's rule, or the JSON/serializer check before it: a clear 400 either way.
        assert response.json()["code"] in {"invalid_prediction", "invalid", "malformed"}
    assert Attempt.objects.get(pk=state["id"]).status == Attempt.Status.OPEN
    saved = api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {"answers": [], "prediction": 12},
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert saved.status_code == 200


def test_another_participants_attempt_is_not_found_on_every_attempt_endpoint(api_client, setup):
    """Review included: a 403 there (404 elsewhere) told anyone which attempt ids exist."""
    contest, round_, _questions, units = setup
    owner = register(api_client, contest, units["school"])
    theirs = start(api_client, round_, owner)
    api_client.post(
        f"/api/attempts/{theirs['id']}/submit/", {}, format="json", **{TOKEN_HEADER: owner}
    )
    close_round(round_)
    other = register(api_client, contest, units["school"], name="Lê Văn Cường")
    for path in ("", "review/"):
        mine = api_client.get(f"/api/attempts/{theirs['id']}/{path}", **{TOKEN_HEADER: other})
        missing = api_client.get(f"/api/attempts/99999999/{path}", **{TOKEN_HEADER: other})
        assert mine.status_code == missing.status_code == 404, (path, mine.json())
        assert mine.json() == missing.json()
