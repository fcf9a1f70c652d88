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
        if self.method == "POST":  # an action (200) or a creation (201)
            return {200: OpenApiTypes.ANY, 201: OpenApiTypes.ANY}
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


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a stable code, a translated message and optional details.",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "details": {"nullable": True},
    },
    "required": ["code", "message"],
}


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation may answer with the one error body.

    Views document their success responses; any other status (400, 401, 403, 404, 405, 409, 413,
    429, ...) carries `{code, message, details}`, which the schema says once as the `default`
    response of every operation instead of repeating each code everywhere.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    default = {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method in {"get", "put", "patch", "post", "delete"}:
                responses = operation.setdefault("responses", {})
                for code in [c for c in responses if c.startswith("4")]:
                    # A bare 4xx description documents a case; its body is still the error body.
                    responses[code].setdefault("content", default["content"])
                responses.setdefault("default", default)
    return result
