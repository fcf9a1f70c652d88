"""Cross-cutting HTTP middleware."""

from __future__ import annotations

# No inline scripts or styles anywhere: every page loads its JS and CSS from /static/.
# connect-src: only the site's own origin. CSP Level 3 lets 'self' match ws:/wss: on the same host
# and port (Chromium opens our /ws/ socket with it; tests/hardening/test_csp_browser.py proves it),
# so a script injected into a page cannot send data to any other host (the old `ws: wss:` allowed
# every WebSocket server on the internet).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Adds a strict Content-Security-Policy header to every HTML response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class JoinRateLimitMiddleware:
    """Rate limits for the anonymous live-game entry points, keyed on the real client address.

    - joins: a token bucket per address and one per PIN (a flood on one game);
    - PIN look-ups: a token bucket per address;
    - PIN misses (404 from look-up or join, whatever the reason): after RATE_LIMIT_PIN_MISSES in
      the window, every look-up and join from that address gets 429 until the window ends.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: dict[str, str] | None = None

    def paths(self) -> dict[str, str]:
        if self._paths is None:
            from django.urls import reverse

            self._paths = {reverse("game-join"): "POST", reverse("game-lookup"): "GET"}
        return self._paths

    def __call__(self, request):
        from django.conf import settings

        method = self.paths().get(request.path)
        if method is None or request.method != method or not settings.RATE_LIMITS_ENABLED:
            return self.get_response(request)
        from config import ratelimit
        from config.ratelimit import Rate

        address = ratelimit.client_address(request.META)
        misses_rate = Rate.parse(settings.RATE_LIMIT_PIN_MISSES)
        misses, reset_in = ratelimit.count("pinmiss", address, misses_rate, add=0)
        if misses >= misses_rate.amount:
            return too_many(reset_in)
        if method == "GET":
            allowed, wait = ratelimit.take(
                "lookup", address, Rate.parse(settings.RATE_LIMIT_LOOKUP)
            )
        else:
            allowed, wait = ratelimit.take("join", address, Rate.parse(settings.RATE_LIMIT_JOIN))
            if allowed:
                pin = _pin_of(request)
                if pin:
                    allowed, wait = ratelimit.take(
                        "joingame", pin, Rate.parse(settings.RATE_LIMIT_JOIN_GAME)
                    )
        if not allowed:
            return too_many(wait)
        response = self.get_response(request)
        if response.status_code == 404:
            ratelimit.count("pinmiss", address, misses_rate, add=1)
        return response


def _pin_of(request) -> str:
    import json

    try:
        pin = json.loads(request.body or b"{}").get("pin")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return ""
    pin = str(pin).strip() if isinstance(pin, str | int) and not isinstance(pin, bool) else ""
    return pin if pin.isdigit() and len(pin) <= 12 else ""


def too_many(retry_after: int):
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    from config.errors import error_body

    retry_after = max(1, int(retry_after))
    response = JsonResponse(
        error_body(
            "rate_limited",
            _("Too many requests. Please slow down."),
            {"retry_after": retry_after},
        ),
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
