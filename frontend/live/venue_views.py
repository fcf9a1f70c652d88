"""Venue pages (issue #17): the host's venue manager and printable sheet, each venue's screen,
its MC view and its join QR code. Thin shells over realtime/venues.py and the live socket."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from frontend.live.views import _teacher_or_login, join_url, qr_code_svg
from quizzes.models import Unit
from realtime.models import Game, Venue
from realtime.venue_apis import venue_links
from realtime.venues import key_matches, venue_settings


def _hosted(request, game_id: int) -> Game:
    game = Game.objects.filter(pk=game_id, host=request.user).first()
    if game is None:
        raise Http404
    return game


def host_venues(request, game_id: int):
    """Add venues by hand or from units, pick the venue method, open each venue's links."""
    if denied := _teacher_or_login(request):
        return denied
    game = _hosted(request, game_id)
    # Venues are districts (or communes) of a province, or a district's schools at most: the
    # picker lists provinces and districts only (a real hierarchy has thousands of schools).
    parents = (
        Unit.objects.filter(level__in=["province", "district"], children__isnull=False)
        .distinct()
        .order_by("level", "name")
    )
    return render(
        request,
        "frontend_live/venues.html",
        {"game": game, "parents": parents, "settings": venue_settings(game)},
    )


def venue_sheet(request, game_id: int):
    """A printable sheet: each venue's join QR code and link, and its screen and MC links."""
    if denied := _teacher_or_login(request):
        return denied
    game = _hosted(request, game_id)
    rows = []
    for venue in Venue.objects.filter(game=game):
        links = venue_links(request, venue, game.pin)
        base = request.build_absolute_uri("/").rstrip("/")
        rows.append(
            {
                "venue": venue,
                "join_url": links["join_url"],
                "screen_url": base + links["screen_url"],
                "mc_url": base + links["mc_url"],
                "qr": qr_code_svg(links["join_url"]).decode(),
            }
        )
    return render(request, "frontend_live/venue_sheet.html", {"game": game, "rows": rows})


def _venue_page(request, venue_id: int, template: str):
    key = request.GET.get("key", "")[:200]
    venue = Venue.objects.select_related("game").filter(pk=venue_id).first()
    # Only with the right key does the page name the game: the socket checks the key again.
    ok = key_matches(venue, key)
    response = render(
        request,
        template,
        {
            "game_id": venue.game_id if ok else 0,
            "venue_id": venue_id,
            "venue_name": venue.name if ok else "",
            "key": key,
            "join_url": join_url(request),
            "practice": False,
        },
    )
    # The key never leaves this site in a Referer; same-origin (not no-referrer) keeps the page's
    # own forms (the language switch) posting with its origin, which the CSRF check needs.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def venue_screen(request, venue_id: int):
    """A venue's big screen: the game's screen plus its venue's counts and the venue board."""
    return _venue_page(request, venue_id, "frontend_live/venue_screen.html")


def venue_mc(request, venue_id: int):
    """A venue MC's phone or tablet: count, countdown, venue rank and a "ready" button."""
    return _venue_page(request, venue_id, "frontend_live/venue_mc.html")


@cache_control(private=True, max_age=300)
def venue_qr(request, venue_id: int):
    """The venue's join link as a QR code: for its screen (key) and the game's host."""
    venue = Venue.objects.select_related("game").filter(pk=venue_id).first()
    if venue is None:
        raise Http404
    allowed = key_matches(venue, request.GET.get("key", "")) or (
        request.user.is_authenticated and venue.game.host_id == request.user.id
    )
    if not allowed:
        raise Http404
    text = f"{join_url(request, venue.game.pin)}&venue={venue.id}"
    return HttpResponse(qr_code_svg(text), content_type="image/svg+xml")
