"""Builders for contest tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from contest.models import Contest, Round
from quizzes.models import Quiz, QuizItem, Unit
from tests.factories import make_question

TOKEN_HEADER = "HTTP_X_PARTICIPANT_TOKEN"


def make_school(code: str, name: str, province: Unit | None = None) -> dict[str, Unit]:
    province = (
        province
        or Unit.objects.get_or_create(code="HN", defaults={"name": "Hà Nội", "level": "province"})[
            0
        ]
    )
    district = Unit.objects.get_or_create(
        code=f"HN-{code}",
        defaults={"name": f"Quận {code}", "level": "district", "parent": province},
    )[0]
    school = Unit.objects.create(code=f"HN-{code}-S", name=name, level="school", parent=district)
    klass = Unit.objects.create(code=f"HN-{code}-S-9A", name="9A", level="class", parent=school)
    return {"province": province, "district": district, "school": school, "class": klass}


def make_quiz(n: int = 3) -> tuple[Quiz, list]:
    quiz = Quiz.objects.create(title="Contest quiz", mode="fixed")
    questions = []
    for i in range(n):
        # Each quiz its own texts: the same text in two quizzes is a copy of one question
        # (contest.shared_keys), and would hold one round's scores back for the other's.
        q = make_question(
            text_en=f"Question {i + 1} of quiz {quiz.pk}?", text_vi=f"Câu {i + 1} của đề {quiz.pk}?"
        )
        QuizItem.objects.create(quiz=quiz, question=q, position=i)
        questions.append(q)
    return quiz, questions


def make_contest(
    *, slug: str = "lifelong", n_questions: int = 3, **round_fields
) -> tuple[Contest, Round, list]:
    contest = Contest.objects.create(slug=slug, title_vi="Cuộc thi", title_en="Contest")
    quiz, questions = make_quiz(n_questions)
    now = timezone.now()
    fields = dict(
        title_vi="Vòng 1",
        title_en="Round 1",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        time_limit_seconds=600,
        max_attempts=1,
        quiz=quiz,
        prediction_text_vi="Bao nhiêu người trả lời đúng tất cả?",
        prediction_text_en="How many participants will answer every question correctly?",
    )
    fields.update(round_fields)
    round_ = Round.objects.create(contest=contest, **fields)
    return contest, round_, questions


def start_attempt(client, round_, token) -> dict:
    response = client.post(
        f"/api/rounds/{round_.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: token}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def correct_choice(question) -> int:
    return next(c.pk for c in question.choices.all() if c.weight >= 1.0)


def wrong_choice(question) -> int:
    return next(c.pk for c in question.choices.all() if c.weight <= 0)


def register(client, contest, unit, name="Nguyễn Văn An", **extra) -> str:
    body = {
        "full_name": name,
        "unit": unit.pk,
        "consent": True,
        "date_of_birth": "2010-05-01",
        "email": f"{name.split()[-1].lower()}{unit.pk}@example.org",
    }
    body.update(extra)
    response = client.post(f"/api/contests/{contest.slug}/register/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["token"]


def registered(contest, unit, name: str = "Nguyễn Văn An", email: str = "an@example.org"):
    """A participant registered through the service (no HTTP), born 2010-05-01."""
    from datetime import date

    from contest import services

    return services.participant_register(
        contest=contest,
        full_name=name,
        unit_id=unit.pk,
        consent=True,
        date_of_birth=date(2010, 5, 1),
        email=email,
    )


def close_round(round_, *, finalize: bool = True) -> None:
    """Close the round 5 s ago. `finalize`: and its round_finalize job has run (what the job
    queue does at the close); False leaves it closing, as readers see it until the job is done."""
    # save(), as the organiser pages do: every server process hears of it (contest/apps.py).
    now = timezone.now()
    round_.refresh_from_db()
    round_.opens_at, round_.closes_at = now - timedelta(days=8), now - timedelta(seconds=5)
    round_.save(update_fields=["opens_at", "closes_at"])
    if finalize:
        from contest.services import round_finalize_if_due

        round_finalize_if_due(round_)


def paper_answers(state: dict, answers: list[dict]) -> list[dict]:
    """Answers written with real choice ids, as the participant sends them: each choice becomes
    the attempt's opaque id of the option that shows the same text (what a participant clicks)."""
    from quizzes.models import Choice

    out = []
    for answer in answers:
        shown = next(q for q in state["questions"] if q["id"] == answer["question"])
        by_text = {c["text"]: c["id"] for c in shown["choices"]}

        def opaque(choice_id, by_text=by_text):
            choice = Choice.objects.get(pk=choice_id)
            return by_text.get(choice.text_vi, by_text.get(choice.text_en))

        response = dict(answer["response"])
        if "choice" in response:
            response["choice"] = opaque(response["choice"])
        for name in ("choices", "order"):
            if name in response:
                response[name] = [opaque(c) for c in response[name]]
        out.append({**answer, "response": response})
    return out


def staff_of_every_contest(user) -> None:
    """Make `user` staff of every contest the test made (contests have their own staff)."""
    for contest in Contest.objects.all():
        contest.staff.add(user)


def public_views(contest, round_, participant) -> dict[str, tuple[str, dict]]:
    """Every public view of a round's standing and its contest's, as (path, headers): as the
    public, and as `participant` where a participant sees more (one list for every test that
    checks what the public sees)."""
    from django.urls import reverse

    from contest import services

    token = {TOKEN_HEADER: services.participant_token(participant)}
    r, slug = round_.pk, contest.slug
    return {
        "round board": (reverse("round-leaderboard", args=[r]), {}),
        "my rank": (reverse("round-my-rank", args=[r]), token),
        "around me": (reverse("round-around", args=[r]), token),
        "results API": (reverse("round-results", args=[r]), {}),
        "results API (participant)": (reverse("round-results", args=[r]), token),
        "round units": (reverse("round-unit-leaderboard", args=[r]) + "?level=school", {}),
        "participation": (reverse("round-participation", args=[r]), {}),
        "contest board": (reverse("contest-leaderboard", args=[slug]), {}),
        "contest board (participant)": (reverse("contest-leaderboard", args=[slug]), token),
        "contest units": (reverse("contest-unit-leaderboard", args=[slug]) + "?level=school", {}),
        "contest feed": (f"/api/feed/contest/{slug}?key={contest.overlay_key}", {}),
        "results page": (reverse("contest-results", args=[slug, r]), {}),
        "landing page": (reverse("contest-landing", args=[slug]), {}),
    }


def hand_in_right_answers(client, contest, round_, questions, unit) -> tuple[str, int]:
    """A participant registered from `unit` hands in the right answer to each of `questions`
    (choice questions) through the API: (their token, the attempt's id)."""
    token = register(client, contest, unit)
    state = start_attempt(client, round_, token)
    answers = paper_answers(
        state, [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions]
    )
    reply = client.post(
        f"/api/attempts/{state['id']}/submit/",
        {"answers": answers},
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert reply.status_code == 200
    return token, state["id"]
