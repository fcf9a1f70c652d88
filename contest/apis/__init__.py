"""Contest REST API (mounted under /api/), one module per subject. Views validate input, call one
service or selector, and serialise. Participants without an account authenticate with the
X-Participant-Token header (the signed token they got at registration); organiser actions check
the IsContestStaff permission (common.py) against the contest or round they load."""

from __future__ import annotations

from contest.apis.attempts import (
    AttemptDetailApi,
    AttemptReviewApi,
    AttemptStartApi,
    AutosaveApi,
    SubmitApi,
)
from contest.apis.certificates import (
    CertificateSettingsApi,
    CertificatesZipApi,
)
from contest.apis.common import (
    IsContestStaff,
    ParticipantApi,
    PublicApi,
)
from contest.apis.contests import (
    CaptchaApi,
    ContestDetailApi,
    ContestListApi,
    ContestStaffApi,
    EmailCodeApi,
    MeApi,
    RegisterApi,
    RoundCreateApi,
    RoundDetailApi,
    TokenRevokeApi,
    set_participant_cookie,
)
from contest.apis.leaderboards import (
    CONTEST_OVERLAYS,
    ContestFeedApi,
    ContestLeaderboardApi,
    ContestOverlaysApi,
    RoundAroundApi,
    RoundLeaderboardApi,
    RoundMyRankApi,
    UnitLeaderboardApi,
    contest_overlays_body,
)
from contest.apis.results import (
    AuditLogApi,
    FixKeyApi,
    ParticipationApi,
    RoundCertificatesJobApi,
    RoundExportApi,
    RoundExportJobApi,
    RoundResultsApi,
    VoidQuestionApi,
)

__all__ = [
    "AttemptDetailApi",
    "AttemptReviewApi",
    "AttemptStartApi",
    "AuditLogApi",
    "AutosaveApi",
    "CONTEST_OVERLAYS",
    "CaptchaApi",
    "CertificateSettingsApi",
    "CertificatesZipApi",
    "ContestDetailApi",
    "ContestFeedApi",
    "ContestLeaderboardApi",
    "ContestListApi",
    "ContestOverlaysApi",
    "ContestStaffApi",
    "EmailCodeApi",
    "FixKeyApi",
    "IsContestStaff",
    "MeApi",
    "ParticipantApi",
    "ParticipationApi",
    "PublicApi",
    "RegisterApi",
    "RoundAroundApi",
    "RoundCertificatesJobApi",
    "RoundCreateApi",
    "RoundDetailApi",
    "RoundExportApi",
    "RoundExportJobApi",
    "RoundLeaderboardApi",
    "RoundMyRankApi",
    "RoundResultsApi",
    "SubmitApi",
    "TokenRevokeApi",
    "UnitLeaderboardApi",
    "VoidQuestionApi",
    "contest_overlays_body",
    "set_participant_cookie",
]
