"""REST routes of the question bank (mounted under /api/)."""

from __future__ import annotations

from django.urls import path

from quizzes.apis import UnitListApi

urlpatterns = [
    path("units/", UnitListApi.as_view(), name="unit-list"),
]
