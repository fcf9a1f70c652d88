"""Grading of responses: the same for live games and contests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizzes.grading import InvalidResponse, correct_response, grade, validate_response

SINGLE = {"type": "single", "weights": {"1": 1.0, "2": 0.0, "3": 0.0}}
MULTI = {"type": "multi", "weights": {"1": 0.5, "2": 0.5, "3": -0.5, "4": 0.0}}
TEXT = {
    "type": "text",
    "accepted": ["Hà Nội", "Hanoi"],
    "ignore_case": True,
    "ignore_diacritics": True,
    "ignore_spaces": True,
}


def test_single_choice_is_all_or_nothing():
    assert grade(SINGLE, {"choice": "1"}) == 1.0
    assert grade(SINGLE, {"choice": "2"}) == 0.0
    assert grade(SINGLE, None) == 0.0


def test_multiple_choice_gives_partial_credit_and_penalties():
    assert grade(MULTI, {"choices": ["1"]}) == 0.5
    assert grade(MULTI, {"choices": ["1", "2"]}) == 1.0
    assert grade(MULTI, {"choices": ["1", "2", "3"]}) == 0.5
    assert grade(MULTI, {"choices": ["3"]}) == 0.0


def test_typed_answer_ignores_case_diacritics_and_spaces_when_asked():
    assert grade(TEXT, {"text": "  ha noi "}) == 1.0
    assert grade(TEXT, {"text": "HANOI"}) == 1.0
    assert grade(TEXT, {"text": "Huế"}) == 0.0
    strict = {**TEXT, "ignore_diacritics": False}
    assert grade(strict, {"text": "Hà Nôi"}) == 0.0
    assert grade(strict, {"text": "hà nội"}) == 1.0


def test_numeric_exact_tolerance_and_range():
    assert grade({"type": "numeric", "value": 17, "tolerance": 0}, {"value": 17}) == 1.0
    assert grade({"type": "numeric", "value": 17, "tolerance": 0}, {"value": 18}) == 0.0
    assert grade({"type": "numeric", "value": 100, "tolerance": 5}, {"value": 104.5}) == 1.0
    assert grade({"type": "numeric", "min": 190, "max": 200}, {"value": 195}) == 1.0
    assert grade({"type": "numeric", "min": 190, "max": 200}, {"value": 201}) == 0.0


def test_polls_and_slides_are_not_scored():
    assert grade({"type": "poll", "weights": {"1": 0.0}}, {"choice": "1"}) is None
    assert grade({"type": "slide"}, None) is None


def test_validate_rejects_unknown_choices_and_wrong_shapes():
    with pytest.raises(InvalidResponse):
        validate_response(SINGLE, {"choice": "99"})
    with pytest.raises(InvalidResponse):
        validate_response(MULTI, {"choices": "1"})
    with pytest.raises(InvalidResponse):
        validate_response({"type": "numeric", "value": 1}, {"value": "abc"})
    with pytest.raises(InvalidResponse):
        validate_response({"type": "order", "order": ["1", "2"]}, {"order": ["1", "1"]})
    assert validate_response({"type": "numeric", "value": 1}, {"value": "1,5"}) == {"value": 1.5}


def test_correct_response_names_the_right_options():
    assert correct_response(SINGLE) == {"choices": ["1"]}
    assert correct_response(MULTI) == {"choices": ["1", "2"]}


@given(st.lists(st.sampled_from(["1", "2", "3", "4"]), unique=True))
def test_multi_grade_is_always_between_zero_and_one(picked):
    assert 0.0 <= grade(MULTI, {"choices": picked}) <= 1.0


@given(st.permutations(["a", "b", "c", "d"]))
def test_order_grade_is_one_only_for_the_exact_order(order):
    key = {"type": "order", "order": ["a", "b", "c", "d"]}
    score = grade(key, {"order": list(order)})
    assert 0.0 <= score <= 1.0
    assert (score == 1.0) == (list(order) == ["a", "b", "c", "d"])


@pytest.mark.parametrize(
    ("key", "response"),
    [
        ({"type": "slide"}, {}),
        ({"type": "single", "weights": {"1": 1.0}}, "1"),
        ({"type": "single", "weights": {"1": 1.0}}, {"choice": "9"}),
        ({"type": "multi", "weights": {"1": 1.0}}, {"choices": "1"}),
        ({"type": "order", "order": ["1", "2"]}, {"order": ["1"]}),
        ({"type": "text"}, {"text": 5}),
        ({"type": "numeric"}, {"value": "many"}),
        ({"type": "hologram"}, {}),
    ],
)
def test_why_an_answer_does_not_fit_reads_in_the_participants_language(key, response):
    """The reason an API gives with "This answer does not fit the question." (details.reason)."""
    from django.utils import translation

    with pytest.raises(InvalidResponse) as refused:
        validate_response(key, response)
    with translation.override("en"):
        english = str(refused.value)
    with translation.override("vi"):
        assert str(refused.value) != english


# Multiple choice keys as authors write them: right options share 1, wrong ones are left at 0
# (the default) or given a penalty.
multi_keys = st.tuples(
    st.integers(min_value=1, max_value=4), st.lists(st.sampled_from([0.0, -0.5, -1.0]), max_size=4)
).map(
    lambda shape: {
        "type": "multi",
        "weights": {
            **{f"r{n}": 1.0 / shape[0] for n in range(shape[0])},
            **{f"w{n}": w for n, w in enumerate(shape[1])},
        },
    }
)


@given(multi_keys, st.data())
def test_a_wrong_tick_never_helps_and_costs_whenever_there_is_credit_to_lose(key, data):
    """Ticking every option, a participant got full marks wherever the author left the wrong
    options at 0. Now each wrong tick costs; authored penalties stay as written."""
    options = sorted(key["weights"])
    picked = data.draw(st.lists(st.sampled_from(options), unique=True))
    wrong = [c for c in options if key["weights"][c] <= 0 and c not in picked]
    before = grade(key, {"choices": picked})
    for extra in wrong:
        after = grade(key, {"choices": [*picked, extra]})
        assert after <= before
        if before > 0:
            assert after < before


@given(multi_keys)
def test_ticking_every_option_earns_full_marks_only_when_every_option_is_right(key):
    right = [c for c, w in key["weights"].items() if w > 0]
    assert grade(key, {"choices": right}) == pytest.approx(1.0)
    everything = grade(key, {"choices": list(key["weights"])})
    if len(right) < len(key["weights"]):
        assert everything < 1.0


@given(st.integers())
def test_a_whole_number_of_any_length_is_a_number_or_refused_never_an_error(value):
    """JSON allows a whole number of any length: one too long for a float is refused as not a
    number (it was a 500), every other one is taken as it came."""
    from quizzes.grading import finite_number

    key = {"type": "numeric", "value": 1}
    if finite_number(value):
        assert validate_response(key, {"value": value}) == {"value": value}
    else:
        assert abs(value) > 10**308
        with pytest.raises(InvalidResponse):
            validate_response(key, {"value": value})
    assert grade({"type": "numeric", "value": 1, "tolerance": 0}, {"value": value}) in (0.0, 1.0)


def test_a_whole_number_too_long_for_a_float_is_not_a_number():
    with pytest.raises(InvalidResponse):
        validate_response({"type": "numeric", "value": 1}, {"value": 10**400})
    assert grade({"type": "numeric", "value": 1, "tolerance": 0}, {"value": -(10**400)}) == 0.0


def test_a_key_with_a_number_too_long_for_a_float_is_refused_with_a_reason():
    """Authoring a numeric key of 10**400 (JSON allows it) was a 500; now it is refused as any
    key that is not a number."""
    from quizzes.services.questions import answer_problems

    assert answer_problems("numeric", {"value": 10**400, "tolerance": 0})
    assert answer_problems("numeric", {"min": -(10**400), "max": 5})
    assert answer_problems("numeric", {"value": 42, "tolerance": 10**400})
    assert answer_problems("numeric", {"value": 42, "tolerance": 0.5}) == []
