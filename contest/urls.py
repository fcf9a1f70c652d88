"""REST routes (mounted under /api/)."""

from __future__ import annotations

from django.urls import path, re_path

from contest import apis

urlpatterns = [
    path("contests/", apis.ContestListApi.as_view(), name="contest-list"),
    path("contests/<slug:slug>/", apis.ContestDetailApi.as_view(), name="contest-detail"),
    path("contests/<slug:slug>/register/", apis.RegisterApi.as_view(), name="contest-register"),
    path("contests/<slug:slug>/me/", apis.MeApi.as_view(), name="contest-me"),
    path(
        "contests/<slug:slug>/email-code/", apis.EmailCodeApi.as_view(), name="contest-email-code"
    ),
    path("contests/<slug:slug>/captcha/", apis.CaptchaApi.as_view(), name="contest-captcha"),
    path(
        "contests/<slug:slug>/participants/<int:participant_id>/revoke-token/",
        apis.TokenRevokeApi.as_view(),
        name="contest-participant-revoke-token",
    ),
    path(
        "contests/<slug:slug>/rounds/", apis.RoundCreateApi.as_view(), name="contest-round-create"
    ),
    path(
        "contests/<slug:slug>/leaderboard/",
        apis.ContestLeaderboardApi.as_view(),
        name="contest-leaderboard",
    ),
    path(
        "contests/<slug:slug>/leaderboard/units/",
        apis.UnitLeaderboardApi.as_view(),
        name="contest-unit-leaderboard",
    ),
    path(
        "contests/<slug:slug>/overlays/",
        apis.ContestOverlaysApi.as_view(),
        name="contest-overlays",
    ),
    path("feed/contest/<slug:slug>", apis.ContestFeedApi.as_view(), name="contest-feed"),
    path("contests/<slug:slug>/audit/", apis.AuditLogApi.as_view(), name="contest-audit"),
    path("contests/<slug:slug>/staff/", apis.ContestStaffApi.as_view(), name="contest-staff"),
    path("rounds/<int:round_id>/", apis.RoundDetailApi.as_view(), name="round-detail"),
    path(
        "rounds/<int:round_id>/attempts/",
        apis.AttemptStartApi.as_view(),
        name="round-attempt-start",
    ),
    path(
        "rounds/<int:round_id>/leaderboard/",
        apis.RoundLeaderboardApi.as_view(),
        name="round-leaderboard",
    ),
    path(
        "rounds/<int:round_id>/leaderboard/me/", apis.RoundMyRankApi.as_view(), name="round-my-rank"
    ),
    path(
        "rounds/<int:round_id>/leaderboard/around/",
        apis.RoundAroundApi.as_view(),
        name="round-around",
    ),
    path(
        "rounds/<int:round_id>/leaderboard/units/",
        apis.UnitLeaderboardApi.as_view(),
        name="round-unit-leaderboard",
    ),
    path("rounds/<int:round_id>/results/", apis.RoundResultsApi.as_view(), name="round-results"),
    re_path(
        r"^rounds/(?P<round_id>[0-9]+)/export\.(?P<fmt>csv|xlsx)$",
        apis.RoundExportApi.as_view(),
        name="round-export",
    ),
    path(
        "rounds/<int:round_id>/export-jobs/",
        apis.RoundExportJobApi.as_view(),
        name="round-export-job",
    ),
    path(
        "rounds/<int:round_id>/certificate-jobs/",
        apis.RoundCertificatesJobApi.as_view(),
        name="round-certificates-job",
    ),
    path(
        "rounds/<int:round_id>/participation/",
        apis.ParticipationApi.as_view(),
        name="round-participation",
    ),
    path(
        "rounds/<int:round_id>/certificates/settings/",
        apis.CertificateSettingsApi.as_view(),
        name="round-certificate-settings",
    ),
    re_path(
        r"^rounds/(?P<round_id>[0-9]+)/certificates\.zip$",
        apis.CertificatesZipApi.as_view(),
        name="round-certificates-zip",
    ),
    path("rounds/<int:round_id>/void/", apis.VoidQuestionApi.as_view(), name="round-void"),
    path("rounds/<int:round_id>/fix-key/", apis.FixKeyApi.as_view(), name="round-fix-key"),
    path("attempts/<int:attempt_id>/", apis.AttemptDetailApi.as_view(), name="attempt-detail"),
    path("attempts/<int:attempt_id>/answers/", apis.AutosaveApi.as_view(), name="attempt-autosave"),
    path("attempts/<int:attempt_id>/submit/", apis.SubmitApi.as_view(), name="attempt-submit"),
    path(
        "attempts/<int:attempt_id>/review/", apis.AttemptReviewApi.as_view(), name="attempt-review"
    ),
]
