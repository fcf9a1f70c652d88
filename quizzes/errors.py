"""Domain errors shared by every app. Message constants live next to the services that raise them."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A rule was broken: rendered as {"code", "message", "details"} on REST and WebSocket alike."""

    status = 400

    def __init__(self, code: str, message: Any, details: Any = None, status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.details = details
        if status is not None:
            self.status = status


class NotFoundError(ApplicationError):
    status = 404


class ForbiddenError(ApplicationError):
    status = 403
