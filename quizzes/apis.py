"""REST views of the question bank and the unit hierarchy."""

from __future__ import annotations

from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from quizzes.models import Unit


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
