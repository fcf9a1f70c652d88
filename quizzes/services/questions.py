"""Writing questions from the canonical dict: the one place that validates and creates them.

The canonical dict is one question of our JSON format (see docs/import-formats.md):

    {"uid", "type", "theme", "text": {"vi", "en"}, "explanation": {"vi", "en"}, "source",
     "difficulty", "tags", "time_limit", "points",
     "choices": [{"text": {"vi", "en"}, "weight", "feedback": {"vi", "en"}}],
     "answer": {...}, "status"?, "visibility"?}

Importers, the REST API and the editor all call `question_validate_data` / `question_create`,
and exporters read with `question_to_data`, so the rules live here once.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from quizzes.grading import UNSTORABLE, finite_number
from quizzes.limits import (
    ACCEPTED_ANSWER_MAX,
    ACCEPTED_ANSWERS_MAX,
    CHOICE_TEXT_MAX,
    CHOICES_MAX,
    EXPLANATION_MAX,
    EXTERNAL_ID_MAX,
    FEEDBACK_MAX,
    QUESTION_TEXT_MAX,
    SOURCE_MAX,
    TAG_MAX,
    TAGS_MAX,
)
from quizzes.models import CHOICE_TYPES, Choice, Question, QuestionType, Tag, Theme

LANGUAGES = ("vi", "en")
# Weights are compared with a little slack: files write 33.33333% for a third.
WEIGHT_EPSILON = 0.001
TEXT_OPTIONS = ("ignore_case", "ignore_diacritics", "ignore_spaces")
DEFAULTS: dict[str, Any] = {"difficulty": 2, "time_limit": 20, "points": 1}

INVALID_QUESTION = "invalid_question"


def _bilingual(value: Any) -> dict[str, str]:
    """{"vi", "en"} from a dict (missing languages empty) or a plain string (taken as both)."""
    if isinstance(value, dict):
        return {lang: str(value.get(lang) or "").strip() for lang in LANGUAGES}
    if value is None:
        return {"vi": "", "en": ""}
    text = str(value).strip()
    return {"vi": text, "en": text}


def _longest(texts: dict[str, str]) -> int:
    return max(len(texts["vi"]), len(texts["en"]))


def _is_number(value: Any) -> bool:
    return finite_number(value)


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def question_validate_data(data: dict) -> list[str]:
    """Translated problems with a canonical question dict; an empty list means it is valid."""
    if not isinstance(data, dict):
        return [_("A question must be an object.")]
    problems: list[str] = []
    qtype = data.get("type")
    if qtype not in QuestionType.values:
        problems.append(
            _("Unknown question type “%(type)s”: use one of %(types)s.")
            % {"type": qtype, "types": ", ".join(QuestionType.values)}
        )
        return problems

    if data.get("text") is not None and not isinstance(data.get("text"), dict | str):
        problems.append(_("The text must be an object with “vi” and “en”."))
    text = _bilingual(data.get("text"))
    if not (text["vi"] or text["en"]):
        problems.append(_("A question needs its text in Vietnamese or English."))
    if _longest(text) > QUESTION_TEXT_MAX:
        problems.append(
            _("The question text is longer than %(max)s characters (%(n)s).")
            % {"max": QUESTION_TEXT_MAX, "n": _longest(text)}
        )
    explanation = _bilingual(data.get("explanation"))
    if _longest(explanation) > EXPLANATION_MAX:
        problems.append(
            _("The explanation is longer than %(max)s characters (%(n)s).")
            % {"max": EXPLANATION_MAX, "n": _longest(explanation)}
        )

    uid = data.get("uid")
    if uid is not None and (not isinstance(uid, str) or len(uid) > EXTERNAL_ID_MAX):
        problems.append(
            _("The uid must be a text of at most %(max)s characters.") % {"max": EXTERNAL_ID_MAX}
        )
    theme = data.get("theme")
    if theme and not (isinstance(theme, str) and Theme.objects.filter(slug=theme).exists()):
        problems.append(_("Unknown theme “%(theme)s”.") % {"theme": theme})
    source = data.get("source") or ""
    if not isinstance(source, str) or len(source) > SOURCE_MAX:
        problems.append(
            _("The source must be a text of at most %(max)s characters.") % {"max": SOURCE_MAX}
        )

    difficulty = data.get("difficulty", DEFAULTS["difficulty"])
    if not _int_in(difficulty, 1, 5):
        problems.append(_("The difficulty must be a whole number from 1 to 5."))
    time_limit = data.get("time_limit", DEFAULTS["time_limit"])
    if not _int_in(time_limit, 5, 240):
        problems.append(_("The time limit must be a whole number of seconds from 5 to 240."))
    points = data.get("points", DEFAULTS["points"])
    if not _int_in(points, 0, 2):
        problems.append(_("The points weight must be 0, 1 or 2."))

    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(
        isinstance(t, str) and 0 < len(t.strip()) <= TAG_MAX for t in tags
    ):
        problems.append(
            _("Tags must be a list of texts of at most %(max)s characters.") % {"max": TAG_MAX}
        )
    elif len(tags) > TAGS_MAX:
        problems.append(_("A question has at most %(max)s tags.") % {"max": TAGS_MAX})
    status = data.get("status")
    if status is not None and status not in Question.Status.values:
        problems.append(_("Unknown status “%(status)s”.") % {"status": status})
    visibility = data.get("visibility")
    if visibility is not None and visibility not in Question.Visibility.values:
        problems.append(_("Unknown visibility “%(visibility)s”.") % {"visibility": visibility})

    if qtype in CHOICE_TYPES:
        problems.extend(_choice_problems(qtype, data.get("choices")))
    elif data.get("choices"):
        problems.append(_("This question type takes no choices."))
    if qtype == QuestionType.TEXT:
        problems.extend(_text_answer_problems(data.get("answer")))
    elif qtype == QuestionType.NUMERIC:
        problems.extend(_numeric_answer_problems(data.get("answer")))
    return problems


def _choice_problems(qtype: str, choices: Any) -> list[str]:
    if not isinstance(choices, list) or len(choices) < 2:
        return [_("This question type needs at least two choices.")]
    if len(choices) > CHOICES_MAX:
        return [_("A question has at most %(max)s choices.") % {"max": CHOICES_MAX}]
    problems: list[str] = []
    weights: list[float] = []
    for number, choice in enumerate(choices, start=1):
        if not isinstance(choice, dict):
            problems.append(_("Choice %(n)s must be an object.") % {"n": number})
            continue
        text = _bilingual(choice.get("text"))
        if not (text["vi"] or text["en"]):
            problems.append(_("Choice %(n)s has no text.") % {"n": number})
        elif max(len(text["vi"]), len(text["en"])) > CHOICE_TEXT_MAX:
            problems.append(
                _("Choice %(n)s is longer than %(max)s characters.")
                % {"n": number, "max": CHOICE_TEXT_MAX}
            )
        if _longest(_bilingual(choice.get("feedback"))) > FEEDBACK_MAX:
            problems.append(
                _("The feedback of choice %(n)s is longer than %(max)s characters.")
                % {"n": number, "max": FEEDBACK_MAX}
            )
        weight = choice.get("weight", 0.0)
        if not _is_number(weight) or not -1.0 <= weight <= 1.0:
            problems.append(
                _("Choice %(n)s has an invalid weight “%(weight)s”: use a number from -1 to 1.")
                % {"n": number, "weight": weight}
            )
        else:
            weights.append(float(weight))
    if problems:
        return problems
    best = max(weights)
    if qtype == QuestionType.TRUEFALSE:
        if len(choices) != 2:
            problems.append(_("A true-or-false question has exactly two choices."))
        if sorted(weights) != [0.0, 1.0]:
            problems.append(_("A true-or-false question has one right choice (weight 1)."))
    elif qtype == QuestionType.SINGLE:
        if abs(best - 1.0) > WEIGHT_EPSILON:
            problems.append(_("A single-choice question needs a right choice with weight 1."))
    elif qtype == QuestionType.MULTI:
        positive = sum(w for w in weights if w > 0)
        if abs(positive - 1.0) > WEIGHT_EPSILON * len(weights):
            problems.append(
                _(
                    "The positive weights of a multiple-choice question must add up to 1 "
                    "(100%%); they add up to %(sum)s."
                )
                % {"sum": round(positive, 4)}
            )
    elif qtype in (QuestionType.POLL, QuestionType.ORDER):
        if any(w != 0 for w in weights):
            problems.append(_("Polls and ordering questions have no weights (use 0)."))
    return problems


def _text_answer_problems(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return [_("A typed-answer question needs an answer with its accepted texts.")]
    accepted = answer.get("accepted")
    if (
        not isinstance(accepted, list)
        or not accepted
        or not all(isinstance(a, str) and a.strip() for a in accepted)
    ):
        return [_("A typed-answer question needs at least one accepted answer.")]
    if len(accepted) > ACCEPTED_ANSWERS_MAX:
        return [
            _("A typed-answer question has at most %(max)s accepted answers.")
            % {"max": ACCEPTED_ANSWERS_MAX}
        ]
    if any(UNSTORABLE.search(a) for a in accepted):
        # A NUL or a lone surrogate: the database refuses them (a tester's correction got a 500).
        return [_("An accepted answer has a character that cannot be stored.")]
    if any(len(a) > ACCEPTED_ANSWER_MAX for a in accepted):
        return [
            _("An accepted answer is longer than %(max)s characters.")
            % {"max": ACCEPTED_ANSWER_MAX}
        ]
    if any(not isinstance(answer.get(k, True), bool) for k in TEXT_OPTIONS):
        return [
            _(
                "The answer options ignore_case, ignore_diacritics and ignore_spaces are true or false."
            )
        ]
    return []


def _numeric_answer_problems(answer: Any) -> list[str]:
    if not isinstance(answer, dict):
        return [_("A numeric question needs an answer: a value and tolerance, or a range.")]
    if "min" in answer or "max" in answer:
        low, high = answer.get("min"), answer.get("max")
        if not (_is_number(low) and _is_number(high)):
            return [_("A numeric range needs a minimum and a maximum number.")]
        if low > high:
            return [_("The minimum of a numeric range is above its maximum.")]
        return []
    value, tolerance = answer.get("value"), answer.get("tolerance", 0)
    if not _is_number(value):
        return [_("A numeric question needs an answer: a value and tolerance, or a range.")]
    if not _is_number(tolerance) or tolerance < 0:
        return [_("The tolerance must be a number of at least 0.")]
    return []


def answer_problems(qtype: str, answer: Any) -> list[str]:
    """What is wrong with a typed-answer or numeric question's answer key (the authoring rule,
    which a round's key correction follows too); [] for other types."""
    if qtype == QuestionType.TEXT:
        return _text_answer_problems(answer)
    if qtype == QuestionType.NUMERIC:
        return _numeric_answer_problems(answer)
    return []


