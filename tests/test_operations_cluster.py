"""`make run-cluster` (deploy/cluster.py): the processes share one fresh metrics folder, and the
generated nginx keeps /metrics off the public entrance."""

from __future__ import annotations

from deploy import cluster


def test_the_generated_nginx_answers_404_for_metrics_and_still_proxies_the_rest(tmp_path):
    conf = cluster.nginx_config(tmp_path, [9001, 9002], 8080).read_text()
    block = conf.split("location = /metrics {", 1)[1].split("}", 1)[0]
    assert block.strip() == "return 404;"
    assert "location / {" in conf
    assert "proxy_pass http://citizenquiz;" in conf


def test_the_cluster_metrics_folder_starts_empty_of_an_earlier_runs_values(tmp_path, monkeypatch):
    folder = tmp_path / "prom"
    folder.mkdir()
    (folder / "counter_4242.db").write_bytes(b"old")
    (folder / "README").write_text("an operator's file stays")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    assert cluster.metrics_dir() == folder
    assert sorted(p.name for p in folder.iterdir()) == ["README"]


def test_a_dead_processs_socket_gauges_leave_the_cluster_total_but_its_counters_stay(tmp_path):
    import os
    import subprocess
    import sys

    from core import metrics

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead = int(gone.stdout)
    for name in (
        f"gauge_livesum_{dead}.db",
        f"gauge_livesum_{os.getpid()}.db",
        f"counter_{dead}.db",
    ):
        (tmp_path / name).write_bytes(b"")
    metrics._forget_dead_processes(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"gauge_livesum_{os.getpid()}.db", f"counter_{dead}.db"]
    )


def test_the_generated_nginx_holds_ten_thousand_players_within_this_machines_files_limit(tmp_path):
    """Each proxied socket holds two of an nginx worker's files: one worker per core, a files
    limit nginx may set (never above the hard limit: setrlimit fails and the worker stays at the
    soft limit), as many connections as that limit, and one least_conn count for all workers."""
    import re
    import resource

    conf = cluster.nginx_config(tmp_path, [9001, 9002], 8080).read_text()
    assert "worker_processes auto;" in conf
    nofile = int(re.search(r"worker_rlimit_nofile (\d+);", conf).group(1))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert nofile <= (hard if hard != resource.RLIM_INFINITY else 65536)
    connections = int(re.search(r"worker_connections (\d+);", conf).group(1))
    assert connections <= nofile
    assert "zone citizenquiz" in conf.split("upstream citizenquiz {", 1)[1].split("}", 1)[0]
