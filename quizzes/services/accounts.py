"""Accounts that schools can manage: teacher invitations, bulk teacher accounts from CSV.

An invitation is a signed, expiring link that lets a teacher set the first password of an
account the organiser created (teacher role, school unit). It is single-use: the signature covers
a digest of the password hash and last log-in, which both change once the link is used.
Password reset is Django's own flow (frontend/accounts.py); SSO lives in quizzes/services/sso.py.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ForbiddenError
from core.roles import ORGANISER, REVIEWER, TEACHER, is_organiser, is_teacher
from quizzes.models import Profile, Unit

INVITE_SALT = "citizenquiz.accounts.invite"
CSV_COLUMNS = ("email", "full_name", "school_code")

ONLY_ORGANISERS = gettext_lazy("Only organisers can manage teacher accounts.")
INVITE_INVALID = gettext_lazy("This invitation link is not valid. Check that it was copied whole.")
INVITE_EXPIRED = gettext_lazy(
    "This invitation link has expired. Ask your organiser to send a new one."
)
INVITE_USED = gettext_lazy(
    "This invitation link was already used. Log in with your password, or reset it."
)
EMAIL_INVALID = gettext_lazy("Enter a valid email address.")
EMAIL_TOO_LONG = gettext_lazy("This email address is too long (150 characters at most).")
NAME_TOO_LONG = gettext_lazy("The full name is too long (120 characters at most).")
SCHOOL_REQUIRED = gettext_lazy("A school code is required.")
SCHOOL_UNKNOWN = gettext_lazy("No unit has the code “%(code)s”.")
SCHOOL_NOT_SCHOOL = gettext_lazy("Unit “%(code)s” is a %(level)s, not a school.")
ROW_DUPLICATE = gettext_lazy("%(email)s already appears on row %(line)s.")
FILE_TOO_LARGE = gettext_lazy("The file is too large: %(limit)s KB at most.")
FILE_NOT_UTF8 = gettext_lazy("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
FILE_MISSING_COLUMNS = gettext_lazy(
    "Missing columns: %(cols)s. The first row must name the columns."
)
FILE_TOO_MANY_ROWS = gettext_lazy("Too many rows: %(limit)s at most per file.")
FILE_EMPTY = gettext_lazy("The file has no rows.")

# What teacher_invite did, for the organiser's message (and the API's "outcome").
CREATED = "created"  # new account, invitation sent
RESENT = "resent"  # account still waiting for its first password: a fresh link was sent
ROLE_ADDED = "role_added"  # active account without the teacher role: role (and school) granted
ALREADY_TEACHER = "already_teacher"  # nothing to do


def _require_organiser(actor) -> None:
    if not is_organiser(actor):
        raise ForbiddenError("forbidden", ONLY_ORGANISERS)


def email_normalize(email: str) -> str:
    """Emails compare case-insensitively; the lower-case form is also the teacher's username."""
    return (email or "").strip().lower()


def _email_problem(email: str) -> str | None:
    if len(email) > 150:
        return str(EMAIL_TOO_LONG)
    try:
        validate_email(email)
    except ValidationError:
        return str(EMAIL_INVALID)
    return None


def _school_get(
    code: str, schools: dict[str, Unit] | None = None
) -> tuple[Unit | None, str | None]:
    code = (code or "").strip()
    if not code:
        return None, str(SCHOOL_REQUIRED)
    unit = schools.get(code) if schools is not None else Unit.objects.filter(code=code).first()
    if unit is None:
        return None, SCHOOL_UNKNOWN % {"code": code}
    if unit.level != Unit.Level.SCHOOL:
        return None, SCHOOL_NOT_SCHOOL % {"code": code, "level": unit.get_level_display().lower()}
    return unit, None


def account_find(email: str):
    """The account that owns this email (as its email or its username), if any."""
    email = email_normalize(email)
    return (
        get_user_model()
        .objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
        .order_by("pk")
        .first()
    )


# --- Invitation links ---------------------------------------------------------------------------


def _invite_state(user) -> str:
    """Changes when the invitation is used (password set, first log-in): single use."""
    value = f"{user.pk}|{user.password}|{user.last_login}|{user.is_active}"
    return salted_hmac(INVITE_SALT, value).hexdigest()[:32]


