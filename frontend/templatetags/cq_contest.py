"""Template tags for contest pages that need a rule of the contest app."""

from __future__ import annotations

from django import template

from contest.shared_keys import scores_withheld_until as _withheld_until

register = template.Library()


@register.simple_tag
def scores_withheld_until(round_):
    """Until when nobody but organisers sees this round's scores, because another round still
    to close may ask its questions (contest.shared_keys.scores_withheld_until), or None."""
    return _withheld_until(round_) if round_ is not None else None
