"""Template filters for numbers written in words that agree with them."""

from __future__ import annotations

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration_words(seconds) -> str:
    """900 -> "15 minutes", 60 -> "1 minute", 90 -> "90 seconds" (plurals from the catalogue)."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return ""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}
