"""Ceremony pages: the organiser's list and console, the audience screen and the overlay.

The console prepares the show through contest.services.ceremony and runs it over the ceremony
WebSocket (realtime/ceremony.py). Audience pages carry no result at all: they only open the socket
with the ceremony's read-only key, and a wrong or rotated key gets a 404.
"""

from __future__ import annotations

import hmac

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from contest import access, prizes
from contest.models import Ceremony, Contest
from contest.services import ceremony as svc
from frontend.access import role_page_denied
from quizzes.errors import ApplicationError


def _refusal(request, contest: Contest):
    return role_page_denied(
        request,
        allowed=access.is_contest_staff(request.user, contest),
        message=access.MSG_STAFF_ONLY,
    )


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _form_data(post) -> dict:
    """The console's form as the service's settings (the service checks them)."""
    try:
        tiers = prizes.parse_tiers_text(post.get("tiers", ""))
    except ValueError:
        tiers = None  # refused by the service with its message
    source = post.get("source", "round")
    data = {
        "source": source,
        "places": _int(post.get("places"), 0),
        "units": post.get("units", Ceremony.Units.AFTER),
        "masked": post.get("masked") == "on",
        "stage_offset": _int(post.get("stage_offset") or 0, -1),  # empty: no offset
        "tiers": tiers if tiers is not None else "bad",
    }
    if source == "round":
        data["round_id"] = _int(post.get("round"))
    if source == "game":
        data["game_id"] = _int(post.get("game"))
    return data


def _error(request, exc: ApplicationError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    messages.error(request, " ".join([exc.message, *(str(v) for v in details.values())]))


def ceremony_list(request, slug):
    """A contest's ceremonies, and a new one prepared from the form."""
    contest = Contest.objects.filter(slug=slug).first()
    if contest is None:
        raise Http404
    if refusal := _refusal(request, contest):
        return refusal
    if request.method == "POST":
        try:
            ceremony = svc.ceremony_prepare(
                user=request.user, contest=contest, data=_form_data(request.POST)
            )
        except ApplicationError as exc:
            _error(request, exc)
            return redirect(request.get_full_path())
        return redirect("ceremony-console", ceremony_id=ceremony.pk)
    return render(
        request,
        "frontend_contests/ceremony_list.html",
        {
            "contest": contest,
            "ceremonies": contest.ceremonies.select_related("round"),
            "rounds": list(contest.rounds.all()),
            "form": _form_context(None),
        },
    )


def _form_context(ceremony: Ceremony | None) -> dict:
    return {
        "ceremony": ceremony,
        "sources": Ceremony.Source.choices,
        "units": Ceremony.Units.choices,
        "tiers": prizes.tiers_text(ceremony.tiers if ceremony else prizes.DEFAULT_TIERS),
        "places": ceremony.places if ceremony else 10,
        "masked": ceremony.masked if ceremony else True,
        "stage_offset": ceremony.stage_offset if ceremony else 0,
    }


def ceremony_console(request, ceremony_id):
    """The operator's console: prepare the show, then run it (keyboard, clicker, jump, blackout)."""
    ceremony = Ceremony.objects.select_related("contest", "round").filter(pk=ceremony_id).first()
    if ceremony is None:
        if not request.user.is_authenticated:
            return role_page_denied(request, allowed=False, message="")
        raise Http404
    if refusal := _refusal(request, ceremony.contest):
        return refusal
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rotate_key":
                svc.ceremony_key_rotate(user=request.user, ceremony=ceremony)
                messages.success(request, _("New screen key: the old screen links stop working."))
            elif action == "release":
                svc.ceremony_release(user=request.user, ceremony=ceremony)
                messages.success(request, _("The final results are public now."))
            else:
                svc.ceremony_prepare(
                    user=request.user,
                    contest=ceremony.contest,
                    data=_form_data(request.POST),
                    ceremony=ceremony,
                )
                messages.success(request, _("The show is prepared: it starts at its first step."))
        except ApplicationError as exc:
            _error(request, exc)
        return redirect(request.get_full_path())
    key = ceremony.screen_key
    screen = request.build_absolute_uri(reverse("ceremony-screen", args=[ceremony.pk]))
    overlay = request.build_absolute_uri(reverse("ceremony-overlay", args=[ceremony.pk]))
    return render(
        request,
        "frontend_contests/ceremony_console.html",
        {
            "contest": ceremony.contest,
            "rounds": list(ceremony.contest.rounds.all()),
            "form": _form_context(ceremony),
            "ceremony": ceremony,
            "screen_url": f"{screen}?key={key}",
            "overlay_url": f"{overlay}?key={key}",
        },
    )


def _audience(request, ceremony_id, template: str):
    ceremony = Ceremony.objects.select_related("contest", "round").filter(pk=ceremony_id).first()
    key = request.GET.get("key", "")
    if ceremony is None or not hmac.compare_digest(key.encode(), ceremony.screen_key.encode()):
        raise Http404
    title = ceremony.round.title_in() if ceremony.round else ""
    response = render(
        request,
        template,
        {"contest": ceremony.contest, "ceremony": ceremony, "subtitle": title, "key": key},
    )
    response["Referrer-Policy"] = "no-referrer"  # the key stays on this page
    response["Cache-Control"] = "no-store"
    return response


def ceremony_screen(request, ceremony_id):
    return _audience(request, ceremony_id, "frontend_contests/ceremony_screen.html")


def ceremony_overlay(request, ceremony_id):
    return _audience(request, ceremony_id, "frontend_contests/ceremony_overlay.html")
