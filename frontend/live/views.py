"""Live game pages: the player's phone page, the host console and the ceremony screen.

The pages are thin shells: everything live comes over the WebSocket protocol (docs/protocol.md)
and the REST API; views only pass ids and secrets to the page's ES module with data-* attributes.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from contest.apis import CONTEST_OVERLAYS
from contest.models import overlay_key_ok
from core.roles import is_teacher
from core.text import PIN_MAX_LENGTH, typed_digits
from frontend.access import role_page_denied
from realtime.access import may_watch, screen_key_ok
from realtime.apis import GAME_OVERLAYS
from realtime.device import DEVICE_COOKIE, device_cookie_set, device_new, device_read
from realtime.models import Game
from realtime.services import quizzes_for_hosting

# The live pages' JS strings: this app's and the shared modules' (frontend/static/frontend/js/),
# not the site-wide catalogue, which grows with every app (phone budget).
LIVE_JS_PACKAGES = ["frontend.live", "frontend"]


def _teacher_or_login(request):
    """None when the user may host; otherwise the response to send (login or 403 page)."""
    return role_page_denied(
        request, allowed=is_teacher(request.user), message=_("Only teachers can host live games.")
    )


def join_url(request, pin: str | None = None) -> str:
    """The absolute /play link players open (PUBLIC_BASE_URL when set, else this request's host)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    return f"{base}/play" + (f"?pin={pin}" if pin else "")


def play(request):
    """The player's page: PIN + nickname form, then the live game UI (same URL)."""
    pin = typed_digits(request.GET.get("pin", ""), max_length=PIN_MAX_LENGTH)
    venue = "".join(ch for ch in request.GET.get("venue", "") if ch.isdigit())[:12]
    response = render(request, "frontend_live/play.html", {"pin": pin, "venue": venue})
    # The page joins on the join socket (docs/protocol.md "Joining"), which cannot set a cookie:
    # the device cookie (realtime/device.py) comes with the page, for the socket's handshake.
    if device_read(request.COOKIES.get(DEVICE_COOKIE)) is None:
        device_cookie_set(response, device_new(), secure=request.is_secure())
    return response


def host_index(request):
    """The teacher's quizzes, each with a Host button that creates a game and opens its console."""
    if denied := _teacher_or_login(request):
        return denied
    # Only quizzes hosting accepts (one rule with POST /api/games/): no Host button that fails.
    quizzes = quizzes_for_hosting(host=request.user)
    mine = [q for q in quizzes if q.author_id == request.user.id]
    shared = [q for q in quizzes if q.author_id != request.user.id]
    return render(request, "frontend_live/host_index.html", {"mine": mine, "shared": shared})


def host_console(request, game_id: int):
    """The host's console for one game of this user (the WebSocket checks it again)."""
    if denied := _teacher_or_login(request):
        return denied
    game = Game.objects.filter(pk=game_id, host=request.user).only("practice").first()
    if game is None:
        raise Http404
    return render(
        request,
        "frontend_live/host.html",
        {
            "game_id": game_id,
            "practice": game.practice,
            "overlay_kinds": game_overlay_kinds(),
            "overlays_api": reverse("game-overlays", args=[game_id]),
        },
    )


def screen(request, game_id: int):
    """The ceremony screen (projector): the secret key travels in the URL and in hello."""
    key = request.GET.get("key", "")[:200]
    response = render(
        request,
        "frontend_live/screen.html",
        {
            "game_id": game_id,
            "key": key,
            "join_url": join_url(request),
            # Only with the right key: the page says no more about a game than its socket would.
            "practice": bool(key) and _practice_screen(game_id, key),
        },
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # keep the key out of Referer headers
    return response


def game_overlay_kinds() -> list[tuple[str, str]]:
    """The overlays of a live game with their names, for the host's Overlays panel."""
    labels = {
        "lower-third": _("Lower third: question and countdown"),
        "ticker": _("Top-5 ticker"),
        "join": _("Join card: QR code and PIN"),
        "distribution": _("Answer distribution (after the reveal)"),
    }
    return [(kind, labels[kind]) for kind in GAME_OVERLAYS]


def contest_overlay_kinds() -> list[tuple[str, str]]:
    """The overlays of a contest with their names, for the organiser's Overlays panel."""
    labels = {
        "top10": _("Top 10"),
        "units": _("Unit board"),
        "participation": _("Participation counter"),
    }
    return [(kind, labels[kind]) for kind in CONTEST_OVERLAYS]


def _overlay_page(request, context: dict):
    """An OBS / vMix browser source (1920x1080, transparent): a shell whose ES module reads the
    read-only feed with the key from the URL (docs/broadcast.md)."""
    # ?lang=vi|en: an OBS machine's browser language is rarely the broadcast's language.
    lang = request.GET.get("lang")
    lang = lang if lang in OVERLAY_LANGUAGES else (translation.get_language() or "vi")[:2]
    with translation.override(lang):
        response = render(
            request,
            "frontend_live/overlay.html",
            {**context, "key": request.GET.get("key", "")[:200], "lang": lang},
        )
    response.headers["Referrer-Policy"] = "no-referrer"  # keep the key out of Referer headers
    return response


OVERLAY_LANGUAGES = ("vi", "en")


def overlay_javascript_catalog(request, lang: str):
    """The live pages' JS strings in the overlay's language (not the browser's)."""
    if lang not in OVERLAY_LANGUAGES:
        raise Http404
    with translation.override(lang):
        return JavaScriptCatalog.as_view(packages=LIVE_JS_PACKAGES)(request)


def overlay_game(request, game_id: int, kind: str):
    """A live game's overlay: lower third, top-5 ticker, join card or answer distribution."""
    if kind not in GAME_OVERLAYS:
        raise Http404
    return _overlay_page(
        request,
        {
            "scope": "game",
            "kind": kind,
            "target": game_id,
            "join_url": join_url(request),
            "qr_url": reverse("live-qr", args=[game_id]),
        },
    )


def overlay_contest(request, slug: str, kind: str):
    """A contest's overlay: top 10, unit board or participation counter (public data only)."""
    if kind not in CONTEST_OVERLAYS:
        raise Http404
    return _overlay_page(request, {"scope": "contest", "kind": kind, "target": slug})


def _practice_screen(game_id: int, key: str) -> bool:
    game = Game.objects.filter(pk=game_id, practice=True).only("screen_key").first()
    return game is not None and screen_key_ok(game, key)


@cache_control(private=True, max_age=300)
def qr_svg(request, game_id: int):
    """The join link of a game as an SVG QR code, drawn here (no outside service)."""
    game = (
        Game.objects.filter(pk=game_id).only("pin", "screen_key", "overlay_key", "host_id").first()
    )
    if game is None:
        raise Http404
    key = request.GET.get("key", "")
    # The PIN is a door key: only the screen (its secret), the join-card overlay (the PIN is on
    # it anyway) and the host may draw it.
    allowed = may_watch(game, user=request.user, key=key) or overlay_key_ok(game.overlay_key, key)
    if not allowed:
        raise Http404
    return HttpResponse(qr_code_svg(join_url(request, game.pin)), content_type="image/svg+xml")


def qr_code_svg(text: str) -> bytes:
    """`text` as a QR code in SVG (one path: small, sharp at any projector size)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
