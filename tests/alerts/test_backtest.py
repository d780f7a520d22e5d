"""The backtest is the engine: stored history replayed at check_alerts' cadence
(`r2tui.alerts.replay`) fires when, and for as long as, the real check_alerts
job fired over the same history, its clock stepped minute by minute."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from r2tui.alerts import saved
from r2tui.alerts.engine import history, targets
from r2tui.alerts.replay import backtest, eval_times
from r2tui.alerts.rules import DEFAULT_RULES, Rule
from r2tui.alerts.states import Firing
from r2tui.alerts.trial import evaluate
from r2tui.config import Config
from r2tui.config.model import Schedule
from r2tui.jobs.alerts import check_alerts
from r2tui.jobs.base import JobContext
from r2tui.metrics import ANALYTICS_LAG
from r2tui.store import Store, state, writes
from r2tui.store.writes import SampleRow
from r2tui.tui.alert_ops import AlertOps
from tests.support.configs import account_for, make_config

ACC = "acme"
H, M = 3600, 60
COLLECT = 300  # collect_metrics' default schedule: every 5 minutes
# 22:00 UTC: "today" starts again two hours in.
T0 = int(datetime(2026, 11, 11, 22, 0, tzinfo=UTC).timestamp())
END = T0 + 6 * H
DROP = next(r for r in DEFAULT_RULES if r.name == "Objects dropped")

RULES = [
    # The default "Failed access" with for = 2m: a one-hour burst fires it.
    Rule("Burst", "failed_access", ">", 10.0, for_seconds=2 * M),
    Rule("Kept", "failed_access", ">", 10.0, keep_firing_seconds=90 * M),
    *(
        Rule(f"Slow {p}", "avg_response_ms", ">", 500.0, for_seconds=5 * M, missing_data=p)
        for p in ("keep", "alert", "resolve")
    ),
    Rule("Errors", "error_rate_pct", ">", 5.0, for_seconds=10 * M, keep_firing_seconds=5 * M),
    Rule("Uploads", "uploads_today", ">", 10.0, missing_data="alert"),
    DROP,
    Rule(
        "Swings",
        "total_files",
        "changes_by",
        3000.0,
        scope="?*",
        window=30 * M,
        change_in="absolute",
    ),
]


def samples(store: Store, at: int, bucket: str = "*", **series: float) -> None:
    writes.add_samples(store, ACC, [SampleRow(m, v, bucket) for m, v in series.items()], ts=at)


def seed(store: Store) -> None:
    """Six hours: counters by the hour, probes every ten minutes with a gap,
    and 41 % of the bucket media's objects gone at 23:40."""
    for hour, denied in enumerate((1, 30, 2, 40, None, 0), start=-1):
        if denied is not None:
            samples(store, T0 + hour * H, denied_requests=denied)
    for hour, errors in enumerate((2, 8, 1, 9, 0, 7)):
        samples(store, T0 + hour * H, requests=100, error_requests=errors)
    for minutes, uploads in ((10, 5), (70, 20), (150, 3), (200, 9)):
        samples(store, T0 + minutes * M, upload_requests=uploads)
    for minutes in range(0, 91, 10):
        samples(store, T0 + minutes * M, "media", probe_get_ms=800)
    for minutes in range(180, 360, 10):
        samples(store, T0 + minutes * M, "media", probe_get_ms=100)
    for minutes, objects in ((-60, 10_000), (0, 10_000), (60, 10_000), (100, 5_900), (120, 5_900)):
        samples(store, T0 + minutes * M, "media", stored_objects=objects)
    samples(store, T0 + 30 * M, "media", total_files=10_100)  # a listing: analytics wins
    for minutes in range(0, 360, 60):
        samples(store, T0 + minutes * M, "logs", stored_objects=500 + 100 * minutes)


def engine_firings(store: Store) -> dict[tuple[str, str], list[Firing]]:
    out: dict[tuple[str, str], list[Firing]] = defaultdict(list)
    for row in sorted(history(store, ACC, limit=10_000), key=lambda r: r["ts"]):
        key = (row["rule"], row["bucket"])
        if row["to"] == "firing":
            out[key].append(Firing(row["ts"]))
        elif row["to"] == "resolved" and row["from"] == "firing":
            out[key][-1] = Firing(out[key][-1].fired_at, row["ts"])
    return dict(out)


def collected(store: Store, t: int) -> None:
    """Where the analytics stand at `t` with collect_metrics every 5 minutes:
    each run stores the windows up to ANALYTICS_LAG before it."""
    with store.write():
        state.put(store, state.analytics_key(ACC), t - t % COLLECT - ANALYTICS_LAG)


