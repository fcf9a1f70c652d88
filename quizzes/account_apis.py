"""REST endpoints for organisers: teacher accounts, invitations and CSV bulk creation."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import is_organiser
from core.strict import StrictTypes
from quizzes.io_apis import StrictBooleanField
from quizzes.services import accounts


class IsOrganiser(BasePermission):
    message = accounts.ONLY_ORGANISERS

    def has_permission(self, request, view) -> bool:
        return is_organiser(request.user)


TeacherAccountSerializer = inline_serializer(
    "TeacherAccount",
    {
        "id": serializers.IntegerField(),
        "email": serializers.CharField(),
        "full_name": serializers.CharField(),
        "school_code": serializers.CharField(),
        "school_name": serializers.CharField(),
        "role": serializers.ChoiceField(choices=["teacher", "no_role"]),
        "status": serializers.ChoiceField(choices=["invited", "active"]),
        "sso": serializers.ListField(child=serializers.CharField()),
    },
)


InviteResultSerializer = inline_serializer(
    "TeacherInviteResult",
    {
        "outcome": serializers.ChoiceField(
            choices=[
                accounts.CREATED,
                accounts.RESENT,
                accounts.ROLE_ADDED,
                accounts.ALREADY_TEACHER,
            ]
        ),
        "message": serializers.CharField(),
        "user_id": serializers.IntegerField(),
    },
)


class InviteInputSerializer(StrictTypes, serializers.Serializer):
    # Checked by the service, which owns the rules and their translated messages.
    email = serializers.CharField(max_length=254)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    school_code = serializers.CharField(max_length=64)


class TeacherListApi(APIView):
    """Teacher accounts (invited or active) and SSO accounts waiting for a role."""

    permission_classes = [IsOrganiser]

    @extend_schema(
        operation_id="teachers_list", responses={200: TeacherAccountSerializer.__class__(many=True)}
    )
    def get(self, request):
        return Response(accounts.teacher_accounts_list(actor=request.user))


class TeacherInviteApi(APIView):
    """Invite a teacher by email: a new account gets a set-password link; an existing email is
    reported (outcome) and never duplicated."""

    permission_classes = [IsOrganiser]

    @extend_schema(
        operation_id="teachers_invite",
        request=InviteInputSerializer,
        responses={
            201: InviteResultSerializer,
            200: InviteResultSerializer,
            400: OpenApiResponse(description="Invalid email or unknown school"),
            403: OpenApiResponse(description="Not an organiser"),
        },
    )
    def post(self, request):
        serializer = InviteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = accounts.teacher_invite(
            actor=request.user,
            base_url=request.build_absolute_uri("/"),
            **serializer.validated_data,
        )
        status = 201 if result.outcome == accounts.CREATED else 200
        body = {"outcome": result.outcome, "message": result.message, "user_id": result.user.pk}
        return Response(body, status=status)


class TeacherImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = StrictBooleanField(required=False, default=True)


class TeacherImportApi(APIView):
    """Bulk-create teacher accounts from a CSV file (email, full_name, school_code)."""

    permission_classes = [IsOrganiser]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="teachers_import",
        request={"multipart/form-data": TeacherImportInputSerializer},
        responses={
            200: OpenApiResponse(description="Per-row report (row number, status, message)"),
            400: OpenApiResponse(description="Unreadable file, missing columns, too many rows"),
            413: OpenApiResponse(description="File too large"),
        },
        description=(
            "dry_run=true (the default) only checks the rows. dry_run=false creates an invited "
            "teacher account for each new, valid row; rows with errors and emails that already "
            "have an account are skipped, so uploading the same file again creates nothing twice."
        ),
    )
    def post(self, request):
        serializer = TeacherImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        report = accounts.teachers_import_csv(
            actor=request.user,
            content=upload.read(settings.ACCOUNT_CSV_MAX_BYTES + 1),
            commit=not serializer.validated_data["dry_run"],
            base_url=request.build_absolute_uri("/"),
        )
        return Response(report.as_dict())
