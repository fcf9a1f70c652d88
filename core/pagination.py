"""The API's one pagination rule: `page` is a whole number from 1, or absent."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page numbers; `?page=` empty or not a number is a 400 that says so (DRF reads it as page 1)."""

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if (
            raw is not None
            and raw != "last"
            and not (raw.isascii() and raw.isdigit() and int(raw) >= 1)
        ):
            raise serializers.ValidationError(
                {self.page_query_param: [_("Give a page number from 1.")]}
            )
        return super().get_page_number(request, paginator)
