"""Grading: how correct is one response to one question? Pure functions, no ORM, no I/O.

Live games and contests both grade with `grade(key, response)` and turn the fraction into
points with a scoring strategy (contest/scoring.py). A key is a plain dict built once per
question revision by `answer_key(question)` and kept server-side only.

Response shapes (the same on REST and WebSocket):
    single, truefalse, poll: {"choice": <choice id>}
    multi:                   {"choices": [<choice id>, ...]}
    order:                   {"order": [<choice id>, ...]}   (first to last)
    text:                    {"text": "..."}
    numeric:                 {"value": <number>}
    slide:                   no answer
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.text import normalize_answer

# The one home of which question types earn points (models, grading, contest papers and live
# scoring all ask here): polls and info slides are shown but never scored.
SCORED_TYPES = frozenset({"single", "multi", "truefalse", "text", "numeric", "order"})
UNSCORED_TYPES = frozenset({"poll", "slide"})


def is_scored_type(qtype: str) -> bool:
    """Whether answers to questions of this type earn points."""
    return str(qtype) in SCORED_TYPES


# Bounds on one response as sent, whatever its question (REST and WebSocket alike): checked by
# `response_within_bounds` before anything else reads it, so an oversized answer costs nothing.
MAX_TEXT_LENGTH = 500  # a text answer
# What a text answer cannot hold: a null character, or half of a UTF-16 pair (a lone surrogate,
# which JSON's \ud800 escapes can carry) that UTF-8 cannot encode.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_RESPONSE_ITEMS = 100  # choice ids in a multi or order answer
MAX_ID_LENGTH = 64  # one choice id (opaque or real), or a number written as text
_RESPONSE_KEYS = frozenset({"choice", "choices", "order", "text", "value"})


def finite_number(value: Any) -> bool:
    """A JSON number a float holds: not a flag, not NaN or infinite, and not a whole number too
    long for a float (JSON allows any length: each was a 500 where a number is read)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class InvalidResponse(ValueError):
    """The response does not have the shape its question type needs."""


def answer_key(question) -> dict[str, Any]:
    """The grading key of a question revision (server-side only: never sent before the reveal)."""
    qtype = str(question.type)
    key: dict[str, Any] = {"type": qtype}
    if qtype in {"single", "multi", "truefalse", "poll"}:
        key["weights"] = {str(c.id): float(c.weight) for c in question.choices.all()}
    elif qtype == "order":
        key["order"] = [str(c.id) for c in sorted(question.choices.all(), key=_position)]
    elif qtype in {"text", "numeric"}:
        key.update(question.answer or {})
    return key


def _position(choice) -> tuple[int, int]:
    return (choice.position, choice.id)


