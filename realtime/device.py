"""The player's device: a random id in a long-lived, signed, HttpOnly cookie.

A kicked player stays out of that game under any nickname from the same device: joining (REST)
and the WebSocket hello both refuse a device that has a kicked player in the game. A "device" is
one browser profile: a new profile, a private window, cleared cookies or another browser is a new
device (docs/security.md says what this does and does not stop).
"""

from __future__ import annotations

import secrets

from django.core import signing

DEVICE_COOKIE = "cq_device"
DEVICE_MAX_AGE = 60 * 60 * 24 * 365
_SALT = "realtime.device"


def device_new() -> str:
    return secrets.token_urlsafe(16)


def device_read(raw: object) -> str | None:
    """The device id in a cookie value, or None when absent or not signed by us."""
    if not isinstance(raw, str) or not raw or len(raw) > 200:
        return None
    try:
        return signing.Signer(salt=_SALT).unsign(raw)
    except signing.BadSignature:
        return None


def device_cookie_set(response, device: str, *, secure: bool) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        signing.Signer(salt=_SALT).sign(device),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
