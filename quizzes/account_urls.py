"""REST routes for teacher accounts (mounted under /api/)."""

from __future__ import annotations

from django.urls import path

from quizzes.account_apis import TeacherImportApi, TeacherInviteApi, TeacherListApi

urlpatterns = [
    path("accounts/teachers/", TeacherListApi.as_view(), name="teacher-list"),
    path("accounts/teachers/invite/", TeacherInviteApi.as_view(), name="teacher-invite"),
    path("accounts/teachers/import/", TeacherImportApi.as_view(), name="teacher-import"),
]
