from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = _("Live games")

    def ready(self) -> None:
        # A ceremony can reveal a finished live game's standing (contest does not import us).
        from contest.services.ceremony import BOARD_PROVIDERS
        from realtime.ceremony import game_board

        BOARD_PROVIDERS["game"] = game_board

        # /metrics counts live games and /healthz pings the live store (core knows no app).
        from realtime import live_metrics

        live_metrics.register()

        # A wrong join code is a failed guess, like an unknown PIN (core/ratelimit.py).
        from core import ratelimit
        from realtime.challenge import CODE_WRONG

        ratelimit.register_failed_guess(CODE_WRONG)
