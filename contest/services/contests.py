"""Organiser writes: create and configure contests and rounds (every change is audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contest import ranking
from contest.models import AuditEntry, Contest, Round
from core.errors import ApplicationError, NotFoundError
from quizzes.selectors import quiz_get

MSG_BAD_WINDOW = gettext_lazy("A round must close after it opens.")
MSG_BAD_CHAIN = gettext_lazy(
    "The ranking chain may use score, prediction, time and submitted, each once."
)
MSG_SLUG_TAKEN = gettext_lazy("Another contest already uses this address.")
MSG_NO_SUCH_USER = gettext_lazy("No active account has this username.")
MSG_QUIZ_UNKNOWN = gettext_lazy("This quiz does not exist or you cannot see it.")
MSG_ROUND_IN_USE = gettext_lazy(
    "Papers or results of this round exist already: its quiz and kind can no longer change. Make "
    "a new round instead."
)

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
ROUND_FIELDS = (
    "title_vi",
    "title_en",
    "kind",
    "opens_at",
    "closes_at",
    "time_limit_seconds",
    "max_attempts",
    "counting",
    "quiz",
    "quiz_id",
    "shuffle_options",
    "shuffle_questions",
    "weight",
    "prediction_text_vi",
    "prediction_text_en",
    "ranking_chain",
    "freeze_hours",
    "scores_while_open",
    "qualifier_from",
    "qualifier_top_n",
    "live_game_id",
    "position",
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
    from contest.selectors import contest_staff_required

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


def _check_quiz(round_: Round, actor) -> None:
    """A round's quiz must be one its author may see in the bank (the bank's own rule)."""
    if actor is None or not round_.quiz_id:
        return
    try:
        quiz_get(user=actor, pk=round_.quiz_id)
    except NotFoundError:
        raise ApplicationError(
            "invalid", MSG_QUIZ_UNKNOWN, {"quiz_id": str(MSG_QUIZ_UNKNOWN)}
        ) from None


def _check_round(round_: Round) -> None:
    if round_.opens_at and round_.closes_at and round_.closes_at <= round_.opens_at:
        raise ApplicationError("invalid", MSG_BAD_WINDOW, {"closes_at": str(MSG_BAD_WINDOW)})
    try:
        ranking.validate_chain(round_.ranking_chain)
    except ranking.InvalidChain:
        raise ApplicationError(
            "invalid", MSG_BAD_CHAIN, {"ranking_chain": str(MSG_BAD_CHAIN)}
        ) from None


@transaction.atomic
def round_create(*, contest: Contest, actor=None, **fields) -> Round:
    if "position" not in fields:
        fields["position"] = contest.rounds.count() + 1
    round_ = Round(contest=contest, **{k: v for k, v in fields.items() if k in ROUND_FIELDS})
    _check_round(round_)
    _check_quiz(round_, actor)
    round_.save()
    _audit(
        contest,
        round_,
        actor,
        "round_create",
        _("Round created: %(title)s.") % {"title": round_.title_vi},
        _jsonable(fields),
    )
    return round_


@transaction.atomic
def _round_in_use(round_: Round) -> bool:
    return round_.attempts.exists() or round_.results.exists()


def round_update(*, round_: Round, actor=None, **fields) -> Round:
    changes = {k: v for k, v in fields.items() if k in ROUND_FIELDS and getattr(round_, k) != v}
    if {"quiz", "quiz_id", "kind"} & set(changes) and _round_in_use(round_):
        # Another paper or kind under handed-in papers or recorded results would change an
        # official result behind the participants' backs.
        raise ApplicationError("round_in_use", MSG_ROUND_IN_USE, status=409)
    for k, v in changes.items():
        setattr(round_, k, v)
    _check_round(round_)
    if {"quiz", "quiz_id"} & set(changes):
        _check_quiz(round_, actor)
    round_.save()
    if changes:
        _audit(
            round_.contest,
            round_,
            actor,
            "round_update",
            _("Round settings changed: %(fields)s.") % {"fields": ", ".join(sorted(changes))},
            _jsonable(changes),
        )
        if {"ranking_chain", "counting"} & set(changes) and round_.finalized_at:
            from contest.services.results import round_recompute

            round_recompute(round_=round_)
    return round_
