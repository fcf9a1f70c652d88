"""Account pages (mounted at the site root by config/urls.py, before allauth's SSO routes)."""

from __future__ import annotations

from django.urls import path

from frontend import accounts

urlpatterns = [
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/password/reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password/reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        accounts.password_reset_complete,
        name="password_reset_complete",
    ),
    path("accounts/invite/<str:token>/", accounts.invite_accept, name="account-invite"),
    path("organise/teachers/", accounts.organise_teachers, name="organise-teachers"),
]
