"""A store for the exporter's tests, filled relative to the real clock (the
exporter and `status` run in processes of their own and read `time.time()`):
two accounts, one with a collector alive and one whose collector stopped an
hour ago, a bucket named with quotes, a backslash and a newline, analytics'
hourly counters, probes, costs, a firing alert and r2tui's own spend."""

from __future__ import annotations

import time
from pathlib import Path

from r2tui.alerts.engine import check_alerts
from r2tui.config import load_config
from r2tui.metrics import HOUR
from r2tui.store import Store, lease, open_store, writes
from r2tui.store.writes import SampleRow
from tests.support.leases import hold

LIVE = "test"  # its collector holds a fresh lease
STOPPED = "other"  # its collector's lease expired an hour ago
PEER = lease.Holder("peer-host", 4242, "peer")  # the collector, another process
HOSTILE = 'we"ird\\name\nline'  # what the analytics API may name a bucket
BUCKETS = ("media", HOSTILE)


def write_config(tmp_path: Path) -> Path:
    """Two accounts on a closed loopback port (nothing here talks to R2)."""
    path = tmp_path / "r2tui.toml"
    accounts = "".join(
        f"""
[accounts.{name}]
endpoint_url = "http://127.0.0.1:9"
region = "us-east-1"
access_key_id = "test-access-key"
secret_access_key = "test-secret-key"
"""
        for name in (LIVE, STOPPED)
    )
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "exporter.db"}"\n{accounts}', encoding="utf-8"
    )
    return path


def _run(store: Store, job: str, account: str, start: float, ok: bool = True) -> None:
    rid = writes.start_job_run(store, job, account, ts=start)
    writes.finish_job_run(store, rid, ok, 1, None if ok else "it broke", ts=start + 2)


def fill(config_path: Path, now: float | None = None) -> None:
    """The store of the config at `config_path`, filled as of `now`."""
    t = time.time() if now is None else now
    hour = int(t) - int(t) % HOUR
    config = load_config(str(config_path))
    store = open_store(config.store_url, config.store_url_source)
    try:
        for account in (LIVE, STOPPED):
            writes.sync_buckets(store, account, list(BUCKETS), ts=t - 900)
            rows = [SampleRow("total_files", 10 * (i + 1), b) for i, b in enumerate(BUCKETS)]
            rows += [SampleRow("total_bytes", 5_000 * (i + 1), b) for i, b in enumerate(BUCKETS)]
            rows += [SampleRow("total_files", 30), SampleRow("total_bytes", 15_000)]
            rows += [SampleRow("monitor_class_a_ops", 8), SampleRow("monitor_class_b_ops", 6)]
            rows += [
                SampleRow("monitor_free_ops", 3),
                SampleRow("inventory_seconds", 12.5, "media"),
            ]
            writes.add_samples(store, account, rows, ts=t - 600)
            # Analytics' hours: the last full one, and the hours of today so far.
            for start in {hour - HOUR, hour}:
                counts = [
                    SampleRow("requests", 200),
                    SampleRow("error_requests", 30),
                    SampleRow("download_requests", 120),
                    SampleRow("download_bytes", 1_000_000),
                    SampleRow("upload_requests", 40),
                    SampleRow("class_b_requests", 150),
                    SampleRow("denied_requests", 7),
                ]
                counts += [SampleRow(r.metric, r.value / 2, HOSTILE) for r in counts]
                writes.add_samples(store, account, counts, ts=start)
            for i, bucket in enumerate(BUCKETS):
                writes.add_samples(
                    store,
                    account,
                    [
                        SampleRow("probe_put_ms", 40 + i, bucket),
                        SampleRow("probe_get_ms", 20 + i, bucket),
                        SampleRow("probe_ok", 1.0 if i == 0 else 0.0, bucket),
                    ],
                    ts=t - 120,
                )
            writes.add_samples(
                store,
                account,
                [SampleRow("monthly_cost_usd", 500.0), SampleRow("forecast_month_usd", 612.5)],
                ts=t - 60,
            )
            _run(store, "inventory", account, t - 3000, ok=False)
            _run(store, "collect_metrics", account, t - 3600 if account == STOPPED else t - 200)
        _run(store, "check_alerts", STOPPED, t - 3600)
        # High monthly cost (a default rule, no `for`) fires for the live account.
        check_alerts(store, config, LIVE, now=t - 20)
        _run(store, "check_alerts", LIVE, t - 20)
        hold(store, STOPPED, PEER, heartbeat_at=t - 3600, seconds=60)
        hold(store, LIVE, PEER, heartbeat_at=t, seconds=3600)
    finally:
        store.close()


def heartbeat(config_path: Path, account: str) -> None:
    """`account`'s collector takes its lease again now: it is alive again."""
    config = load_config(str(config_path))
    store = open_store(config.store_url, config.store_url_source)
    try:
        assert lease.acquire(store, account, 3600, holder=PEER) is not None
    finally:
        store.close()
