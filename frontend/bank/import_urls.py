"""Import wizard pages (mounted under /bank/import/)."""

from __future__ import annotations

urlpatterns: list = []
