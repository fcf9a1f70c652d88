"""Registration: who takes part, from which unit; duplicate detection; masking; resume tokens."""

from __future__ import annotations

import re
from datetime import date

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contest.models import Contest, Participant
from quizzes.errors import ApplicationError, ForbiddenError
from quizzes.models import Unit
from quizzes.text import fold

TOKEN_SALT = "contest.participant"
COOKIE_PREFIX = "cq_contest_"

MSG_DUPLICATE = gettext_lazy(
    "You are already registered for this contest (same {matched}). Use your resume link, or ask "
    "the organisers if this is a mistake."
)
MSG_CONSENT = gettext_lazy("Please give your consent to take part.")
MSG_NAME = gettext_lazy("Please enter your full name.")
MSG_DOB_OR_CLASS = gettext_lazy("Please give your date of birth or pick your class.")
MSG_CONTACT = gettext_lazy("Please give an email address or a phone number.")
MSG_UNIT = gettext_lazy("Please pick your school (or class) from the list.")
MSG_PHONE = gettext_lazy("This phone number does not look right.")
MSG_EMAIL = gettext_lazy("This email address does not look right.")
MSG_DOB = gettext_lazy("This date of birth does not look right.")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_name(name: str) -> str:
    return fold(name)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def normalise_phone(phone: str) -> str:
    """Digits only, Vietnamese +84 / 84 prefixes written as a leading 0."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def mask_name(full_name: str, school_name: str | None = None) -> str:
    """'Nguyễn Văn An', 'THCS Cầu Giấy' -> 'Nguyễn V. A. (THCS Cầu Giấy)': family name kept,
    other names as initials, so public boards show no full personal name."""
    words = full_name.split()
    if not words:
        return ""
    masked = " ".join([words[0], *(w[0].upper() + "." for w in words[1:])])
    return f"{masked} ({school_name})" if school_name else masked


def _unit_chain(unit: Unit) -> dict[str, Unit]:
    return {u.level: u for u in unit.ancestors()}


@transaction.atomic
def participant_register(
    *,
    contest: Contest,
    full_name: str,
    unit_id: int | None,
    consent: bool,
    date_of_birth: date | None = None,
    email: str = "",
    phone: str = "",
    user=None,
) -> Participant:
    """Register a person; refuse duplicates (same name + date of birth + school, same email,
    same phone, or same account) with a clear message."""
    errors: dict[str, str] = {}
    full_name = " ".join((full_name or "").split())
    if not full_name:
        errors["full_name"] = str(MSG_NAME)
    if not consent:
        errors["consent"] = str(MSG_CONSENT)
    email = normalise_email(email)
    phone = normalise_phone(phone)
    if email and not _EMAIL.match(email):
        errors["email"] = str(MSG_EMAIL)
    if phone and not 9 <= len(phone) <= 12:
        errors["phone"] = str(MSG_PHONE)
    if not email and not phone:
        errors["contact"] = str(MSG_CONTACT)
    if date_of_birth and not (date(1900, 1, 1) <= date_of_birth <= timezone.localdate()):
        errors["date_of_birth"] = str(MSG_DOB)
    unit = (
        Unit.objects.select_related("parent__parent__parent").filter(pk=unit_id).first()
        if unit_id
        else None
    )
    chain = _unit_chain(unit) if unit else {}
    if (
        not unit
        or unit.level not in ("school", "class")
        or not {"school", "district", "province"} <= set(chain)
    ):
        errors["unit"] = str(MSG_UNIT)
    if not date_of_birth and "class" not in chain and "unit" not in errors:
        errors["date_of_birth"] = str(MSG_DOB_OR_CLASS)
    if errors:
        raise ApplicationError("invalid", _("Please check the highlighted fields."), errors)

    name_key = normalise_name(full_name)
    matched = _duplicate_of(contest, user, email, phone, name_key, date_of_birth, chain["school"])
    if matched:
        raise _duplicate(matched)
    participant = Participant(
        contest=contest,
        user=user if getattr(user, "is_authenticated", False) else None,
        full_name=full_name,
        name_key=name_key,
        public_name=mask_name(full_name, chain["school"].name),
        date_of_birth=date_of_birth,
        email=email,
        phone=phone,
        unit=unit,
        class_unit=chain.get("class"),
        school=chain["school"],
        district=chain["district"],
        province=chain["province"],
        consent_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            participant.save()
    except IntegrityError:
        # Two identical registrations raced; the constraint caught the second one.
        raise _duplicate(_("details")) from None
    return participant


def _duplicate(matched) -> ApplicationError:
    return ApplicationError(
        "duplicate_registration",
        MSG_DUPLICATE.format(matched=matched),
        {"matched": str(matched)},
        status=409,
    )


def _duplicate_of(contest, user, email, phone, name_key, date_of_birth, school) -> str | None:
    existing = Participant.objects.filter(contest=contest)
    if getattr(user, "is_authenticated", False) and existing.filter(user=user).exists():
        return _("account")
    if email and existing.filter(email=email).exists():
        return _("email")
    if phone and existing.filter(phone=phone).exists():
        return _("phone number")
    if (
        date_of_birth
        and existing.filter(name_key=name_key, date_of_birth=date_of_birth, school=school).exists()
    ):
        return _("name, date of birth and school")
    return None


# --- Who is this participant? ------------------------------------------------------------------


def participant_token(participant: Participant) -> str:
    """A signed, unguessable resume token (works without an account)."""
    return signing.dumps({"p": participant.pk, "c": participant.contest_id}, salt=TOKEN_SALT)


def participant_ids_from_token(token: str | None) -> tuple[int, int] | None:
    """(participant id, contest id) from a valid token, without a database query."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return int(data["p"]), int(data["c"])
    except (KeyError, TypeError, ValueError):
        return None


def participant_id_from_token(token: str | None) -> int | None:
    ids = participant_ids_from_token(token)
    return ids[0] if ids else None


def participant_for_request(request, contest: Contest, *, allow_cookie: bool) -> Participant | None:
    """The participant behind a request: the X-Participant-Token header, the signed cookie (pages
    only: API calls must send the header, which keeps them safe from cross-site requests), or the
    logged-in account."""
    token = request.headers.get("X-Participant-Token")
    if not token and allow_cookie:
        token = request.COOKIES.get(COOKIE_PREFIX + str(contest.pk))
    pid = participant_id_from_token(token)
    qs = Participant.objects.select_related("school")
    if pid:
        participant = qs.filter(pk=pid, contest=contest).first()
        if participant:
            return participant
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return qs.filter(contest=contest, user=user).first()
    return None


def participant_required(request, contest: Contest, *, allow_cookie: bool = False) -> Participant:
    participant = participant_for_request(request, contest, allow_cookie=allow_cookie)
    if participant is None:
        raise ForbiddenError("not_registered", _("Please register for this contest first."))
    return participant
