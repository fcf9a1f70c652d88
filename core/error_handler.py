"""The DRF exception handler and the JSON 404/500 views: every error in the one body (core.errors)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from core.errors import ApplicationError, body_too_large, error_body, wait_message

_CODES = {
    exceptions.ValidationError: ("invalid", lambda: _("The request contains invalid data.")),
    exceptions.ParseError: ("malformed", lambda: _("The request body could not be parsed.")),
    exceptions.NotAuthenticated: ("not_authenticated", lambda: _("Please log in first.")),
    exceptions.AuthenticationFailed: ("authentication_failed", lambda: _("Log-in failed.")),
    exceptions.PermissionDenied: (
        "permission_denied",
        lambda: _("You do not have permission to do this."),
    ),
    exceptions.NotFound: ("not_found", lambda: _("Not found.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", lambda: _("This method is not allowed.")),
    exceptions.Throttled: ("throttled", lambda: _("Too many requests. Please slow down.")),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        lambda: _("This content type is not supported."),
    ),
}


# DRF's words for a body of `null` where an object was expected: not translated there.
_NO_DATA = "No data provided"


def _no_data_translated(details):
    """DRF's untranslated "No data provided" (a serializer given `null`) in the reader's language."""
    if isinstance(details, dict) and details.get(api_settings.NON_FIELD_ERRORS_KEY) == [_NO_DATA]:
        return {
            **details,
            api_settings.NON_FIELD_ERRORS_KEY: [_("No data sent: a JSON object is needed.")],
        }
    return details


def invalid_body(details) -> dict:
    """The body of input a serializer refused: DRF's 400 and the join socket's error frame."""
    code, message = _CODES[exceptions.ValidationError]
    return error_body(code, message(), _no_data_translated(details))


def api_exception_handler(exc, context):
    """DRF exception handler that renders every error in the shared shape."""
    if isinstance(exc, RequestDataTooBig):  # Django's limit on a body read whole: it was HTML
        exc = body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    code, message = "error", None
    for klass, (klass_code, klass_message) in _CODES.items():
        if isinstance(exc, klass):
            code, message = klass_code, klass_message()
            break
    details = response.data
    if isinstance(exc, exceptions.ValidationError):
        details = _no_data_translated(exc.detail)
    elif isinstance(details, dict) and set(details) == {"detail"}:
        details = None
    wait = getattr(exc, "wait", None)  # Throttled sets it (not in the DRF stubs)
    if isinstance(exc, exceptions.Throttled) and wait:
        details = {"retry_after": max(1, int(wait))}
        message = wait_message(details["retry_after"])
    response.data = error_body(code, message or str(exc), details)
    return response


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)


def json_500(request):
    return JsonResponse(
        error_body("server_error", _("Something went wrong on our side. Please try again.")),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
