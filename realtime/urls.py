"""REST routes of live games (mounted under /api/)."""

from __future__ import annotations

from django.urls import path

from realtime.apis import (
    GameChallengeApi,
    GameContestResultsApi,
    GameDetailApi,
    GameJoinApi,
    GameListCreateApi,
    GameLookupApi,
    GameOverlaysApi,
    GameResultsApi,
    GameResultsCsvApi,
    GameResultsXlsxApi,
)
from realtime.feed import game_feed
from realtime.venue_apis import (
    GameVenueBoardApi,
    GameVenueDetailApi,
    GameVenuesApi,
    GameVenueSettingsApi,
    VenueReadyApi,
)

urlpatterns = [
    path("games/<int:game_id>/venues", GameVenuesApi.as_view(), name="game-venues"),
    path(
        "games/<int:game_id>/venues/settings",
        GameVenueSettingsApi.as_view(),
        name="game-venue-settings",
    ),
    path("games/<int:game_id>/venues/board", GameVenueBoardApi.as_view(), name="game-venue-board"),
    path(
        "games/<int:game_id>/venues/<int:venue_id>",
        GameVenueDetailApi.as_view(),
        name="game-venue-detail",
    ),
    path("venues/<int:venue_id>/ready", VenueReadyApi.as_view(), name="venue-ready"),
    path("feed/game/<int:game_id>", game_feed, name="game-feed"),
    path("games/<int:game_id>/overlays", GameOverlaysApi.as_view(), name="game-overlays"),
    path("games/", GameListCreateApi.as_view(), name="game-list"),
    path("games/join", GameJoinApi.as_view(), name="game-join"),
    path("games/lookup", GameLookupApi.as_view(), name="game-lookup"),
    path("games/<int:game_id>/", GameDetailApi.as_view(), name="game-detail"),
    path("games/<int:game_id>/challenge", GameChallengeApi.as_view(), name="game-challenge"),
    path("games/<int:game_id>/results/", GameResultsApi.as_view(), name="game-results"),
    path(
        "games/<int:game_id>/contest-results/",
        GameContestResultsApi.as_view(),
        name="game-contest-results",
    ),
    path("games/<int:game_id>/results.csv", GameResultsCsvApi.as_view(), name="game-results-csv"),
    path(
        "games/<int:game_id>/results.xlsx", GameResultsXlsxApi.as_view(), name="game-results-xlsx"
    ),
]
