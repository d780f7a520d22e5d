"""The exporter in process: every catalog metric named by Prometheus' rules,
the registry is a fresh one, the listen address, the collector's liveness
against the schedule, the Grafana dashboard names only what is served, and
the exporter never loads Textual."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from r2tui.cli.exporter import listen_address
from r2tui.config import Schedule
from r2tui.config.values import parse_schedule
from r2tui.exporter.families import Scope, registry_for
from r2tui.exporter.liveness import collector_alive
from r2tui.exporter.naming import COUNTER, FAMILIES
from r2tui.metrics import CATALOG
from r2tui.store import Store, lease
from tests.support.leases import hold
from tests.support.store_data import ACC, NOW, run

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana" / "r2tui.json"
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _schedules(**texts: str) -> dict[str, Schedule]:
    out = {}
    for job, text in texts.items():
        seconds, cron = parse_schedule(text)
        out[job] = Schedule(job, text, seconds, cron)
    return out


SCHEDULES = _schedules(check_alerts="1m", collect_metrics="5m", inventory="0 3 * * *")


def test_every_catalog_metric_is_served_once_by_prometheus_rules() -> None:
    assert [f.metric for f in FAMILIES] == list(CATALOG)
    names = [f.sample_name for f in FAMILIES]
    assert len(set(names)) == len(names)
    for f in FAMILIES:
        assert NAME.fullmatch(f.name) and f.name.startswith("r2tui_")
        if f.unit:
            assert f.name.endswith(f"_{f.unit}")
        assert f.sample_name.endswith("_total") == (f.type == COUNTER)
        assert not re.search(r"_(ms|pct)(_|$)", f.name)  # base units only
    by = {f.metric: f for f in FAMILIES}
    assert (by["avg_response_ms"].name, by["avg_response_ms"].scale) == (
        "r2tui_avg_response_seconds",
        0.001,
    )
    assert by["error_rate_pct"].name == "r2tui_error_rate_ratio"
    assert by["downloaded_bytes_today"].sample_name == "r2tui_downloaded_today_bytes_total"
    assert by["requests_per_hour"].type == "gauge"  # a window's sum goes down too


def _served_names(store: Store) -> set[str]:
    registry = registry_for(store, Scope(accounts=(ACC,), schedules=SCHEDULES))
    names = set()
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        names.add(family.name)
        names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def test_a_fresh_registry_holds_only_the_store(store: Store) -> None:
    run(store, "check_alerts", NOW - 10, NOW - 9)
    names = _served_names(store)
    assert all(n.startswith("r2tui_") for n in names)  # no process_ or python_ metrics
    assert not any(n.startswith("r2tui_") for n in (m.name for m in REGISTRY.collect()))


def test_the_grafana_dashboard_names_only_served_metrics(store: Store) -> None:
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in doc["panels"] for t in p["targets"]]
    exprs += [v["definition"] for v in doc["templating"]["list"] if "definition" in v]
    used = {m for e in exprs for m in re.findall(r"\br2tui_[a-z0-9_]+", e)}
    assert len(used) >= 15
    assert used <= _served_names(store), used - _served_names(store)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),
        ("[::1]:9464", ("::1", 9464)),
        ("localhost:80", ("localhost", 80)),
    ],
)
def test_listen_address(text: str, want: tuple[str, int]) -> None:
    assert listen_address(text) == want


@pytest.mark.parametrize("text", ["9464", ":9464", "::1:9464", "host:port", "host:70000", "h:-1"])
def test_listen_address_refused(text: str) -> None:
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        listen_address(text)


def test_collector_alive_reads_the_lease(store: Store) -> None:
    live = collector_alive(store, ACC, NOW, schedules=SCHEDULES)
    assert (live.alive, live.state) == (False, "none")
    run(store, "check_alerts", NOW - 60, NOW - 30)  # a run says nothing of the collector
    assert not collector_alive(store, ACC, NOW, schedules=SCHEDULES).alive
    peer = lease.Holder("peer", 7, "peer-id")
    hold(store, ACC, peer, heartbeat_at=NOW - 10, seconds=60)
    live = collector_alive(store, ACC, NOW, schedules=SCHEDULES)
    assert (live.alive, live.holder, live.heartbeat_age) == (True, "peer:7", 10)
    dead = collector_alive(store, ACC, NOW + 60, schedules=SCHEDULES)
    assert (dead.alive, dead.state, dead.heartbeat_age) == (False, "expired", 70)
    assert not collector_alive(store, "someone-else", NOW, schedules=SCHEDULES).alive


def test_the_exporter_never_imports_textual() -> None:
    code = (
        "import sys; import r2tui.exporter.server, r2tui.cli.exporter; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_scope_is_every_account_or_the_one_asked_for() -> None:
    from r2tui.cli.exporter import scope_for
    from tests.support.configs import account_for, make_config

    config = make_config(
        (account_for("http://127.0.0.1:9", "a"), account_for("http://127.0.0.1:9", "b"))
    )
    assert scope_for(config).accounts == ("a", "b")
    assert scope_for(config, only="b").accounts == ("b",)
    assert scope_for(config).schedules == config.schedules
