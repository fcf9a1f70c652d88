"""Contest REST API (mounted under /api/). Views validate input, call one service or selector,
and serialise. Participants without an account authenticate with the X-Participant-Token header
(the signed token they got at registration)."""

from __future__ import annotations

import time
from collections import OrderedDict

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config import ratelimit
from config.middleware import too_many
from config.strict import StrictTypes
from contest import fastpath, leaderboards, selectors, services
from contest.attempt_fastpath import autosave_reply
from contest.jobs import CERTIFICATES_ZIP, ROUND_EXPORT
from contest.models import Contest, Round, overlay_key_ok
from contest.services import exports
from contest.services.captcha import captcha_challenge
from contest.services.registration import (
    COOKIE_PREFIX,
    participant_for_request,
    participant_required,
    participant_token_revoke,
    request_token,
    round_token_state,
    token_claims,
)
from contest.services.verification import email_code_send
from quizzes.background import job_enqueue
from quizzes.background.selectors import job_public
from quizzes.errors import ApplicationError, ForbiddenError, NotFoundError


def _int(value, default: int, low: int = 0, high: int = 1000) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


class PublicApi(APIView):
    permission_classes = [AllowAny]


class ParticipantApi(PublicApi):
    """A reply about one participant (their name, paper, answers, rank): never stored by a shared
    cache or the browser's, and varies with who asks."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie", "X-Participant-Token"])
        return response


# --- Contests and registration -------------------------------------------------------------------


class ContestListApi(PublicApi):
    """Published contests (organisers also see unpublished ones); organisers create with POST."""

    class InputSerializer(StrictTypes, serializers.Serializer):
        slug = serializers.SlugField(required=False, allow_blank=True)
        title_vi = serializers.CharField(max_length=250)
        title_en = serializers.CharField(max_length=250, required=False, allow_blank=True)
        description_vi = serializers.CharField(required=False, allow_blank=True)
        description_en = serializers.CharField(required=False, allow_blank=True)
        rules_vi = serializers.CharField(required=False, allow_blank=True)
        rules_en = serializers.CharField(required=False, allow_blank=True)
        is_published = serializers.BooleanField(required=False)
        unit_aggregation = serializers.ChoiceField(
            choices=Contest.Aggregation.choices, required=False
        )
        aggregation_top_n = serializers.IntegerField(min_value=1, max_value=1000, required=False)
        require_email_verification = serializers.BooleanField(required=False)
        require_captcha = serializers.BooleanField(required=False)

    def get(self, request):
        now = timezone.now()
        return Response(
            [selectors.contest_public(c, now) for c in selectors.contest_list(user=request.user)]
        )

    def post(self, request):
        selectors.contest_staff_required(user=request.user, contest=None)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contest = services.contest_create(actor=request.user, **data.validated_data)
        return Response(selectors.contest_public(contest), status=201)


class ContestDetailApi(PublicApi):
    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        return Response(selectors.contest_public(contest))

    def patch(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=contest)
        data = ContestListApi.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        contest = services.contest_update(
            contest=contest, actor=request.user, **data.validated_data
        )
        return Response(selectors.contest_public(contest))


class RegisterApi(PublicApi):
    """Register for a contest; returns the signed resume token (also set as a cookie)."""

    class InputSerializer(StrictTypes, serializers.Serializer):
        full_name = serializers.CharField(max_length=120, allow_blank=True)
        date_of_birth = serializers.DateField(required=False, allow_null=True)
        email = serializers.CharField(max_length=254, required=False, allow_blank=True)
        phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
        unit = serializers.IntegerField(required=False, allow_null=True)
        consent = serializers.BooleanField(default=False)
        email_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
        captcha = serializers.DictField(
            child=serializers.CharField(max_length=500), required=False, allow_null=True
        )

    def post(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        participant = services.participant_register(
            contest=contest,
            full_name=d["full_name"],
            unit_id=d.get("unit"),
            consent=d["consent"],
            date_of_birth=d.get("date_of_birth"),
            email=d.get("email", ""),
            phone=d.get("phone", ""),
            user=request.user,
            email_code=d.get("email_code", ""),
            captcha=d.get("captcha"),
        )
        token = services.participant_token(participant)
        response = Response(
            {
                "participant": participant.pk,
                "public_name": participant.public_name,
                "token": token,
                "resume_url": request.build_absolute_uri(
                    f"/contests/{contest.slug}/resume/{token}/"
                ),
            },
            status=201,
        )
        set_participant_cookie(response, contest, token, secure=request.is_secure())
        return response


class EmailCodeApi(PublicApi):
    """Send a one-time code to the email address (contests that ask for a verified email)."""

    class InputSerializer(StrictTypes, serializers.Serializer):
        email = serializers.CharField(max_length=254)

    def post(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = email_code_send(contest=contest, email=data.validated_data["email"])
        expires_in = int((row.expires_at - row.created_at).total_seconds())
        return Response({"sent": True, "expires_in": expires_in}, status=202)


class CaptchaApi(PublicApi):
    """A fresh proof-of-work challenge for the registration page (contest/services/captcha.py)."""

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        response = Response(captcha_challenge(contest=contest))
        response["Cache-Control"] = "no-store"
        return response


class TokenRevokeApi(PublicApi):
    """Organisers: revoke a participant's tokens (every issued link and cookie stops working).
    The reply holds a fresh resume link for the rightful person."""

    def post(self, request, slug, participant_id):
        contest = selectors.contest_get(slug=slug, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=contest)
        participant, token = participant_token_revoke(
            contest=contest, participant_id=participant_id, actor=request.user
        )
        return Response(
            {
                "participant": participant.pk,
                "token_version": participant.token_version,
                "resume_url": request.build_absolute_uri(
                    f"/contests/{contest.slug}/resume/{token}/"
                ),
            }
        )


def set_participant_cookie(response, contest: Contest, token: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE_PREFIX + str(contest.pk),
        token,
        max_age=60 * 60 * 24 * 60,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


class MeApi(ParticipantApi):
    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        participant = participant_required(request, contest)
        return Response(selectors.participant_summary(participant))


# --- Attempts --------------------------------------------------------------------------------


# Bounds on an autosave or a submission (issue 12, point 6): answers per request, and each
# answer's size (quizzes.grading.response_within_bounds: ids per list, text length).
MAX_ANSWERS_PER_REQUEST = 200


class AnswersSerializer(StrictTypes, serializers.Serializer):
    answers = serializers.ListField(child=serializers.DictField(), required=False)
    prediction = serializers.JSONField(required=False, allow_null=True)

    def validate_answers(self, answers):
        from quizzes.grading import (
            MAX_RESPONSE_ITEMS,
            MAX_TEXT_LENGTH,
            response_within_bounds,
        )

        if len(answers) > MAX_ANSWERS_PER_REQUEST:
            raise serializers.ValidationError(
                _("At most %(max)s answers can be sent at once.") % {"max": MAX_ANSWERS_PER_REQUEST}
            )
        for item in answers:
            fits = set(item) <= {"question", "response"} and response_within_bounds(
                item.get("response")
            )
            question = item.get("question")
            if not fits or (isinstance(question, str) and len(question) > 20):
                raise serializers.ValidationError(
                    _(
                        "An answer is too large: at most %(items)s choices and %(chars)s "
                        "characters of text."
                    )
                    % {"items": MAX_RESPONSE_ITEMS, "chars": MAX_TEXT_LENGTH}
                )
        return answers

    def validate_prediction(self, value):
        from contest.services.attempts import MSG_BAD_PREDICTION

        if value is not None and (
            not isinstance(value, int | float | str) or (isinstance(value, str) and len(value) > 20)
        ):
            raise serializers.ValidationError(str(MSG_BAD_PREDICTION))
        return value


class AttemptStartApi(ParticipantApi):
    """Start an attempt at a self-paced round (or get back the one in progress)."""

    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        participant = participant_required(request, round_.contest)
        attempt = services.attempt_start(participant=participant, round_=round_)
        return Response(selectors.attempt_state(attempt), status=201)


def _participant_id(request, attempt_id: int) -> int:
    from contest.models import Attempt

    contest_id = (
        Attempt.objects.filter(pk=attempt_id).values_list("round__contest_id", flat=True).first()
    )
    if contest_id is None:
        from quizzes.errors import NotFoundError

        raise NotFoundError("not_found", _("Not found."))
    participant = participant_required(request, Contest(pk=contest_id))
    return participant.pk


class AttemptDetailApi(ParticipantApi):
    def get(self, request, attempt_id):
        pid = _participant_id(request, attempt_id)
        from contest.models import Participant

        attempt = selectors.attempt_get(attempt_id=attempt_id, participant=Participant(pk=pid))
        return Response(selectors.attempt_state(attempt))


class AutosaveApi(ParticipantApi):
    """Autosave answers (and the prediction). The reply never says whether an answer is right."""

    def post(self, request, attempt_id):
        pid, version = _fast_participant_id(request)
        data = AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.answers_save(
            participant_id=pid,
            token_version=version,
            attempt_id=attempt_id,
            answers=data.validated_data.get("answers"),
            prediction=data.validated_data.get("prediction"),
        )
        return Response(autosave_reply(attempt))


def _fast_participant_id(request) -> tuple[int, int | None]:
    """The hot path: the token alone says who it is and its version (the attempt's statement
    checks both); (participant, None) for a participant known by their account."""
    claims = token_claims(request_token(request, None, allow_cookie=True))
    if claims is None and any(k.startswith(COOKIE_PREFIX) for k in request.COOKIES):
        # Cookies of several contests in this browser: the attempt's contest says which.
        from contest.models import Attempt

        contest_id = (
            Attempt.objects.filter(pk=request.resolver_match.kwargs["attempt_id"])
            .values_list("round__contest_id", flat=True)
            .first()
        )
        claims = token_claims(request_token(request, contest_id, allow_cookie=True))
    if claims is not None:
        return claims[0], claims[2]
    pid = None
    if request.user.is_authenticated:
        from contest.models import Participant

        pid = (
            Participant.objects.filter(
                user=request.user, attempts__pk=request.resolver_match.kwargs["attempt_id"]
            )
            .values_list("pk", flat=True)
            .first()
        )
    if pid is None:
        raise ForbiddenError("not_registered", _("Please register for this contest first."))
    return pid, None


class SubmitApi(ParticipantApi):
    def post(self, request, attempt_id):
        pid, version = _fast_participant_id(request)
        data = AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.attempt_submit(
            participant_id=pid,
            token_version=version,
            attempt_id=attempt_id,
            answers=data.validated_data.get("answers"),
            prediction=data.validated_data.get("prediction"),
        )
        return Response(
            {
                "status": attempt.status,
                "submitted_at": attempt.submitted_at.isoformat(),
                "time_ms": attempt.time_ms,
            }
        )


class AttemptReviewApi(ParticipantApi):
    """Per-question correctness: 403 for non-staff until the round closes."""

    def get(self, request, attempt_id):
        from contest.models import Attempt

        attempt = (
            Attempt.objects.select_related("round__contest", "participant")
            .filter(pk=attempt_id)
            .first()
        )
        if attempt is None:
            from quizzes.errors import NotFoundError

            raise NotFoundError("not_found", _("Not found."))
        if not selectors.is_contest_staff(request.user, attempt.round.contest):
            me = participant_for_request(request, attempt.round.contest, allow_cookie=False)
            if me is None or me.pk != attempt.participant_id:
                raise ForbiddenError(
                    "permission_denied", _("You do not have permission to do this.")
                )
        return Response(selectors.attempt_review(attempt=attempt, user=request.user))


# --- Leaderboards ------------------------------------------------------------------------------


def _round_for_board(round_id: int) -> tuple[Round, int]:
    """The round (a per-process copy, see selectors.round_get_for_board) and its board version;
    a self-paced round that has closed computes its final results on first need."""
    round_, version = selectors.round_get_for_board(round_id=round_id)
    if round_.kind == Round.Kind.SELF_PACED and round_.finalized_at is None and round_.is_closed():
        services.round_finalize_if_due(round_)
        round_, version = selectors.round_get_for_board(round_id=round_id)
    return round_, version


def _board_payload(scope, rows, extra=None) -> dict:
    payload = {
        **leaderboards.board_state(scope),
        "rows": rows,
        "server_now": timezone.now().isoformat(),
    }
    payload.update(extra or {})
    return payload


def _public(request, contest) -> bool:
    """The contest's staff see the live standing; everyone else the public one (frozen,
    hidden)."""
    return not selectors.is_contest_staff(request.user, contest)


# Pre-rendered top-N bodies, per process: (round, n, offset, language, public) -> (stamp, built,
# bytes, whether organisers see another board).
# A ceremony screen and thousands of phones ask for the same top 100: it is rendered at most
# once a second per process (staleness <= BOARD_BODY_SECONDS for new results), and at once when
# the board is rebuilt (closing, corrections) or the round changes (its versions are the stamp).
BOARD_BODY_SECONDS = 1.0
_BOARD_BODIES: OrderedDict[tuple, tuple[tuple, float, bytes, bool]] = OrderedDict()
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
            leaderboards.round_versions(round_id)
            if leaderboards.redis_client() is not None
            else (None, None)
        )
        now = time.monotonic()
        hit = _BOARD_BODIES.get(key)
        built = now
        if (
            row_version is not None
            and hit is not None
            and hit[0] == (row_version, board_version)
            and now - hit[1] < BOARD_BODY_SECONDS
        ):
            body, built, private = hit[2], hit[1], hit[3]
        else:
            round_, _version = _round_for_board(round_id)
            scope = leaderboards.round_scope(round_, public=public)
            # Organisers see another board than the public one (frozen, hidden).
            private = scope.key != leaderboards.round_scope(round_, public=False).key
            body = _JSON.render(
                _board_payload(
                    scope,
                    leaderboards.top(scope, n, offset),
                    {"total": leaderboards.size(scope), "round": selectors.round_public(round_)},
                )
            )
            if row_version is not None:
                # The stamp read before rendering: a change during rendering renders again.
                # Full: the least recently used body goes, never all of them.
                fastpath.remember(
                    _BOARD_BODIES, key, ((row_version, board_version), now, body, private)
                )
        scope = getattr(request._request, "scope", None)
        if row_version is not None and scope is not None and public:
            # The ASGI fast path (contest/fastpath.py) may replay this response as long as the
            # body is fresh; not to a signed-in user while the organisers' board differs (it
            # cannot tell an organiser's session from a participant's).
            scope[fastpath.REPLAY_KEY] = (
                built + BOARD_BODY_SECONDS,
                (row_version, board_version),
                private,
            )
        return HttpResponse(body, content_type="application/json")


class RoundMyRankApi(ParticipantApi):
    """My rank on the round's board. The signed token says who is asking (no database query);
    a token that has no row on the board is checked against the database as before."""

    def get(self, request, round_id):
        round_, _version = _round_for_board(round_id)
        scope = leaderboards.round_scope(round_, public=_public(request, round_.contest))
        ids = token_claims(request.headers.get("X-Participant-Token"))
        if ids is not None and ids[1] == round_.contest_id:
            round_token_state(round_).check(ids[0], ids[2])
            me = leaderboards.my_rank(scope, ids[0])
            if me is not None:
                return Response(leaderboards.my_rank_payload(scope, me))
        participant = participant_required(request, round_.contest)
        me = leaderboards.my_rank(scope, participant.pk)
        return Response(leaderboards.my_rank_payload(scope, me))


class RoundAroundApi(ParticipantApi):
    def get(self, request, round_id):
        round_, _version = _round_for_board(round_id)
        participant = participant_required(request, round_.contest)
        k = _int(request.query_params.get("k"), 5, 1, 50)
        scope = leaderboards.round_scope(round_, public=_public(request, round_.contest))
        return Response(
            _board_payload(
                scope, leaderboards.around(scope, participant.pk, k), {"me": participant.pk}
            )
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
        if level not in leaderboards.UNIT_FIELDS:
            raise ApplicationError("invalid", _("Unknown level."), {"level": level})
        method = request.query_params.get("method") or None
        if method and method not in Contest.Aggregation.values:
            raise ApplicationError("invalid", _("Unknown aggregation."), {"method": method})
        public = _public(request, contest)
        rows = leaderboards.unit_board(
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
            leaderboards.round_scope(round_, public=public)
            if round_ is not None
            else leaderboards.contest_scope(contest, public=public)
        )
        return Response(
            {
                "level": level,
                "method": leaderboards.unit_method(contest, round_, method, public=public),
                "rows": rows[:n],
                **leaderboards.board_state(scope),
            }
        )


class ContestLeaderboardApi(PublicApi):
    """The contest ranking: rounds combined with their weights."""

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        n = _int(request.query_params.get("n"), 100, 1, 500)
        scope = leaderboards.contest_scope(contest, public=_public(request, contest))
        payload = {
            **leaderboards.board_state(scope),
            "rows": leaderboards.top(scope, n),
            "total": leaderboards.size(scope),
        }
        participant = participant_for_request(request, contest, allow_cookie=False)
        if participant:
            payload["me"] = leaderboards.my_rank(scope, participant.pk)
        return Response(payload)


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

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=contest)
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
        if level not in leaderboards.UNIT_FIELDS:
            raise ApplicationError("invalid", _("Unknown level."), {"level": level})
        response = Response(selectors.contest_feed(contest=contest, level=level))
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


# --- Results, exports, corrections (organisers) -------------------------------------------------


RESULTS_PAGE_SIZE = 100
RESULTS_PAGE_MAX = 500


class RoundResultsApi(PublicApi):
    """Detailed results (prediction, time): 403 for non-staff until the round closes. One page
    at a time (`offset`, `limit` up to RESULTS_PAGE_MAX), in rank order, with the total and the
    next page's URL; the full list is the organisers' export."""

    def get(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        unit = _int(request.query_params.get("unit"), 0, 0, 10**12) or None
        offset = _int(request.query_params.get("offset"), 0, 0, 10**7)
        limit = _int(request.query_params.get("limit"), RESULTS_PAGE_SIZE, 1, RESULTS_PAGE_MAX)
        rows, total = selectors.round_results_page(
            round_=round_, user=request.user, unit_id=unit, offset=offset, limit=limit
        )
        following = None
        if offset + limit < total:
            query = request.query_params.copy()
            query["offset"], query["limit"] = str(offset + limit), str(limit)
            following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response(
            {
                "round": selectors.round_public(round_),
                "rows": rows,
                "total": total,
                "offset": offset,
                "limit": limit,
                "next": following,
            }
        )


class RoundExportApi(PublicApi):
    def get(self, request, round_id, fmt):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        unit = _int(request.query_params.get("unit"), 0, 0, 10**12) or None
        rows = selectors.round_results(round_=round_, user=request.user, unit_id=unit)
        payload, content_type, filename = exports.results_file(
            round_=round_, rows=rows, fmt=fmt, unit_id=unit
        )
        response = HttpResponse(payload, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class RoundExportJobApi(PublicApi):
    """Start a background export of a round's results (for 100,000-row rounds): 202 with the
    job, whose page shows the progress and then offers the file."""

    class InputSerializer(StrictTypes, serializers.Serializer):
        format = serializers.ChoiceField(choices=["csv", "xlsx"])
        unit = serializers.IntegerField(min_value=1, required=False, allow_null=True)

    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = job_enqueue(
            kind=ROUND_EXPORT,
            owner=request.user,
            params={
                "round": round_.pk,
                "format": data.validated_data["format"],
                "unit": data.validated_data.get("unit"),
            },
        )
        return Response(job_public(job), status=202)


class RoundCertificatesJobApi(PublicApi):
    """Start writing every certificate of a closed round as one ZIP in the background: 202 with
    the job, whose page shows the progress and then offers the file (contest staff only)."""

    def post(self, request, round_id):
        from contest.services.certificates import certificates_ready

        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        certificates_ready(round_=round_)
        job = job_enqueue(
            kind=CERTIFICATES_ZIP,
            owner=request.user,
            params={
                "round": round_.pk,
                "language": (get_language() or "vi")[:2],
                # The QR codes point at the public site, captured when the organiser asks.
                "base_url": settings.PUBLIC_BASE_URL or request.build_absolute_uri("/"),
            },
        )
        return Response(job_public(job), status=202)


class ParticipationApi(PublicApi):
    """Registered, attempted and completed per unit with the rate against the unit's headcount.

    Public for a published contest (the ceremony screen shows it; the public unit board already
    gives the same counts); a frozen round's public view counts results up to the freeze.
    """

    def get(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        level = request.query_params.get("level", "school")
        if level not in leaderboards.UNIT_FIELDS:
            raise ApplicationError("invalid", _("Unknown level."), {"level": level})
        from contest.services.results import participation_by_unit

        public = not selectors.is_contest_staff(request.user, round_.contest)
        rows = participation_by_unit(round_=round_, level=level, public=public)
        return Response({"level": level, "rows": rows})


class CorrectionSerializer(StrictTypes, serializers.Serializer):
    question = serializers.IntegerField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    correct = serializers.ListField(child=serializers.CharField(), required=False)
    key = serializers.DictField(required=False)


class VoidQuestionApi(PublicApi):
    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.question_void(
            round_=round_,
            question_id=data.validated_data["question"],
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(_audit_row(entry), status=201)


class FixKeyApi(PublicApi):
    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        entry = services.answer_key_fix(
            round_=round_,
            question_id=d["question"],
            correct=d.get("correct"),
            key=d.get("key"),
            actor=request.user,
            reason=d.get("reason", ""),
        )
        return Response(_audit_row(entry), status=201)


def _audit_row(entry) -> dict:
    return {
        "id": entry.pk,
        "action": entry.action,
        "summary": entry.summary,
        "details": entry.details,
        "actor": entry.actor.get_username() if entry.actor else "",
        "round": entry.round_id,
        "created_at": entry.created_at.isoformat(),
    }


class AuditLogApi(PublicApi):
    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=contest)
        return Response([_audit_row(e) for e in contest.audit.select_related("actor")[:500]])


class ContestStaffApi(PublicApi):
    """The contest's staff: its staff list them and add an existing account by username."""

    class InputSerializer(StrictTypes, serializers.Serializer):
        username = serializers.CharField(max_length=150)

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=contest)
        return Response(selectors.contest_staff_list(contest=contest))

    def post(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=contest)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contest_staff_add(
            contest=contest, actor=request.user, username=data.validated_data["username"]
        )
        return Response(selectors.contest_staff_list(contest=contest), status=201)