def run_engine(store: Store, config: Config, times: range) -> dict[tuple[str, str], list[Firing]]:
    """The check_alerts job at each of `times`, its clock injected, with the
    analytics stored as far as collect_metrics had stored them then."""
    ctx = JobContext(config, store)
    ran = None
    for t in times:
        if t - t % COLLECT != ran:  # the analytics moved on since the last check
            ran = t - t % COLLECT
            collected(store, t)
        ctx.clock = lambda t=t: float(t)
        assert not check_alerts(ctx, config.accounts[0]).errors
    return engine_firings(store)


def config_every(seconds: int) -> Config:
    config = make_config((account_for("http://127.0.0.1:9", name=ACC),))
    every = Schedule("check_alerts", f"{seconds}s", seconds)
    return replace(config, schedules={**config.schedules, "check_alerts": every})


@dataclass
class Host:
    config: Config
    store: Store
    clock: Callable[[], float]
    account_name: str = ACC


def test_a_one_hour_burst_and_a_drop_in_objects_fire_in_the_backtest_as_live(
    store: Store,
) -> None:
    """Every minute, as check_alerts runs by default: `for = 2m` on an hour's count
    of failed accesses, and the default rule on 41 % of a bucket's objects gone."""
    seed(store)
    writes.sync_buckets(store, ACC, ["logs", "media"], ts=T0)
    burst = RULES[0]
    saved.import_rules(store, [burst, DROP], replace_all=True)
    config = make_config((account_for("http://127.0.0.1:9", name=ACC),))
    start, end = T0 + 50 * M, T0 + 170 * M
    live = run_engine(store, config, eval_times(start, end, 60))
    # The hour's count is stored whole at the first collection 3 minutes past it (:05).
    assert live == {
        ("Burst", "*"): [Firing(T0 + H + 7 * M, T0 + 2 * H + 5 * M)],
        ("Objects dropped", "media"): [Firing(T0 + 100 * M, T0 + 160 * M)],
    }
    # The rule form's backtest: the stored last 7 days at check_alerts' cadence.
    ops = AlertOps(Host(config, store, lambda: float(end)))
    for rule, bucket in ((burst, "*"), (DROP, "media")):
        got = ops.backtest(rule)
        assert got.firings == tuple((bucket, f) for f in live[(rule.name, bucket)])
    assert ops.backtest(burst).text() == (
        "over the last 7 days this rule would have fired once (for 1.0 h in all)"
    )
    drop = ops.backtest(DROP)
    assert drop.buckets == 2 and drop.seconds == 60 * M
    assert (
        drop.text() == "over the last 7 days across 2 buckets this rule would have fired once "
        "(for 1.0 h in all)"
    )


def test_for_keep_firing_for_and_missing_data_in_the_backtest_as_live(store: Store) -> None:
    """Every rule, every kind of metric (a gauge, an hour's count, a ratio, today,
    a mean), at a cadence of ten minutes read from the config."""
    seed(store)
    saved.import_rules(store, RULES, replace_all=True)
    config = config_every(600)
    live = run_engine(store, config, eval_times(T0, END, 600))
    replayed = {
        (rule.name, b.bucket): b.firings
        for rule in RULES
        for b in backtest(
            store,
            rule,
            ACC,
            targets(rule, ["media", "logs"]),
            T0,
            END,
            600,
            config.timezone,
            collects=COLLECT,
        )
        if b.firings
    }
    assert replayed == live
    # Each hour's count is seen at the first check after its collection at :05.
    assert live[("Burst", "*")] == [
        Firing(T0 + H + 20 * M, T0 + 2 * H + 10 * M),
        Firing(T0 + 3 * H + 20 * M, T0 + 5 * H + 10 * M),  # no count for 01:00: state kept
    ]
    assert live[("Kept", "*")] == [Firing(T0 + H + 10 * M, T0 + 5 * H + 30 * M)]
    # The probes stop after 23:30 and come back, faster, at 01:00.
    assert live[("Slow keep", "*")] == [Firing(T0 + 10 * M, T0 + 3 * H)]
    assert live[("Slow alert", "*")] == [Firing(T0 + 10 * M, T0 + 3 * H)]
    assert live[("Slow resolve", "*")] == [Firing(T0 + 10 * M, T0 + 160 * M)]
    assert live[("Objects dropped", "media")] == [Firing(T0 + 100 * M, T0 + 160 * M)]
    assert ("Objects dropped", "logs") not in live
    assert {("Errors", "*"), ("Uploads", "*"), ("Swings", "media")} <= set(live)


