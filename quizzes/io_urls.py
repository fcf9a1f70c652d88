"""REST routes for import and export (mounted under /api/)."""

from __future__ import annotations

from django.urls import path

from quizzes.io_apis import QuestionExportApi, QuestionImportApi

urlpatterns = [
    path("questions/import/", QuestionImportApi.as_view(), name="question-import"),
    path("questions/export/", QuestionExportApi.as_view(), name="question-export"),
]
