"""Query parameters of the bank listing: parsed once, used by the API, the pages and the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from core.pagination import Pagination


@dataclass
class QuestionFilters:
    """What the bank can be filtered by (query parameters of GET /api/questions/ and /bank/)."""

    q: str = ""
    theme: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    difficulty_min: int | None = None
    difficulty_max: int | None = None
    tag: list[str] = field(default_factory=list)
    language: str = ""
    status: list[str] = field(default_factory=list)
    author: str = ""
    visibility: list[str] = field(default_factory=list)
    family: str = ""
    all_revisions: bool = False
    ordering: str = "-updated_at"


ORDERINGS = {
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "difficulty": ("difficulty", "-id"),
    "-difficulty": ("-difficulty", "-id"),
    "id": ("id",),
    "-id": ("-id",),
}


def filters_from_params(params: Any) -> QuestionFilters:
    """QuestionFilters from query parameters (lists may repeat or be comma-separated)."""

    def many(name: str) -> list[str]:
        values: list[str] = []
        for raw in params.getlist(name) if hasattr(params, "getlist") else [params.get(name, "")]:
            values.extend(v.strip() for v in str(raw or "").split(",") if v.strip())
        return values

    def number(name: str) -> int | None:
        raw = str(params.get(name) or "").strip()
        return int(raw) if raw.isdigit() else None

    difficulty = number("difficulty")
    return QuestionFilters(
        q=str(params.get("q") or params.get("search") or "").strip()[:200],
        theme=many("theme"),
        type=many("type"),
        difficulty_min=difficulty if difficulty is not None else number("difficulty_min"),
        difficulty_max=difficulty if difficulty is not None else number("difficulty_max"),
        tag=many("tag"),
        language=str(params.get("language") or "").strip(),
        status=many("status"),
        author=str(params.get("author") or "").strip(),
        visibility=many("visibility"),
        family=str(params.get("family") or "").strip(),
        all_revisions=str(params.get("revisions") or "") == "all",
        ordering=str(params.get("ordering") or "-updated_at"),
    )


class QuestionFilterParams(serializers.Serializer):
    """The API is strict where the pages are lenient: a malformed filter is a 400, not ignored."""

    difficulty = serializers.IntegerField(min_value=1, max_value=5, required=False)
    difficulty_min = serializers.IntegerField(min_value=1, max_value=5, required=False)
    difficulty_max = serializers.IntegerField(min_value=1, max_value=5, required=False)
    language = serializers.ChoiceField(choices=["vi", "en", "both"], required=False)
    family = serializers.UUIDField(required=False)
    revisions = serializers.ChoiceField(choices=["all"], required=False)
    ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False)


def validate_filter_params(params: Any) -> None:
    """Raise a ValidationError (400, with the offending parameters) for malformed filters."""
    present = {name: params.get(name) for name in QuestionFilterParams().fields if name in params}
    QuestionFilterParams(data=present).is_valid(raise_exception=True)


QUESTION_FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Full-text search; diacritics optional"),
    OpenApiParameter("theme", OpenApiTypes.STR, description="Theme slug(s), comma-separated"),
    OpenApiParameter("type", OpenApiTypes.STR, description="Question type(s), comma-separated"),
    OpenApiParameter("difficulty", OpenApiTypes.INT, description="Exact difficulty 1-5"),
    OpenApiParameter("difficulty_min", OpenApiTypes.INT),
    OpenApiParameter("difficulty_max", OpenApiTypes.INT),
    OpenApiParameter("tag", OpenApiTypes.STR, description="Tag name(s); all must match"),
    OpenApiParameter("language", OpenApiTypes.STR, enum=["vi", "en", "both"]),
    OpenApiParameter("status", OpenApiTypes.STR, description="draft, review, published, archived"),
    OpenApiParameter("author", OpenApiTypes.STR, description="Username, or “me”"),
    OpenApiParameter("visibility", OpenApiTypes.STR, description="private, school, public"),
    OpenApiParameter("family", OpenApiTypes.UUID, description="Every revision of one question"),
    OpenApiParameter(
        "revisions", OpenApiTypes.STR, enum=["all"], description="Include old revisions"
    ),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS)),
]


# --- Pagination -------------------------------------------------------------------------------

# Counting every match of a broad filter costs a scan of the whole bank; past this many the list
# shows "10000+" and asks for narrower filters (the count query stops at COUNT_CAP + 1 rows).
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A Paginator whose count stops at COUNT_CAP (+1, to know the cap was reached)."""

    @cached_property
    def _count_up_to_cap(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._count_up_to_cap, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._count_up_to_cap > COUNT_CAP


class BankPagination(Pagination):
    """20 per page (`page_size` up to 100); `count` stops at 10000, flagged by `count_capped`."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedCountPaginator

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a number of questions per page from 1 to %(max)s.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return super().get_page_size(request)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {"type": "boolean"}
        return schema
