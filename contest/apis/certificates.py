"""Certificates: prize tiers and settings, the certificates archive."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language
from rest_framework.response import Response

from contest import selectors
from contest.apis.common import IsContestStaff, PublicApi
from contest.apis.serializers import (
    CertificateSettingsSerializer,
)

# --- Certificates (contest.services.certificates) --------------------------------------------


class CertificateSettingsApi(PublicApi):
    """The round's prize tiers and the contest's signature block (contest staff only)."""

    permission_classes = [IsContestStaff]

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
        self.check_object_permissions(request, round_.contest)
        return Response(self._out(round_))

    def put(self, request, round_id):
        from contest.services.certificates import certificate_settings_update

        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
        data = CertificateSettingsSerializer(data=request.data)
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

    permission_classes = [IsContestStaff]

    def get(self, request, round_id):
        from django.http import FileResponse

        from contest.services.certificates import certificates_zip

        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
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