def test_a_rule_the_data_never_trips_fires_in_neither(store: Store) -> None:
    seed(store)
    quiet = replace(RULES[0], name="Quiet", threshold=1000.0)
    assert backtest(store, quiet, ACC, ["*"], T0, END)[0].firings == []


def test_a_change_rule_on_an_hourly_count_neither_flaps_live_nor_in_the_backtest(
    store: Store,
) -> None:
    """Traffic doubles every hour; the analytics store each hour a few minutes
    after it ends. The count now and the count an hour ago wait on the same
    collection: from :00 to :05 both are an hour behind, never the same hour
    (a change of 0 that resolved the alert every hour)."""
    for hour in range(-3, 6):
        samples(store, T0 + hour * H, requests=100.0 * 2 ** (hour + 3))
    rise = Rule("Rise", "requests_per_hour", "rises_by", 50.0, window=H, for_seconds=2 * M)
    saved.import_rules(store, [rise], replace_all=True)
    config = make_config((account_for("http://127.0.0.1:9", name=ACC),))
    start, end = T0 - H, T0 + H + 10 * M  # two hours turning
    live = run_engine(store, config, eval_times(start, end, 60))
    # Pending at 21:05 (20:00's count against 19:00's, the first two stored), then
    # firing for good.
    assert live == {("Rise", "*"): [Firing(T0 - H + 7 * M)]}
    replayed = backtest(store, rise, ACC, ["*"], start, end, 60, collects=COLLECT)
    assert replayed[0].firings == live[("Rise", "*")]


def test_trying_a_change_rule_compares_hours_an_hour_apart_before_the_hour_is_stored(
    store: Store,
) -> None:
    """`rules test` at 02:02, the analytics stored to 01:57 (the 01:00 hour not
    whole yet): 00:00's count against 23:00's, not 00:00's against itself."""
    for hour, count in enumerate((100, 200, 400, 800), start=-1):
        samples(store, T0 + H + hour * H, requests=count)
    rise = Rule("Rise", "requests_per_hour", "rises_by", 50.0, window=H)
    config = make_config((account_for("http://127.0.0.1:9", name=ACC),))
    now = T0 + 4 * H + 2 * M
    collected(store, now)
    (row,) = evaluate(store, rise, config, [ACC], now)
    assert (row["now"], row["before"], row["value"], row["holds"]) == (400.0, 200.0, 100.0, True)


def test_the_backtest_checks_at_a_cron_schedules_times(store: Store) -> None:
    """check_alerts on a cron line (at :07 and :37): the rule form's backtest
    steps at those times, as the job ran, not every minute."""
    seed(store)
    burst = RULES[0]
    saved.import_rules(store, [burst], replace_all=True)
    line = "7,37 * * * *"
    config = make_config((account_for("http://127.0.0.1:9", name=ACC),))
    config = replace(
        config,
        schedules={**config.schedules, "check_alerts": Schedule("check_alerts", line, cron=line)},
    )
    end = T0 + 170 * M
    live = run_engine(store, config, range(T0 + 67 * M, end + 1, 30 * M))
    # Pending at 23:07, the count stored at 23:05; two minutes on is 23:37.
    assert live == {("Burst", "*"): [Firing(T0 + H + 37 * M, T0 + 2 * H + 7 * M)]}
    got = AlertOps(Host(config, store, lambda: float(end))).backtest(burst)
    assert got.firings == (("*", live[("Burst", "*")][0]),)


def test_today_starts_at_the_hour_holding_midnight_live_and_in_the_backtest(
    store: Store,
) -> None:
    """Asia/Kolkata (UTC+5:30): today's uploads start again at 18:00 UTC, the
    hour holding midnight, in the card check_alerts reads and in the backtest."""
    midnight_hour = T0 - 4 * H  # 18:00 UTC: midnight at 18:30
    for k in range(-30, 3):
        samples(store, midnight_hour + k * H, upload_requests=1.0)
    rule = Rule("Busy day", "uploads_today", ">", 12.0)
    saved.import_rules(store, [rule], replace_all=True)
    config = replace(config_every(600), timezone="Asia/Kolkata")
    start, end = midnight_hour - 2 * H, midnight_hour + 2 * H
    live = run_engine(store, config, eval_times(start, end, 600))
    assert live == {("Busy day", "*"): [Firing(start, midnight_hour)]}
    replayed = backtest(store, rule, ACC, ["*"], start, end, 600, config.timezone, COLLECT)
    assert replayed[0].firings == live[("Busy day", "*")]
