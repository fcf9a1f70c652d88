from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from frontend import views

urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/<int:job_id>/", views.job_page, name="job-page"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("frontend.bank.urls")),
    path("", include("frontend.live.urls")),
    path("", include("frontend.contests.urls")),
]
