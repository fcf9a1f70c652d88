from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api import api_root
from core.health import healthz, readyz
from core.metrics import metrics_view

api_patterns = [
    path("", api_root, name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("quizzes.urls")),
    path("", include("quizzes.io_urls")),
    path("", include("quizzes.background.urls")),
    path("", include("contest.urls")),
    path("", include("realtime.urls")),
    path("", include("quizzes.account_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("frontend.account_urls")),
    path("", include("frontend.urls")),
    # django-allauth: only the SSO routes are live (SOCIALACCOUNT_ONLY); our own log-in and
    # password pages above take precedence over its paths of the same name.
    path("accounts/", include("allauth.urls")),
]

handler404 = "frontend.views.page_not_found"
handler500 = "frontend.views.server_error"
