from django.apps import AppConfig


class ContestsPagesConfig(AppConfig):
    name = "frontend.contests"
    label = "frontend_contests"
