"""Results, exports, participation, corrections and the audit log (organisers)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.response import Response

from contest import access, boards, selectors, services
from contest.apis.common import IsContestStaff, PublicApi, _int, by_viewer
from contest.apis.serializers import (
    CorrectionSerializer,
)
from contest.jobs import CERTIFICATES_ZIP, ROUND_EXPORT
from contest.services import exports
from contest.services.rounds import MSG_NOT_FINAL_YET
from core.errors import ApplicationError
from core.strict import StrictTypes
from quizzes.background import job_enqueue
from quizzes.background.selectors import job_public

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
        # Never finalized here (the round_finalize job closes the round). While it runs, the
        # contest's staff see provisional ranks, marked so; everyone else a translated 409 to
        # try again: ranking the whole round on every participant's read at the close would
        # cost what the job costs, per read.
        if services.round_close_ensure(round_) and not access.is_contest_staff(
            request.user, round_.contest
        ):
            raise ApplicationError("results_not_final", MSG_NOT_FINAL_YET, status=409)
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
    permission_classes = [IsContestStaff]

    def get(self, request, round_id, fmt):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
        unit = _int(request.query_params.get("unit"), 0, 0, 10**12) or None
        if services.round_close_ensure(round_):
            raise ApplicationError("results_not_final", MSG_NOT_FINAL_YET, status=409)
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

    permission_classes = [IsContestStaff]

    class InputSerializer(StrictTypes, serializers.Serializer):
        format = serializers.ChoiceField(choices=["csv", "xlsx"])
        unit = serializers.IntegerField(min_value=1, required=False, allow_null=True)

    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
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

    permission_classes = [IsContestStaff]

    def post(self, request, round_id):
        from contest.services.certificates import certificates_ready

        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
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
        if level not in boards.UNIT_FIELDS:
            raise ApplicationError("invalid", _("Unknown level."), {"level": level})
        from contest.services.results import participation_by_unit

        public = not access.is_contest_staff(request.user, round_.contest)
        rows = participation_by_unit(round_=round_, level=level, public=public)
        return by_viewer(Response({"level": level, "rows": rows}), private=not public)


class VoidQuestionApi(PublicApi):
    permission_classes = [IsContestStaff]

    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
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
    permission_classes = [IsContestStaff]

    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
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
    permission_classes = [IsContestStaff]

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        self.check_object_permissions(request, contest)
        return Response([_audit_row(e) for e in contest.audit.select_related("actor")[:500]])
