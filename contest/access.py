"""Who may act on a contest: the one access rule of contest-scoped actions, below services and
selectors (both import it; contest.selectors re-exports it for pages and the API, and the API's
IsContestStaff permission asks it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from contest.models import Contest
from quizzes.errors import ForbiddenError
from quizzes.roles import is_organiser

MSG_STAFF_ONLY = gettext_lazy("Only this contest's staff can do this.")
MSG_ORGANISERS_ONLY = gettext_lazy("Only organisers can do this.")


def is_contest_staff(user, contest: Contest | None = None) -> bool:
    """The one access rule of contest-scoped actions: the contest's staff (Contest.staff) and
    superusers see its answer keys, full names and details at any time and may change it.

    Without a contest (pages not about one contest, such as creating one): whether the user may
    run contests at all (the organiser role). Callers about one contest always pass it.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if contest is None:
        return is_organiser(user)
    if contest.pk is None:
        return False
    return contest.staff.filter(pk=user.pk).exists()


def contest_staff_required(*, user, contest: Contest | None = None) -> None:
    """Raise 403 unless `user` is staff of `contest` (see is_contest_staff); the API and the
    organiser pages both call this."""
    if not is_contest_staff(user, contest):
        message = MSG_ORGANISERS_ONLY if contest is None else MSG_STAFF_ONLY
        raise ForbiddenError("permission_denied", message)
