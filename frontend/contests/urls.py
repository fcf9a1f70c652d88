"""Pages: contests (mounted at the site root by frontend/urls.py)."""

from __future__ import annotations

from django.urls import path, re_path

from frontend.contests import ceremony_views, views

urlpatterns: list = [
    path("contests/", views.contest_list, name="contest-list-page"),
    path("contests/<slug:slug>/", views.contest_landing, name="contest-landing"),
    path("contests/<slug:slug>/register/", views.register_page, name="contest-register-page"),
    path("contests/<slug:slug>/resume/<str:token>/", views.resume, name="contest-resume"),
    path(
        "contests/<slug:slug>/rounds/<int:round_id>/play/",
        views.attempt_page,
        name="contest-attempt",
    ),
    path(
        "contests/<slug:slug>/rounds/<int:round_id>/results/",
        views.results_page,
        name="contest-results",
    ),
    path(
        "contests/<slug:slug>/rounds/<int:round_id>/screen/",
        views.screen_page,
        name="contest-screen",
    ),
    path("contests/<slug:slug>/qr.svg", views.contest_qr, name="contest-qr"),
    re_path(
        r"^verify/(?P<code>[A-Za-z0-9-]{1,64})/?$",
        views.verify_certificate,
        name="certificate-verify",
    ),
    path("organise/", views.organise_index, name="contest-organise-index"),
    path("organise/contests/<slug:slug>/", views.organise_contest, name="contest-organise"),
    path(
        "organise/contests/<slug:slug>/ceremonies/",
        ceremony_views.ceremony_list,
        name="ceremony-list",
    ),
    path(
        "organise/ceremony/<int:ceremony_id>/",
        ceremony_views.ceremony_console,
        name="ceremony-console",
    ),
    path(
        "ceremony/<int:ceremony_id>/screen", ceremony_views.ceremony_screen, name="ceremony-screen"
    ),
    path(
        "ceremony/<int:ceremony_id>/overlay",
        ceremony_views.ceremony_overlay,
        name="ceremony-overlay",
    ),
]
