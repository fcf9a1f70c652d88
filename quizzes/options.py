"""What a player sees of a question's options: their order and their ids.

One home for both rules, used by live games (realtime.selectors.play_question) and contest papers
(contest.services.attempts):

* `shuffled_choices` is the only option shuffle: a uniformly random permutation drawn from a seed.
  It starts from the options sorted by their texts, so for a given seed the order shown depends
  on neither the authored order (authors put the right option first; an ordering question's
  authored order is its key) nor on which option is right. Every type shown with options is
  shuffled, ordering questions included: "never the answer" would rule out one order, and with two
  items give the answer away. True/false options worded true/false keep that natural order.
* `opaque_id` names an option for one game or one attempt; `to_real_response` and
  `to_opaque_response` translate a response's option ids at the edge, so stored answers, grading,
  corrections and exports keep the real choice ids.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

# Response fields that hold option ids (quizzes.grading: single/truefalse/poll, multi, order).
_ONE = "choice"
_MANY = ("choices", "order")


def _content(choice) -> tuple[str, str, int]:
    # Texts first: two quizzes that differ only in authored order show the same order for a
    # seed. The id only separates options with identical texts, which nobody can tell apart.
    return (choice.text_vi, choice.text_en, choice.pk or 0)


# True/false keeps its natural order (true first) when its two options say so: that order comes
# from the texts alone (the importers write these words), never from the key or the authoring.
_TRUE = {"true", "đúng"}
_FALSE = {"false", "sai"}


def _reads_as(choice, words: set[str]) -> bool:
    return any(text.strip().lower() in words for text in (choice.text_vi, choice.text_en) if text)


def shuffled_choices(*, question, seed: Any) -> list:
    """The options of a question in the order one seed shows them: a uniform permutation that
    depends only on the seed and the options' texts (true/false worded so: true, then false)."""
    choices = sorted(question.choices.all(), key=_content)
    if getattr(question, "type", None) == "truefalse" and len(choices) == 2:
        true = [c for c in choices if _reads_as(c, _TRUE) and not _reads_as(c, _FALSE)]
        false = [c for c in choices if _reads_as(c, _FALSE) and not _reads_as(c, _TRUE)]
        if len(true) == len(false) == 1:
            return [true[0], false[0]]
    random.Random(f"options:{seed}").shuffle(choices)
    return choices


def opaque_id(secret: str, choice_id: int | str) -> str:
    """An option id for one game or attempt (secret) that reveals neither authored order nor
    correctness."""
    digest = hashlib.blake2s(f"{secret}:{choice_id}".encode(), digest_size=5).hexdigest()
    return "c" + digest


def opaque_ids(secret: str, choice_ids) -> dict[str, str]:
    """{real choice id: opaque id} for the given choices."""
    return {str(c): opaque_id(secret, c) for c in choice_ids}


def to_real_response(response: Any, to_real: dict[str, str]) -> Any:
    """A client's response with opaque option ids mapped to real ones; unknown ids become "?" so
    that validation rejects them."""
    if not isinstance(response, dict):
        return response
    out = dict(response)
    if _ONE in out:
        out[_ONE] = to_real.get(str(out[_ONE]), "?")
    for name in _MANY:
        if isinstance(out.get(name), list):
            out[name] = [to_real.get(str(c), "?") for c in out[name]]
    return out


def to_opaque_response(response: Any, to_opaque: dict[str, str]) -> Any:
    """A stored response (or a correct response) with real option ids mapped to opaque ones."""
    if not isinstance(response, dict) or not response:
        return response
    out = dict(response)
    if _ONE in out:
        out[_ONE] = to_opaque.get(str(out[_ONE]), out[_ONE])
    if isinstance(out.get("choices"), list):
        # A set of picks: stored sorted by real id, which would hint at the authored order.
        out["choices"] = sorted(str(to_opaque.get(str(c), c)) for c in out["choices"])
    if isinstance(out.get("order"), list):
        out["order"] = [to_opaque.get(str(c), c) for c in out["order"]]
    return out
