"""Email verification before registering: a one-time code sent by Django's email backend.

Codes are six digits, stored only as a keyed hash, expire after CONTEST_EMAIL_CODE_TTL_SECONDS,
allow CONTEST_EMAIL_CODE_MAX_TRIES guesses, and are used once. A new code can be asked for every
CONTEST_EMAIL_CODE_INTERVAL_SECONDS; the newest one replaces the older ones.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contest.models import Contest, EmailCode
from quizzes.errors import ApplicationError

KEY_SALT = "contest.email_code"

MSG_EMAIL_NEEDED = gettext_lazy("This contest needs an email address that you can confirm.")
MSG_NOT_NEEDED = gettext_lazy("This contest does not ask for an email code.")
MSG_CODE_WAIT = gettext_lazy("A code was just sent. Please wait a minute before asking again.")
MSG_CODE_MISSING = gettext_lazy("Please enter the code we sent to your email address.")
MSG_CODE_WRONG = gettext_lazy("This code is not right. Check the latest email we sent you.")
MSG_CODE_EXPIRED = gettext_lazy(
    "This code has expired or was used too many times. Ask for a new one."
)
MSG_SEND_FAILED = gettext_lazy("We could not send the email. Please try again later.")


# The email rules of registration and verification alike (registration imports them from here).
MSG_EMAIL = gettext_lazy("This email address does not look right.")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """The address as the person wrote it, in one Unicode form, trimmed and lower-cased."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


_GMAIL = {"gmail.com", "googlemail.com"}


def email_key(email: str) -> str:
    """One key per mailbox, for "one entry per email": sub-addresses ("an+2@...") and, at Gmail,
    dots in the local part reach the same inbox, so they are the same entry."""
    email = normalise_email(email)
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _hash(contest_id: int, key: str, code: str) -> str:
    return salted_hmac(KEY_SALT, f"{contest_id}:{key}:{code}", algorithm="sha256").hexdigest()


def email_code_send(*, contest: Contest, email: str) -> EmailCode:
    """Send a fresh one-time code to an address (for contests that ask for a verified email)."""
    if not contest.require_email_verification:
        raise ApplicationError("not_needed", MSG_NOT_NEEDED)
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise ApplicationError("invalid", MSG_EMAIL, {"email": str(MSG_EMAIL)})
    key = email_key(email)
    now = timezone.now()
    interval = timedelta(seconds=settings.CONTEST_EMAIL_CODE_INTERVAL_SECONDS)
    if EmailCode.objects.filter(
        contest=contest, email_key=key, created_at__gt=now - interval
    ).exists():
        raise ApplicationError("code_wait", MSG_CODE_WAIT, status=429)
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = settings.CONTEST_EMAIL_CODE_TTL_SECONDS
    row = EmailCode.objects.create(
        contest=contest,
        email_key=key,
        code_hash=_hash(contest.pk, key, code),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    EmailCode.objects.filter(contest=contest, email_key=key, expires_at__lt=now).delete()
    title = contest.title_in()
    try:
        send_mail(
            _("Your code for %(contest)s: %(code)s") % {"contest": title, "code": code},
            _(
                "Your code to register for %(contest)s is %(code)s. It is valid for %(minutes)d "
                "minutes. If you did not ask for it, ignore this email."
            )
            % {"contest": title, "code": code, "minutes": max(1, ttl // 60)},
            None,
            [email],
        )
    except OSError:
        row.delete()
        raise ApplicationError("email_failed", MSG_SEND_FAILED, status=503) from None
    return row


def email_code_check(*, contest: Contest, email: str, code: str) -> EmailCode:
    """The newest code sent to this mailbox, if `code` is it. Every check spends one try (in its
    own statement, so a wrong guess stays counted whatever happens next)."""
    code = "".join((code or "").split())
    if not code:
        raise ApplicationError(
            "email_code_required", MSG_CODE_MISSING, {"email_code": str(MSG_CODE_MISSING)}
        )
    key = email_key(email)
    now = timezone.now()
    row = (
        EmailCode.objects.filter(contest=contest, email_key=key, used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if (
        row is None
        or row.expires_at <= now
        or not EmailCode.objects.filter(
            pk=row.pk, tries__lt=settings.CONTEST_EMAIL_CODE_MAX_TRIES
        ).update(tries=F("tries") + 1)
    ):
        raise ApplicationError(
            "email_code_expired", MSG_CODE_EXPIRED, {"email_code": str(MSG_CODE_EXPIRED)}
        )
    if not constant_time_compare(row.code_hash, _hash(contest.pk, key, code)):
        raise ApplicationError(
            "email_code_wrong", MSG_CODE_WRONG, {"email_code": str(MSG_CODE_WRONG)}
        )
    return row


def email_code_use(row: EmailCode) -> None:
    """Mark a checked code used, inside the registration's transaction (once only)."""
    if not EmailCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise ApplicationError(
            "email_code_expired", MSG_CODE_EXPIRED, {"email_code": str(MSG_CODE_EXPIRED)}
        )
