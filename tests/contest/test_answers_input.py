"""The attempt fast path reads a plain autosave or hand-in body without DRF's fields
(contest.apis.attempts.answers_input): whatever it accepts, the API's serializer
(AnswersSerializer) accepts with the same validated data; whatever it leaves to the serializer
gets the serializer's own answer (accepted or refused, with its error). And the bodies the
pages send are read by it, not left to the serializer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest.apis.attempts import AnswersSerializer, answers_input
from tests.fast_readings import assert_agrees, serializer_reading

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_responses = st.one_of(
    st.fixed_dictionaries(
        {"choices": st.lists(st.one_of(st.text(max_size=12), st.integers()), max_size=5)}
    ),
    st.fixed_dictionaries({"text": st.text(max_size=50)}),
    st.fixed_dictionaries(
        {
            "number": st.one_of(
                st.integers(),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=10),
            )
        }
    ),
    _json,
)
_answers = st.fixed_dictionaries(
    {"question": st.one_of(st.integers(), st.text(max_size=25), st.none())},
    optional={"response": _responses, "extra": _json},
)
_bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "answers": st.one_of(st.lists(_answers, max_size=6), _json),
            "prediction": st.one_of(_scalars, _json),
            "other": _json,
        },
    ),
    _json,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies)
def test_whatever_the_fast_reading_accepts_the_serializer_accepts_alike(body):
    assert_agrees(answers_input(body), AnswersSerializer, body)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "question": st.integers(min_value=1, max_value=10**9),
                "response": st.one_of(
                    st.fixed_dictionaries(
                        {
                            "choices": st.lists(
                                st.from_regex(r"c[0-9a-f]{10}", fullmatch=True),
                                min_size=1,
                                max_size=4,
                            )
                        }
                    ),
                    st.fixed_dictionaries({"text": st.text(max_size=100)}),
                ),
            }
        ),
        max_size=10,
    ),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
)
def test_what_the_paper_page_sends_is_read_without_the_serializer(answers, prediction):
    body = {"answers": answers, "prediction": prediction}
    data = serializer_reading(AnswersSerializer, body)
    assert data is not None
    assert answers_input(body) == data
    assert answers_input({"answers": answers}) == {"answers": answers}


def test_a_refused_body_is_left_to_the_serializer_which_says_why():
    too_many = {"answers": [{"question": n, "response": {"text": "x"}} for n in range(1, 1000)]}
    for body in (
        too_many,
        {"answers": [{"question": 1, "response": {"text": "x"}, "hint": 1}]},
        {"answers": "all of them"},
        {"prediction": ["12"]},
        {"answers": None},
        [],
    ):
        assert answers_input(body) is None
        assert not AnswersSerializer(data=body).is_valid()