def _small_scalar(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_ID_LENGTH
    return value is None or isinstance(value, bool | int | float)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def response_well_formed(response: Any) -> bool:
    """Whether a response has a shape some question takes, whatever its size: nothing, or an
    object with only the known keys, text as text, lists of ids, single values elsewhere."""
    if response is None:
        return True
    if not isinstance(response, dict) or not set(response) <= _RESPONSE_KEYS:
        return False
    for name, value in response.items():
        if name == "text":
            ok = value is None or isinstance(value, str)
        elif name in ("choices", "order"):
            ok = isinstance(value, list) and all(_scalar(v) for v in value)
        else:
            ok = _scalar(value)
        if not ok:
            return False
    return True


def response_within_bounds(response: Any) -> bool:
    """Whether a well-formed response (response_well_formed: its callers ask that first) keeps
    its bounds: a text of at most MAX_TEXT_LENGTH characters, at most MAX_RESPONSE_ITEMS short
    ids."""
    for name, value in (response or {}).items():
        if name == "text":
            ok = value is None or len(value) <= MAX_TEXT_LENGTH
        elif name in ("choices", "order"):
            ok = len(value) <= MAX_RESPONSE_ITEMS and all(_small_scalar(v) for v in value)
        else:
            ok = _small_scalar(value)
        if not ok:
            return False
    return True


def validate_response(key: dict[str, Any], response: Any) -> dict[str, Any]:
    """Check a response's shape against its question's key; return it canonicalised."""
    qtype = key["type"]
    if qtype == "slide":
        raise InvalidResponse(_("An info slide takes no answer."))
    if not isinstance(response, dict):
        raise InvalidResponse(_("An answer must be an object."))
    if qtype in {"single", "truefalse", "poll"}:
        choice = str(response.get("choice", ""))
        if choice not in key["weights"]:
            raise InvalidResponse(_("Unknown choice."))
        return {"choice": choice}
    if qtype == "multi":
        choices = response.get("choices")
        if not isinstance(choices, list) or len(choices) > len(key["weights"]):
            raise InvalidResponse(_("Choices must be a list of choice ids."))
        picked = sorted({str(c) for c in choices})
        if any(c not in key["weights"] for c in picked):
            raise InvalidResponse(_("Unknown choice."))
        return {"choices": picked}
    if qtype == "order":
        order = response.get("order")
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(key["order"]):
            raise InvalidResponse(_("The order must list every item exactly once."))
        return {"order": [str(c) for c in order]}
    if qtype == "text":
        text = response.get("text")
        if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
            raise InvalidResponse(_("The answer must be a text of at most 500 characters."))
        bad = UNSTORABLE.search(text)
        if bad:  # PostgreSQL stores neither (each was a 500 and blocked the hand-in)
            raise InvalidResponse(
                _("The answer contains a character that cannot be stored: U+%(code)s.")
                % {"code": f"{ord(bad.group()):04X}"}
            )
        return {"text": text}
    if qtype == "numeric":
        value = response.get("value")
        if isinstance(value, str):
            try:
                value = float(value.replace(",", "."))
            except ValueError:
                raise InvalidResponse(_("The answer must be a number.")) from None
        if not finite_number(value):
            raise InvalidResponse(_("The answer must be a number."))
        return {"value": value}
    raise InvalidResponse(_("Unknown question type."))


def grade(key: dict[str, Any], response: dict[str, Any] | None) -> float | None:
    """Fraction of full credit in [0, 1]; None for unscored types (poll, slide).

    A missing response grades 0. Partial credit (multi, order) is returned as a fraction; a
    scoring strategy decides whether to keep it.
    """
    qtype = key["type"]
    if not is_scored_type(qtype):
        return None
    if not response:
        return 0.0
    if qtype in {"single", "truefalse"}:
        return _clamp(key["weights"].get(str(response.get("choice")), 0.0))
    if qtype == "multi":
        weights = _multi_weights(key["weights"])
        return _clamp(sum(weights.get(str(c), 0.0) for c in response.get("choices", [])))
    if qtype == "order":
        expected = key["order"]
        given = [str(c) for c in response.get("order", [])]
        if not expected:
            return 0.0
        right = sum(1 for a, b in zip(expected, given, strict=False) if a == b)
        return right / len(expected)
    if qtype == "text":
        return 1.0 if text_matches(key, str(response.get("text", ""))) else 0.0
    if qtype == "numeric":
        return 1.0 if numeric_matches(key, response.get("value")) else 0.0
    return 0.0


def _multi_weights(weights: dict[str, float]) -> dict[str, float]:
    """What each option of a multiple choice question earns when ticked: its weight; a wrong
    option left at 0 (the default) takes away 1 / (the number of right options), one right
    tick's share. Otherwise ticking every option earned full marks. An authored penalty stays."""
    right = sum(1 for w in weights.values() if w > 0)
    penalty = -1.0 / right if right else 0.0
    return {c: (w if w != 0 else penalty) for c, w in weights.items()}


def text_matches(key: dict[str, Any], text: str) -> bool:
    options = {
        "ignore_case": key.get("ignore_case", True),
        "ignore_diacritics": key.get("ignore_diacritics", False),
        "ignore_spaces": key.get("ignore_spaces", True),
    }
    given = normalize_answer(text, **options)
    return bool(given) and any(
        given == normalize_answer(accepted, **options) for accepted in key.get("accepted", [])
    )


def numeric_matches(key: dict[str, Any], value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    if not math.isfinite(number):
        return False
    if "min" in key or "max" in key:
        low = float(key.get("min", -math.inf))
        high = float(key.get("max", math.inf))
        return low <= number <= high
    target = float(key.get("value", 0))
    tolerance = abs(float(key.get("tolerance", 0) or 0))
    return abs(number - target) <= tolerance + 1e-9


def numeric_distance(key: dict[str, Any], value: Any) -> float:
    """How far a numeric answer is from the accepted value or range (0 inside it)."""
    number = float(value)
    if "min" in key or "max" in key:
        low = float(key.get("min", -math.inf))
        high = float(key.get("max", math.inf))
        return max(low - number, 0.0, number - high)
    target = float(key.get("value", 0))
    tolerance = abs(float(key.get("tolerance", 0) or 0))
    return max(abs(number - target) - tolerance, 0.0)


def correct_response(key: dict[str, Any]) -> dict[str, Any] | None:
    """What to show at the reveal: the correct choice ids, order, accepted texts or value."""
    qtype = key["type"]
    if qtype in {"single", "truefalse"}:
        return {"choices": [c for c, w in key["weights"].items() if w >= 1.0]}
    if qtype == "multi":
        return {"choices": [c for c, w in key["weights"].items() if w > 0]}
    if qtype == "order":
        return {"order": list(key["order"])}
    if qtype == "text":
        return {"accepted": list(key.get("accepted", []))}
    if qtype == "numeric":
        return {k: key[k] for k in ("value", "tolerance", "min", "max") if k in key}
    return None


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, float(value)))
