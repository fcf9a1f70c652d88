"""REST endpoints of venues (realtime/venues.py), mounted under /api/ by realtime/urls.py.

The host manages a game's venues; a venue's MC presses "ready" with the venue's key.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.strict import StrictTypes
from realtime.apis import hosted_game
from realtime.models import Game, Venue
from realtime.venues import (
    venue_board_for_game,
    venue_delete,
    venue_ready_set,
    venue_settings,
    venue_settings_set,
    venues_add,
    venues_from_units,
)


def venue_links(request, venue: Venue, pin: str) -> dict:
    """A venue's links: players' join link (public) and its screen and MC view (secret key)."""
    from frontend.live.views import join_url

    return {
        "join_url": f"{join_url(request, pin)}&venue={venue.id}",
        "screen_url": f"/venue/{venue.id}/screen?key={venue.screen_key}",
        "mc_url": f"/venue/{venue.id}/mc?key={venue.screen_key}",
        "qr_url": f"/venue/{venue.id}/qr.svg?key={venue.screen_key}",
    }


def venues_body(request, game: Game) -> dict:
    venues = list(Venue.objects.filter(game=game).select_related("unit"))
    return {
        "settings": venue_settings(game),
        "venues": [
            {
                "id": v.id,
                "name": v.name,
                "unit": v.unit_id,
                "ready": v.ready,
                **venue_links(request, v, game.pin),
            }
            for v in venues
        ],
    }


class VenuesAddInput(StrictTypes, serializers.Serializer):
    names = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=64
    )
    unit = serializers.IntegerField(required=False)


class GameVenuesApi(APIView):
    """GET: the game's venues with their links; POST: add venues by name or from a unit's
    children (lobby only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, game_id: int):
        return Response(venues_body(request, hosted_game(request, game_id)))

    @extend_schema(request=VenuesAddInput, responses={201: dict})
    def post(self, request, game_id: int):
        game = hosted_game(request, game_id)
        data = VenuesAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        if "unit" in data.validated_data:
            venues_from_units(game=game, parent_id=data.validated_data["unit"])
        else:
            venues_add(game=game, names=data.validated_data.get("names") or [])
        return Response(venues_body(request, game), status=status.HTTP_201_CREATED)


class GameVenueDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, game_id: int, venue_id: int):
        venue_delete(game=hosted_game(request, game_id), venue_id=venue_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VenueSettingsInput(StrictTypes, serializers.Serializer):
    method = serializers.CharField(max_length=16)
    k = serializers.IntegerField()
    podium = serializers.CharField(max_length=8)


class GameVenueSettingsApi(APIView):
    """The venue method (mean, top_k, correct), K and the venue podium's place."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=VenueSettingsInput, responses={200: dict})
    def put(self, request, game_id: int):
        game = hosted_game(request, game_id)
        data = VenueSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(venue_settings_set(game=game, **data.validated_data))


class GameVenueBoardApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, game_id: int):
        game = hosted_game(request, game_id)
        return Response(
            {"settings": venue_settings(game), "board": venue_board_for_game(game=game)}
        )


class VenueReadyInput(StrictTypes, serializers.Serializer):
    key = serializers.CharField(max_length=200)
    ready = serializers.BooleanField()


class VenueReadyApi(APIView):
    """The venue's MC: ready (or not yet). The venue's key is the only credential."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=VenueReadyInput, responses={200: dict})
    def post(self, request, venue_id: int):
        data = VenueReadyInput(data=request.data)
        data.is_valid(raise_exception=True)
        venue = venue_ready_set(venue_id=venue_id, **data.validated_data)
        return Response({"venue": venue.id, "ready": venue.ready})
