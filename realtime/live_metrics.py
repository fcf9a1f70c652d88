"""Scrape-time figures of the live engine for /metrics and its health for /healthz: registered
with core (which knows no app) from RealtimeConfig.ready()."""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)


class LiveGamesCollector:
    """cq_live_games{status}: games not ended, read from PostgreSQL (the whole cluster)."""

    def describe(self):
        return []

    def collect(self):
        try:
            counts = live_game_counts()
        except Exception:  # PostgreSQL away: every other metric must still be scraped
            logger.warning("cq_live_games left out: the database did not answer", exc_info=True)
            return
        family = GaugeMetricFamily(
            "cq_live_games", "Live games not ended yet, by status.", labels=["status"]
        )
        for status, n in counts.items():
            family.add_metric([status], n)
        yield family


def live_game_counts() -> dict[str, int]:
    from django.db.models import Count

    from realtime.models import Game

    counts = dict(
        Game.objects.exclude(status=Game.Status.ENDED).values_list("status").annotate(n=Count("id"))
    )
    return {str(s): counts.get(s, 0) for s in (Game.Status.LOBBY, Game.Status.RUNNING)}


def live_store_ping() -> None:
    """/healthz "live_store": the live store answers a ping (raises when it does not)."""
    from asgiref.sync import async_to_sync

    from realtime.store import get_store

    async_to_sync(get_store().ping)()


def register() -> None:
    """Tell core's /metrics and /healthz about the live engine (called once, from ready())."""
    from core import health, metrics

    metrics.register_scrape_collector(LiveGamesCollector())
    health.register_health_check("live_store", live_store_ping)
