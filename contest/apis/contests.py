"""Contests, registration and organiser settings: contest and round CRUD, staff, tokens."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response

from config.strict import StrictTypes
from contest import selectors, services
from contest.apis.common import IsContestStaff, ParticipantApi, PublicApi
from contest.apis.serializers import (
    ContestSerializer,
    RoundSerializer,
    StaffSerializer,
)
from contest.models import Contest
from contest.services.captcha import captcha_challenge
from contest.services.registration import (
    COOKIE_PREFIX,
    participant_required,
    participant_token_revoke,
)
from contest.services.verification import email_code_send

# --- Contests and registration -------------------------------------------------------------------


class ContestListApi(PublicApi):
    """Published contests (organisers also see unpublished ones); organisers create with POST."""

    permission_classes = [IsContestStaff]

    def get(self, request):
        now = timezone.now()
        return Response(
            [selectors.contest_public(c, now) for c in selectors.contest_list(user=request.user)]
        )

    def post(self, request):
        self.check_object_permissions(request, None)
        data = ContestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contest = services.contest_create(actor=request.user, **data.validated_data)
        return Response(selectors.contest_public(contest), status=201)


class ContestDetailApi(PublicApi):
    permission_classes = [IsContestStaff]

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        return Response(selectors.contest_public(contest))

    def patch(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        self.check_object_permissions(request, contest)
        data = ContestSerializer(data=request.data, partial=True)
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

    permission_classes = [IsContestStaff]

    def post(self, request, slug, participant_id):
        contest = selectors.contest_get(slug=slug, user=request.user)
        self.check_object_permissions(request, contest)
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


class ContestStaffApi(PublicApi):
    """The contest's staff: its staff list them and add an existing account by username."""

    permission_classes = [IsContestStaff]

    def get(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        self.check_object_permissions(request, contest)
        return Response(selectors.contest_staff_list(contest=contest))

    def post(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        self.check_object_permissions(request, contest)
        data = StaffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contest_staff_add(
            contest=contest, actor=request.user, username=data.validated_data["username"]
        )
        return Response(selectors.contest_staff_list(contest=contest), status=201)


class RoundCreateApi(PublicApi):
    permission_classes = [IsContestStaff]

    def post(self, request, slug):
        contest = selectors.contest_get(slug=slug, user=request.user)
        self.check_object_permissions(request, contest)
        data = RoundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round_ = services.round_create(contest=contest, actor=request.user, **data.validated_data)
        return Response(selectors.round_public(round_), status=201)


class RoundDetailApi(PublicApi):
    permission_classes = [IsContestStaff]

    def get(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        return Response(selectors.round_public(round_))

    def patch(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        self.check_object_permissions(request, round_.contest)
        data = RoundSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        round_ = services.round_update(round_=round_, actor=request.user, **data.validated_data)
        return Response(selectors.round_public(round_))
