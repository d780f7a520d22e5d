"""The collector's state as the store tells it (never, idle, running, failing),
job runs with their host and pid, and runs left open by a process that died."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from r2tui.metrics import ACCOUNT
from r2tui.store import Store, queries, writes
from r2tui.store.holder import HOST, me
from r2tui.store.models import JobRun
from r2tui.store.queries import STALE_RUN_SECONDS
from tests.support.store_data import ACC, NOW, run


def test_collector_never(st: Store) -> None:
    view = queries.collector(st, ACC, NOW)
    assert (view.state, view.jobs, view.last_success_at) == ("never", [], None)
    run(st, "inventory", NOW - 10, NOW - 5, account="other")
    assert queries.collector(st, ACC, NOW).state == "never"


def test_collector_idle_running_failing(st: Store) -> None:
    run(st, "inventory", NOW - 300, NOW - 200)
    view = queries.collector(st, ACC, NOW)
    assert (view.state, view.detail, view.last_success_at) == ("idle", "", NOW - 200)
    run(st, "collect_metrics", NOW - 100, NOW - 90, ok=False, error="403 Forbidden")
    view = queries.collector(st, ACC, NOW)
    assert (view.state, view.detail) == ("failing", "collect_metrics: 403 Forbidden")
    assert view.last_success_at == NOW - 200
    run(st, "inventory", NOW - 30)  # open and recent: running beats failing
    view = queries.collector(st, ACC, NOW)
    assert (view.state, view.detail) == ("running", "inventory")
    assert {j.job: j.finished_at for j in view.jobs} == {
        "collect_metrics": NOW - 90,
        "inventory": None,
    }
    assert all(j.host == HOST for j in view.jobs)


def test_collector_latest_run_per_job_decides(st: Store) -> None:
    run(st, "inventory", NOW - 300, NOW - 200, ok=False, error="boom")
    assert queries.collector(st, ACC, NOW).state == "failing"
    run(st, "inventory", NOW - 100, NOW - 50)
    assert queries.collector(st, ACC, NOW).state == "idle"


def test_collector_account_wide_runs_count(st: Store) -> None:
    run(st, "check_alerts", NOW - 10, NOW - 5, ok=False, error="smtp down", account=ACCOUNT)
    view = queries.collector(st, ACC, NOW)
    assert (view.state, view.detail) == ("failing", "check_alerts: smtp down")


def test_a_jobs_last_run_is_the_newest_of_the_account_and_account_wide(st: Store) -> None:
    """Each job's last run is its newest of the account's and the account-wide
    ("*") runs, whichever it is; other accounts' runs do not count."""
    run(st, "check_alerts", NOW - 300, NOW - 290, account=ACCOUNT)
    run(st, "check_alerts", NOW - 200, NOW - 190, ok=False, error="smtp down")
    run(st, "rollup", NOW - 200, NOW - 190, ok=False, error="locked")
    run(st, "rollup", NOW - 100, NOW - 90, account=ACCOUNT)
    run(st, "rollup", NOW - 50, NOW - 40, ok=False, error="theirs", account="other")
    run(st, "zz_elsewhere", NOW - 50, NOW - 40, account="other")
    view = queries.collector(st, ACC, NOW)
    assert [(j.job, j.started_at, j.ok) for j in view.jobs] == [
        ("check_alerts", NOW - 200, False),
        ("rollup", NOW - 100, True),
    ]
    assert (view.state, view.detail, view.last_success_at) == (
        "failing",
        "check_alerts: smtp down",
        NOW - 90,
    )


def test_the_collectors_state_is_read_without_walking_every_run(store: Store) -> None:
    """Each job's last run and the last success come from seeks on job_run's
    indexes: in SQLite's plan for the reads, every step on the table (or its
    alias `r`) uses an index."""
    plans: list[str] = []
    conn = store.db.connection()
    conn.set_trace_callback(lambda sql: plans.append(sql) if "job_run" in sql else None)
    try:
        queries.collector(store, ACC, NOW)
    finally:
        conn.set_trace_callback(None)
    assert plans
    for sql in plans:
        steps = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        on_runs = [s for s in steps if re.match(r"(SCAN|SEARCH) (job_run|r)\b", s)]
        assert on_runs and all(" USING " in s for s in on_runs), (sql, steps)


def test_stale_open_run_is_not_running(st: Store) -> None:
    run(st, "inventory", NOW - STALE_RUN_SECONDS - 60)
    view = queries.collector(st, ACC, NOW)
    assert view.state == "idle"
    assert view.jobs[0].finished_at is None
    run(st, "collect_metrics", NOW - STALE_RUN_SECONDS + 60)
    assert queries.collector(st, ACC, NOW).state == "running"
    assert queries.collector(st, ACC, NOW).detail == "collect_metrics"


@pytest.fixture
def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield p.pid
    finally:
        p.kill()
        p.wait()


def test_abandon_stale_runs_closes_runs_of_dead_processes_here(
    st: Store, dead_pid: int, live_pid: int
) -> None:
    def open_run(job: str, pid: int, host: str = HOST, holder: str = "") -> int:
        return JobRun.insert(
            job=job, account=ACC, started_at=int(NOW), host=host, pid=pid, holder=holder
        ).execute()

    dead = open_run("inventory", dead_pid)
    mine = open_run("collect_metrics", os.getpid(), holder=me().id)
    # This pid, another process: the one before a container restarted as the same pid.
    before_restart = open_run("rollup", os.getpid(), holder="the-process-before")
    legacy = open_run("calculate_costs", os.getpid())  # an older r2tui's: cannot tell
    alive = open_run("daily_report", live_pid)
    elsewhere = open_run("monthly_report", dead_pid, host="another-host")
    done = run(st, "check_alerts", NOW - 10, NOW - 5)
    JobRun.update(pid=dead_pid).where(JobRun.id == done).execute()

    assert writes.abandon_stale_runs(st) == 2
    for rid in (dead, before_restart):
        row = JobRun.get_by_id(rid)
        assert row.ok is False and row.finished_at is not None
        assert row.error is not None and row.error.startswith("abandoned")
    for rid in (mine, legacy, alive, elsewhere):
        assert JobRun.get_by_id(rid).finished_at is None
    assert JobRun.get_by_id(done).ok is True
    assert writes.abandon_stale_runs(st) == 0


def test_job_run_records_host_pid_and_outcome(st: Store) -> None:
    rid = run(st, "inventory", 100, 160, ok=False, error="timeout")
    row = JobRun.get_by_id(rid)
    assert (
        row.job,
        row.account,
        row.started_at,
        row.finished_at,
        row.ok,
        row.items,
        row.error,
        row.host,
        row.pid,
    ) == ("inventory", ACC, 100, 160, False, 1, "timeout", HOST, os.getpid())


def test_last_success(st: Store) -> None:
    run(st, "inventory", 90, 100, account="a")
    run(st, "inventory", 190, 200, account="a")
    run(st, "inventory", 140, 150, account="b")
    run(st, "inventory", 290, 300, ok=False, account="b")
    run(st, "inventory", 390, 400, ok=False, account="c")
    run(st, "inventory", 500, account="c")  # still open
    assert queries.last_success(st, "inventory", ["a"]) == 200.0
    assert queries.last_success(st, "inventory", ["a", "b"]) == 150.0  # the oldest of them
    assert queries.last_success(st, "inventory", ["a", "c"]) is None
    assert queries.last_success(st, "collect_metrics", ["a"]) is None
    assert queries.last_success(st, "inventory", []) is None