def invite_token_make(user) -> str:
    return signing.dumps({"u": user.pk, "s": _invite_state(user)}, salt=INVITE_SALT)


def invite_user_get(*, token: str):
    """The account an invitation link is for; ApplicationError if expired, used or forged."""
    max_age = settings.ACCOUNT_INVITE_MAX_AGE_DAYS * 24 * 3600
    try:
        payload = signing.loads(token, salt=INVITE_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ApplicationError("invite_expired", INVITE_EXPIRED) from None
    except signing.BadSignature:
        raise ApplicationError("invite_invalid", INVITE_INVALID) from None
    user = get_user_model().objects.filter(pk=payload.get("u")).first()
    if user is None:
        raise ApplicationError("invite_invalid", INVITE_INVALID)
    if not user.is_active or payload.get("s") != _invite_state(user):
        raise ApplicationError("invite_used", INVITE_USED)
    return user


@transaction.atomic
def invite_accept(*, token: str, password: str):
    """Set the first password of an invited account; the link stops working at once."""
    user = invite_user_get(token=token)
    # Two tabs submitting the same link: the second sees the new password and is refused.
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if _invite_state(user) != signing.loads(token, salt=INVITE_SALT)["s"]:
        raise ApplicationError("invite_used", INVITE_USED)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError("invalid_password", " ".join(exc.messages), exc.messages) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    email_mark_verified(user)
    return user


def email_mark_verified(user) -> None:
    """Using an emailed link (invitation, password reset) proved the mailbox.

    Recorded where django-allauth looks, so that a later Google sign-in with this email keeps the
    password (allauth wipes the password of an account whose email was never verified, against
    pre-registered-account takeover). Skipped if another account already verified the address.
    """
    from allauth.account.models import EmailAddress

    email = email_normalize(user.email)
    if not email:
        return
    addresses = EmailAddress.objects.filter(email__iexact=email)
    if addresses.filter(verified=True).exclude(user=user).exists():
        return
    try:
        with transaction.atomic():
            address = addresses.filter(user=user).first() or EmailAddress(
                user=user,
                email=email,
                primary=not EmailAddress.objects.filter(user=user, primary=True).exists(),
            )
            address.verified = True
            address.save()
    except IntegrityError:  # a parallel confirmation recorded it first
        pass


def invite_url(user, *, base_url: str) -> str:
    path = reverse("account-invite", kwargs={"token": invite_token_make(user)})
    return (settings.PUBLIC_BASE_URL or base_url).rstrip("/") + path


def _invite_send(user, *, base_url: str) -> None:
    context = {
        "user": user,
        "name": getattr(getattr(user, "profile", None), "display_name", "") or user.username,
        "username": user.get_username(),
        "url": invite_url(user, base_url=base_url),
        "days": int(settings.ACCOUNT_INVITE_MAX_AGE_DAYS),
        "site_name": settings.SITE_NAME,
    }
    subject = render_to_string("frontend/accounts/invite_subject.txt", context).strip()
    body = render_to_string("frontend/accounts/invite_email.txt", context)
    send_mail(subject, body, None, [user.email])


# --- Inviting one teacher ---------------------------------------------------------------------


@dataclass
class InviteResult:
    outcome: str
    user: object
    message: str


def _teacher_group() -> Group:
    return Group.objects.get_or_create(name=TEACHER)[0]


def _teacher_create(*, email: str, full_name: str, school: Unit):
    """A teacher account that cannot log in until its invitation is used."""
    user = get_user_model().objects.create_user(username=email, email=email, password=None)
    user.groups.add(_teacher_group())
    Profile.objects.create(
        user=user, display_name=full_name or email, unit=school, language=get_language() or "vi"
    )
    return user


@transaction.atomic
def teacher_invite(*, actor, email: str, school_code: str, base_url: str, full_name: str = ""):
    """Invite one teacher by email; inviting an existing email again is reported, never doubled.

    New email: an account with the teacher role and school is created and a link is sent.
    Account still waiting for its first password: a fresh link is sent (school updated).
    Active account: it gets the teacher role (and school) if it lacked it; no email.
    """
    _require_organiser(actor)
    email = email_normalize(email)
    full_name = (full_name or "").strip()
    problems = {}
    if problem := _email_problem(email):
        problems["email"] = [problem]
    if len(full_name) > 120:
        problems["full_name"] = [str(NAME_TOO_LONG)]
    school, problem = _school_get(school_code)
    if problem:
        problems["school_code"] = [problem]
    if problems:
        raise ApplicationError("invalid", next(iter(problems.values()))[0], problems)

    user = account_find(email)
    if user is None:
        try:
            with transaction.atomic():
                user = _teacher_create(email=email, full_name=full_name, school=school)
        except IntegrityError:  # created by a parallel request: treat as the existing account
            user = account_find(email)
        else:
            transaction.on_commit(lambda: _invite_send(user, base_url=base_url))
            return InviteResult(
                CREATED, user, _("Invitation sent to %(email)s.") % {"email": email}
            )

    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    profile, _created = Profile.objects.get_or_create(
        user=user, defaults={"display_name": full_name or email}
    )
    if not user.has_usable_password() and not user.socialaccount_set.exists():
        profile.unit = school
        if full_name:
            profile.display_name = full_name
        profile.save()
        user.groups.add(_teacher_group())
        transaction.on_commit(lambda: _invite_send(user, base_url=base_url))
        return InviteResult(
            RESENT,
            user,
            _(
                "%(email)s was already invited and has not set a password yet: "
                "a new invitation link was sent."
            )
            % {"email": email},
        )
    if is_teacher(user):  # any role (core/roles.py): teacher rights already
        return InviteResult(
            ALREADY_TEACHER,
            user,
            _("%(email)s already has an account with teacher rights. Nothing changed.")
            % {"email": email},
        )
    user.groups.add(_teacher_group())
    if profile.unit_id is None:
        profile.unit = school
        profile.save(update_fields=["unit"])
    return InviteResult(
        ROLE_ADDED,
        user,
        _("%(email)s already has an account: it now has the teacher role. No email was sent.")
        % {"email": email},
    )


# --- Teacher accounts from a CSV file -----------------------------------------------------------

NEW, EXISTS, ERROR = "new", "exists", "error"


@dataclass
class TeacherRow:
    line: int
    email: str
    full_name: str
    school_code: str
    school_name: str = ""
    status: str = NEW  # new | exists | error (after create: created rows keep "new")
    message: str = ""


@dataclass
class TeacherImportReport:
    rows: list[TeacherRow] = field(default_factory=list)
    created: int = 0
    committed: bool = False

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    def as_dict(self) -> dict:
        return {
            "committed": self.committed,
            "created": self.created,
            "new": self.count(NEW),
            "existing": self.count(EXISTS),
            "errors": self.count(ERROR),
            "rows": [row.__dict__ for row in self.rows],
        }


def _csv_text(content: bytes) -> str:
    limit = settings.ACCOUNT_CSV_MAX_BYTES
    if len(content) > limit:
        raise ApplicationError(
            "file_too_large", FILE_TOO_LARGE % {"limit": limit // 1024}, status=413
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError("bad_encoding", FILE_NOT_UTF8) from None


def _csv_reader(text: str) -> csv.DictReader:
    first = text.split("\n", 1)[0]
    # Spreadsheets in Vietnamese or French locales save with ";" between columns.
    delimiter = max(",;\t", key=first.count) if first else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = [(name or "").strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = fields
    missing = [c for c in CSV_COLUMNS if c not in fields]
    if missing:
        raise ApplicationError(
            "missing_columns",
            FILE_MISSING_COLUMNS % {"cols": ", ".join(missing)},
            {"missing": missing, "expected": list(CSV_COLUMNS)},
        )
    return reader


def teachers_import_csv(*, actor, content: bytes, commit: bool, base_url: str):
    """Check (commit=False) or create (commit=True) teacher accounts from CSV rows.

    Columns email, full_name, school_code (a unit code of level school). Rows with errors are
    reported by row number and skipped; emails that already have an account are skipped too, so
    uploading the same file again creates nothing twice. Each created teacher gets an invitation.
    """
    _require_organiser(actor)
    reader = _csv_reader(_csv_text(content))
    report = TeacherImportReport()
    seen: dict[str, int] = {}
    raw_rows = []
    for row in reader:
        values = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
        if not any(values.values()):
            continue
        if len(raw_rows) >= settings.ACCOUNT_CSV_MAX_ROWS:
            raise ApplicationError(
                "too_many_rows", FILE_TOO_MANY_ROWS % {"limit": settings.ACCOUNT_CSV_MAX_ROWS}
            )
        raw_rows.append((reader.line_num, values))
    if not raw_rows:
        raise ApplicationError("empty", FILE_EMPTY)

    codes = {values["school_code"] for _line, values in raw_rows}
    schools = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    for line, values in raw_rows:
        email = email_normalize(values["email"])
        item = TeacherRow(line, email, values["full_name"], values["school_code"])
        school, problem = _school_get(values["school_code"], schools)
        problem = _email_problem(email) or problem
        if not problem and len(item.full_name) > 120:
            problem = str(NAME_TOO_LONG)
        if not problem and email in seen:
            problem = ROW_DUPLICATE % {"email": email, "line": seen[email]}
        if problem:
            item.status, item.message = ERROR, problem
        else:
            seen[email] = line
            item.school_name = school.name
        report.rows.append(item)

    emails = [row.email for row in report.rows if row.status == NEW]
    existing = _existing_emails(emails)
    for row in report.rows:
        if row.status == NEW and row.email in existing:
            row.status = EXISTS
            row.message = _("Already has an account: skipped.")
    if commit:
        _teachers_create(report, schools, base_url=base_url)
    return report


def _existing_emails(emails: list[str]) -> set[str]:
    found = set()
    users = get_user_model().objects.filter(Q(email__in=emails) | Q(username__in=emails))
    for email, username in users.values_list("email", "username"):
        found.update({email_normalize(email), email_normalize(username)})
    # Older accounts may spell their email with capitals.
    for email in set(emails) - found:
        if account_find(email):
            found.add(email)
    return found


@transaction.atomic
def _teachers_create(report: TeacherImportReport, schools: dict[str, Unit], *, base_url: str):
    created = []
    for row in report.rows:
        if row.status != NEW:
            continue
        try:
            with transaction.atomic():
                user = _teacher_create(
                    email=row.email, full_name=row.full_name, school=schools[row.school_code]
                )
        except IntegrityError:  # a parallel upload created it first
            row.status, row.message = EXISTS, _("Already has an account: skipped.")
            continue
        row.message = _("Created; invitation sent.")
        created.append(user)
    report.created = len(created)
    report.committed = True
    transaction.on_commit(lambda: [_invite_send(u, base_url=base_url) for u in created])


# --- Reads for the organiser page ---------------------------------------------------------------


def teacher_accounts_list(*, actor) -> list[dict]:
    """Teachers (with their school and whether they have set a password) and accounts that have
    no role yet (new SSO sign-ins, waiting for an organiser)."""
    _require_organiser(actor)
    users = (
        get_user_model()
        .objects.filter(is_superuser=False)
        .filter(Q(groups__name=TEACHER) | Q(socialaccount__isnull=False))
        .distinct()
        .prefetch_related("groups", "socialaccount_set")
        .select_related("profile__unit")
        .order_by("username")
    )
    rows = []
    for user in users:
        roles = {g.name for g in user.groups.all()}
        profile = getattr(user, "profile", None)
        unit = profile.unit if profile else None
        sso = [a.provider for a in user.socialaccount_set.all()]
        if TEACHER in roles:
            kind = "teacher"
        elif not roles & {REVIEWER, ORGANISER} and sso:
            kind = "no_role"
        else:
            continue  # other staff, and players with an account
        active = user.has_usable_password() or bool(sso)
        rows.append(
            {
                "id": user.pk,
                "email": user.email or user.username,
                "full_name": (profile.display_name if profile else "") or "",
                "school_code": unit.code if unit else "",
                "school_name": unit.name if unit else "",
                "role": kind,
                "status": "active" if active else "invited",
                "sso": sso,
            }
        )
    return rows
