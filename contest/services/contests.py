"""Organiser writes: create and configure contests (every change is audited); rounds: rounds.py."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contest.access import contest_staff_required
from contest.models import AuditEntry, Contest
from quizzes.errors import ApplicationError

MSG_SLUG_TAKEN = gettext_lazy("Another contest already uses this address.")
MSG_NO_SUCH_USER = gettext_lazy("No active account has this username.")

CONTEST_FIELDS = (
    "title_vi",
    "title_en",
    "description_vi",
    "description_en",
    "rules_vi",
    "rules_en",
    "is_published",
    "unit_aggregation",
    "aggregation_top_n",
    "require_email_verification",
    "require_captcha",
)


def _audit(contest, round_, actor, action, summary, details):
    AuditEntry.objects.create(
        contest=contest, round=round_, actor=actor, action=action, summary=summary, details=details
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if hasattr(v, "isoformat") else getattr(v, "pk", v))
        for k, v in values.items()
    }


@transaction.atomic
def contest_create(*, actor=None, slug: str = "", **fields) -> Contest:
    """Create a contest (its address is made from the title when not given)."""
    slug = slugify(slug or fields.get("title_en") or fields.get("title_vi", ""))[:80] or "contest"
    if Contest.objects.filter(slug=slug).exists():
        raise ApplicationError("slug_taken", MSG_SLUG_TAKEN, {"slug": slug})
    contest = Contest(
        slug=slug,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{k: v for k, v in fields.items() if k in CONTEST_FIELDS},
    )
    contest.full_clean()
    contest.save()
    if contest.created_by is not None:
        contest.staff.add(contest.created_by)  # whoever creates a contest runs it
    _audit(contest, None, actor, "contest_create", _("Contest created."), _jsonable(fields))
    return contest


@transaction.atomic
def contest_staff_add(*, contest: Contest, actor, username: Any) -> Any:
    """Make an existing, active account staff of this contest (it may then edit the contest and
    see its personal data). Only this contest's staff call this (contest.selectors)."""
    user = (
        get_user_model().objects.filter(username=str(username), is_active=True).first()
        if isinstance(username, str) and username
        else None
    )
    if user is None:
        raise ApplicationError(
            "unknown_user", MSG_NO_SUCH_USER, {"username": str(MSG_NO_SUCH_USER)}
        )
    if not contest.staff.filter(pk=user.pk).exists():
        contest.staff.add(user)
        _audit(
            contest,
            None,
            actor,
            "staff_add",
            _("%(user)s joined the contest staff.") % {"user": user.get_username()},
            {"user": user.pk, "username": user.get_username()},
        )
    return user


@transaction.atomic
def contest_overlay_key_rotate(*, contest: Contest, actor) -> Contest:
    """A new read-only overlay key (docs/broadcast.md): the old overlay URLs and feed stop at
    once (they are polled, and every poll checks the key). The contest's staff only."""
    from contest.models import new_overlay_key

    contest_staff_required(user=actor, contest=contest)
    contest.overlay_key = new_overlay_key()
    Contest.objects.filter(pk=contest.pk).update(overlay_key=contest.overlay_key)
    _audit(contest, None, actor, "overlay_key_rotate", _("Overlay key rotated."), {})
    return contest


def contest_update(*, contest: Contest, actor=None, **fields) -> Contest:
    changes = {k: v for k, v in fields.items() if k in CONTEST_FIELDS and getattr(contest, k) != v}
    for k, v in changes.items():
        setattr(contest, k, v)
    contest.full_clean()
    contest.save()
    if changes:
        _audit(
            contest,
            None,
            actor,
            "contest_update",
            _("Contest settings changed."),
            _jsonable(changes),
        )
    return contest