def answer_normalized(qtype: str, answer: dict) -> dict:
    """A valid answer key as it is stored (accepted texts trimmed, the text options set)."""
    return _answer_for(qtype, answer)


def _answer_for(qtype: str, answer: Any) -> dict:
    if qtype == QuestionType.TEXT:
        result = dict(answer)
        result["accepted"] = [a.strip() for a in answer["accepted"]]
        for option, default in (
            ("ignore_case", True),
            ("ignore_diacritics", False),
            ("ignore_spaces", True),
        ):
            result[option] = bool(answer.get(option, default))
        return result
    if qtype == QuestionType.NUMERIC:
        return dict(answer)
    return {}


@transaction.atomic
def question_create(
    *,
    data: dict,
    author=None,
    status: str = "draft",
    family=None,
    revision: int = 1,
) -> Question:
    """Create one question revision (with its choices and tags) from a canonical dict.

    `status` applies unless the dict carries its own; `family`/`revision` let the caller write a
    new revision of an existing question. Raises ApplicationError("invalid_question") when invalid.
    """
    problems = question_validate_data(data)
    if problems:
        raise ApplicationError(INVALID_QUESTION, _("This question is not valid."), details=problems)
    qtype = data["type"]
    text = _bilingual(data.get("text"))
    explanation = _bilingual(data.get("explanation"))
    theme = Theme.objects.filter(slug=data["theme"]).first() if data.get("theme") else None
    fields: dict[str, Any] = {
        "external_id": data.get("uid") or "",
        "type": qtype,
        "theme": theme,
        "text_vi": text["vi"],
        "text_en": text["en"],
        "explanation_vi": explanation["vi"],
        "explanation_en": explanation["en"],
        "source": (data.get("source") or "").strip(),
        "difficulty": data.get("difficulty", DEFAULTS["difficulty"]),
        "time_limit": data.get("time_limit", DEFAULTS["time_limit"]),
        "points": data.get("points", DEFAULTS["points"]),
        "answer": _answer_for(qtype, data.get("answer")),
        "status": data.get("status") or status,
        "author": author,
        "revision": revision,
    }
    if data.get("visibility"):
        fields["visibility"] = data["visibility"]
    if family is not None:
        fields["family"] = family
    school = getattr(getattr(author, "profile", None), "school", None) if author else None
    if school is not None:
        fields["school"] = school
    question = Question.objects.create(**fields)

    if qtype in CHOICE_TYPES:
        Choice.objects.bulk_create(
            [
                Choice(
                    question=question,
                    position=position,
                    text_vi=_bilingual(choice.get("text"))["vi"],
                    text_en=_bilingual(choice.get("text"))["en"],
                    weight=float(choice.get("weight", 0.0)),
                    feedback_vi=_bilingual(choice.get("feedback"))["vi"],
                    feedback_en=_bilingual(choice.get("feedback"))["en"],
                )
                for position, choice in enumerate(data["choices"])
            ]
        )
    tag_names = list(dict.fromkeys(t.strip() for t in data.get("tags") or []))
    if tag_names:
        question.tags.add(*[Tag.objects.get_or_create(name=name)[0] for name in tag_names])
        # Question.save reads the tags once the row exists: this refreshes search_text.
        question.save(update_fields=["search_text", "updated_at"])
    return question


