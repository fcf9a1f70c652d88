"""The /api/ root: a map of the API for people and clients."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """Links to the schema, the interactive docs and each resource family."""
    return Response(
        {
            "schema": reverse("api-schema", request=request),
            "docs": reverse("api-docs", request=request),
            "questions": request.build_absolute_uri("/api/questions/"),
            "themes": request.build_absolute_uri("/api/themes/"),
            "quizzes": request.build_absolute_uri("/api/quizzes/"),
            "units": request.build_absolute_uri("/api/units/"),
            "games": request.build_absolute_uri("/api/games/"),
            "contests": request.build_absolute_uri("/api/contests/"),
        }
    )
