"""Content limits: every text of a question has a size that fits a phone, enforced by the model,
the API, the importers and the editor's source of numbers (quizzes/limits.py); images are bounded
in bytes and in pixels."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from quizzes import limits
from quizzes.importers import questions_import
from quizzes.models import Choice, Question, Quiz
from quizzes.services.questions import question_validate_data
from tests.factories import make_question, make_theme
from tests.quizzes.bank_helpers import single_choice_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def theme():
    return make_theme("sdg")


def _with_text(text: str) -> dict:
    return single_choice_data(theme="", text={"vi": text, "en": ""})


def test_a_five_megabyte_question_text_is_refused_and_nothing_is_stored(api_client, teacher, theme):
    api_client.force_authenticate(teacher)
    huge = "A" * (5 * 1024 * 1024)

    response = api_client.post(
        "/api/questions/", single_choice_data(text={"vi": huge, "en": ""}), format="json"
    )

    assert response.status_code == 400
    assert len(response.content) < 10_000  # the reply does not echo the text back
    body = response.json()
    assert "1000" in json.dumps(body["details"])
    assert Question.objects.count() == 0


def test_the_api_names_the_limit_in_vietnamese(api_client, teacher, theme):
    api_client.force_authenticate(teacher)
    data = single_choice_data(explanation={"vi": "x" * (limits.EXPLANATION_MAX + 1), "en": ""})

    with translation.override("vi"):
        response = api_client.post(
            "/api/questions/", data, format="json", HTTP_ACCEPT_LANGUAGE="vi"
        )

    assert response.status_code == 400
    assert "4000" in json.dumps(response.json(), ensure_ascii=False)
    assert "Ensure" not in json.dumps(response.json())


@settings(max_examples=25, deadline=None)
@given(extra=st.integers(min_value=-3, max_value=3))
def test_question_text_is_valid_exactly_up_to_its_limit(extra):
    length = limits.QUESTION_TEXT_MAX + extra
    problems = question_validate_data(_with_text("x" * length))

    too_long = [p for p in problems if "longer than" in p]
    assert bool(too_long) == (length > limits.QUESTION_TEXT_MAX)


@settings(max_examples=25, deadline=None)
@given(
    field=st.sampled_from(["explanation", "choice", "feedback", "accepted"]),
    extra=st.integers(min_value=-2, max_value=2),
)
def test_each_text_field_has_its_own_limit(field, extra):
    limit = {
        "explanation": limits.EXPLANATION_MAX,
        "choice": limits.CHOICE_TEXT_MAX,
        "feedback": limits.FEEDBACK_MAX,
        "accepted": limits.ACCEPTED_ANSWER_MAX,
    }[field]
    text = "y" * (limit + extra)
    data = single_choice_data(theme="")
    if field == "explanation":
        data["explanation"] = {"vi": text, "en": ""}
    elif field == "choice":
        data["choices"][1]["text"] = {"vi": text, "en": ""}
    elif field == "feedback":
        data["choices"][1]["feedback"] = {"vi": "", "en": text}
    else:
        data = {"type": "text", "text": {"en": "Capital?"}, "answer": {"accepted": [text]}}

    problems = question_validate_data(data)

    assert bool(problems) == (limit + extra > limit), problems


def test_too_many_choices_and_tags_are_refused():
    many_choices = single_choice_data(
        theme="",
        choices=[{"text": {"en": f"c{i}"}, "weight": int(i == 0)} for i in range(21)],
    )
    many_tags = single_choice_data(theme="", tags=[f"t{i}" for i in range(21)])

    assert any("at most 20 choices" in p for p in question_validate_data(many_choices))
    assert any("at most 20 tags" in p for p in question_validate_data(many_tags))


def test_the_model_refuses_oversized_texts_on_full_clean(teacher):
    question = make_question(author=teacher, status="draft")
    question.text_en = "z" * (limits.QUESTION_TEXT_MAX + 1)
    choice = Choice(question=question, text_en="ok", feedback_en="f" * (limits.FEEDBACK_MAX + 1))
    quiz = Quiz(title="t" * (limits.TITLE_MAX + 1), description="d")

    with pytest.raises(ValidationError) as text_error:
        question.full_clean()
    with pytest.raises(ValidationError) as feedback_error:
        choice.full_clean(exclude=["question"])
    with pytest.raises(ValidationError) as title_error:
        quiz.full_clean(exclude=["author"])

    assert "text_en" in text_error.value.message_dict
    assert "feedback_en" in feedback_error.value.message_dict
    assert "title" in title_error.value.message_dict


def test_an_import_reports_the_oversized_question_by_line_and_keeps_the_rest(teacher):
    questions = [
        single_choice_data(theme="", uid="ok-1"),
        single_choice_data(theme="", uid="huge", text={"en": "w" * 20_000}),
        single_choice_data(theme="", uid="ok-2", text={"en": "Another question"}),
    ]
    content = json.dumps({"questions": questions}, indent=1).encode()

    report = questions_import(content=content, filename="bank.json", author=teacher)

    assert report.created == 2
    assert len(report.errors) == 1
    assert "longer than 1000 characters" in report.errors[0].message
    assert report.errors[0].line is not None or report.errors[0].name
    assert not Question.objects.filter(external_id="huge").exists()


def test_a_gift_import_reports_an_oversized_question(teacher):
    gift = "::ok:: Is water wet? {T}\n\n::big:: " + "v" * 1500 + " {T}\n"

    report = questions_import(content=gift.encode(), filename="bank.gift", author=teacher)

    assert report.created == 1
    assert [e.name for e in report.errors] == ["big"]


def _png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def test_an_image_with_too_many_pixels_is_refused_even_when_the_file_is_small(
    api_client, teacher, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    question = make_question(author=teacher, status="draft")
    api_client.force_authenticate(teacher)
    wide = _png((limits.IMAGE_MAX_SIDE + 1, 4))
    bomb = _png((4000, 4000))
    assert len(wide) < limits.IMAGE_MAX_BYTES
    assert len(bomb) < limits.IMAGE_MAX_BYTES

    refused = [
        api_client.post(
            f"/api/questions/{question.pk}/image/",
            {"image": SimpleUploadedFile("a.png", content, "image/png")},
            format="multipart",
        )
        for content in (wide, bomb)
    ]
    ok = api_client.post(
        f"/api/questions/{question.pk}/image/",
        {"image": SimpleUploadedFile("a.png", _png((800, 600)), "image/png")},
        format="multipart",
    )

    for response in refused:
        assert response.status_code == 400
        assert response.json()["code"] == "image_too_big"
        assert "pixels" in response.json()["message"]
    assert ok.status_code == 200
    question.refresh_from_db()
    assert question.image.name.endswith(".png")


def test_the_editor_page_carries_the_limits_as_maxlength(client, teacher):
    client.force_login(teacher)

    page = client.get("/bank/questions/new").content.decode()

    assert (
        f'id="text-vi" name="text-vi" rows="3" lang="vi" maxlength="{limits.QUESTION_TEXT_MAX}"'
        in page
    )
    assert f'maxlength="{limits.EXPLANATION_MAX}"' in page
    assert '"choice": 500' in page  # the choice limit the editor's script reads


def test_an_older_oversized_question_reaches_a_phone_clipped_and_stays_whole_in_the_bank(teacher):
    from realtime.selectors import play_question
    from tests.realtime.conftest import create_game

    long_text = "Câu hỏi rất dài " * 400  # 6,400 characters, stored before the limits
    question = make_question(author=teacher, text_vi=long_text, explanation_vi="g" * 9000)
    quiz = Quiz.objects.create(title="Cũ", author=teacher)
    quiz.items.create(question=question, position=0)
    game = create_game(teacher, quiz)

    shown = play_question(game=game, q=0)

    assert len(shown.payload["text"]["vi"]) == limits.QUESTION_TEXT_MAX
    assert shown.payload["text"]["vi"].endswith("…")
    assert len(shown.explanation["vi"]) == limits.EXPLANATION_MAX
    question.refresh_from_db()
    assert question.text_vi == long_text


def test_an_older_oversized_question_reaches_a_contest_paper_clipped(api_client):
    from quizzes.models import Question
    from tests.contest.helpers import make_contest, make_school, register, start_attempt

    contest, round_, questions = make_contest(n_questions=1)
    Question.objects.filter(pk=questions[0].pk).update(text_vi="x" * 5000, text_en="y" * 5000)
    token = register(api_client, contest, make_school("LM", "THCS Giới Hạn")["school"])

    paper = start_attempt(api_client, round_, token)

    assert [len(q["text"]) for q in paper["questions"]] == [limits.QUESTION_TEXT_MAX]
