"""A join body is read without DRF's fields when it is plain (realtime.join.join_input): whatever
that reading accepts, the API's serializer (JoinInput) accepts with the same validated data; what
it leaves to the serializer gets the serializer's own answer. And the body a phone sends (play.js:
a PIN, a nickname, a team, a screen's code, a venue) is read without the serializer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime.join import JoinInput, join_input
from tests.fast_readings import assert_agrees, serializer_reading

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=15),
    st.text(alphabet="0123456789 ", max_size=14),
    st.text(min_size=195, max_size=205),
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "pin": st.one_of(st.from_regex(r"[0-9]{1,14}", fullmatch=True), _scalars),
            "nickname": st.one_of(st.text(min_size=0, max_size=30), _scalars),
            "team": _scalars,
            "challenge": st.one_of(st.from_regex(r"[A-Za-z0-9 ]{0,14}", fullmatch=True), _scalars),
            "venue": _scalars,
            "other": _json,
        },
    ),
    _json,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies)
def test_whatever_the_plain_reading_accepts_the_serializer_accepts_alike(body):
    assert_agrees(join_input(body), JoinInput, body)


@settings(max_examples=200, deadline=None)
@given(
    st.from_regex(r"[0-9]{4,9}", fullmatch=True),
    st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t),
    st.fixed_dictionaries(
        {},
        optional={
            "team": st.one_of(st.none(), st.integers(min_value=1, max_value=8)),
            "challenge": st.one_of(
                st.none(), st.just(""), st.from_regex(r"[A-Z0-9]{6}", fullmatch=True)
            ),
            "venue": st.one_of(st.none(), st.integers(min_value=1, max_value=10**9)),
        },
    ),
)
def test_what_the_phone_sends_is_read_without_the_serializer(pin, nickname, extra):
    body = {"pin": pin, "nickname": nickname, **extra}
    data = serializer_reading(JoinInput, body)
    assert data is not None
    assert join_input(body) == data


def test_what_the_serializer_refuses_is_left_to_it():
    for body in (
        {"pin": "123456"},
        {"pin": 123456, "nickname": "An"},
        {"pin": "123456", "nickname": ""},
        {"pin": "123456", "nickname": "x" * 201},
        {"pin": "1" * 13, "nickname": "An"},
        {"pin": "123456", "nickname": "An", "team": True},
        {"pin": "123456", "nickname": "An\x00"},
        {"pin": "123456", "nickname": "An\ud800"},
        {"pin": "123456", "nickname": "An", "challenge": "C" * 13},
        ["123456", "An"],
    ):
        assert join_input(body) is None
        assert not JoinInput(data=body).is_valid()
