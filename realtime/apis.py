"""REST endpoints of live games (mounted under /api/): create, list, look up, join, results."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFoundError
from core.strict import StrictTypes
from realtime import services
from realtime.access import MSG_GAME_NOT_FOUND, may_host, may_watch
from realtime.challenge import challenge_current, join_challenge_set
from realtime.device import DEVICE_COOKIE, device_cookie_set, device_read
from realtime.join import JoinInput, join_reply, lookup_reply
from realtime.models import Game
from realtime.results import game_results, results_csv, results_xlsx
from realtime.venues import venue_id_for_key


def _join_url(request, pin: str) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/") if settings.PUBLIC_BASE_URL else None
    path = f"/play?pin={pin}"
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def game_body(request, game: Game) -> dict:
    return {
        "id": game.id,
        "pin": game.pin,
        "status": game.status,
        "quiz": {"id": game.quiz_id, "title": game.quiz.title if game.quiz else ""},
        "join_url": _join_url(request, game.pin),
        "host_url": f"/host/{game.id}/",
        "screen_url": f"/screen/{game.id}/?key={game.screen_key}",
        "ws_url": f"/ws/game/{game.id}/",
        "settings": game.settings,
        "practice": game.practice,
        "questions": len(game.plan),
        "players": game.players.filter(banned=False).count(),
        "created_at": game.created_at,
        "started_at": game.started_at,
        "ended_at": game.ended_at,
    }


def hosted_game(request, game_id: int) -> Game:
    game = Game.objects.select_related("quiz").filter(id=game_id).first()
    if game is None or not may_host(request.user, game):
        raise NotFoundError("not_found", MSG_GAME_NOT_FOUND)
    return game


class GameCreateInput(StrictTypes, serializers.Serializer):
    quiz = serializers.IntegerField()
    settings = serializers.DictField(required=False)
    contest_round = serializers.IntegerField(required=False, allow_null=True)
    practice = serializers.BooleanField(required=False, default=False)


class GameListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    def get(self, request):
        games = Game.objects.filter(host=request.user).select_related("quiz")[:100]
        return Response([game_body(request, g) for g in games])

    @extend_schema(request=GameCreateInput, responses={201: dict})
    def post(self, request):
        data = GameCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        game = services.game_create(
            host=request.user,
            quiz_id=data.validated_data["quiz"],
            settings=data.validated_data.get("settings"),
            contest_round_id=data.validated_data.get("contest_round"),
            practice=data.validated_data["practice"],
        )
        return Response(game_body(request, game), status=status.HTTP_201_CREATED)


class GameUpdateInput(StrictTypes, serializers.Serializer):
    join_challenge = serializers.BooleanField()


class GameDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, game_id: int):
        return Response(game_body(request, hosted_game(request, game_id)))

    @extend_schema(request=GameUpdateInput, responses={200: dict})
    def patch(self, request, game_id: int):
        """Settings the host may change during a game (today: the join challenge)."""
        data = GameUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        join_challenge_set(
            game_id=game_id, host=request.user, on=data.validated_data["join_challenge"]
        )
        return Response(game_body(request, hosted_game(request, game_id)))


class GameChallengeApi(APIView):
    """The current join code, for the ceremony screen (its key), a venue's screen (the venue's
    key: that venue's code) and the host (session)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: dict})
    def get(self, request, game_id: int):
        game = Game.objects.filter(id=game_id).first()
        key = request.query_params.get("key", "")
        if game is None or not may_watch(game, user=request.user, key=key):
            raise NotFoundError("not_found", MSG_GAME_NOT_FOUND)
        venue_id = venue_id_for_key(game_id=game.id, key=key)
        response = Response(challenge_current(game=game, venue_id=venue_id))
        response["Cache-Control"] = "no-store"
        return response


GAME_OVERLAYS = ("lower-third", "ticker", "join", "distribution")


def game_overlays_body(request, game: Game) -> dict:
    """The overlay URLs of a game and its read-only feed (docs/broadcast.md): the host's only."""
    key = game.overlay_key
    page = lambda kind: request.build_absolute_uri(  # noqa: E731
        reverse("overlay-game", args=[game.id, kind])
    )
    ws_base = request.build_absolute_uri("/").replace("http", "ws", 1).rstrip("/")
    return {
        "key": key,
        "overlays": [{"kind": kind, "url": f"{page(kind)}?key={key}"} for kind in GAME_OVERLAYS],
        "feed": {
            "rest": request.build_absolute_uri(f"/api/feed/game/{game.id}") + f"?key={key}",
            "ws": f"{ws_base}/ws/feed/game/{game.id}/?key={key}",
        },
    }


class GameOverlaysApi(APIView):
    """The host's overlay URLs (GET) and a new read-only key (POST: old URLs and open feed
    sockets stop at once, in every server process)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, game_id: int):
        response = Response(game_overlays_body(request, hosted_game(request, game_id)))
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, game_id: int):
        from asgiref.sync import async_to_sync

        from realtime.feed import overlay_key_rotated

        game = services.game_overlay_key_rotate(game_id=game_id, host=request.user)
        async_to_sync(overlay_key_rotated)(game_id=game.id, key=game.overlay_key)
        response = Response(game_overlays_body(request, game))
        response["Cache-Control"] = "no-store"
        return response


class GameLookupApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: dict})
    def get(self, request):
        # No DRF authentication here (the lookup is public); the session's user, read only for a
        # practice game, lets its host find it.
        session_user = SimpleLazyObject(lambda: get_user(request._request))
        return Response(lookup_reply(pin=request.query_params.get("pin", ""), user=session_user))


class GameJoinApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=JoinInput, responses={201: dict})
    def post(self, request):
        data = JoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user if request.user.is_authenticated else None
        body, new_device, _player = join_reply(
            data=data.validated_data,
            user=user,
            device=device_read(request.COOKIES.get(DEVICE_COOKIE)),
        )
        response = Response(body, status=status.HTTP_201_CREATED)
        if new_device is not None:
            device_cookie_set(response, new_device, secure=request.is_secure())
        return response


class GameContestResultsInput(StrictTypes, serializers.Serializer):
    overwrite = serializers.BooleanField(default=False)


class GameContestResultsApi(APIView):
    """Record an ended game's results in its live contest round (the contest's staff only);
    replacing results the round already has needs `"overwrite": true`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=GameContestResultsInput, responses={201: dict})
    def post(self, request, game_id: int):
        data = GameContestResultsInput(data=request.data)
        data.is_valid(raise_exception=True)
        stored = services.game_contest_results_record(
            game_id=game_id, actor=request.user, overwrite=data.validated_data["overwrite"]
        )
        return Response({"results": stored}, status=status.HTTP_201_CREATED)


class GameResultsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, game_id: int):
        return Response(game_results(game=hosted_game(request, game_id)))


class GameResultsCsvApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: str})
    def get(self, request, game_id: int):
        game = hosted_game(request, game_id)
        response = HttpResponse(results_csv(game=game), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="game-{game.pin}-results.csv"'
        return response


class GameResultsXlsxApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: bytes})
    def get(self, request, game_id: int):
        game = hosted_game(request, game_id)
        response = HttpResponse(
            results_xlsx(game=game),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="game-{game.pin}-results.xlsx"'
        return response
