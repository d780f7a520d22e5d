"""One collector per account and store: three `r2tui collect` processes on one
SQLite store, and on one PostgreSQL store, with a fast schedule. Exactly one
of them holds the collector lease and runs the schedule (one job run per job
and slot); the others wait as viewers. `collect --once` beside the holder runs
nothing and names it; `--force` runs. SIGKILL the holder: another takes the
lease within the lease period and closes the killed one's open runs as
abandoned."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from r2tui.store import Store, lease, open_store
from r2tui.store.models import JobRun
from tests.support.peers import SilentServer, closed_port
from tests.support.store_files import sqlite_path

LEASE_SECONDS = 3
PERIOD = 2  # check_alerts and rollup: store work only, a run every 2 s
# How long a stop waits for the jobs hung on the silent server before it leaves them.
STOP_SECONDS = 0.5
ACCOUNT = "test"


def _config(tmp_path: Path, url: str, endpoint: str) -> Path:
    # collect_metrics and the listing hang on a server that never answers: the
    # holder has open runs when it is killed, and waits to show to viewers.
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f"""
[store]
url = "{url}"

[collector]
lease_seconds = {LEASE_SECONDS}
stop_seconds = {STOP_SECONDS}

[schedule]
check_alerts = "{PERIOD}s"
rollup = "{PERIOD}s"

[s3]
read_timeout = 60
max_attempts = 1

