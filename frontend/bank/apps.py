from django.apps import AppConfig


class BankPagesConfig(AppConfig):
    name = "frontend.bank"
    label = "frontend_bank"
