"""Pages: live games (mounted at the site root by frontend/urls.py)."""

from __future__ import annotations

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from frontend.live import venue_views, views

urlpatterns = [
    path(
        "live/jsi18n/",
        JavaScriptCatalog.as_view(packages=views.LIVE_JS_PACKAGES),
        name="live-javascript-catalog",
    ),
    path("play", views.play, name="live-play"),
    path("host/", views.host_index, name="live-host-index"),
    path("host/<int:game_id>/", views.host_console, name="live-host"),
    path("host/<int:game_id>", views.host_console),
    path("screen/<int:game_id>/", views.screen, name="live-screen"),
    path("screen/<int:game_id>", views.screen),
    # Broadcast overlays (OBS / vMix browser sources): docs/broadcast.md.
    path(
        "overlay/jsi18n/<slug:lang>/",
        views.overlay_javascript_catalog,
        name="overlay-javascript-catalog",
    ),
    path("overlay/game/<int:game_id>/<slug:kind>", views.overlay_game, name="overlay-game"),
    path("overlay/contest/<slug:slug>/<slug:kind>", views.overlay_contest, name="overlay-contest"),
    path("qr/<int:game_id>.svg", views.qr_svg, name="live-qr"),
    # Venues of a game played at several places (issue #17).
    path("host/<int:game_id>/venues/", venue_views.host_venues, name="live-host-venues"),
    path("host/<int:game_id>/venues/sheet", venue_views.venue_sheet, name="live-venue-sheet"),
    path("venue/<int:venue_id>/screen", venue_views.venue_screen, name="live-venue-screen"),
    path("venue/<int:venue_id>/mc", venue_views.venue_mc, name="live-venue-mc"),
    path("venue/<int:venue_id>/qr.svg", venue_views.venue_qr, name="live-venue-qr"),
]
