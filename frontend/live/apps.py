from django.apps import AppConfig


class LivePagesConfig(AppConfig):
    name = "frontend.live"
    label = "frontend_live"
