"""A game's branding (title, colours, logo), validated on the server: the pages put these values
into styles and image sources, so only exact shapes pass (issue 12, point 9)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

TITLE_MAX = 120
LOGO_URL_MAX = 500
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
KEYS = ("title", "primary", "accent", "logo_url")

MSG_NOT_AN_OBJECT = _("Branding must be an object with title, primary, accent and logo_url.")
MSG_UNKNOWN_KEY = _("Unknown branding setting.")
MSG_TITLE = _("The title must be a text of at most %(max)s characters.")
MSG_COLOUR = _("A colour must be written #rrggbb (for example #1a73e8).")
MSG_LOGO_URL = _(
    "The logo address must start with https:// or / (an address on this site), "
    "at most %(max)s characters."
)


def _logo_url_ok(value: str) -> bool:
    if len(value) > LOGO_URL_MAX or any(c.isspace() or ord(c) < 32 for c in value):
        return False
    if any(c in value for c in "\"'<>\\`"):
        return False
    if value.startswith("/"):
        return not value.startswith("//")  # //host is another site
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not parts.username


def branding_errors(raw: Any) -> dict[str, str]:
    """Field -> translated message for every branding value that does not fit; {} if all fit."""
    if not isinstance(raw, dict):
        return {"branding": str(MSG_NOT_AN_OBJECT)}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        if key not in KEYS:
            errors[str(key)[:40]] = str(MSG_UNKNOWN_KEY)
        elif key == "title":
            if not isinstance(value, str) or len(value) > TITLE_MAX:
                errors[key] = str(MSG_TITLE % {"max": TITLE_MAX})
        elif key in ("primary", "accent"):
            if not isinstance(value, str) or not COLOUR.fullmatch(value):
                errors[key] = str(MSG_COLOUR)
        elif not isinstance(value, str) or not _logo_url_ok(value):
            errors[key] = str(MSG_LOGO_URL % {"max": LOGO_URL_MAX})
    return errors


def branding_clean(raw: Any) -> dict[str, str]:
    """The branding as stored (colours in lower case); call branding_errors first."""
    cleaned = {k: raw[k] for k in KEYS if k in raw}
    for key in ("primary", "accent"):
        if key in cleaned:
            cleaned[key] = cleaned[key].lower()
    return cleaned