[accounts.{ACCOUNT}]
endpoint_url = "{endpoint}"
region = "us-east-1"
access_key_id = "test-access-key"
secret_access_key = "test-secret-key"
""",
        encoding="utf-8",
    )
    return path


def _r2tui(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "r2tui", "--config", str(config), *args]


def _wait(what: str, check: object, seconds: float) -> float:
    """Poll `check()` until it is true; the time it took."""
    assert callable(check)
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > seconds:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)
    return time.monotonic() - t0


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


def _holder(store: Store) -> lease.Lease | None:
    held = lease.read(store, ACCOUNT)
    store.thread_done()
    return held if held is not None and held.live(time.time()) else None


def test_three_collectors_one_holder_then_a_takeover(
    tmp_path: Path, store_url: str, silent: SilentServer
) -> None:
    config = _config(tmp_path, store_url, silent.endpoint)
    store = open_store(store_url)
    procs = [
        subprocess.Popen(
            _r2tui(config, "collect"), stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        for _ in range(3)
    ]
    try:
        _wait("a collector holds the lease", lambda: _holder(store) is not None, 30)
        first = _holder(store)
        assert first is not None and first.pid in {p.pid for p in procs}
        started = time.time()
        # The holder writes what it does at its heartbeat: the listing waits.
        _wait(
            "the holder's activity reaches the store",
            lambda: "waiting" in ((_holder(store) or first).activity),
            15,
        )

        # Beside a live holder, `collect --once` runs nothing, says who holds it, exits 0.
        once = subprocess.run(
            _r2tui(config, "collect", "--once", "--job", "check_alerts"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert once.returncode == 0, once.stderr
        assert f"{first.host}:{first.pid}" in once.stderr and "heartbeat" in once.stderr
        assert once.stdout == ""
        forced = subprocess.run(
            _r2tui(config, "collect", "--once", "--force", "--job", "check_alerts"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert forced.returncode == 0, forced.stderr
        assert "check_alerts" in forced.stdout
        forced_runs = {
            r.id
            for r in JobRun.select().where(JobRun.job == "check_alerts", JobRun.pid != first.pid)
        }
        assert len(forced_runs) == 1

        time.sleep(max(0.0, 2 * PERIOD + 1 - (time.time() - started)))
        # One run per job and slot, all by the holder: the viewers ran nothing.
        runs = [r for r in JobRun.select().order_by(JobRun.started_at) if r.id not in forced_runs]
        assert {r.pid for r in runs} == {first.pid}, [(r.job, r.pid) for r in runs]
        by_job = Counter(r.job for r in runs)
        for job in ("calculate_costs", "inventory", "collect_metrics"):
            assert by_job[job] == 1, by_job  # due at start: once, not once per process
        # rollup follows no job and no job follows it: its runs are its slots alone.
        # Starts are whole seconds, and the first run may start late (due at the
        # plan, run when the scheduler starts) while the later ones keep the plan's
        # phase: two runs may look PERIOD - 1 apart, never closer, and there are
        # no more of them than the span has slots.
        starts = [r.started_at for r in runs if r.job == "rollup"]
        gaps = [b - a for a, b in pairwise(starts)]
        assert len(starts) >= 2 and min(gaps) >= PERIOD - 1, starts
        assert len(starts) <= (starts[-1] - starts[0]) / PERIOD + 1.5, starts
        # check_alerts also follows the first costs of a start (JobSpec.after): one more.
        elapsed = time.time() - started + 3
        assert by_job["check_alerts"] <= elapsed / PERIOD + 2, by_job
        open_runs = {r.job for r in runs if r.finished_at is None}
        assert {"collect_metrics", "inventory"} <= open_runs  # hung on the silent server

        # Kill the holder: another process takes over within the lease period.
        holder_proc = next(p for p in procs if p.pid == first.pid)
        holder_proc.send_signal(signal.SIGKILL)
        holder_proc.wait(timeout=10)
        took = _wait(
            "another process takes the lease",
            lambda: (h := _holder(store)) is not None and h.pid != first.pid,
            LEASE_SECONDS * 3,
        )
        # Expiry plus at most one beat (a third of the period) and a loaded machine's slack.
        assert took <= LEASE_SECONDS + LEASE_SECONDS / 3 + 2, took
        second = _holder(store)
        assert second is not None and second.pid in {p.pid for p in procs}
        # The dead holder's open runs are closed as abandoned, with its host and pid.
        store.thread_done()
        dead = list(JobRun.select().where(JobRun.pid == first.pid))
        assert all(r.finished_at is not None for r in dead)
        # The two hung on the silent server were open when it died (others that
        # were open at the look above may have ended since).
        abandoned = [r for r in dead if r.job in ("collect_metrics", "inventory")]
        assert abandoned and all(
            r.error == f"abandoned: {first.host}:{first.pid} stopped renewing its collector lease"
            for r in abandoned
        )
        # The new holder runs the schedule.
        _wait(
            "the new holder runs check_alerts",
            lambda: (
                JobRun.select()
                .where(JobRun.job == "check_alerts", JobRun.pid == second.pid)
                .exists()
            ),
            PERIOD * 3,
        )
        store.thread_done()

        # A stop gives the lease up at once; its jobs hung on the silent server, so
        # the lease runs out rather than goes, and the next holder closes their runs.
        second_proc = next(p for p in procs if p.pid == second.pid)
        second_proc.send_signal(signal.SIGTERM)
        assert second_proc.wait(timeout=20) == 0
        _wait(
            "the last one takes over at once",
            lambda: (h := _holder(store)) is not None and h.pid not in (first.pid, second.pid),
            LEASE_SECONDS,
        )
        left = list(JobRun.select().where(JobRun.pid == second.pid))
        store.thread_done()
        assert left and all(r.finished_at is not None for r in left)
        assert any(
            r.error == f"abandoned: {second.host}:{second.pid} stopped renewing its collector lease"
            for r in left
        )
    finally:
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        store.close()


def test_a_collector_stops_when_a_newer_r2tui_upgrades_the_store(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The store is migrated under a running collector by a newer r2tui: at its
    next heartbeat it stops collecting, writes nothing more, says why, exits 2."""
    config = _config(tmp_path, sqlite_url, f"http://127.0.0.1:{closed_port()}")
    store = open_store(sqlite_url)
    proc = subprocess.Popen(
        _r2tui(config, "collect"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait("the collector holds the lease", lambda: _holder(store) is not None, 30)
        with contextlib.closing(sqlite3.connect(sqlite_path(sqlite_url))) as conn, conn:
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', 0)"
            )
        code = proc.wait(timeout=LEASE_SECONDS * 3)
        err = proc.stderr.read() if proc.stderr is not None else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
        store.close()
    assert code == 2
    assert "r2tui: collect: stopped: the store is at schema version 99" in err
    assert "a newer r2tui has upgraded it" in err and "Traceback" not in err
