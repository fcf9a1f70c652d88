"""Cross-cutting HTTP middleware."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from core.errors import error_body, json_response, too_many

MSG_NULL_CHARACTER = gettext_lazy(
    "The address contains a null character, which no page or filter accepts."
)

# No inline scripts or styles anywhere: every page loads its JS and CSS from /static/.
# connect-src: only the site's own origin. CSP Level 3 lets 'self' match ws:/wss: on the same host
# and port (Chromium opens our /ws/ socket with it; tests/hardening/test_csp_browser.py proves it);
# the same host's ws:// and wss:// are also named for browsers that predate that rule (Safari
# before 15.4, still on school phones). A script injected into a page cannot send data to any
# other host: the old `ws: wss:` allowed every WebSocket server on the internet.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src {connect}; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(request) -> str:
    """The CSP for a response to `request`: connect-src names only this site's own host."""
    from django.core.exceptions import DisallowedHost

    try:
        host = request.get_host()  # validated against ALLOWED_HOSTS: no quotes, spaces or ';'
    except DisallowedHost:
        return CSP.format(connect="'self'")
    return CSP.format(connect=f"'self' ws://{host} wss://{host}")


class ContentSecurityPolicyMiddleware:
    """Adds a strict Content-Security-Policy header to every HTML response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = content_security_policy(request)
        return response


class NullCharacterMiddleware:
    """A null character in the query string is refused (400, in the reader's language) before
    any view can send it to the database, whose text cannot hold it (a 500 otherwise). Bodies
    are the serializers' and forms' business: their text fields already refuse it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:  # the only ways a query decodes to a NUL
            return json_response(error_body("null_character", MSG_NULL_CHARACTER), status=400)
        return self.get_response(request)


MSG_LENGTH_REQUIRED = gettext_lazy(
    "Send the request with its length (Content-Length): a body sent in chunks is not read."
)


class LengthRequiredMiddleware:
    """A body sent in chunks (Transfer-Encoding, no Content-Length) is refused with 411, in the
    reader's language. Django reads a request's body up to its Content-Length, so such a body was
    read as empty: an autosave carrying answers replied "saved" and stored nothing, a hand-in
    handed in without them. Behind nginx (make run-cluster) a chunked body arrives with its
    length: nginx reads it whole first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
            return json_response(error_body("length_required", MSG_LENGTH_REQUIRED), status=411)
        return self.get_response(request)


class RateLimitMiddleware:
    """Rate limits on every anonymous or participant entry point (core/ratelimit.ENTRY_POINTS),
    keyed on the real client address and the participant token: whatever the method (HEAD and
    OPTIONS count like GET). Failed guesses (unknown PIN or resume link, wrong join code) count
    toward the per-address lockout, successful joins toward their game's bucket. Requests the
    ASGI fast path already counted are not counted again (contest/fastpath.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        name = getattr(request, "_ratelimit_entry", None)
        if name is not None and response.status_code != 429:
            from core import ratelimit

            data = getattr(response, "data", None)
            code = data.get("code", "") if isinstance(data, dict) else ""
            ratelimit.record_result(
                name,
                address=ratelimit.client_address(request.META),
                status=response.status_code,
                code=str(code),
                pin=_pin_of(request) if name == "game-join" else "",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings

        from core import ratelimit

        match = request.resolver_match
        name = match.url_name if match is not None else None
        if (
            name not in ratelimit.ENTRY_POINTS
            or not settings.RATE_LIMITS_ENABLED
            or (getattr(request, "scope", None) or {}).get(ratelimit.CHECKED_KEY)
        ):
            return None
        request._ratelimit_entry = name
        wait = ratelimit.check(
            name,
            address=ratelimit.client_address(request.META),
            token=ratelimit.request_token(request.headers, request.COOKIES),
            pin=_pin_of(request) if name == "game-join" else "",
        )
        return None if wait is None else too_many(wait)


def _pin_of(request) -> str:
    """The PIN a join names (its per-game bucket); "" if there is none to read."""
    from core.jsonbody import loads
    from core.ratelimit import pin_of

    if request.method != "POST":
        return ""
    try:
        return pin_of(loads(request.body or b"{}"))
    except (ValueError, AttributeError, UnicodeDecodeError):
        return ""
