from __future__ import annotations

from django.conf import settings

from core.roles import is_organiser, is_reviewer, is_teacher


def site(request):
    """Site name and the current user's roles, for navigation."""
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "user_is_teacher": bool(user and is_teacher(user)),
        "user_is_reviewer": bool(user and is_reviewer(user)),
        "user_is_organiser": bool(user and is_organiser(user)),
    }
