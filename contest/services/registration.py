"""Registration: who takes part, from which unit; duplicate detection; masking; resume tokens."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contest.models import Contest, Participant, Round
from contest.services.captcha import captcha_verify
from contest.services.verification import (
    _EMAIL,
    MSG_EMAIL,
    MSG_EMAIL_NEEDED,
    email_code_check,
    email_code_use,
    email_key,
    normalise_email,
)
from core.errors import ApplicationError, ForbiddenError, NotFoundError
from core.queries import Columns, one_or_none
from core.text import fold
from quizzes.models import Unit

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
MSG_DOB = gettext_lazy("This date of birth does not look right.")
MSG_NOT_REGISTERED = gettext_lazy("Please register for this contest first.")
MSG_TOKEN_REVOKED = gettext_lazy(
    "This participant link was revoked by the organisers. Ask them for a new resume link."
)
MSG_TOKEN_EXPIRED = gettext_lazy(
    "This participant link has expired: the contest is over. Results stay public on the contest "
    "page."
)


# Letters that look like Vietnamese Đ/đ but are others (Icelandic eth, African D).
_LOOKALIKE_D = str.maketrans({"Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ"})


def clean_name(name: str) -> str:
    """The name as stored and shown: one Unicode form, no invisible format characters (zero-width
    spaces and joiners), single-spaced."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    return " ".join(name.split())


def normalise_name(name: str) -> str:
    """The duplicate key of a name: look-alike letters, punctuation ("Văn-An.", "Văn An") and case
    or diacritics do not make another person."""
    name = clean_name(name).translate(_LOOKALIKE_D)
    name = "".join(ch if ch.isalnum() else " " for ch in name)
    return fold(name)


def normalise_phone(phone: str) -> str:
    """Digits only, Vietnamese +84 / 0084 / 84 prefixes written as a leading 0."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("0084"):
        digits = digits[2:]
    if digits.startswith("84") and len(digits) >= 11:
        digits = digits[2:]
        if not digits.startswith("0"):
            digits = "0" + digits
    if len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits  # a mobile number written without its leading 0
    return digits


def mask_name(full_name: str, school_name: str | None = None) -> str:
    """'Nguyễn Văn An', 'THCS Cầu Giấy' -> 'Nguyễn V. A. (THCS Cầu Giấy)': family name kept,
    other names as initials, so public boards show no full personal name."""
    # Hyphens join given names too ("Đặng-Văn-Trùng"): each part but the first is an initial.
    words = [w for w in re.split(r"[\s\-\u2010-\u2015]+", clean_name(full_name)) if w]
    if not words:
        return ""
    masked = " ".join([words[0], *(w[0].upper() + "." for w in words[1:])])
    return f"{masked} ({school_name})" if school_name else masked


def _unit_chain(unit: Unit) -> dict[str, Unit]:
    return {u.level: u for u in unit.ancestors()}


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
    email_code: str = "",
    captcha: dict | None = None,
) -> Participant:
    """Register a person; refuse duplicates (same name + date of birth + school, same mailbox,
    same phone, or same account) with a clear message. A contest may also ask for a verified
    email (a one-time code) and a solved proof-of-work challenge first."""

    errors: dict[str, str] = {}
    full_name = clean_name(full_name)
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
    if contest.require_email_verification and not email:
        errors["email"] = str(MSG_EMAIL_NEEDED)
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

    # Anti-fraud checks write on their own (a spent challenge, a counted try stay spent even when
    # the registration then fails), so they run before the registration's transaction.
    if contest.require_captcha:
        captcha_verify(contest=contest, solution=captcha)
    code = (
        email_code_check(contest=contest, email=email, code=email_code)
        if (contest.require_email_verification)
        else None
    )

    name_key = normalise_name(full_name)
    key = email_key(email) if email else ""
    matched = _duplicate_of(contest, user, key, phone, name_key, date_of_birth, chain["school"])
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
        email_key=key,
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
            if code is not None:
                email_code_use(code)
            participant.save()
    except IntegrityError:
        # Two registrations of one person raced; a unique constraint caught the second one.
        raise _duplicate(_("details")) from None
    return participant


def _duplicate(matched) -> ApplicationError:
    return ApplicationError(
        "duplicate_registration",
        MSG_DUPLICATE.format(matched=matched),
        {"matched": str(matched)},
        status=409,
    )


def _duplicate_of(contest, user, key, phone, name_key, date_of_birth, school) -> str | None:
    existing = Participant.objects.filter(contest=contest)
    if getattr(user, "is_authenticated", False) and existing.filter(user=user).exists():
        return _("account")
    if key and existing.filter(email_key=key).exists():
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
    """A signed, unguessable resume token (works without an account). It carries the
    participant's token version: revoking bumps the version, so older tokens stop working."""
    return signing.dumps(
        {"p": participant.pk, "c": participant.contest_id, "v": participant.token_version},
        salt=TOKEN_SALT,
    )


