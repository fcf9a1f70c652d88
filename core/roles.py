"""Roles are Django groups: organiser, teacher, reviewer. Players need no account."""

from __future__ import annotations

ORGANISER = "organiser"
TEACHER = "teacher"
REVIEWER = "reviewer"
ROLES = (ORGANISER, TEACHER, REVIEWER)


def has_role(user, role: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_cq_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._cq_roles = cached
    return role in cached


def is_teacher(user) -> bool:
    """Teachers, reviewers and organisers may see answer keys and author questions."""
    return any(has_role(user, role) for role in ROLES)


def is_reviewer(user) -> bool:
    return has_role(user, REVIEWER) or has_role(user, ORGANISER)


def is_organiser(user) -> bool:
    return has_role(user, ORGANISER)