class RoundSerializer(StrictTypes, serializers.Serializer):
    title_vi = serializers.CharField(max_length=250)
    title_en = serializers.CharField(max_length=250, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Round.Kind.choices, required=False)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    time_limit_seconds = serializers.IntegerField(min_value=10, max_value=86400, required=False)
    max_attempts = serializers.IntegerField(min_value=0, max_value=100, required=False)
    counting = serializers.ChoiceField(choices=Round.Counting.choices, required=False)
    quiz_id = serializers.IntegerField(required=False, allow_null=True)
    shuffle_options = serializers.BooleanField(required=False)
    shuffle_questions = serializers.BooleanField(required=False)
    weight = serializers.FloatField(min_value=0, max_value=100, required=False)
    prediction_text_vi = serializers.CharField(max_length=300, required=False, allow_blank=True)
    prediction_text_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    ranking_chain = serializers.ListField(child=serializers.CharField(), required=False)
    freeze_hours = serializers.IntegerField(min_value=0, max_value=168, required=False)
    scores_while_open = serializers.BooleanField(required=False)
    qualifier_top_n = serializers.IntegerField(min_value=0, required=False)
    live_game_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class RoundCreateApi(PublicApi):
    def post(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=contest)
        data = RoundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round_ = services.round_create(contest=contest, actor=request.user, **data.validated_data)
        return Response(selectors.round_public(round_), status=201)