def token_claims(token: str | None) -> tuple[int, int, int] | None:
    """(participant id, contest id, token version) from a validly signed token, without a
    database query. Tokens from before versions existed are version 0."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return _signed_claims(token, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


# A token's claims depend on nothing but the token and the keys that may have signed it: each
# request of a participant's session sends the same token, and its signature is checked once per
# process (a key rotated out is part of the cache key, so its tokens stop counting at once).
MAX_TOKEN_LENGTH = 512


@functools.lru_cache(maxsize=50_000)
def _signed_claims(token: str, _key: str, _fallbacks: tuple) -> tuple[int, int, int] | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return int(data["p"]), int(data["c"]), int(data.get("v", 0))
    except (KeyError, TypeError, ValueError):
        return None


def participant_ids_from_token(token: str | None) -> tuple[int, int] | None:
    """(participant id, contest id) from a validly signed token (not yet checked for revocation
    or expiry: see token_check)."""
    claims = token_claims(token)
    return claims[:2] if claims else None


def participant_id_from_token(token: str | None) -> int | None:
    ids = participant_ids_from_token(token)
    return ids[0] if ids else None


def token_expires_at(contest_ends_at: datetime | None) -> datetime | None:
    """Participant tokens expire CONTEST_TOKEN_DAYS_AFTER_END days after the contest's last round
    closes (never, for a contest with no rounds yet)."""
    if contest_ends_at is None:
        return None
    return contest_ends_at + timedelta(days=settings.CONTEST_TOKEN_DAYS_AFTER_END)


def token_check(
    *, version: int, current_version: int, contest_ends_at: datetime | None, now=None
) -> None:
    """The one rule for a signed token of a known participant: not revoked, not expired."""
    if version != current_version:
        raise ForbiddenError("token_revoked", MSG_TOKEN_REVOKED)
    expires = token_expires_at(contest_ends_at)
    if expires is not None and (now or timezone.now()) >= expires:
        raise ForbiddenError("token_expired", MSG_TOKEN_EXPIRED)


_CONTEST_ENDS_AT_SQL = f"SELECT MAX(closes_at) FROM {Round._meta.db_table} WHERE contest_id = %s"


def contest_ends_at(contest_id: int) -> datetime | None:
    """When the contest's last round closes (a participant token expires some time after).
    Every hand-in checks its token against it: on PostgreSQL one fixed statement, where Django
    compiled the aggregate each time (tests/contest/test_attempt_statement.py: the same end)."""
    if connection.vendor != "postgresql":
        return Round.objects.filter(contest_id=contest_id).aggregate(end=Max("closes_at"))["end"]
    with connection.cursor() as cursor:
        cursor.execute(_CONTEST_ENDS_AT_SQL, [contest_id])
        return cursor.fetchone()[0]


class TokenState:
    """What checking tokens of one contest needs, kept with a process's copy of a round (a
    revocation or a round change bumps the round's row version, which drops the copy)."""

    def __init__(self, contest_id: int):
        self.ends_at = contest_ends_at(contest_id)
        self.versions = dict(
            Participant.objects.filter(contest_id=contest_id, token_version__gt=0).values_list(
                "pk", "token_version"
            )
        )

    def check(self, participant_id: int, version: int) -> None:
        token_check(
            version=version,
            current_version=self.versions.get(participant_id, 0),
            contest_ends_at=self.ends_at,
        )


