"""REST views of the question bank and the unit hierarchy.

Plain CRUD (themes, tags) uses ModelViewSets; questions and quizzes are viewsets whose writes and
workflow actions each call one service (quizzes/services/bank.py, quizzes/services/quizzes.py).
Who may do what: see quizzes/permissions.py (non-teachers get 403 from questions and quizzes).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.jsonbody import JSONParser
from quizzes.filters import (
    QUESTION_FILTER_PARAMETERS,
    BankPagination,
    filters_from_params,
    validate_filter_params,
)
from quizzes.models import Tag, Theme, Unit
from quizzes.permissions import IsTeacher, TagPermission, ThemePermission
from quizzes.selectors import (
    question_get,
    question_list,
    question_reload,
    question_revisions,
    question_visible_qs,
    quiz_get,
    quiz_list,
    tag_list,
)
from quizzes.serializers import (
    BulkResultSerializer,
    BulkSerializer,
    ImageUploadSerializer,
    QuestionDataSerializer,
    QuestionDetailSerializer,
    QuestionSummarySerializer,
    QuizInputSerializer,
    QuizSerializer,
    QuizSummarySerializer,
    RejectSerializer,
    TagSerializer,
    ThemeSerializer,
)
from quizzes.services import bank
from quizzes.services.questions import question_to_data
from quizzes.services.quizzes import quiz_delete, quiz_save


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "level", "parent"]


class UnitListApi(generics.ListAPIView):
    """The official unit hierarchy, filterable by level and parent code (for registration forms)."""

    serializer_class = UnitSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self):
        qs = Unit.objects.select_related("parent").order_by("level", "name")
        level = self.request.query_params.get("level")
        parent = self.request.query_params.get("parent")
        if level:
            qs = qs.filter(level=level)
        if parent:
            qs = qs.filter(parent__code=parent)
        return qs


# --- Themes and tags --------------------------------------------------------------------------


class ThemeViewSet(viewsets.ModelViewSet):
    """Themes of the bank: anyone reads them, organisers manage them."""

    serializer_class = ThemeSerializer
    permission_classes = [ThemePermission]
    queryset = Theme.objects.order_by("slug")
    pagination_class = None
    lookup_field = "slug"


class TagViewSet(viewsets.ModelViewSet):
    """Tags: teachers read and add them (`?prefix=` to autocomplete); organisers rename/delete."""

    serializer_class = TagSerializer
    permission_classes = [TagPermission]
    queryset = Tag.objects.order_by("name")

    def get_queryset(self):
        return tag_list(prefix=self.request.query_params.get("prefix", "").strip())


# --- Questions --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List and search the bank",
        parameters=QUESTION_FILTER_PARAMETERS,
        responses=QuestionSummarySerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="One question with its answer key", responses=QuestionDetailSerializer
    ),
)
class QuestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The question bank (teachers only: every response may carry answer keys)."""

    permission_classes = [IsTeacher]
    parser_classes = [JSONParser]
    # Numeric ids only, so /api/questions/import/ and /export/ (quizzes/io_urls.py) stay free.
    lookup_value_regex = r"\d+"
    pagination_class = BankPagination

    def get_queryset(self):
        if self.action == "list":
            validate_filter_params(self.request.query_params)
            return question_list(
                user=self.request.user, filters=filters_from_params(self.request.query_params)
            )
        return question_visible_qs(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return QuestionSummarySerializer
        return QuestionDetailSerializer

    def get_object(self):
        return question_get(user=self.request.user, pk=self.kwargs["pk"])

    def _detail(self, question, *, status_code=status.HTTP_200_OK) -> Response:
        question = question_reload(pk=question.pk)
        return Response(
            QuestionDetailSerializer(question, context={"request": self.request}).data,
            status=status_code,
        )

    @extend_schema(
        summary="Write a new question (a draft authored by you)",
        request=QuestionDataSerializer,
        responses={201: QuestionDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = QuestionDataSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = bank.question_create_draft(data=serializer.to_data(), user=request.user)
        return self._detail(question, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a question (a published one gets a new draft revision)",
        request=QuestionDataSerializer,
        responses=QuestionDetailSerializer,
    )
    def update(self, request, *args, **kwargs):
        question = self.get_object()
        partial = kwargs.get("partial", False)
        if partial:
            merged = {**question_to_data(question), **request.data}
            serializer = QuestionDataSerializer(data=merged)
        else:
            serializer = QuestionDataSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = bank.question_update(
            question=question, data=serializer.to_data(), user=request.user
        )
        return self._detail(question)

    @extend_schema(
        summary="Edit some fields of a question",
        request=QuestionDataSerializer,
        responses=QuestionDetailSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(summary="Delete a draft nothing uses", responses={204: None})
    def destroy(self, request, *args, **kwargs):
        bank.question_delete(question=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Submit a draft for review", request=None, responses=QuestionDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._detail(bank.question_submit(question=self.get_object(), user=request.user))

    @extend_schema(
        summary="Publish a question in review (reviewers)",
        request=None,
        responses=QuestionDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._detail(bank.question_publish(question=self.get_object(), user=request.user))

    @extend_schema(
        summary="Send a question in review back to its author (reviewers)",
        request=RejectSerializer,
        responses=QuestionDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = bank.question_reject(
            question=self.get_object(), user=request.user, note=serializer.validated_data["note"]
        )
        return self._detail(question)

    @extend_schema(summary="Archive a question", request=None, responses=QuestionDetailSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._detail(bank.question_archive(question=self.get_object(), user=request.user))

    @extend_schema(
        summary="Every revision of this question, newest first",
        responses=QuestionSummarySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def revisions(self, request, pk=None):
        qs = question_revisions(user=request.user, question=self.get_object())
        return Response(QuestionSummarySerializer(qs, many=True).data)

    @extend_schema(
        summary="Upload (POST) or remove (DELETE) the question's image",
        request={"multipart/form-data": ImageUploadSerializer},
        responses={200: QuestionDetailSerializer, 400: OpenApiResponse(description="Bad image")},
    )
    @action(detail=True, methods=["post", "delete"], parser_classes=[MultiPartParser])
    def image(self, request, pk=None):
        upload = None
        if request.method == "POST":
            serializer = ImageUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["image"]
        question = bank.question_set_image(
            question=self.get_object(), user=request.user, upload=upload
        )
        return self._detail(question)

    @extend_schema(
        summary="Publish or archive many questions at once",
        request=BulkSerializer,
        responses=BulkResultSerializer,
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        serializer = BulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = bank.question_bulk(
            ids=serializer.validated_data["ids"],
            action=serializer.validated_data["action"],
            user=request.user,
            visible_qs=question_visible_qs(request.user),
        )
        return Response(BulkResultSerializer(result).data)


# --- Quizzes ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Quizzes you can see", responses=QuizSummarySerializer(many=True)),
    retrieve=extend_schema(summary="A quiz with its items and draw rules"),
)
class QuizViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quizzes: an ordered list of questions (with time/points overrides) or draw rules."""

    permission_classes = [IsTeacher]
    serializer_class = QuizSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        params = self.request.query_params
        return quiz_list(
            user=self.request.user, q=params.get("q", "").strip(), mine=params.get("mine") == "1"
        )

    def get_serializer_class(self):
        return QuizSummarySerializer if self.action == "list" else QuizSerializer

    def get_object(self):
        return quiz_get(user=self.request.user, pk=self.kwargs["pk"])

    def _save(self, request, quiz=None, *, partial=False):
        serializer = QuizInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        items = data.pop("items", None)
        rules = data.pop("draw_rules", None)
        quiz = quiz_save(
            user=request.user,
            quiz=quiz,
            fields=data,
            items=[dict(i) for i in items] if items is not None else None,
            draw_rules=[dict(r) for r in rules] if rules is not None else None,
            usable_questions=question_visible_qs(request.user),
        )
        return QuizSerializer(quiz_get(user=request.user, pk=quiz.pk)).data

    @extend_schema(
        summary="Create a quiz", request=QuizInputSerializer, responses={201: QuizSerializer}
    )
    def create(self, request, *args, **kwargs):
        return Response(self._save(request), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Replace a quiz", request=QuizInputSerializer, responses=QuizSerializer)
    def update(self, request, *args, **kwargs):
        return Response(self._save(request, self.get_object()))

    @extend_schema(
        summary="Change some fields, items or rules of a quiz",
        request=QuizInputSerializer,
        responses=QuizSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        return Response(self._save(request, self.get_object(), partial=True))

    @extend_schema(summary="Delete a quiz", responses={204: None})
    def destroy(self, request, *args, **kwargs):
        quiz_delete(user=request.user, quiz=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
