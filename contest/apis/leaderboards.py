"""Leaderboards: round, unit and contest boards, my rank, overlays and the feed."""

from __future__ import annotations

import time
from collections import OrderedDict

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from contest import access, boards, fastpath, selectors, services
from contest.apis.common import IsContestStaff, ParticipantApi, PublicApi, _int, by_viewer
from contest.models import Contest, Round, overlay_key_ok
from contest.services.registration import (
    participant_for_request,
    participant_required,
    round_token_state,
    token_claims,
)
from contest.shared_keys import scores_withheld_until
from core import ratelimit
from core.errors import ApplicationError, NotFoundError, too_many

# --- Leaderboards ------------------------------------------------------------------------------


def _round_for_board(round_id: int) -> tuple[Round, int]:
    """The round (a per-process copy, see selectors.round_get_published) and its board version.
    A self-paced round that has closed gets its close queued if no job is on its way
    (round_close_ensure); the board answers at once, marked not final until the job is done."""
    round_, version = selectors.round_get_published(round_id=round_id)
    services.round_close_ensure(round_)
    return round_, version


def _board_payload(scope, rows, extra=None) -> dict:
    payload = {
        **boards.board_state(scope),
        "rows": rows,
        "server_now": timezone.now().isoformat(),
    }
    payload.update(extra or {})
    return payload


def _public(request, contest) -> bool:
    """The contest's staff see the live standing; everyone else the public one (frozen,
    hidden)."""
    return not access.is_contest_staff(request.user, contest)


# Pre-rendered top-N bodies, per process: (round, n, offset, language, public) -> (stamp, fresh
# until, bytes, whether organisers see another board, replayable until: body_limits).
# A ceremony screen and thousands of phones ask for the same top 100: it is rendered at most
# once a second per process (staleness <= BOARD_BODY_SECONDS for new results), and at once when
# the board is rebuilt (closing, corrections) or the round changes (its versions are the stamp).
BOARD_BODY_SECONDS = 1.0
# How long past that second the ASGI fast path may still replay a body while it has Django render
# the next one in the background (readers never queue behind the rush's writes for it): never past
# the round's next change of standing in time (opening, freeze, close, end of the answer grace),
# and never once the round or its board changed (the versions are checked on every replay).
BOARD_STALE_SECONDS = 5.0


def body_limits(round_, built: float, wall) -> tuple[float, float]:
    """(fresh until, replayable until), monotonic, of a body whose standing was read at `built`
    (monotonic) = `wall` (timezone.now()): BOARD_BODY_SECONDS, then BOARD_STALE_SECONDS more, both
    cut at the round's next timed change of standing after `wall`. Measured from the moment the
    standing was read, not from the end of rendering: a body read just before the freeze is
    never served after it, however long its rendering took."""
    fresh = built + BOARD_BODY_SECONDS
    stale = fresh + BOARD_STALE_SECONDS
    moments = [round_.opens_at, round_.closes_at, round_.closed_at()]
    withheld = scores_withheld_until(round_, wall)
    if withheld is not None:
        moments.append(withheld)
    if round_.freeze_hours:
        moments.append(round_.freeze_at)
    upcoming = [m for m in moments if m > wall]
    if upcoming:
        cut = built + (min(upcoming) - wall).total_seconds()
        fresh, stale = min(fresh, cut), min(stale, cut)
    return fresh, stale


_BOARD_BODIES: OrderedDict[tuple, tuple[tuple, float, bytes, bool, float]] = OrderedDict()
_JSON = JSONRenderer()


class RoundLeaderboardApi(PublicApi):
    """Top N of a round (masked names): a pre-rendered body refreshed every second. Organisers
    get the live board (never replayed to anybody else); the public the frozen or hidden one."""

    def get(self, request, round_id):
        n, offset = fastpath.board_window(request.query_params)
        # Anonymous readers (the many) are public without a look at the round.
        public = not request.user.is_authenticated or _public(
            request, _round_for_board(round_id)[0].contest
        )
        key = (round_id, n, offset, get_language(), public)
        row_version, board_version = (
            boards.round_versions(round_id) if boards.redis_client() is not None else (None, None)
        )
        now = time.monotonic()
        hit = _BOARD_BODIES.get(key)
        if (
            row_version is not None
            and hit is not None
            and hit[0] == (row_version, board_version)
            and now < hit[1]
        ):
            body, fresh_until, private, stale_until = hit[2], hit[1], hit[3], hit[4]
        else:
            wall = timezone.now()  # the standing is read as of this moment
            round_, _version = _round_for_board(round_id)
            scope = boards.round_scope(round_, public=public, now=wall)
            # Organisers see another board than the public one (frozen, hidden).
            private = scope.key != boards.round_scope(round_, public=False, now=wall).key
            body = _JSON.render(
                _board_payload(
                    scope,
                    boards.top(scope, n, offset),
                    {"total": boards.size(scope), "round": selectors.round_public(round_, wall)},
                )
            )
            fresh_until, stale_until = body_limits(round_, now, wall)
            if row_version is not None:
                # The stamp read before rendering: a change during rendering renders again.
                # Full: the least recently used body goes, never all of them.
                fastpath.remember(
                    _BOARD_BODIES,
                    key,
                    ((row_version, board_version), fresh_until, body, private, stale_until),
                )
        asgi_scope = getattr(request._request, "scope", None)
        if row_version is not None and asgi_scope is not None and public:
            # The ASGI fast path (contest/fastpath.py) may replay this response as long as the
            # body is fresh; not to a signed-in user while the organisers' board differs (it
            # cannot tell an organiser's session from a participant's).
            asgi_scope[fastpath.REPLAY_KEY] = (
                fresh_until,
                (row_version, board_version),
                private,
                stale_until,
            )
        return by_viewer(HttpResponse(body, content_type="application/json"), not public)


