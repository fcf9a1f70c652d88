"""docs/grafana/citizenquiz.json: valid JSON whose every panel asks for metrics (and labels) that
/metrics really serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client import Counter, Gauge, Histogram

from core import metrics

pytestmark = pytest.mark.django_db

DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana" / "citizenquiz.json"
METRIC = re.compile(r"\b(cq_[a-z_]+)")
SELECTOR = re.compile(r"(cq_[a-z_]+)\{([^}]*)\}")
BY = re.compile(r"\bby \(([^)]*)\)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def served_labels() -> dict[str, set[str]]:
    """Each cq_ metric family of core/metrics.py with its label names (+ the scrape-time one)."""
    labels = {"cq_live_games": {"status"}}
    for value in vars(metrics).values():
        if isinstance(value, Counter | Gauge | Histogram):
            extra = {"le"} if isinstance(value, Histogram) else set()
            labels[value._name] = set(value._labelnames) | extra
    return labels


def test_the_dashboard_is_valid_json_with_prometheus_panels():
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    assert len(panels) >= 10
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"]["type"] == "prometheus"
        assert panel["targets"], panel["title"]
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()


def test_every_dashboard_panel_reads_a_metric_and_labels_that_metrics_serves():
    text = Client().get("/metrics").content.decode()
    families = {m.group(1) for m in re.finditer(r"^# TYPE (\S+) ", text, re.M)}
    labels = served_labels()
    dashboard = json.loads(DASHBOARD.read_text())
    seen = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            names = METRIC.findall(expr)
            assert names, (panel["title"], expr)
            for name in names:
                family = base_name(name)
                assert name in families or family in families, (panel["title"], name)
                seen.add(family)
            used = {
                key.strip().split("=")[0].rstrip("!~")
                for _m, selector in SELECTOR.findall(expr)
                for key in selector.split(",")
            }
            used |= {label.strip() for group in BY.findall(expr) for label in group.split(",")}
            allowed = set.union(*(labels[base_name(n)] for n in names))
            assert used <= allowed, (panel["title"], used - allowed)
    # The list: live games, sockets, joins, ack and broadcast latency, answers stored and
    # refused, contest requests, background jobs.
    assert {
        "cq_live_games",
        "cq_sockets",
        "cq_joins",
        "cq_answer_ack_seconds",
        "cq_broadcast_seconds",
        "cq_answers_stored",
        "cq_answers_refused",
        "cq_requests",
        "cq_request_seconds",
        "cq_jobs_running",
        "cq_jobs_finished",
    } <= seen
