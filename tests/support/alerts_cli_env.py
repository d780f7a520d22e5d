"""The set-up shared by the `r2tui rules|silences|alerts|notify` tests: a config
file with a webhook channel on a real loopback receiver (and one whose port is
closed), a response, one account, and a SQLite store read beside the CLI."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from r2tui.alerts.engine import check_alerts
from r2tui.config import load_config
from r2tui.store import open_store, writes
from r2tui.store.writes import SampleRow
from tests.support.peers import closed_port
from tests.support.receivers import Receiver

Run = Callable[..., tuple[int, str, str]]

TOKEN = "hook-token-never-shown-1234"


@dataclass
class Env:
    run: Run
    config: Path
    db: Path
    receiver: Receiver

    def rows(self, table: str) -> list[tuple]:
        """A table as it is in the file: read beside the CLI, never through its models."""
        with closing(sqlite3.connect(self.db)) as conn:
            return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)

    def rules(self) -> list[tuple]:
        return sorted((name, body) for _, name, _, body, *_ in self.rows("alert_rule"))

    def fire_cost_alert(self, cost: float = 500.0) -> None:
        """A monthly cost sample for the account and one engine run (no delivery)."""
        store = open_store(f"sqlite:///{self.db}")
        try:
            writes.add_samples(store, "acme", [SampleRow("monthly_cost_usd", cost)])
            check_alerts(store, load_config(str(self.config)), "acme")
        finally:
            store.close()


def write_config(tmp_path: Path, hook_url: str, extra: str = "") -> Path:
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "alerts.db"}"

[alerts]
max_attempts = 1
{extra}
[channels.hook]
type = "webhook"
url = "{hook_url}"

[channels.down]
type = "webhook"
url = "http://127.0.0.1:{closed_port()}/down/{TOKEN}"
timeout = 2

[responses.page]
command = ["true"]

[accounts.acme]
endpoint_url = "http://127.0.0.1:9"
region = "us-east-1"
access_key_id = "cli-access-key"
secret_access_key = "cli-secret-key"
""",
        encoding="utf-8",
    )
    return path


@contextmanager
def open_env(tmp_path: Path, cli: Run) -> Iterator[Env]:
    """An Env for one test; every run checks that no channel URL leaks."""
    with Receiver() as receiver:
        config = write_config(tmp_path, receiver.url(f"/hook/{TOKEN}"))
        open_store(f"sqlite:///{tmp_path / 'alerts.db'}").close()  # made, with the defaults

        def run(*args: str) -> tuple[int, str, str]:
            code, out, err = cli(*args, "--config", str(config))
            assert TOKEN not in out + err  # a channel's URL is a secret
            return code, out, err

        yield Env(run, config, tmp_path / "alerts.db", receiver)


def show(env: Env, name: str) -> dict:
    code, out, err = env.run("rules", "show", name, "--json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


def errors(err: str) -> list[str]:
    return err.strip().splitlines()


# Every rule option, each to a value other than its default.
FULL = (
    "--name",
    "Costly logs",
    "--metric",
    "monthly_cost_usd",
    "--comparison",
    ">=",
    "--threshold",
    "25.5",
    "--scope",
    "logs-*",
    "--for",
    "5m",
    "--keep-firing-for",
    "600",
    "--severity",
    "high",
    "--channel",
    "hook",
    "--label",
    "team=storage",
    "--annotation",
    "runbook=https://wiki/costs",
    "--missing-data",
    "resolve",
    "--repeat-interval",
    "2h",
    "--max-per-hour",
    "3",
    "--escalate-after",
    "30m",
    "--escalate-to",
    "down",
    "--escalate-severity",
    "critical",
    "--response",
    "page",
    "--disabled",
)
