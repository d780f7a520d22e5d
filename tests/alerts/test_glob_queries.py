"""A rule on a bucket glob reads its buckets in a fixed number of queries,
however many the glob matches: the backtest (`alerts.replay`, the Rules
screen's) and check_alerts (`alerts.engine`, every minute), each counted at 3
and at 30 buckets on one store. Every statement counts, writes included: the
alerts' states and their notices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from r2tui.alerts.engine import check_alerts
from r2tui.alerts.replay import backtest
from r2tui.alerts.rules import Rule
from r2tui.config import Config, Secret
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.store import Store, writes
from r2tui.store.models import AlertInstance, Notification
from r2tui.store.writes import SampleRow
from tests.support.configs import account_for, make_config

ACC = "acme"
T = int(datetime(2026, 11, 11, 12, 0, tzinfo=UTC).timestamp())
H, DAY = 3600, 86400
FEW, MANY = 3, 30
# One rule of each way a metric is read: a gauge (whose newest sample may come
# before the read), an hourly count, a mean of probes, a change over a window.
RULES = (
    Rule("Objects", "total_files", ">", 5.0),
    Rule("Denied", "failed_access", ">", 5.0),
    Rule("Slow", "avg_response_ms", ">", 5.0),
    Rule("Swing", "total_files", "changes_by", 1.0, window=1800, change_in="absolute"),
)


def config() -> Config:
    ops = ChannelConfig("ops", "webhook", url=Secret("http://127.0.0.1:9/ops", "test"))
    return make_config(
        (account_for("http://127.0.0.1:9", name=ACC),),
        alerts=AlertSettings(channels={"ops": ops}, default_channels=("ops",)),
    )


def seed(store: Store) -> None:
    """Buckets few-0..2 and many-0..29: a listing nine days ago (older than a
    week's backtest reads), then six hours of analytics and probes."""
    names = [f"few-{i}" for i in range(FEW)] + [f"many-{i}" for i in range(MANY)]
    writes.sync_buckets(store, ACC, names, ts=T - 10 * DAY)
    writes.add_samples(store, ACC, [SampleRow("total_files", 100, b) for b in names], T - 9 * DAY)
    for hour in range(6, 0, -1):
        at = T - hour * H
        rows = [
            SampleRow(metric, value + hour, b)
            for b in names
            for metric, value in (
                ("stored_objects", 200.0),
                ("denied_requests", 20.0),
                ("probe_get_ms", 50.0),
            )
        ]
        writes.add_samples(store, ACC, rows, ts=at)


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    """Every statement the store runs meanwhile (peewee sends them all through
    `execute_sql`)."""
    sent: list[str] = []
    original = store.db.execute_sql

    def execute_sql(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        sent.append(sql)
        return original(sql, params, *args, **kwargs)

    store.db.execute_sql = execute_sql  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        del store.db.execute_sql  # the class's method again


def queries(store: Store, read: Callable[[str], object], glob: str) -> int:
    with counted(store) as sent:
        read(glob)
    return len(sent)


def test_a_glob_is_read_in_as_many_queries_for_30_buckets_as_for_3(st: Store) -> None:
    seed(st)
    cfg = config()
    for rule in RULES:
        assert_constant(st, cfg, rule)


def assert_constant(st: Store, cfg: Config, rule: Rule) -> None:
    def tested(glob: str) -> list[Any]:
        got = backtest(
            st,
            replace(rule, scope=glob),
            ACC,
            [f"{glob[:-2]}-{i}" for i in range(FEW if glob == "few-*" else MANY)],
            T - 7 * DAY,
            T,
            300,
        )
        assert len(got) == (FEW if glob == "few-*" else MANY)
        assert all(b.entries for b in got)  # each bucket's history was read
        return got

    def checked(glob: str) -> None:
        named = replace(rule, name=f"{rule.name} {glob}", scope=glob)
        result = check_alerts(st, cfg, ACC, now=T, rules=[named])
        assert result.evaluated == (FEW if glob == "few-*" else MANY)

    def check_counted(glob: str) -> int:
        # Each from no alert at all: the first firing of every bucket, notified.
        AlertInstance.delete().execute()
        Notification.delete().execute()
        sent = queries(st, checked, glob)
        if not rule.is_change:
            assert AlertInstance.select().count() == (FEW if glob == "few-*" else MANY)
            assert Notification.select().count() == 1  # the rule's buckets, grouped
        return sent

    assert queries(st, tested, "few-*") == queries(st, tested, "many-*"), rule.name
    assert check_counted("few-*") == check_counted("many-*"), rule.name
