"""A self-hosted proof-of-work check for registration: no third-party service, works offline.

The server issues a signed challenge (contest, random id, difficulty, timestamp). The page finds a
nonce such that sha256(challenge + nonce) starts with `bits` zero bits (a Web Worker with
SubtleCrypto: frontend_contests/pow-worker.js), and sends both with the registration. The server
checks the signature, the age (CONTEST_CAPTCHA_TTL_SECONDS), the contest and the hash, and accepts
each challenge once (a row per spent challenge, unique by its id, kept until it expires).
Cost for a browser: about 2^bits hashes; for the server: one HMAC and one SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from contest.models import CaptchaUse, Contest
from core.errors import ApplicationError

SALT = "contest.captcha"

MSG_CAPTCHA_MISSING = gettext_lazy("Please wait until the anti-robot check has finished.")
MSG_CAPTCHA_BAD = gettext_lazy("The anti-robot check failed. Please try again.")
MSG_CAPTCHA_EXPIRED = gettext_lazy("The anti-robot check has expired. Please try again.")
MSG_CAPTCHA_USED = gettext_lazy("This anti-robot check was already used. Please try again.")


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def captcha_challenge(*, contest: Contest) -> dict:
    """A fresh challenge for a registration page."""
    bits = settings.CONTEST_CAPTCHA_BITS
    challenge = signing.dumps({"c": contest.pk, "i": secrets.token_hex(16), "b": bits}, salt=SALT)
    return {
        "challenge": challenge,
        "bits": bits,
        "expires_in": settings.CONTEST_CAPTCHA_TTL_SECONDS,
    }


def _invalid(code: str, message) -> ApplicationError:
    return ApplicationError(code, message, {"captcha": str(message)})


def captcha_verify(*, contest: Contest, solution: dict | None) -> None:
    """Accept a solved challenge of this contest once, within its time to live."""
    challenge = (solution or {}).get("challenge")
    nonce = (solution or {}).get("nonce")
    if not isinstance(challenge, str) or not isinstance(nonce, str) or not challenge:
        raise _invalid("captcha_required", MSG_CAPTCHA_MISSING)
    ttl = settings.CONTEST_CAPTCHA_TTL_SECONDS
    try:
        data = signing.loads(challenge, salt=SALT, max_age=ttl)
    except signing.SignatureExpired:
        raise _invalid("captcha_expired", MSG_CAPTCHA_EXPIRED) from None
    except signing.BadSignature:
        raise _invalid("captcha_invalid", MSG_CAPTCHA_BAD) from None
    if (
        not isinstance(data, dict)
        or data.get("c") != contest.pk
        or not isinstance(data.get("b"), int)
        or len(nonce) > 32
        or leading_zero_bits(hashlib.sha256((challenge + nonce).encode()).digest()) < data["b"]
    ):
        raise _invalid("captcha_invalid", MSG_CAPTCHA_BAD)
    now = timezone.now()
    try:
        with transaction.atomic():
            CaptchaUse.objects.create(
                challenge_id=str(data["i"]), expires_at=now + timedelta(seconds=ttl)
            )
    except IntegrityError:
        raise _invalid("captcha_used", MSG_CAPTCHA_USED) from None
    CaptchaUse.objects.filter(expires_at__lt=now).delete()
