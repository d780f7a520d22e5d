"""The probe budget: what a month of probes costs (against the price list and
the requests a real probe sends to moto), how a run's share is paced, the
rotation through the buckets (pure over a month of runs, then the job on moto
and a SQLite store, across a restart), the buckets probed at every run, and
the budget winning over them when they alone would spend more."""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from r2tui.alerts import saved
from r2tui.alerts.probe_watch import ruled_buckets
from r2tui.alerts.rules import DEFAULT_RULES, Rule
from r2tui.config import ProbeSettings
from r2tui.config.model import DEFAULT_PROBE_REQUESTS, Retention, Schedule
from r2tui.config.triggers import cadence
from r2tui.costs import probes
from r2tui.costs.bill import to_cents
from r2tui.costs.probes import EVERY_RUN, OVER_BUDGET, PER_PROBE, ROTATION, due, plan, run_due
from r2tui.jobs import JobContext, run_job
from r2tui.jobs.probe_budget import Turn, choose, warn_over_budget
from r2tui.observations import PROBE_OPERATIONS, RequestTally
from r2tui.pricing import LIST_PRICES, PriceList, operation_class
from r2tui.sources import s3
from r2tui.status import probe_plan_doc
from r2tui.store import Store, open_store, probed, rollups, writes
from r2tui.store.models import Event, Sample
from r2tui.store.writes import EventRow, SampleRow
from tests.support.committed import behind_a_write
from tests.support.configs import account_for, make_config
from tests.support.peers import seed_bucket
from tests.support.store_files import sqlite_path

T0 = 1_760_000_000  # a multiple of 100: a 25,920-probe budget's share is 3 every 300 s
MONTH = 30 * 86400
RUNS = MONTH / 300  # "5m": 8,640 runs a month
DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


# ---- what a month of probes costs ------------------------------------------------------


def test_a_probe_costs_one_class_a_two_class_b_and_a_free_request() -> None:
    assert PER_PROBE == {"A": 1, "B": 2, "free": 1}
    assert sum(PER_PROBE.values()) == probes.REQUESTS_PER_PROBE == len(PROBE_OPERATIONS)
    assert [operation_class(op) for op in PROBE_OPERATIONS] == ["A", "B", "B", "free"]


def test_the_month_against_the_price_list() -> None:
    assert probes.runs_per_month(Schedule("collect_metrics", "5m", seconds=300)) == RUNS
    cron = Schedule("collect_metrics", "*/5 * * * *", cron="*/5 * * * *")
    assert probes.runs_per_month(cron) == RUNS
    # The default budget: 100,000 probes, a tenth of the Class A free tier.
    assert DEFAULT_PROBE_REQUESTS // 4 * PER_PROBE["A"] <= LIST_PRICES.free_class_a / 10
    assert DEFAULT_PROBE_REQUESTS // 4 * PER_PROBE["B"] <= LIST_PRICES.free_class_b / 10

    p = plan(1000, DEFAULT_PROBE_REQUESTS, RUNS)
    assert (p.mode, p.probes_month, p.requests_month) == (ROTATION, 100_000, 400_000)
    assert (p.class_a, p.class_b, p.free) == (100_000, 200_000, 100_000)
    # $4.50 a million Class A, $0.36 a million Class B; all inside the free tier.
    assert p.list_usd == Decimal("0.45") + Decimal("0.072")
    assert p.beyond_free_usd == 0
    assert p.every_seconds == pytest.approx(MONTH * 1000 / 100_000)  # 7.2 hours

    # Every bucket at every run (issue 19's figure): 8.64 M Class A, 17.28 M Class B;
    # past the free tier 7.64 M and 7.28 M, billed as 8 million each.
    every = plan(1000, 10**10, RUNS)
    assert (every.mode, every.class_a, every.class_b) == (EVERY_RUN, 8_640_000, 17_280_000)
    assert every.list_usd == Decimal("8.64") * Decimal("4.50") + Decimal("17.28") * Decimal("0.36")
    assert every.beyond_free_usd == 8 * Decimal("4.50") + 8 * Decimal("0.36")
    assert every.every_seconds == 300

    # The config's prices: a 31-day month, no free tier, dearer Class A.
    dear = LIST_PRICES.overridden(
        {"billing_period_days": 31, "free_class_a": 0, "standard_class_a_per_million": 9},
        "test",
    )
    d = plan(1000, DEFAULT_PROBE_REQUESTS, 31 * 288, dear)
    assert d.period_seconds == 31 * 86400 and d.class_a == 100_000
    assert d.beyond_free_usd == Decimal(9)  # 100,000 Class A round up to a million


