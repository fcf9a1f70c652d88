"""REST routes of the question bank (mounted under /api/)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from quizzes.apis import QuestionViewSet, QuizViewSet, TagViewSet, ThemeViewSet, UnitListApi

router = SimpleRouter()
router.register("questions", QuestionViewSet, basename="question")
router.register("themes", ThemeViewSet, basename="theme")
router.register("tags", TagViewSet, basename="tag")
router.register("quizzes", QuizViewSet, basename="quiz")

urlpatterns = [
    path("units/", UnitListApi.as_view(), name="unit-list"),
    path("", include(router.urls)),
]
