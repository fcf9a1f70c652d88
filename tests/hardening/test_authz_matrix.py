"""Authorization matrix: every guarded REST operation tried as each role, compared with the
expected table (ok = 2xx; no = 401/403/404 with no data). IDOR probes: another teacher's game,
results, quiz and question; another participant's attempt; another contest's organiser (staff of
contest B only) on contest A; the live-round link (tying a game, recording results again);
hosting a school quiz of another school and a running contest's quiz. Each role gets a fresh
world, so writes (PATCH, DELETE) do not leak from one role's row into the next."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from contest.models import Participant, Round
from realtime.models import Game
from realtime.services import game_contest_results_record, game_create
from tests.contest.conftest import clear_boards
from tests.contest.helpers import make_contest, make_school, register
from tests.factories import make_question, make_user
from tests.realtime.conftest import create_game, join, make_quiz

pytestmark = pytest.mark.django_db

ROLES = [
    "anon",
    "player_a",
    "player_b",
    "screen",
    "owner",
    "other_teacher",
    "organiser",
    "other_organiser",
    "admin",
]
TOKEN_HEADER = "HTTP_X_PARTICIPANT_TOKEN"

# operation -> roles for which it succeeds (every other role must be refused).
EXPECTED: dict[str, set[str]] = {
    "list my games": {"owner", "other_teacher", "organiser", "other_organiser", "admin"},
    "create a game from the owner's private quiz": {
        "owner",
        "organiser",
        "other_organiser",
        "admin",
    },
    # Bank visibility: a "school" quiz is for its author's school (and the bank's admins).
    "host a school quiz of the owner's school": {
        "owner",
        "organiser",
        "other_organiser",
        "admin",
    },
    # A public quiz used by a round still open: only who may see its key (its author, the bank's
    # admins, the contest's staff) may host it; hosting reveals every answer.
    "host the public quiz of a contest round still open": {
        "organiser",
        "other_organiser",
        "admin",
    },
    "tie a game to the contest's live round": {"organiser", "admin"},
    "record the live round's results again (overwrite)": {"organiser", "admin"},
    "read the owner's game": {"owner"},
    "turn on the join challenge of the owner's game": {"owner"},
    "read the join code of the owner's game": {"owner", "screen"},
    "read the owner's game results": {"owner"},
    "download the owner's results csv": {"owner"},
    "download the owner's results xlsx": {"owner"},
    "read the owner's draft question": {"owner", "organiser", "other_organiser", "admin"},
    "edit the owner's draft question": {"owner", "organiser", "other_organiser", "admin"},
    "delete the owner's draft question": {"owner", "organiser", "other_organiser", "admin"},
    "list revisions of the owner's question": {"owner", "organiser", "other_organiser", "admin"},
    "read the owner's private quiz": {"owner", "organiser", "other_organiser", "admin"},
    "edit the owner's private quiz": {"owner", "organiser", "other_organiser", "admin"},
    "list questions": {"owner", "other_teacher", "organiser", "other_organiser", "admin"},
    "export questions": {"owner", "other_teacher", "organiser", "other_organiser", "admin"},
    "create a theme": {"organiser", "other_organiser", "admin"},
    "read participant A's attempt": {"player_a"},
    "autosave into participant A's attempt": {"player_a"},
    "submit participant A's attempt": {"player_a"},
    "create a contest": {"organiser", "other_organiser", "admin"},
    # Contest-scoped: the contest's own staff (organiser) and the admin; never the staff of
    # another contest (other_organiser).
    "edit the contest": {"organiser", "admin"},
    "create a round in the contest": {"organiser", "admin"},
    "edit the contest's round": {"organiser", "admin"},
    "read round results with personal data before the close": {"organiser", "admin"},
    "read the contest audit log": {"organiser", "admin"},
    # Counts per unit, no personal data: public like the unit board (the ceremony screen shows it).
    "read round participation": set(ROLES),
    "export round results": {"organiser", "admin"},
    "void a question of the round": {"organiser", "admin"},
    "list the contest staff": {"organiser", "admin"},
    "add a member to the contest staff": {"organiser", "admin"},
}


def build_world():
    clear_boards()
    units = make_school("S1", "School one")
    elsewhere = make_school("S2", "School two")
    owner = make_user("owner", roles=["teacher"], unit=units["school"])
    other = make_user("other", roles=["teacher"], unit=elsewhere["school"])
    colleague = make_user("colleague", roles=["teacher"], unit=units["class"])
    organiser = make_user("org", roles=["organiser"])
    other_organiser = make_user("org_b", roles=["organiser"])
    admin = make_user("root", roles=[])
    admin.is_superuser = admin.is_staff = True
    admin.save()
    quiz = make_quiz(owner, ["single"])
    quiz.visibility = "private"
    quiz.save()
    school_quiz = make_quiz(colleague, ["single"], title="School quiz")
    school_quiz.visibility = "school"
    school_quiz.save()
    public_quiz = make_quiz(owner, ["single"], title="Public quiz")
    public_quiz.visibility = "public"
    public_quiz.save()
    question = make_question(author=owner, status="draft", text_en="Owner draft secret question")
    game = create_game(owner, quiz)
    join(game, "Lan")
    contest, round_, contest_questions = make_contest()
    contest.staff.add(organiser)
    round_.quiz.visibility = "public"
    round_.quiz.save()
    contest_b, _round_b, _ = make_contest(slug="contest-b")
    contest_b.staff.add(other_organiser)
    live = Round.objects.create(
        contest=contest,
        title_vi="Chung kết",
        kind="live",
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
    )
    # A live round whose game has ended and recorded its results.
    final = Round.objects.create(
        contest=contest,
        title_vi="Chung kết 2",
        kind="live",
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
    )
    tied = game_create(host=organiser, quiz_id=public_quiz.id, contest_round_id=final.pk)
    join(tied, "Minh")
    Game.objects.filter(pk=tied.pk).update(status=Game.Status.ENDED)
    game_contest_results_record(game_id=tied.pk, actor=organiser, overwrite=False)
    anon = APIClient()
    token_a = register(anon, contest, units["school"], name="Nguyễn Văn An")
    token_b = register(anon, contest, units["school"], name="Trần Thị Bình")
    started = APIClient().post(
        f"/api/rounds/{round_.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: token_a}
    )
    assert started.status_code == 201, started.content
    return {
        "users": {
            "owner": owner,
            "other_teacher": other,
            "organiser": organiser,
            "other_organiser": other_organiser,
            "admin": admin,
        },
        "school_quiz": school_quiz,
        "public_quiz": public_quiz,
        "live_round": live,
        "tied_game": tied,
        "tokens": {"player_a": token_a, "player_b": token_b},
        "quiz": quiz,
        "question": question,
        "game": game,
        "contest": contest,
        "round": round_,
        "attempt": started.json()["id"],
        # As participant A sends it: the attempt's opaque id of an option it was shown.
        "contest_answer": {
            "question": contest_questions[0].pk,
            "response": {
                "choice": next(
                    q["choices"][0]["id"]
                    for q in started.json()["questions"]
                    if q["id"] == contest_questions[0].pk
                )
            },
        },
    }


def client_for(role: str, world) -> tuple[APIClient, dict]:
    client, extra = APIClient(), {}
    if role in world["users"]:
        client.force_authenticate(world["users"][role])
    elif role in world["tokens"]:
        extra[TOKEN_HEADER] = world["tokens"][role]
    return client, extra


def operations(world) -> dict[str, tuple[str, str, dict | None]]:
    g, q, quiz = world["game"].id, world["question"].id, world["quiz"].id
    a, r, slug = world["attempt"], world["round"].pk, world["contest"].slug
    return {
        "list my games": ("get", "/api/games/", None),
        "create a game from the owner's private quiz": ("post", "/api/games/", {"quiz": quiz}),
        "read the owner's game": ("get", f"/api/games/{g}/", None),
        "turn on the join challenge of the owner's game": (
            "patch",
            f"/api/games/{g}/",
            {"join_challenge": True},
        ),
        "read the join code of the owner's game": ("get", f"/api/games/{g}/challenge", None),
        "read the owner's game results": ("get", f"/api/games/{g}/results/", None),
        "download the owner's results csv": ("get", f"/api/games/{g}/results.csv", None),
        "download the owner's results xlsx": ("get", f"/api/games/{g}/results.xlsx", None),
        "read the owner's draft question": ("get", f"/api/questions/{q}/", None),
        "edit the owner's draft question": ("patch", f"/api/questions/{q}/", {"text_en": "Hi?"}),
        "list revisions of the owner's question": ("get", f"/api/questions/{q}/revisions/", None),
        "read the owner's private quiz": ("get", f"/api/quizzes/{quiz}/", None),
        "edit the owner's private quiz": ("patch", f"/api/quizzes/{quiz}/", {"title": "Mine"}),
        "list questions": ("get", "/api/questions/", None),
        "export questions": ("get", "/api/questions/export/?format=json", None),
        "create a theme": ("post", "/api/themes/", {"slug": "x1", "name_vi": "X", "name_en": "X"}),
        "read participant A's attempt": ("get", f"/api/attempts/{a}/", None),
        "autosave into participant A's attempt": (
            "post",
            f"/api/attempts/{a}/answers/",
            {"answers": [world["contest_answer"]]},
        ),
        "submit participant A's attempt": ("post", f"/api/attempts/{a}/submit/", {}),
        "host a school quiz of the owner's school": (
            "post",
            "/api/games/",
            {"quiz": world["school_quiz"].id},
        ),
        "host the public quiz of a contest round still open": (
            "post",
            "/api/games/",
            {"quiz": world["round"].quiz_id},
        ),
        "tie a game to the contest's live round": (
            "post",
            "/api/games/",
            {"quiz": world["public_quiz"].id, "contest_round": world["live_round"].pk},
        ),
        "record the live round's results again (overwrite)": (
            "post",
            f"/api/games/{world['tied_game'].id}/contest-results/",
            {"overwrite": True},
        ),
        "create a contest": ("post", "/api/contests/", {"title_vi": "Cuộc thi mới"}),
        "edit the contest": ("patch", f"/api/contests/{slug}/", {"title_en": "Renamed"}),
        "create a round in the contest": (
            "post",
            f"/api/contests/{slug}/rounds/",
            {
                "title_vi": "Vòng 2",
                "opens_at": "2030-01-01T00:00:00Z",
                "closes_at": "2030-01-02T00:00:00Z",
            },
        ),
        "edit the contest's round": ("patch", f"/api/rounds/{r}/", {"title_vi": "Vòng một"}),
        "read round results with personal data before the close": (
            "get",
            f"/api/rounds/{r}/results/",
            None,
        ),
        "read the contest audit log": ("get", f"/api/contests/{slug}/audit/", None),
        "read round participation": ("get", f"/api/rounds/{r}/participation/", None),
        "export round results": ("get", f"/api/rounds/{r}/export.csv", None),
        "void a question of the round": (
            "post",
            f"/api/rounds/{r}/void/",
            {"question": world["contest_answer"]["question"], "reason": "typo"},
        ),
        "list the contest staff": ("get", f"/api/contests/{slug}/staff/", None),
        "add a member to the contest staff": (
            "post",
            f"/api/contests/{slug}/staff/",
            {"username": "colleague"},
        ),
        "delete the owner's draft question": ("delete", f"/api/questions/{q}/", None),  # last
    }


@pytest.mark.parametrize("role", ROLES)
def test_rest_operations_match_the_expected_authorization_table(role):
    world = build_world()
    client, extra = client_for(role, world)
    secrets = [
        "Owner draft secret question",
        "Secret quiz title",
        world["game"].pin,
        world["game"].screen_key,
        "Nguyễn Văn An",
    ]
    mismatches = []
    for name, (method, path, body) in operations(world).items():
        if role == "screen":  # the screen's only credential is its key: it must open nothing
            path += ("&" if "?" in path else "?") + f"key={world['game'].screen_key}"
        kwargs = {"format": "json"} if body is not None else {}
        response = getattr(client, method)(path, body, **kwargs, **extra)
        allowed = role in EXPECTED[name]
        ok = 200 <= response.status_code < 300
        if ok != allowed:
            mismatches.append((name, response.status_code, response.content[:200]))
        if not ok:
            if response.status_code not in {401, 403, 404, 405}:
                mismatches.append((name, "unexpected status", response.status_code))
            text = response.content.decode(errors="replace")
            leaked = [s for s in secrets if s in text]
            if leaked:
                mismatches.append((name, "leak in refusal", leaked))
    assert mismatches == []


def test_other_teachers_never_see_the_owners_game_question_or_quiz_in_lists():
    world = build_world()
    client, _ = client_for("other_teacher", world)
    games = client.get("/api/games/").json()
    assert world["game"].id not in [g["id"] for g in games]
    questions = json.dumps(client.get("/api/questions/?page_size=100").json())
    assert "Owner draft secret question" not in questions
    quizzes = json.dumps(client.get("/api/quizzes/").json())
    assert "Secret quiz title" not in quizzes
    exported = client.get("/api/questions/export/?format=json").content.decode()
    assert "Owner draft secret question" not in exported


def test_a_participant_token_only_opens_its_own_attempt():
    world = build_world()
    b = Participant.objects.exclude(attempts__id=world["attempt"]).get()
    assert b.full_name == "Trần Thị Bình"
    client = APIClient()
    own = client.get("/api/contests/lifelong/me/", **{TOKEN_HEADER: world["tokens"]["player_b"]})
    assert "Nguyễn Văn An" not in own.content.decode()
