"""`r2tui serve` as a subprocess on a free loopback port, over a SQLite store
filled with tui_data's buckets; the account's endpoint is a closed port, so a
session that tried to collect would fail, never reach out."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from r2tui.store import open_store
from tests.support.peers import closed_port, collector_config
from tests.support.tui_data import fill

START_SECONDS = 20.0
SERVE = (sys.executable, "-m", "r2tui", "serve")


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT
    db: Path
    process: subprocess.Popen[str]
    err: str = ""  # what it wrote on stderr, once stopped

    def job_runs(self) -> int:
        with contextlib.closing(sqlite3.connect(self.db)) as conn:
            count: int = conn.execute("SELECT count(*) FROM job_run").fetchone()[0]
            return count


def filled_config(tmp_path: Path) -> tuple[Path, Path]:
    """A config file and its filled SQLite store."""
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}")
    try:
        fill(store)
    finally:
        store.close()
    return collector_config(tmp_path, f"http://127.0.0.1:{closed_port()}", db), db


@contextlib.contextmanager
def served(tmp_path: Path, *args: str) -> Iterator[Served]:
    """`r2tui serve --config … --listen 127.0.0.1:PORT ARGS…` until the page
    answers; stopped by SIGTERM (as systemd stops it) on the way out."""
    config, db = filled_config(tmp_path)
    port = closed_port()  # free now; textual-serve needs the number before it binds
    url = f"http://127.0.0.1:{port}"
    app = Served(
        url,
        db,
        subprocess.Popen(
            [*SERVE, "--config", str(config), "--listen", f"127.0.0.1:{port}", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
            cwd=tmp_path,
        ),
    )
    process = app.process
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"r2tui serve exited {process.returncode}: {out}{err}")
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield app
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        if process.stderr is not None and not process.stderr.closed:  # not read already
            try:
                _, app.err = process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                _, app.err = process.communicate()