class RoundMyRankApi(ParticipantApi):
    """My rank on the round's board. The signed token says who is asking (no database query);
    a token that has no row on the board is checked against the database as before."""

    def get(self, request, round_id):
        round_, _version = _round_for_board(round_id)
        scope = boards.round_scope(round_, public=_public(request, round_.contest))
        ids = token_claims(request.headers.get("X-Participant-Token"))
        if ids is not None and ids[1] == round_.contest_id:
            round_token_state(round_).check(ids[0], ids[2])
            me = boards.my_rank(scope, ids[0])
            if me is not None:
                return Response(boards.my_rank_payload(scope, me))
        participant = participant_required(request, round_.contest)
        me = boards.my_rank(scope, participant.pk)
        return Response(boards.my_rank_payload(scope, me))


class RoundAroundApi(ParticipantApi):
    def get(self, request, round_id):
        round_, _version = _round_for_board(round_id)
        participant = participant_required(request, round_.contest)
        k = _int(request.query_params.get("k"), 5, 1, 50)
        scope = boards.round_scope(round_, public=_public(request, round_.contest))
        return Response(
            _board_payload(scope, boards.around(scope, participant.pk, k), {"me": participant.pk})
        )


class UnitLeaderboardApi(PublicApi):
    """Units of a level ranked by the contest's (or the asked) aggregation."""

    def get(self, request, round_id=None, slug=None):
        if round_id is not None:
            round_, _version = _round_for_board(round_id)
            contest = round_.contest
        else:
            round_ = None
            contest = selectors.contest_get(slug=slug, user=request.user)
        level = request.query_params.get("level", "school")
        if level not in boards.UNIT_FIELDS:
            raise ApplicationError("invalid", _("Unknown level."), {"level": level})
        method = request.query_params.get("method") or None
        if method and method not in Contest.Aggregation.values:
            raise ApplicationError("invalid", _("Unknown aggregation."), {"method": method})
        public = _public(request, contest)
        rows = boards.unit_board(
            contest=contest,
            round_=round_,
            level=level,
            method=method,
            top_n=_int(request.query_params.get("top_n"), 0, 0, 1000) or None,
            parent_id=_int(request.query_params.get("parent"), 0, 0, 10**12) or None,
            public=public,
        )
        n = _int(request.query_params.get("n"), 100, 1, 1000)
        scope = (
            boards.round_scope(round_, public=public)
            if round_ is not None
            else boards.contest_scope(contest, public=public)
        )
        response = Response(
            {
                "level": level,
                "method": boards.unit_method(contest, round_, method, public=public),
                "rows": rows[:n],
                **boards.board_state(scope),
            }
        )
        return by_viewer(response, not public)


class ContestLeaderboardApi(PublicApi):
    """The contest ranking: rounds combined with their weights."""

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        n = _int(request.query_params.get("n"), 100, 1, 500)
        public = _public(request, contest)
        scope = boards.contest_scope(contest, public=public)
        payload = {
            **boards.board_state(scope),
            "rows": boards.top(scope, n),
            "total": boards.size(scope),
        }
        participant = participant_for_request(request, contest, allow_cookie=False)
        if participant:
            payload["me"] = boards.my_rank(scope, participant.pk)
        return by_viewer(Response(payload), not public or participant is not None)


CONTEST_OVERLAYS = ("top10", "units", "participation")


def contest_overlays_body(request, contest: Contest) -> dict:
    """The overlay URLs of a contest and its read-only feed (docs/broadcast.md): staff only."""
    key = contest.overlay_key
    page = lambda kind: request.build_absolute_uri(  # noqa: E731
        reverse("overlay-contest", args=[contest.slug, kind])
    )
    return {
        "key": key,
        "overlays": [{"kind": k, "url": f"{page(k)}?key={key}"} for k in CONTEST_OVERLAYS],
        "feed": {
            "rest": request.build_absolute_uri(reverse("contest-feed", args=[contest.slug]))
            + f"?key={key}"
        },
    }


class ContestOverlaysApi(PublicApi):
    """The staff's overlay URLs (GET) and a new read-only key (POST: old URLs stop at once)."""

    permission_classes = [IsContestStaff]

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        self.check_object_permissions(request, contest)
        response = Response(contest_overlays_body(request, contest))
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        contest = services.contest_overlay_key_rotate(contest=contest, actor=request.user)
        response = Response(contest_overlays_body(request, contest))
        response["Cache-Control"] = "no-store"
        return response


class ContestFeedApi(PublicApi):
    """GET /api/feed/contest/<slug>?key=: the public top 10, unit board and participation, for
    overlays and TV graphics (read-only key; the frozen and hidden rules apply)."""

    authentication_classes: list = []  # the key decides; a staff session sees no more

    def get(self, request, slug):
        wait = ratelimit.feed_wait(request.META)
        if wait is not None:
            return too_many(wait)
        contest = Contest.objects.filter(slug=slug).first()
        if contest is None or not overlay_key_ok(
            contest.overlay_key, request.query_params.get("key", "")
        ):
            raise NotFoundError("not_found", _("Not found."))
        level = request.query_params.get("level", "school")
        if level not in boards.UNIT_FIELDS:
            raise ApplicationError("invalid", _("Unknown level."), {"level": level})
        response = Response(selectors.contest_feed(contest=contest, level=level))
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