def round_token_state(round_: Round) -> TokenState:
    """The contest's token state, computed once per copy of the round."""
    state = getattr(round_, "_token_state", None)
    if state is None:
        state = TokenState(round_.contest_id)
        round_._token_state = state  # type: ignore[attr-defined]  # a per-copy cache, no field
    return state


def round_contest_ends_at(round_: Round) -> datetime | None:
    """The contest's end (contest_ends_at), computed once per copy of the round (a round change
    bumps its row version, which drops the copy)."""
    state = cached_token_state(round_)
    if state is not None:
        return state.ends_at
    if not hasattr(round_, "_contest_ends_at"):
        round_._contest_ends_at = contest_ends_at(round_.contest_id)  # type: ignore[attr-defined]
    return round_._contest_ends_at  # type: ignore[attr-defined]


def cached_token_state(round_: Round) -> TokenState | None:
    """The state if this copy of the round already has it (for the ASGI fast path, which never
    queries the database)."""
    return getattr(round_, "_token_state", None)


def request_token(request, contest_id: int | None, *, allow_cookie: bool) -> str | None:
    """The participant token of a request: the X-Participant-Token header, else (when allowed)
    the HttpOnly cookie of the contest. Pages never put the token in the page: their scripts
    call the API with the cookie, which is checked against CSRF like a session."""
    token = request.headers.get("X-Participant-Token")
    if token or not allow_cookie:
        return token
    if contest_id is not None:
        token = request.COOKIES.get(COOKIE_PREFIX + str(contest_id))
    else:
        # The contest is not known yet (autosave, submit): the only contest cookie there is.
        tokens = [v for k, v in request.COOKIES.items() if k.startswith(COOKIE_PREFIX)]
        token = tokens[0] if len(tokens) == 1 else None
    if token:
        _enforce_csrf(request)
    return token


def _enforce_csrf(request) -> None:
    """A cookie identifies the participant: unsafe methods need the CSRF token, as with a
    session (DRF's own check)."""
    from rest_framework.authentication import CSRFCheck

    django_request = getattr(request, "_request", request)
    if django_request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    check = CSRFCheck(lambda _request: None)  # type: ignore[arg-type]  # as DRF does
    check.process_request(django_request)
    if check.process_view(django_request, None, (), {}) is not None:  # type: ignore[arg-type]
        raise ForbiddenError(
            "csrf_failed", _("The page has expired. Please reload it and try again.")
        )


def participant_for_request(request, contest: Contest, *, allow_cookie: bool) -> Participant | None:
    """The participant behind a request: the X-Participant-Token header, the signed HttpOnly
    cookie (CSRF-checked for writes), or the logged-in account. A token that was revoked or
    has expired is refused with a clear 403 (token_revoked, token_expired)."""
    claims = token_claims(request_token(request, contest.pk, allow_cookie=allow_cookie))
    participant = participant_for_claims(claims, contest)
    if participant is not None:
        return participant
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return (
            Participant.objects.select_related("school").filter(contest=contest, user=user).first()
        )
    return None


@functools.cache
def _participant_statement() -> tuple[str, Columns, Columns]:
    participants, schools = Columns(Participant, "p"), Columns(Unit, "s")
    return (
        (
            f"SELECT {participants.sql}, {schools.sql} FROM {Participant._meta.db_table} p"
            f" JOIN {Unit._meta.db_table} s ON s.id = p.school_id"
            " WHERE p.id = %s AND p.contest_id = %s"
        ),
        participants,
        schools,
    )


