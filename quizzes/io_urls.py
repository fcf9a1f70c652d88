"""REST routes for import and export (mounted under /api/)."""

from __future__ import annotations

urlpatterns: list = []