def test_a_real_probe_sends_what_the_plan_prices(s3_backend: Any, moto_endpoint: str) -> None:
    seed_bucket(s3_backend, "canary", [])
    tally = RequestTally()
    client = s3.make_client(account_for(moto_endpoint), make_config(()).s3, tally)
    assert s3.probe_bucket(client, "canary", ".r2tui-probe/").ok
    assert (tally.class_a, tally.class_b, tally.free) == (
        PER_PROBE["A"],
        PER_PROBE["B"],
        PER_PROBE["free"],
    )


def test_the_modes_and_who_is_probed_how_often() -> None:
    assert plan(11, DEFAULT_PROBE_REQUESTS, RUNS).mode == EVERY_RUN  # 95,040 probes fit
    p = plan(1000, DEFAULT_PROBE_REQUESTS, RUNS, must=5)
    assert p.mode == ROTATION and p.must_every_seconds == 300
    assert p.every_seconds == pytest.approx(MONTH * 995 / (100_000 - 5 * RUNS))
    over = plan(1000, DEFAULT_PROBE_REQUESTS, RUNS, must=40)
    assert over.mode == OVER_BUDGET and over.probes_month == 100_000  # the budget wins
    # A tenth of the budget is kept for the others' turns: 960 buckets on 10,000 probes.
    assert over.reserved_probes == 10_000 and over.every_seconds == MONTH * 960 / 10_000
    assert over.must_every_seconds == MONTH * 40 / 90_000
    # 345,600 probes for them, 38,399 for the others: 383,999 probes.
    assert over.needed_requests() == 383_999 * 4
    assert plan(1000, over.needed_requests(), RUNS, must=40).mode == ROTATION
    assert plan(1000, over.needed_requests() - 4, RUNS, must=40).mode == OVER_BUDGET
    # 95,040 probes would fit the budget but not the nine tenths left to them.
    assert plan(1000, DEFAULT_PROBE_REQUESTS, RUNS, must=11).mode == OVER_BUDGET
    # When every bucket must be probed, nothing is kept: the whole budget is theirs.
    every = plan(40, DEFAULT_PROBE_REQUESTS, RUNS, must=40)
    assert every.reserved_probes == 0 and every.must_every_seconds == MONTH * 40 / 100_000
    assert every.needed_requests() == 40 * 8640 * 4


# ---- a run's share ---------------------------------------------------------------------


