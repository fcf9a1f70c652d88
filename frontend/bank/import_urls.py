"""Import wizard pages (mounted under /bank/import/)."""

from __future__ import annotations

from django.urls import path

from frontend.bank import import_views

urlpatterns: list = [
    path("", import_views.import_wizard, name="bank-import"),
    path("template.csv", import_views.template_csv, name="bank-import-template-csv"),
    path("template.xlsx", import_views.template_xlsx, name="bank-import-template-xlsx"),
]
