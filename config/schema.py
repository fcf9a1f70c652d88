"""The OpenAPI schema generator: documents plain APIViews that declare no serializer.

Such views (validated by inner `InputSerializer`s or by hand) are described as taking their
`InputSerializer` (or a JSON object) and answering with JSON, instead of being dropped from the
schema with a warning. Plain GET views on collection paths get `_list` operation ids, so
`/api/games/` and `/api/games/{id}/` no longer collide.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from rest_framework.generics import GenericAPIView
from rest_framework.views import APIView


def _undeclared(view) -> bool:
    return (
        isinstance(view, APIView)
        and not isinstance(view, GenericAPIView)
        and not any(
            hasattr(view, name)
            for name in ("get_serializer", "get_serializer_class", "serializer_class")
        )
    )


class AutoSchema(openapi.AutoSchema):
    def get_request_serializer(self):
        if not _undeclared(self.view):
            return super().get_request_serializer()
        if self.method not in {"POST", "PUT", "PATCH"}:
            return None
        serializer = getattr(self.view, "InputSerializer", None)
        return serializer() if serializer is not None else OpenApiTypes.OBJECT

    def get_response_serializers(self):
        if not _undeclared(self.view):
            return super().get_response_serializers()
        return OpenApiTypes.ANY

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        if (
            self.method == "GET"
            and _undeclared(self.view)
            and "{" not in self.path
            and operation_id.endswith("_retrieve")
        ):
            return operation_id[: -len("_retrieve")] + "_list"
        return operation_id

    def get_serializer_name(self, serializer, direction) -> str:
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname:  # inner `InputSerializer`s of several views: name them by view
            return qualname.replace(".", "").removesuffix("Serializer")
        return name