def _participant_with_school(participant_id: int, contest: Contest) -> Participant | None:
    """The contest's participant with this id and their school, as
    Participant.objects.select_related("school") reads them. On PostgreSQL one fixed statement:
    every attempt request names its participant, and Django compiled the query each time
    (tests/contest/test_attempt_statement.py: the same participant, the same school)."""
    if connection.vendor != "postgresql":
        return one_or_none(
            Participant.objects.select_related("school").filter(pk=participant_id, contest=contest)
        )
    sql, participants, schools = _participant_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant_id, contest.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    participant, at = participants.build(row)
    participant.school, _end = schools.build(row, at)
    return participant


def participant_for_claims(
    claims: tuple[int, int, int] | None, contest: Contest, *, round_: Round | None = None
) -> Participant | None:
    """The contest's participant a token's claims (token_claims) name, checked for revocation
    and expiry (403 token_revoked, token_expired); None when the token is not this contest's
    participant's. participant_for_request and the attempt fast path (contest/attempt_fastpath.py).
    `round_`: a process's copy of one of the contest's rounds (selectors.round_get_published),
    which keeps the contest's end (round_contest_ends_at): no subquery per request."""
    if claims and claims[1] == contest.pk:
        if round_ is not None:
            participant = _participant_with_school(claims[0], contest)
            ends_at = round_contest_ends_at(round_)
        else:
            participant = one_or_none(
                Participant.objects.select_related("school")
                .filter(pk=claims[0], contest=contest)
                .annotate(
                    contest_ends_at=Subquery(
                        Round.objects.filter(contest_id=OuterRef("contest_id"))
                        .order_by("-closes_at")
                        .values("closes_at")[:1]
                    )
                )
            )
            ends_at = getattr(participant, "contest_ends_at", None)  # the annotation
        if participant:
            token_check(
                version=claims[2],
                current_version=participant.token_version,
                contest_ends_at=ends_at,
            )
            return participant
    return None


def participant_required(request, contest: Contest, *, allow_cookie: bool = True) -> Participant:
    participant = participant_for_request(request, contest, allow_cookie=allow_cookie)
    if participant is None:
        raise ForbiddenError("not_registered", MSG_NOT_REGISTERED)
    return participant


def participant_token_verify(
    *, participant: Participant, version: int | None, end: tuple[datetime | None] | None = None
) -> None:
    """Check a token version against a loaded participant (None: known by account, no token).
    `end`: (contest_ends_at's value,) when the caller read it with the participant."""
    if version is not None:
        token_check(
            version=version,
            current_version=participant.token_version,
            contest_ends_at=end[0] if end is not None else contest_ends_at(participant.contest_id),
        )


@transaction.atomic
def participant_token_revoke(*, contest: Contest, participant_id: int, actor) -> tuple:
    """An organiser revokes a participant's tokens (a leaked or shared link): every token issued
    so far stops working at once, on every endpoint. Returns the participant and a fresh token
    the organiser can hand to the rightful person."""
    from contest.apps import rounds_changed
    from contest.models import AuditEntry

    participant = (
        Participant.objects.select_for_update().filter(contest=contest, pk=participant_id).first()
    )
    if participant is None:
        raise NotFoundError("not_found", _("Not found."))
    participant.token_version += 1
    participant.save(update_fields=["token_version"])
    AuditEntry.objects.create(
        contest=contest,
        actor=actor,
        action="token_revoke",
        summary=_("Participant links revoked: %(name)s") % {"name": participant.public_name},
        details={"participant": participant.pk, "token_version": participant.token_version},
    )
    # Processes keep the contest's token state with their copies of its rounds.
    rounds_changed(list(contest.rounds.values_list("pk", flat=True)))
    return participant, participant_token(participant)
