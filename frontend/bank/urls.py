"""Pages: the teacher's question bank (mounted at the site root by frontend/urls.py)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns: list = [
    path("bank/import/", include("frontend.bank.import_urls")),
]
