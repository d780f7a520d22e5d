"""`r2tui exporter` over HTTP: scraped as Prometheus scrapes it, parsed with
`prometheus_client`'s own text parser, and checked against `r2tui status
--json` of the same store; `/healthz` both ways; a hostile bucket name; and
`r2tui collect --exporter`."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from r2tui.exporter.naming import FAMILIES
from r2tui.metrics import ACCOUNT, HOUR
from tests.support.exporter_data import HOSTILE, LIVE, STOPPED, fill, heartbeat, write_config

Samples = dict[str, list[Sample]]


def _r2tui(*args: str) -> list[str]:
    return [sys.executable, "-m", "r2tui", *args]


@dataclass
class Served:
    url: str
    config: Path
    process: subprocess.Popen[str]

    def scrape(self) -> tuple[str, Samples]:
        answer = httpx.get(f"{self.url}/metrics", timeout=30)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        samples: Samples = {}
        for family in text_string_to_metric_families(answer.text):
            for s in family.samples:
                samples.setdefault(s.name, []).append(s)
        return answer.text, samples


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """A process that says where it serves on stderr; its URL."""
    process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    seen = []
    while line := process.stderr.readline():
        seen.append(line)
        if line.startswith("r2tui exporter: http://"):
            return process, line.split()[2].removesuffix("/metrics")
    process.wait(timeout=10)
    raise AssertionError(f"the exporter did not start: {''.join(seen)}")


def _stop(process: subprocess.Popen[str]) -> int:
    process.terminate()
    try:
        return process.wait(timeout=20)
    finally:
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("exporter")
    # Not within a minute of the hour: status and the scrape must read the same full hour.
    if time.time() % HOUR > HOUR - 60:
        time.sleep(HOUR - time.time() % HOUR + 1)
    config = write_config(tmp)
    fill(config)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp), "XDG_DATA_HOME": str(tmp), "TZ": "UTC"}
    process, url = _start(
        _r2tui("--config", str(config), "exporter", "--listen", "127.0.0.1:0"), env
    )
    try:
        yield Served(url, config, process)
    finally:
        assert _stop(process) == 0


def _status(config: Path, account: str) -> dict[str, Any]:
    done = subprocess.run(
        _r2tui("--config", str(config), "status", "--json", "--account", account),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def _value(samples: Samples, name: str, **labels: str) -> float | None:
    found = [s.value for s in samples.get(name, []) if s.labels == labels]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def test_every_catalog_metric_matches_status(served: Served) -> None:
    _, samples = served.scrape()
    for account in (LIVE, STOPPED):
        doc = _status(served.config, account)
        metrics = doc["metrics"]
        by_bucket = {ACCOUNT: metrics, **metrics["buckets"]}
        compared = 0
        for f in FAMILIES:
            for bucket, values in by_bucket.items():
                if f.metric not in values:
                    continue  # status reports the cards', the rules' and the classes' only
                want = values[f.metric]
                got = _value(samples, f.sample_name, account=account, bucket=bucket)
                if want is None:
                    assert got is None, (f.sample_name, account, bucket)
                    continue
                assert got is not None, (f.sample_name, account, bucket)
                # status rounds to 3 decimals; the exporter serves base units.
                assert math.isclose(got, want * f.scale, abs_tol=0.0005 * f.scale), (
                    f.sample_name,
                    bucket,
                    got,
                    want,
                )
                compared += 1
        assert compared >= 25  # the store's fill gives most metrics a value
        # The metrics status does not report are served too, with their units.
        assert _value(samples, "r2tui_inventory_seconds", account=account, bucket="media") == 12.5
        assert _value(samples, "r2tui_probe_put_seconds", account=account, bucket="media") == 0.04

        jobs = {j["job"]: j for j in doc["collector"]["jobs"]}
        for job, j in jobs.items():
            key = {"account": account, "job": job}
            started = _value(samples, "r2tui_job_last_start_timestamp_seconds", **key)
            assert started is not None
            assert started == pytest.approx(_epoch(j["started_at"]), abs=1), job
            assert _value(samples, "r2tui_job_last_run_ok", **key) == float(j["ok"])
        key = {"account": account, "job": "inventory"}
        assert _value(samples, "r2tui_job_failures_total", **key) == 1
        assert _value(samples, "r2tui_job_last_success_timestamp_seconds", **key) is None
        assert _value(samples, "r2tui_job_last_duration_seconds", **key) == 2

        alerts = {
            (s.labels["alertname"], s.labels["alertstate"], s.labels["bucket"])
            for s in samples.get("r2tui_alerts", [])
            if s.labels["account"] == account
        }
        want_alerts = {
            (a["rule"], state, a["bucket"])
            for state in ("firing", "pending")
            for a in doc["alerts"][state]
        }
        assert alerts == want_alerts
        if account == LIVE:
            assert ("High monthly cost", "firing", ACCOUNT) in alerts

        spend = doc["storage"]["monitor_spend"]
        for klass, key_ in (("a", "class_a_requests"), ("b", "class_b_requests")):
            got = _value(
                samples, "r2tui_monitor_month_requests_total", account=account, **{"class": klass}
            )
            assert got == spend[key_]
        assert _value(
            samples, "r2tui_monitor_month_cost_usd_total", account=account
        ) == pytest.approx(spend["usd_list_price"], abs=1e-6)
    states = {s.labels["state"]: s.value for s in samples["r2tui_outbox_notifications"]}
    assert set(states) >= {"pending", "dead", "sent"}


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_types_and_units(served: Served) -> None:
    text, _ = served.scrape()
    types = {
        f.name: f.type for f in text_string_to_metric_families(text) if f.name.startswith("r2tui_")
    }
    assert types["r2tui_total_bytes"] == "gauge"
    assert types["r2tui_downloads_today"] == "counter"
    assert types["r2tui_downloaded_today_bytes"] == "counter"
    assert types["r2tui_error_rate_ratio"] == "gauge"
    assert types["r2tui_job_failures"] == "counter"
    assert "# TYPE r2tui_downloads_today_total counter" in text
    assert "r2tui_downloads_today_total{" in text


def test_a_hostile_bucket_name_is_a_label_value(served: Served) -> None:
    text, samples = served.scrape()
    buckets = {s.labels.get("bucket") for s in samples["r2tui_total_bytes"]}
    assert HOSTILE in buckets  # the parser gives back exactly what the store holds
    # In the text: escaped, so the newline never starts a line of its own and the
    # quote never ends the label.
    assert 'bucket="we\\"ird\\\\name\\nline"' in text
    assert not any(line.startswith("line") for line in text.splitlines())


def test_healthz_says_which_collector_is_alive(served: Served) -> None:
    answer = httpx.get(f"{served.url}/healthz", timeout=30)
    assert answer.status_code == 503
    doc = answer.json()
    alive = {a["account"]: a for a in doc["accounts"]}
    assert doc["alive"] is False
    assert alive[LIVE]["alive"] is True and alive[LIVE]["holder"] == "peer-host:4242"
    assert (alive[STOPPED]["alive"], alive[STOPPED]["lease"]) == (False, "expired")
    assert "expired" in alive[STOPPED]["reason"]
    _, samples = served.scrape()
    assert _value(samples, "r2tui_collector_alive", account=LIVE) == 1
    assert _value(samples, "r2tui_collector_alive", account=STOPPED) == 0

    heartbeat(served.config, STOPPED)  # the store is read at each request
    answer = httpx.get(f"{served.url}/healthz", timeout=30)
    assert answer.status_code == 200
    assert answer.json()["alive"] is True
    assert httpx.get(f"{served.url}/nothing", timeout=30).status_code == 404


def test_collect_serves_the_exporter_while_collecting(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill(config)
    env = {**os.environ, "TZ": "UTC"}
    process, url = _start(
        _r2tui("--config", str(config), "collect", "--exporter", "127.0.0.1:0"), env
    )
    try:
        answer = httpx.get(f"{url}/metrics", timeout=30)
        assert answer.status_code == 200
        names = {f.name for f in text_string_to_metric_families(answer.text)}
        assert {"r2tui_total_bytes", "r2tui_collector_alive", "r2tui_alerts"} <= names
    finally:
        assert _stop(process) == 0


def test_collect_refuses_the_exporter_with_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    done = subprocess.run(
        _r2tui("--config", str(config), "collect", "--once", "--exporter", "127.0.0.1:0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--exporter" in done.stderr