class RoundDetailApi(PublicApi):
    def get(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        return Response(selectors.round_public(round_))

    def patch(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        data = RoundSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        round_ = services.round_update(round_=round_, actor=request.user, **data.validated_data)
        return Response(selectors.round_public(round_))


# --- Certificates (contest.services.certificates) --------------------------------------------


class PrizeTierSerializer(StrictTypes, serializers.Serializer):
    name_vi = serializers.CharField(max_length=120)
    name_en = serializers.CharField(max_length=120, required=False, allow_blank=True)
    places = serializers.IntegerField(min_value=1, max_value=1000)


class CertificateSettingsApi(PublicApi):
    """The round's prize tiers and the contest's signature block (contest staff only)."""

    class InputSerializer(StrictTypes, serializers.Serializer):
        signer_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
        signer_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
        full_name = serializers.BooleanField(required=False)
        tiers = PrizeTierSerializer(many=True, required=False)

    def _out(self, round_):
        from contest.services.certificates import prize_tiers_list

        contest = round_.contest
        return {
            "signer_name": contest.certificate_signer_name,
            "signer_title": contest.certificate_signer_title,
            "full_name": contest.certificate_full_name,
            "tiers": prize_tiers_list(round_=round_),
        }

    def get(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        return Response(self._out(round_))

    def put(self, request, round_id):
        from contest.services.certificates import certificate_settings_update

        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        certificate_settings_update(
            round_=round_,
            actor=request.user,
            **{
                k: (list(map(dict, v)) if k == "tiers" else v)
                for k, v in data.validated_data.items()
            },
        )
        return Response(self._out(round_))


class CertificatesZipApi(PublicApi):
    """All certificates of a closed round as one ZIP (synchronous: fine for small rounds; a
    background job runs the same certificates_zip for big ones)."""

    def get(self, request, round_id):
        from django.http import FileResponse

        from contest.services.certificates import certificates_zip

        round_ = selectors.round_get(round_id=round_id, user=request.user)
        selectors.contest_staff_required(user=request.user, contest=round_.contest)
        path = certificates_zip(
            round_=round_,
            progress=lambda done, total: None,
            language=(get_language() or "vi")[:2],
            base_url=settings.PUBLIC_BASE_URL or request.build_absolute_uri("/"),
        )
        handle = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
        path.unlink()  # the open handle keeps the data until the response is sent
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{round_.contest.slug}-round{round_.position}-certificates.zip",
            content_type="application/zip",
        )
