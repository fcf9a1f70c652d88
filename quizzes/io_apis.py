"""REST endpoints to import questions from a file and to export the bank as a file."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.utils import html
from rest_framework.views import APIView

from core.errors import ForbiddenError
from core.strict import StrictTypes
from quizzes.background import job_enqueue
from quizzes.background.selectors import job_public
from quizzes.exporters import FORMATS as EXPORT_FORMATS
from quizzes.exporters import questions_export
from quizzes.importers import FORMATS as IMPORT_FORMATS
from quizzes.importers import detect_format, parse_file, questions_import
from quizzes.jobs import QUESTIONS_IMPORT
from quizzes.permissions import IsTeacher, can_review_question
from quizzes.selectors import question_visible_qs

NOT_ALLOWED_PUBLISH = gettext_lazy("Only reviewers may import questions as published.")


class StrictBooleanField(serializers.BooleanField):
    """A form flag that is exactly true or false: "0", "yes" or "on" are refused, not guessed."""

    TRUE_VALUES = {True, "true", "True"}
    FALSE_VALUES = {False, "false", "False"}
    NULL_VALUES = set()


class FormChoiceField(serializers.ChoiceField):
    """A form choice that, when sent, is one of its choices: DRF reads an empty form field as "not
    sent" and quietly applies the default (`language=""` imported as "auto"); it is refused."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = FormChoiceField(choices=IMPORT_FORMATS, required=False)
    dry_run = StrictBooleanField(required=False, default=False)
    atomic = StrictBooleanField(required=False, default=False)
    status = FormChoiceField(choices=["draft", "published"], required=False, default="draft")
    language = FormChoiceField(choices=["auto", "vi", "en"], required=False, default="auto")
    background = StrictBooleanField(required=False, default=False)


_PROBLEM = inline_serializer(
    "ImportProblem",
    {
        "line": serializers.IntegerField(allow_null=True),
        "name": serializers.CharField(),
        "message": serializers.CharField(),
    },
)
ImportReportSerializer = inline_serializer(
    "ImportReport",
    {
        "format": serializers.CharField(),
        "dry_run": serializers.BooleanField(),
        "atomic": serializers.BooleanField(),
        "rolled_back": serializers.BooleanField(),
        "found": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "skipped": serializers.IntegerField(),
        "errors": _PROBLEM.__class__(many=True),
        "warnings": _PROBLEM.__class__(many=True),
        "preview": serializers.ListField(child=serializers.DictField()),
    },
)


class QuestionImportApi(APIView):
    """Import questions from GIFT, Moodle XML, Aiken, CSV, XLSX, CitizenQuiz JSON, a Kahoot!,
    Wayground/Quizizz or Blooket spreadsheet template, or an IMS QTI 2.1 package (zip)."""

    permission_classes = [IsTeacher]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="questions_import",
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            200: ImportReportSerializer,
            202: OpenApiResponse(description="A background job imports the file: {job: {...}}"),
            400: OpenApiResponse(description="Unreadable file or unknown format"),
            403: OpenApiResponse(description="Not a teacher"),
        },
        description=(
            "Bad questions are reported by line and reason; the good ones are imported, each in "
            "its own transaction (atomic=true: all or nothing). dry_run=true writes nothing and "
            "returns the preview. Re-importing the same file creates no duplicates. Without "
            "format, the format is detected from the file's content, then from its name. A real "
            "import of a file larger than JOBS_IMPORT_INLINE_MAX_BYTES (or background=true) "
            "answers 202 with the background job that imports it (GET /api/jobs/{id}/ for its "
            "progress)."
        ),
    )
    def post(self, request):
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["status"] == "published" and not can_review_question(request.user):
            raise ForbiddenError("permission_denied", NOT_ALLOWED_PUBLISH)
        upload = data["file"]
        if not data["dry_run"] and (
            data["background"] or upload.size > settings.JOBS_IMPORT_INLINE_MAX_BYTES
        ):
            # Thousands of questions: a job imports them; the answer is the job to follow. An
            # unreadable file is refused now, as the direct import would (parsing is the cheap
            # part; writing the questions is what takes long).
            content = upload.read()
            fmt = data.get("format") or detect_format(upload.name, content)
            parse_file(content=content, fmt=fmt, language=data["language"])
            job = job_enqueue(
                kind=QUESTIONS_IMPORT,
                owner=request.user,
                params={
                    "filename": upload.name,
                    "format": data.get("format"),
                    "status": data["status"],
                    "language": data["language"],
                    "atomic": data["atomic"],
                },
                input_bytes=content,
            )
            return Response({"job": job_public(job)}, status=202)
        report = questions_import(
            content=upload.read(),
            filename=upload.name,
            fmt=data.get("format"),
            author=request.user,
            status=data["status"],
            language=data["language"],
            dry_run=data["dry_run"],
            atomic=data["atomic"],
        )
        return Response(report.to_dict())


class _IgnoreFormatParam(DefaultContentNegotiation):
    """?format= names the export format here, not a DRF renderer: always answer errors as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportParamsSerializer(StrictTypes, serializers.Serializer):
    # format: an unknown one gets the exporter's own "unknown_format" error
    theme = serializers.SlugField(required=False)
    status = serializers.ChoiceField(
        choices=["draft", "review", "published", "archived"], required=False
    )
    language = serializers.ChoiceField(choices=["vi", "en"], required=False)


class QuestionExportApi(APIView):
    """Download the current revisions of the questions you can see, as a file."""

    permission_classes = [IsTeacher]
    content_negotiation_class = _IgnoreFormatParam

    @extend_schema(
        operation_id="questions_export",
        parameters=[
            OpenApiParameter("format", str, enum=list(EXPORT_FORMATS), default="json"),
            OpenApiParameter("theme", str, description="theme slug"),
            OpenApiParameter("status", str, enum=["draft", "review", "published", "archived"]),
            OpenApiParameter("ids", str, description="comma-separated question ids"),
            OpenApiParameter(
                "language",
                str,
                enum=["vi", "en"],
                default="vi",
                description="language of one-language formats (GIFT, Moodle XML)",
            ),
        ],
        responses={
            **{
                (200, content_type.split(";")[0]): (
                    OpenApiTypes.OBJECT
                    if content_type == "application/json"
                    else OpenApiTypes.BINARY
                )
                for _render, content_type, _ext in EXPORT_FORMATS.values()
            },
            400: OpenApiResponse(description="Unknown format or bad filter"),
            403: OpenApiResponse(description="Not a teacher"),
        },
    )
    def get(self, request):
        params = request.query_params
        present = {k: params[k] for k in ExportParamsSerializer().fields if k in params}
        ExportParamsSerializer(data=present).is_valid(raise_exception=True)
        questions = question_visible_qs(request.user).filter(is_current=True)
        if params.get("theme"):
            questions = questions.filter(theme__slug=params["theme"])
        if params.get("status"):
            questions = questions.filter(status=params["status"])
        if params.get("ids"):
            try:
                ids = [int(i) for i in params["ids"].split(",") if i.strip()]
            except ValueError:
                raise serializers.ValidationError(
                    {"ids": [_("ids must be comma-separated numbers.")]}
                ) from None
            questions = questions.filter(pk__in=ids)
        language = params.get("language") if params.get("language") in ("vi", "en") else "vi"
        payload, content_type, filename = questions_export(
            questions=questions, fmt=params.get("format", "json"), language=language
        )
        response = HttpResponse(payload, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
