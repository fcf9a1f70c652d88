"""The one option shuffle and the opaque option ids (quizzes/options.py): the order shown is a
uniform permutation of the options that depends on nothing but the seed and the options' texts."""

from __future__ import annotations

import itertools
from collections import Counter
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from quizzes.options import (
    opaque_ids,
    shuffled_choices,
    to_opaque_response,
    to_real_response,
)


def fake_question(options: list[tuple[str, float]], first_id: int = 1, qtype: str = "single"):
    """A question whose options (text, weight) are authored in this order, ids ascending."""
    choices = [
        SimpleNamespace(pk=first_id + n, id=first_id + n, text_vi=t, text_en=t, weight=w)
        for n, (t, w) in enumerate(options)
    ]
    return SimpleNamespace(type=qtype, choices=SimpleNamespace(all=lambda: list(choices)))


def shown_texts(question, seed) -> list[str]:
    return [c.text_vi for c in shuffled_choices(question=question, seed=seed)]


def test_every_order_of_three_options_is_shown_about_equally_often():
    question = fake_question([("a", 1.0), ("b", 0.0), ("c", 0.0)])
    counts = Counter(tuple(shown_texts(question, f"attempt-{n}")) for n in range(1200))

    assert set(counts) == set(itertools.permutations("abc"))
    # Uniform: each of the 6 orders about 200 times in 1,200 seeds, the authored one included.
    assert all(150 <= n <= 250 for n in counts.values()), counts
    # The right option is first about a third of the time, like any other.
    assert 330 <= sum(n for order, n in counts.items() if order[0] == "a") <= 470


def test_two_items_come_in_either_order():
    question = fake_question([("first", 0.0), ("second", 0.0)])
    counts = Counter(tuple(shown_texts(question, n)) for n in range(400))

    assert counts[("first", "second")] > 150
    assert counts[("second", "first")] > 150


def test_true_false_shows_true_first_whatever_the_key_and_the_authored_order():
    worlds = [
        [("Đúng", 1.0), ("Sai", 0.0)],
        [("Sai", 1.0), ("Đúng", 0.0)],
        [("Sai", 0.0), ("Đúng", 1.0)],
        [("True", 0.0), ("False", 1.0)],
    ]
    for options in worlds:
        for seed in range(20):
            shown = shown_texts(fake_question(options, qtype="truefalse"), seed)
            assert shown in (["Đúng", "Sai"], ["True", "False"])


def test_true_false_in_other_words_is_shuffled_like_any_question():
    question = fake_question([("Có", 1.0), ("Không", 0.0)], qtype="truefalse")
    orders = {tuple(shown_texts(question, seed)) for seed in range(40)}

    assert orders == {("Có", "Không"), ("Không", "Có")}


option_texts = st.lists(
    st.text(alphabet="abcdefghĐđáàạ ", min_size=1, max_size=6), min_size=2, max_size=6, unique=True
)


@given(texts=option_texts, data=st.data(), seed=st.integers(0, 2**48))
def test_the_order_shown_depends_only_on_the_seed_and_the_texts(texts, data, seed):
    authored = data.draw(st.permutations(texts))
    right = data.draw(st.sampled_from(texts))
    other_right = data.draw(st.sampled_from(texts))
    one = fake_question([(t, 1.0 if t == right else 0.0) for t in texts], first_id=10)
    other = fake_question([(t, 1.0 if t == other_right else 0.0) for t in authored], first_id=500)

    assert shown_texts(one, seed) == shown_texts(other, seed)
    assert sorted(shown_texts(one, seed)) == sorted(texts)


@given(ids=st.lists(st.integers(1, 10**9), min_size=2, max_size=8, unique=True))
def test_opaque_ids_map_responses_both_ways_and_refuse_unknown_ids(ids):
    to_opaque = opaque_ids("secret", ids)
    to_real = {v: k for k, v in to_opaque.items()}
    real = {"order": [str(i) for i in reversed(ids)]}

    sent = to_opaque_response(real, to_opaque)

    assert len(set(to_opaque.values())) == len(ids)
    assert not any(str(i) in sent["order"] for i in ids)
    assert to_real_response(sent, to_real) == real
    # A real id (or another attempt's id) is an unknown option, never a valid one.
    assert to_real_response({"choice": str(ids[0])}, to_real) == {"choice": "?"}


def test_a_set_of_picks_is_given_back_in_an_order_that_says_nothing_about_the_ids():
    to_opaque = opaque_ids("secret", [1, 2, 3, 4])
    picks = to_opaque_response({"choices": ["1", "2"]}, to_opaque)["choices"]
    swapped = to_opaque_response({"choices": ["2", "1"]}, to_opaque)["choices"]

    assert picks == swapped == sorted([to_opaque["1"], to_opaque["2"]])
