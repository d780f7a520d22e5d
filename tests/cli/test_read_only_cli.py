"""`--read-only` on the command line: every reading command leaves the store's
bytes as they were; every writing command exits 2 and says why, before it opens
the store; `status --json` in another process answers while a writer holds the
store; a store newer than this r2tui ends the command cleanly with exit 2.

Real parts: a SQLite file filled as the TUI tests fill it, a config file, the
CLI in this process (and once as a subprocess). Nothing is mocked."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from r2tui.store import Store, open_store
from tests.support.peers import closed_port
from tests.support.store_files import sqlite_path, store_bytes

Cli = Callable[..., tuple[int, str, str]]

READING = (
    ("status",),
    ("status", "--json"),
    ("history", "total_bytes"),
    ("history", "total_bytes", "--json"),
    ("du", "media"),
    ("du", "media", "--json"),
    ("alerts",),
    ("rules", "list"),
    ("rules", "show", "High error rate"),
    ("rules", "export"),
    ("rules", "test", "High error rate", "--no-send"),
    ("silences", "list"),
    ("notify", "list"),
    ("report", "daily"),
    ("report", "monthly", "--format", "json"),
)

WRITING = (
    (("collect",), "collect"),
    (("collect", "--once"), "collect --once"),
    (("collect", "--once", "--job", "inventory"), "collect --once"),
    (("rules", "enable", "High error rate"), "rules enable"),
    (("rules", "delete", "High error rate"), "rules delete"),
    (("rules", "import", "-"), "rules import"),
    (("silences", "add", "bucket=a", "--duration", "1h", "--comment", "x"), "silences add"),
    (("notify", "flush"), "notify flush"),
    (("notify", "retry", "1"), "notify retry"),
    (("notify", "test"), "notify test"),
    (("serve", "--collect"), "serve --collect"),
)


def _config_file(tmp_path: Path, url: str) -> str:
    """A config file on the store at `url`, one account whose endpoint is a closed port."""
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f"""[store]
url = "{url}"

[accounts.test]
endpoint_url = "http://127.0.0.1:{closed_port()}"
region = "us-east-1"
access_key_id = "k"
secret_access_key = "s"
""",
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture
def config(tmp_path: Path, filled: Store) -> str:
    """A config file on the filled store, closed with its -wal folded in."""
    url = f"sqlite:///{filled.db.database}"
    filled.close()
    open_store(url).close()  # the last writer out checkpoints: the file settles
    return _config_file(tmp_path, url)


def _db(config: str) -> Path:
    return Path(config).with_name("store.db")


def test_reading_commands_leave_the_bytes_unchanged(cli: Cli, config: str) -> None:
    before = store_bytes(_db(config))
    for argv in READING:
        code, out, err = cli("--read-only", *argv, "--config", config)
        assert code == 0, (argv, err)
        assert out, argv
    assert store_bytes(_db(config)) == before
    code, out, _ = cli("--read-only", "status", "--json", "--config", config)
    assert json.loads(out)  # and the store still reads


@pytest.mark.parametrize(("argv", "what"), WRITING)
def test_writing_commands_refuse_with_the_reason(
    cli: Cli, config: str, argv: tuple[str, ...], what: str
) -> None:
    before = store_bytes(_db(config))
    code, out, err = cli("--read-only", *argv, "--config", config)
    assert (code, out) == (2, "")
    assert err.startswith(f"r2tui: read-only: {what} would change the store or send; ")
    assert "run without --read-only" in err
    assert store_bytes(_db(config)) == before


def test_read_only_refuses_a_store_that_does_not_exist(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "nothing" / "store.db"
    code, _, err = cli(
        "--read-only", "status", "--config", _config_file(tmp_path, f"sqlite:///{db}")
    )
    assert code == 2 and "--read-only never creates one" in err
    assert not db.parent.exists()


def test_status_json_answers_while_another_process_writes(config: str) -> None:
    writer = sqlite3.connect(_db(config), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO sample (ts, account, bucket, metric, value) "
        "VALUES (1, 'test', '*', 'total_bytes', 1)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    try:
        for ro in (["--read-only"], []):
            done = subprocess.run(
                [sys.executable, "-m", "r2tui", *ro, "status", "--json", "--config", config],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            assert done.returncode == 0, (ro, done.stderr)
            assert json.loads(done.stdout)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize("argv", [(), ("status",), ("--read-only", "alerts")])
def test_a_store_newer_than_this_r2tui_ends_cleanly(
    cli: Cli, tmp_path: Path, sqlite_url: str, argv: tuple[str, ...]
) -> None:
    """The TUI (no command) opens the store before the app starts: the same exit."""
    open_store(sqlite_url).close()
    with sqlite3.connect(sqlite_path(sqlite_url)) as conn:
        conn.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', 0)")
    config = _config_file(tmp_path, sqlite_url)
    code, out, err = cli(*argv, "--config", config)
    assert (code, out) == (2, "")
    assert err.startswith(
        f"r2tui: store error: {config}: store.url: the store is at schema version 99"
    )
    assert "a newer r2tui has upgraded it; upgrade r2tui" in err
    assert "Traceback" not in err
