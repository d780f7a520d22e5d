"""Stopping never waits on a dead network: a request stuck on a server that
never answers is left behind on its daemon thread, and its run is closed."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from r2tui.config import S3Settings
from r2tui.store import Store
from r2tui.tui import collector as tui_collector
from r2tui.tui.app import build_app
from tests.support.configs import account_for, make_config
from tests.support.listing_peers import CountingProxy
from tests.support.peers import Obj, SilentServer, collector_config, seed_bucket
from tests.support.tui import SIZE, wait_for


def _config(tmp_path: Path, endpoint: str, db: Path) -> Path:
    # The real defaults, which would keep a request waiting for minutes.
    return collector_config(tmp_path, endpoint, db, s3="read_timeout = 60\nmax_attempts = 5")


def _rows(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []  # not migrated yet


@contextlib.contextmanager
def _ctrl_c_reaches_children() -> Iterator[None]:
    """A shell that starts the suite in the background (`cmd &`) makes it ignore
    SIGINT, and a child inherits an ignored signal: Python then never installs
    its KeyboardInterrupt handler, and `collect --once` sits out Ctrl-C. Here
    the child starts as from a terminal, Ctrl-C at its default."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start(args: list[str], db: Path, asked: threading.Event) -> subprocess.Popen[str]:
    """The process started, its run recorded and its request `asked` of the peer,
    which holds it unanswered."""
    with _ctrl_c_reaches_children():
        proc = subprocess.Popen(
            [sys.executable, "-m", "r2tui", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
    deadline = time.monotonic() + 30
    while not _rows(db, "SELECT id FROM job_run"):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no job started"
        time.sleep(0.05)
    assert asked.wait(30), "no request reached the peer"
    return proc


def _interrupt(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C, as a user gives it; returns what the process wrote on stderr."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=20)[1]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_headless_collect_exits_promptly_while_a_request_hangs(tmp_path: Path) -> None:
    db = tmp_path / "hang.db"
    with SilentServer() as server:
        # A stop waits stop_seconds (10 by default) for the jobs: 1 here.
        config = collector_config(
            tmp_path,
            server.endpoint,
            db,
            s3="read_timeout = 60\nmax_attempts = 5",
            collector="stop_seconds = 1",
        )
        proc = _start(["collect", "--config", str(config)], db, server.connected)
        t0 = time.monotonic()
        err = _interrupt(proc)
        waited = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    # Stop waits its second for the jobs, then leaves the stuck one behind, not
    # the minute the request could still take.
    assert waited < 5, f"exit took {waited:.1f} s"


def test_collect_once_interrupted_closes_its_run(tmp_path: Path) -> None:
    db = tmp_path / "once.db"
    with SilentServer() as server:
        config = _config(tmp_path, server.endpoint, db)
        proc = _start(
            ["collect", "--once", "--job", "inventory", "--config", str(config)],
            db,
            server.connected,
        )
        err = _interrupt(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    runs = _rows(db, "SELECT job, finished_at, ok, error FROM job_run")
    assert [(job, ok, error) for job, _, ok, error in runs] == [
        ("inventory", None, "cancelled: r2tui was stopping")
    ]
    assert runs[0][1] is not None  # closed: no viewer shows it "running" for hours


async def test_tui_quits_promptly_while_a_job_hangs(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # q waits STOP_WAIT_SECONDS (5) for the jobs, then leaves the stuck one: 1 here.
    monkeypatch.setattr(tui_collector, "STOP_WAIT_SECONDS", 1.0)
    with SilentServer() as server:
        config = make_config(
            (account_for(server.endpoint),),
            s3=S3Settings(connect_timeout=2, read_timeout=60, max_attempts=1),
        )
        app = build_app(config, store)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "inventory" in app.embedded.running, timeout=15)
            t0 = time.monotonic()
            await pilot.press("q")
            assert app.header_state().state == "stopping"
            await wait_for(pilot, lambda: not app.is_running, timeout=12)
            waited = time.monotonic() - t0
        collector = app.embedded.collector
    # The server is gone: the stuck request fails at once and its thread ends.
    assert collector is not None
    deadline = time.monotonic() + 10
    while collector.running_jobs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not collector.running_jobs
    assert waited < 4, f"quit took {waited:.1f} s"


def test_collect_once_interrupted_mid_listing_exits_promptly(
    tmp_path: Path, s3_backend: Any, moto_endpoint: str
) -> None:
    """The listing's own request threads are daemons too: with a page request
    hanging, Ctrl-C ends the process at once, not after the read timeout."""
    seed_bucket(s3_backend, "steady", [Obj(f"k{i}", 1, 1_700_000_000) for i in range(50)])
    db = tmp_path / "mid.db"
    asked = threading.Event()
    release = threading.Event()

    def hang(*_: object) -> None:
        asked.set()
        release.wait(120)  # the page request stays on the wire, unanswered

    with CountingProxy(moto_endpoint, on_page=hang) as proxy:
        config = _config(tmp_path, proxy.endpoint, db)
        proc = _start(
            ["collect", "--once", "--job", "inventory", "--config", str(config)], db, asked
        )
        t0 = time.monotonic()
        err = _interrupt(proc)
        waited = time.monotonic() - t0
        release.set()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert waited < 8, f"exit took {waited:.1f} s"


def test_a_signal_another_thread_takes_still_stops_collect(store: Store) -> None:
    """The kernel hands a process's SIGTERM or SIGINT to any thread not blocking
    it, often a busy job's; Python only trips a flag there and runs the handler
    when the main thread next runs Python code. `collect` must not sleep until
    its next job is due (under load it once stayed up after SIGINT that long)."""
    from r2tui.jobs import JobContext
    from r2tui.scheduler import Collector

    # A dead endpoint: the jobs due at start fail at once; the next is a minute off.
    collector = Collector(
        JobContext(config=make_config((account_for("http://127.0.0.1:9"),)), store=store)
    )
    sent: list[float] = []

    def signal_from_this_thread() -> None:
        deadline = time.monotonic() + 30
        while (
            collector.scheduler is None or not collector.scheduler.running or collector.running_jobs
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the main thread back in its wait
        sent.append(time.monotonic())
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
        time.sleep(10)
        if collector.scheduler is not None and collector.scheduler.running:
            collector.scheduler.shutdown(wait=False)  # let a stuck test end

    threading.Thread(target=signal_from_this_thread, daemon=True).start()
    collector.run_forever()
    took = time.monotonic() - sent[0]
    assert took < 3, f"stopped {took:.1f} s after the signal"
    assert collector.ctx.stop.is_set() and not collector.running_jobs