def test_the_shares_add_up_to_the_budget_whatever_the_runs_times() -> None:
    budget = 100_000
    t, last, spent = T0, None, 0
    gaps = [300, 299, 301, 17, 600, 300, 3 * 3600, 300, 1]  # late, early, manual, a pause
    for i in range(2000):
        n = due(budget, MONTH, t, last, 300)
        spent += n
        last = t
        t += gaps[i % len(gaps)]
    # Never more than the budget's share of the time, pauses counted as at most an hour.
    assert spent <= budget * (t - T0 + 300) / MONTH + 1
    paused = (2000 // len(gaps)) * (3 * 3600 - 3600)
    assert spent >= budget * (t - T0 - paused) / MONTH - 2
    # A budget under one probe a run still probes: once the share reaches one.
    # 1,000 probes a month: one every 2,592 s, though a run comes every 300 s.
    last, got = float(T0), []
    for i in range(1, 20):
        got.append(due(1000, MONTH, T0 + 300 * i, last, 300))
        last = T0 + 300 * i if got[-1] else last  # the job's last: its last probe
    assert max(got) == 1 and sum(got) == (1000 * (T0 + 5700)) // MONTH - (1000 * T0) // MONTH


def test_a_run_pays_per_scheduled_run_over_the_calendar_month() -> None:
    """`run_due`: each scheduled run is paid the budget over the calendar month's
    runs, whatever the time between runs, so a schedule that pauses spends its
    budget; probes stamped after the run's start lose nothing; an extra run
    spends nothing; and a 31-day month spends the budget, not 31/30 of it."""
    budget = 10_000
    office = Schedule("collect_metrics", "*/5 9-17 * * 1-5", cron="*/5 9-17 * * 1-5")
    week = 1_793_577_600  # Monday 2026-11-02, in a 30-day month
    fires = cadence(office, "UTC", week, week + 7 * 86400 - 1)
    assert isinstance(fires, list) and len(fires) == 540
    spent, last = 0, None
    for t in fires:
        spent += run_due(budget, office, "UTC", t + 2, last)  # fired 2 s late
        last = t + 9  # the probes' time, after the run's start
        # An extra run (the refresh key) a minute later spends nothing.
        assert run_due(budget, office, "UTC", t + 60, last) == 0
    # A week of runs, nights and the weekend paused: a week's share of the month's.
    # (Within a few probes: a run after a pause counts a mean interval on the
    # clock, so the shares' roundings do not cancel exactly.) Was 29 % of it.
    assert abs(spent - budget * 7 / 30) <= 5
    five = Schedule("collect_metrics", "5m", seconds=300)
    january = 1_767_225_600  # 2026-01-01: 31 days, 8,928 runs of 5 minutes
    spent, last = 0, None
    for i in range(31 * 288):
        t = january + 300 * i + 1
        spent += run_due(budget, five, "UTC", t, last)
        last = t + 3
    assert budget - 1 <= spent <= budget  # not 31/30 of it, nor 97 % (probes stamped late)
    assert probes.calendar_month(january + 5) == (january, january + 31 * 86400)


def test_a_weekly_cron_line_is_counted_without_its_fire_times() -> None:
    """`* * * * 1-5` fires 7,200 times a week: counted from its fields (an hour's
    minutes times a week's hours), not fire by fire (3.6 s on the Cost pane's
    first paint)."""
    line = "* * * * 1-5"
    probes._weekly_runs.cache_clear()
    started = time.perf_counter()
    runs = probes.runs_per_month(Schedule("collect_metrics", line, cron=line), "Europe/Paris")
    assert runs == pytest.approx(7200 * 30 / 7)
    assert time.perf_counter() - started < 0.5


def test_rotation_covers_every_bucket_within_the_budget() -> None:
    """1,000 buckets, the default budget, a day of 5-minute runs: every bucket
    in turn, none waiting much more than the plan says, none probed twice before
    all were, and never more than the budget's share."""
    buckets = [f"b-{i:04d}" for i in range(1000)]
    p = plan(1000, DEFAULT_PROBE_REQUESTS, RUNS)
    last: dict[str, int] = {}
    seen: dict[str, list[int]] = {b: [] for b in buckets}
    t, previous, spent = T0, None, 0
    for _ in range(288):
        n = due(p.budget_probes, MONTH, t, previous, 300)
        chosen = choose(buckets, last, set(), p, n)
        assert len(chosen) == n and len(set(chosen)) == n
        for b in chosen:
            last[b] = t
            seen[b].append(t)
        spent += n
        previous = t
        t += 300
    assert spent <= p.budget_probes * (t - T0) / MONTH + 1
    firsts = sorted(times[0] for times in seen.values())
    assert firsts[-1] - T0 <= p.every_seconds + 300  # all within one turn
    assert sorted(buckets, key=lambda b: seen[b][0]) == buckets  # by name, the first turn
    waits = [b - a for times in seen.values() for a, b in itertools.pairwise(times)]
    assert max(waits) <= p.every_seconds + 300 and min(waits) >= p.every_seconds - 300


def test_buckets_that_must_be_probed_come_first_and_over_budget_take_turns() -> None:
    buckets = [f"b-{i}" for i in range(10)]
    last = {b: i for i, b in enumerate(buckets)}  # b-0 probed longest ago
    must = {"b-7", "b-9", "b-8"}
    rotation = plan(10, 4 * 1000, RUNS, must=0)
    assert choose(buckets, last, must, rotation, 5) == ("b-7", "b-8", "b-9", "b-0", "b-1")
    # A run's share is all it spends, even on them (an extra run's is none).
    assert choose(buckets, last, must, rotation, 1) == ("b-7",)
    assert choose(buckets, last, must, rotation, 0) == ()
    over = plan(10, 4 * 1000, RUNS, must=3)
    assert over.mode == OVER_BUDGET
    assert choose(buckets, last, must, over, 2) == ("b-7", "b-8")
    assert choose(buckets, {**last, "b-7": 99}, must, over, 2) == ("b-8", "b-9")
    # The share kept for the rotation goes to the others, in turn.
    assert choose(buckets, last, must, over, 2, reserve=1) == ("b-7", "b-0")
    assert choose(buckets, last, must, over, 1, reserve=3) == ("b-0",)
    assert choose(buckets[7:], last, must, over, 2, reserve=1) == ("b-7", "b-8")  # no other


def test_buckets_that_always_fail_do_not_stop_the_others_turns() -> None:
    """1,000 buckets, the default budget, a day of 5-minute runs, and 100 buckets
    that must be probed (10 times what the budget pays for at every run): the
    others still take turns on the tenth of the budget kept for them."""
    buckets = [f"b-{i:04d}" for i in range(1000)]
    must = set(buckets[:100])
    p = plan(1000, DEFAULT_PROBE_REQUESTS, RUNS, must=100)
    assert p.mode == OVER_BUDGET
    last: dict[str, int] = {}
    others, t, previous = 0, T0, None
    for _ in range(288):
        n = due(p.budget_probes, MONTH, t, previous, 300)
        kept = due(p.reserved_probes, MONTH, t, previous, 300)
        for b in choose(buckets, last, must, p, n, kept):
            last[b] = t
            others += b not in must
        previous = t
        t += 300
    assert others == p.reserved_probes * 288 * 300 // MONTH  # a tenth: 333 a day


def test_which_rules_name_buckets_to_probe() -> None:
    buckets = ["media", "logs", "logs-eu", "site"]
    rules = [
        *DEFAULT_RULES,  # bytes, objects and costs, or the account's latency: none
        Rule("slow logs", "avg_response_ms", ">", 500.0, scope="logs*"),
        Rule("site down", "probe_ok", "<", 1.0, scope="site"),
        Rule("off", "probe_ok", "<", 1.0, scope="media", enabled=False),
        Rule("big media", "total_bytes", ">", 1.0, scope="media"),
    ]
    assert ruled_buckets(DEFAULT_RULES, buckets) == set()
    assert ruled_buckets(rules, buckets) == {"logs", "logs-eu", "site"}


# ---- what the store says -----------------------------------------------------------------


def test_the_store_reads_on_either_back_end(st: Store) -> None:
    ok, failed = SampleRow("probe_ok", 1.0, "a"), SampleRow("probe_ok", 0.0, "b")
    writes.add_samples(st, "test", [ok, failed], T0 - 4000)
    writes.add_samples(st, "test", [ok, SampleRow("probe_ok", 0.0, "c")], T0 - 60)
    writes.add_samples(st, "other", [SampleRow("probe_ok", 0.0, "a")], T0)
    writes.add_events(st, "test", [EventRow("errors", "warning", "burst", "d")], T0 - 30)
    writes.add_events(st, "test", [EventRow("access", "warning", "denied", "e")], T0 - 30)
    assert probed.last_probes(st, "test") == {"a": T0 - 60, "b": T0 - 4000, "c": T0 - 60}
    # New errors: a probe that starts failing (the job's event), an error burst.
    failing = probed.PROBE_KIND
    writes.add_events(st, "test", [EventRow(failing, "error", "failed", "b")], T0 - 4000)
    writes.add_events(st, "test", [EventRow(failing, "error", "failed", "c")], T0 - 60)
    refused = {probed.FAILURE_KEY: probed.REFUSED_FAILURE}
    writes.add_events(st, "test", [EventRow(failing, "error", "no", "f", refused)], T0 - 60)
    writes.add_events(st, "test", [EventRow(failing, "info", "recovered", "g")], T0 - 60)
    # b's failure is older; f's was refused (a read-only key's PutObject).
    assert probed.erroring(st, "test", T0 - 3600) == {"c", "d"}
    assert not probed.warned_since(st, "test", T0 - 86400)
    writes.add_events(st, "test", [EventRow(probed.BUDGET_KIND, "warning", "budget")], T0)
    assert probed.warned_since(st, "test", T0 - 86400)
    assert not probed.warned_since(st, "other", T0 - 86400)
    # A bucket whose turn comes less often than raw samples are kept: probed 20
    # days ago, its raw samples purged after 14, it is still probed 20 days ago
    # (the newest hour of its rollups), not never: else it never gets a turn again.
    writes.add_samples(st, "test", [SampleRow("probe_ok", 1.0, "old")], T0 - 20 * 86400 + 5)
    rollups.roll_up(st, T0)
    rollups.purge(st, Retention(), T0)
    assert Sample.select().where(Sample.bucket == "old").count() == 0
    assert probed.last_probes(st, "test")["old"] == T0 - 20 * 86400 - (T0 - 20 * 86400) % 3600
    assert probed.last_probes(st, "test")["a"] == T0 - 60  # the raw samples first


# ---- the job, on moto and a SQLite store ----------------------------------------------

BUCKETS = [f"p-{i:02d}" for i in range(12)]
TWO = 17_280 * 4  # two probes every 300 s: 17,280 probes a month


def _ctx(store: Store, endpoint: str, clock: Clock, requests: int) -> JobContext:
    probe = ProbeSettings(enabled=True, requests_per_month=requests)
    config = make_config((account_for(endpoint, probe=probe),))
    return JobContext(config=config, store=store, clock=clock)


def _buckets(backend: Any, store: Store, n: int) -> list[str]:
    """`n` empty buckets in moto, known to the store as an inventory leaves them."""
    names = BUCKETS[:n]
    for name in names:
        seed_bucket(backend, name, [])
    writes.sync_buckets(store, "test", names, T0 - 7200)
    return names


def _probed(store: Store, at: float) -> list[str]:
    return [
        s.bucket
        for s in Sample.select()
        .where(Sample.metric == "probe_ok", Sample.ts == int(at))
        .order_by(Sample.bucket)
    ]


def _spend(metric: str) -> list[float]:
    return [s.value for s in Sample.select().where(Sample.metric == metric).order_by(Sample.id)]


def test_the_job_rotates_and_carries_on_after_a_restart(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    names = _buckets(s3_backend, store, 4)
    clock = Clock()
    runs = []
    for i in range(3):
        clock.t = T0 + 300 * i
        # A new context each run: a collector started again, with only the store.
        result = run_job("collect_metrics", _ctx(store, moto_endpoint, clock, TWO))
        assert result.ok, result.error
        runs.append(_probed(store, clock.t))
        assert result.summary == (
            f"probed 2 of 4 buckets within the budget (in turn, each every "
            f"{probes.every_text(MONTH * 4 / 17_280)})"
        )
    # In turn by name, then again from the least recently probed.
    assert runs == [names[0:2], names[2:4], names[0:2]]
    # What each run sent: two probes of one Class A, two Class B and one free request.
    assert _spend("monitor_class_a_ops") == [2 * PER_PROBE["A"]] * 3
    assert _spend("monitor_class_b_ops") == [2 * PER_PROBE["B"]] * 3
    assert _spend("monitor_free_ops") == [2 * PER_PROBE["free"]] * 3


def test_named_and_erroring_buckets_are_probed_at_every_run(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    _buckets(s3_backend, store, 6)
    saved.save_rule(store, Rule("slow one", "avg_response_ms", ">", 900.0, scope="*-01"))
    saved.save_rule(store, Rule("p-02 down", "probe_ok", "<", 1.0, scope="p-02"))
    saved.save_rule(store, Rule("big", "total_bytes", ">", 1.0, scope="?*"))  # no probe metric
    # A probe that started failing five minutes ago (the last run's: the first
    # run's share is one run's), an error burst ten minutes ago; another two hours
    # ago. p-00 failed too but had failed before (no new error); p-05 was refused.
    writes.add_samples(store, "test", [SampleRow("probe_ok", 0.0, "p-03")], T0 - 300)
    writes.add_events(store, "test", [EventRow("probe", "error", "failed", "p-03")], T0 - 300)
    writes.add_samples(store, "test", [SampleRow("probe_ok", 0.0, "p-00")], T0 - 300)
    refused = EventRow("probe", "error", "refused", "p-05", {"failure": "refused"})
    writes.add_events(store, "test", [refused], T0 - 300)
    writes.add_events(store, "test", [EventRow("errors", "warning", "burst", "p-04")], T0 - 600)
    writes.add_events(store, "test", [EventRow("errors", "warning", "burst", "p-00")], T0 - 7200)
    must = ["p-01", "p-02", "p-03", "p-04"]
    clock = Clock()
    others = []
    for i in range(2):
        clock.t = T0 + 300 * i
        # Five probes a run (43,200 a month): the four that must be, and one in turn.
        result = run_job("collect_metrics", _ctx(store, moto_endpoint, clock, 43_200 * 4))
        assert result.ok, result.error
        probed_now = _probed(store, clock.t)
        assert set(must) <= set(probed_now) and len(probed_now) == 5
        others += [b for b in probed_now if b not in must]
        assert "(4 at every run, the rest in turn, each every" in result.summary
    assert others == ["p-05", "p-00"]  # p-00 was probed five minutes ago
    assert Event.select().where(Event.kind == "probe_budget").count() == 0


def test_over_budget_the_budget_wins_and_says_so_once(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    names = _buckets(s3_backend, store, 6)
    saved.save_rule(store, Rule("every canary", "probe_ok", "<", 1.0, scope="p-*"))
    clock = Clock()
    for i in range(2):
        clock.t = T0 + 300 * i
        result = run_job("collect_metrics", _ctx(store, moto_endpoint, clock, TWO))
        assert result.ok, result.error
        assert _probed(store, clock.t) == names[2 * i : 2 * i + 2]  # 2 a run, in turn
        assert result.summary == (
            "probed 2 of 6 buckets: 6 must be probed at every run (6 named by rules on "
            "probe metrics, 0 with new errors in the last hour), 51,840 probes a month, more "
            "than the budget's 17,280: they take turns, and no other bucket is probed "
            "(probe.requests_per_month = 207,360 would probe them all at every run)"
        )
    (warned,) = Event.select().where(Event.kind == "probe_budget")
    assert warned.level == "warning"
    assert "Raise probe.requests_per_month to 207,360" in warned.message


def test_two_runs_at_once_warn_once(store: Store, sqlite_url: str) -> None:
    """The warning is read for and written under the write lock: a run that
    waits for another's (a `collect --once --force` beside the holder) finds the
    warning that one wrote, and writes none."""
    p = plan(6, TWO, RUNS, must=6)
    assert p.over_budget
    turn = Turn((), p, frozenset(BUCKETS[:6]), frozenset(), 2)

    def warn(other: sqlite3.Connection) -> None:
        other.execute(
            "INSERT INTO event (ts, account, kind, level, message) VALUES (?, ?, ?, ?, ?)",
            (T0, "test", probed.BUDGET_KIND, "warning", "probe budget too small: ..."),
        )

    behind_a_write(
        store,
        str(sqlite_path(sqlite_url)),
        warn,
        lambda: warn_over_budget(store, "test", turn, T0 + 1),
    )
    assert Event.select().where(Event.kind == probed.BUDGET_KIND).count() == 1


def test_a_run_with_no_probe_due_checks_the_endpoint(
    s3_backend: Any, moto_endpoint: str, store: Store
) -> None:
    _buckets(s3_backend, store, 12)
    clock = Clock(1_761_999_600)  # in November 2025 (30 days), 120 s after a probe's share
    # 4,000 probes a month: one every 648 s. The first run has one due, the next none.
    assert run_job("collect_metrics", _ctx(store, moto_endpoint, clock, 16_000)).items == 1
    clock.t += 300
    result = run_job("collect_metrics", _ctx(store, moto_endpoint, clock, 16_000))
    assert result.ok and result.summary.startswith("no probe due this run (12 buckets in turn")
    assert "endpoint answered HeadBucket" in result.summary
    assert _spend("endpoint_ok") == [1.0]


def test_the_docs_show_the_figure_the_code_computes() -> None:
    """docs/configuration.md's probe figures are `plan_text` of `r2tui estimate
    --probe-buckets 1000` (and with a budget for every run), word for word."""
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert "r2tui estimate --probe-buckets 1000" in text
    for budget in (DEFAULT_PROBE_REQUESTS, 10**10):
        assert probes.plan_text(plan(1000, budget, RUNS)) in text
    assert f"--probe-requests {10**10}" in text
    fits = DEFAULT_PROBE_REQUESTS // 4 // int(RUNS)
    assert plan(fits, DEFAULT_PROBE_REQUESTS, RUNS).mode == EVERY_RUN
    assert plan(fits + 1, DEFAULT_PROBE_REQUESTS, RUNS).mode == ROTATION
    assert f"(up to {fits} buckets at the default budget and schedule)" in text
    p = plan(1000, DEFAULT_PROBE_REQUESTS, RUNS)
    collection = " ".join((DOCS.parent / "collection.md").read_text(encoding="utf-8").split())
    assert (
        f"{p.requests_month:,} requests a month by default ({p.class_a:,} Class A, "
        f"{p.class_b:,} Class B: ${to_cents(p.list_usd)} at list price)"
    ) in collection
    assert math.isclose(PriceList().billing_period_days * 288, RUNS)


# ---- what the CLI says ----------------------------------------------------------------


def test_status_and_config_check_say_what_probes_cost(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "probes.db"
    config = tmp_path / "r2tui.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{db}"\n[accounts.test]\n'
        'endpoint_url = "http://127.0.0.1:9"\nregion = "us-east-1"\n'
        'access_key_id = "key"\nsecret_access_key = "secret"\n'
        '[accounts.test.probe]\nenabled = true\nbuckets = ["p-*"]\n',
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{db}")
    try:
        names = [f"p-{i:04d}" for i in range(100)]
        writes.sync_buckets(store, "test", [*names, "other"], T0)
    finally:
        store.close()
    expected = plan(100, DEFAULT_PROBE_REQUESTS, RUNS)

    code, out, err = cli("status", "--json", "--config", str(config))
    assert code == 0, err
    doc = json.loads(out)["probe_plan"]
    assert doc == probe_plan_doc(expected)
    assert (doc["mode"], doc["buckets"], doc["class_a_per_month"]) == ("rotation", 100, 100_000)
    assert (doc["usd_list_price"], doc["usd_beyond_free_tier"]) == (0.52, 0.0)
    code, out, _ = cli("status", "--config", str(config))
    assert (
        "probes: 100 buckets, in turn, each every 43.2 min: 100,000 Class A + 200,000 Class B "
        "a month, $0.52 at list price, $0.00 beyond the free tier"
    ) in out.splitlines()

    code, out, err = cli("config", "check", "--config", str(config))
    assert (code, err) == (0, "")
    assert (
        "probes test: budget 400,000 requests a month: every bucket at every run (5m) for up "
        "to 11 buckets; more take turns"
    ) in out.splitlines()
    assert f"probes test: {probes.plan_text(expected)}" in out.splitlines()

    # A rule on every canary's latency: 100 buckets at every run, over the budget.
    store = open_store(f"sqlite:///{db}")
    try:
        saved.save_rule(store, Rule("slow canaries", "avg_response_ms", ">", 500.0, scope="p-*"))
    finally:
        store.close()
    code, out, err = cli("config", "check", "--config", str(config))
    assert code == 0
    assert err == (
        "r2tui: warning: accounts.test.probe.requests_per_month: 100 buckets must be "
        "probed at every run (named by rules on probe metrics, or with new errors in the "
        "last hour): 864,000 probes a month, more than the budget's 100,000; they take "
        "turns. Set it to at least 3,456,000 to probe them at every run\n"
    )
    doc = json.loads(cli("status", "--json", "--config", str(config))[1])["probe_plan"]
    assert (doc["mode"], doc["must_probe"], doc["probes_per_month"]) == (
        "over_budget",
        100,
        100_000,
    )
    assert doc["needed_requests_per_month"] == 3_456_000


def test_probes_off_cost_nothing_in_status(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "r2tui.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "off.db"}"\n[accounts.test]\n'
        'endpoint_url = "http://127.0.0.1:9"\nregion = "us-east-1"\n'
        'access_key_id = "key"\nsecret_access_key = "secret"\n',
        encoding="utf-8",
    )
    code, out, err = cli("status", "--json", "--config", str(config))
    assert code == 0, err
    assert json.loads(out)["probe_plan"] is None
    out = cli("config", "check", "--config", str(config))[1]
    assert not [line for line in out.splitlines() if line.startswith("probes ")]