def question_normalize_data(data: dict) -> dict:
    """A valid canonical dict in the exact shape `question_to_data` returns (defaults filled in,
    languages complete, tags sorted): lets importers tell an unchanged question from a new one."""
    qtype = data["type"]
    result: dict[str, Any] = {
        "uid": data.get("uid") or "",
        "type": qtype,
        "theme": data.get("theme") or "",
        "text": _bilingual(data.get("text")),
        "explanation": _bilingual(data.get("explanation")),
        "source": (data.get("source") or "").strip(),
        "difficulty": data.get("difficulty", DEFAULTS["difficulty"]),
        "tags": sorted(dict.fromkeys(t.strip() for t in data.get("tags") or [])),
        "time_limit": data.get("time_limit", DEFAULTS["time_limit"]),
        "points": data.get("points", DEFAULTS["points"]),
    }
    if qtype in CHOICE_TYPES:
        result["choices"] = []
        for choice in data["choices"]:
            item: dict[str, Any] = {
                "text": _bilingual(choice.get("text")),
                "weight": float(choice.get("weight", 0.0)),
            }
            feedback = _bilingual(choice.get("feedback"))
            if feedback["vi"] or feedback["en"]:
                item["feedback"] = feedback
            result["choices"].append(item)
    if qtype in (QuestionType.TEXT, QuestionType.NUMERIC):
        result["answer"] = _answer_for(qtype, data.get("answer"))
    return result


def question_to_data(question: Question) -> dict:
    """The canonical dict of one question revision (what our JSON export writes)."""
    data: dict[str, Any] = {
        "uid": question.external_id or f"cq-{question.family}",
        "type": str(question.type),
        "theme": question.theme.slug if question.theme_id else "",
        "text": {"vi": question.text_vi, "en": question.text_en},
        "explanation": {"vi": question.explanation_vi, "en": question.explanation_en},
        "source": question.source,
        "difficulty": question.difficulty,
        "tags": sorted(tag.name for tag in question.tags.all()),
        "time_limit": question.time_limit,
        "points": question.points,
    }
    if question.type in CHOICE_TYPES:
        data["choices"] = []
        for choice in question.choices.all():
            item: dict[str, Any] = {
                "text": {"vi": choice.text_vi, "en": choice.text_en},
                "weight": float(choice.weight),
            }
            if choice.feedback_vi or choice.feedback_en:
                item["feedback"] = {"vi": choice.feedback_vi, "en": choice.feedback_en}
            data["choices"].append(item)
    if question.type in (QuestionType.TEXT, QuestionType.NUMERIC):
        data["answer"] = dict(question.answer or {})
    data["status"] = question.status
    data["visibility"] = question.visibility
    return data
