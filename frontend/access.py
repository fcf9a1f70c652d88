"""Who may open a staff page: one rule for every page that needs a role."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render


def role_page_denied(request, *, allowed: bool, message: str):
    """None when the page may be shown. Otherwise an anonymous visitor goes to the log-in page
    (and comes back after), and a signed-in user without the role gets a readable 403 page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if allowed:
        return None
    return render(request, "frontend/error.html", {"title": message}, status=403)


def landing_for(user) -> str:
    """Where a user lands after logging in: where their role works."""
    from contest.access import is_contest_staff
    from quizzes.roles import is_teacher

    if is_contest_staff(user):
        return "/organise/"
    if is_teacher(user):
        return "/bank/"
    return "/contests/"
