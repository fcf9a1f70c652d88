"""Pages: contests (mounted at the site root by frontend/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
