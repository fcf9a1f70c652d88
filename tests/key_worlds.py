"""Two worlds of the same quiz for non-interference tests (contest papers and live games): the
same texts for all eight question types, differing only in which option is right (or which text
or number is accepted) and in the authored order of the options (authors put the right option
first; an ordering question's authored order is its key)."""

from __future__ import annotations

QTEXT = {
    "single": "Thủ đô của Pháp là thành phố nào?",
    "multi": "Chọn các số lẻ.",
    "truefalse": "Trái Đất quay quanh Mặt Trời.",
    "order": "Xếp các bạn theo chiều cao, thấp nhất trước.",
    "poll": "Bạn thích màu nào?",
    "text": "Con sông nào chảy qua sáu nước?",
    "numeric": "Có bao nhiêu tỉnh thành?",
    "slide": "Đọc kỹ trước khi làm bài.",
}


def world_questions(world: str) -> list[tuple[str, list[tuple[str, float]] | None, dict | None]]:
    """(type, options in authored order with weights, answer) per question, for world a or b."""
    a = world == "a"
    return [
        (
            "single",
            [("Paris", 1.0), ("Hà Nội", 0.0), ("London", 0.0), ("Tokyo", 0.0)]
            if a
            else [("London", 1.0), ("Tokyo", 0.0), ("Paris", 0.0), ("Hà Nội", 0.0)],
            None,
        ),
        (
            "multi",
            [("Một", 0.5), ("Ba", 0.5), ("Hai", 0.0), ("Bốn", 0.0)]
            if a
            else [("Hai", 0.5), ("Bốn", 0.5), ("Một", 0.0), ("Ba", 0.0)],
            None,
        ),
        ("truefalse", [("Đúng", 1.0), ("Sai", 0.0)] if a else [("Sai", 1.0), ("Đúng", 0.0)], None),
        (
            "order",
            [
                (t, 0.0)
                for t in (("An", "Bình", "Chi", "Dũng") if a else ("Chi", "An", "Dũng", "Bình"))
            ],
            None,
        ),
        (
            "poll",
            [(t, 0.0) for t in (("Xanh", "Đỏ", "Vàng") if a else ("Vàng", "Xanh", "Đỏ"))],
            None,
        ),
        ("text", None, {"accepted": ["Mekong"] if a else ["Hồng"], "ignore_case": True}),
        ("numeric", None, {"value": 63 if a else 64, "tolerance": 0}),
        ("slide", None, None),
    ]


# Right in world a, wrong in world b (by option text): the replies must not differ.
RIGHT_IN_A = {
    "single": {"choice": "Paris"},
    "multi": {"choices": ["Một", "Ba"]},
    "truefalse": {"choice": "Đúng"},  # the true/false item is worth 0 (make_world_quiz)
    "order": {"order": ["An", "Bình", "Chi", "Dũng"]},
    "poll": {"choice": "Xanh"},
    "text": {"text": "Mekong"},
    "numeric": {"value": 63},
}
# The same score in both worlds (multi: one of the two right options in each), handed in.
SAME_SCORE = {
    "single": {"choice": "Tokyo"},
    "multi": {"choices": ["Một", "Hai"]},
    "order": {"order": ["Dũng", "Chi", "Bình", "An"]},
    "text": {"text": "Danube"},
    "numeric": {"value": 1000},
}


def make_world_quiz(world: str, **quiz_fields):
    """A fixed quiz of the eight questions of world a or b (the true/false item is worth 0, so
    that answers graded differently in the two worlds can still give the same score)."""
    from quizzes.models import Quiz, QuizItem
    from tests.factories import make_question

    quiz = Quiz.objects.create(title="Đề thi", mode="fixed", **quiz_fields)
    questions = []
    for position, (qtype, options, answer) in enumerate(world_questions(world)):
        question = make_question(
            type=qtype, text_vi=QTEXT[qtype], text_en=QTEXT[qtype], choices=options, answer=answer
        )
        QuizItem.objects.create(
            quiz=quiz,
            question=question,
            position=position,
            points=0 if qtype == "truefalse" else None,
        )
        questions.append(question)
    return quiz, questions
