"""`r2tui silences|alerts|notify` and `r2tui rules test` through main(argv)
(see alerts_cli_env): silences added, listed and expired; alerts after a real
engine run; the outbox flushed to a real HTTP receiver; a rule tested without
touching alert state; and --read-only refusing every change."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from r2tui.alerts.render import TEST_ALERTNAME
from r2tui.alerts.rules import DEFAULT_RULES
from r2tui.store import open_store, writes
from r2tui.store.writes import SampleRow
from tests.support.alerts_cli_env import FULL, TOKEN, Env, Run, open_env, show


@pytest.fixture
def env(tmp_path: Path, cli: Run) -> Iterator[Env]:
    with open_env(tmp_path, cli) as e:
        yield e


# --- silences ---------------------------------------------------------------


def test_silences_add_list_expire(env: Env) -> None:
    code, out, err = env.run(
        "silences",
        "add",
        "bucket=media",
        "severity!=low",
        "--duration",
        "2h",
        "--comment",
        "migration",
        "--expire-on-resolve",
    )
    assert (code, err) == (0, "")
    assert out.startswith("silence 1: bucket=media, severity!=low from ")
    assert (
        env.run(
            "silences",
            "add",
            "bucket=logs",
            "--duration",
            "1h",
            "--comment",
            "later",
            "--start",
            "2999-01-01T00:00Z",
        )[0]
        == 0
    )
    doc = json.loads(env.run("silences", "list", "--json")[1])
    assert [(s["id"], s["state"], s["matchers"]) for s in doc] == [
        (2, "pending", ["bucket=logs"]),
        (1, "active", ["bucket=media", "severity!=low"]),
    ]
    assert doc[1]["comment"] == "migration" and doc[1]["expire_on_resolve"] is True
    assert doc[0]["starts_at"] == "2999-01-01T00:00:00Z"
    assert "until resolved" in env.run("silences", "list")[1]
    assert env.run("silences", "expire", "1")[:2] == (0, "expired silence 1\n")
    assert [s["id"] for s in json.loads(env.run("silences", "list", "--json")[1])] == [2]
    assert len(json.loads(env.run("silences", "list", "--json", "--all")[1])) == 2
    code, _, err = env.run("silences", "expire", "1")
    assert code == 1 and err.startswith("r2tui: silences expire: no active or future silence 1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bucket", "--duration", "1h", "--comment", "x"), "matchers: expected a matcher"),
        (("bucket=a", "--duration", "soon", "--comment", "x"), "--duration: expected a duration"),
        (("bucket=a", "--duration", "1h", "--comment", " "), "comment: required"),
        (("bucket=a", "--duration", "1h", "--comment", "x", "--start", "noon"), "--start: "),
        (
            ("bucket=a", "--duration", "99999w", "--comment", "x"),
            "--duration: must be at most 10 years",
        ),
    ],
)
def test_a_bad_silence_is_refused(env: Env, args: tuple[str, ...], message: str) -> None:
    code, _, err = env.run("silences", "add", *args)
    assert code == 2 and err.startswith(f"r2tui: silences add: {message}")
    assert env.rows("silence") == []


# --- alerts, notify, rules test ----------------------------------------------


def test_alerts_after_a_real_engine_run(env: Env) -> None:
    store = open_store(f"sqlite:///{env.db}")
    try:
        writes.add_samples(store, "acme", [SampleRow("monthly_cost_usd", 500.0)])
    finally:
        store.close()
    code, out, err = env.run("collect", "--once", "--job", "check_alerts")
    assert code == 0, out + err
    code, out, _ = env.run("alerts", "--json")
    doc = json.loads(out)
    assert doc["account"] == "acme" and doc["rules"] == len(DEFAULT_RULES)
    [alert] = doc["firing"]
    assert {k: alert[k] for k in ("rule", "bucket", "state", "value", "threshold")} == {
        "rule": "High monthly cost",
        "bucket": "*",
        "state": "firing",
        "value": 500.0,
        "threshold": 100.0,
    }
    assert doc["pending"] == [] and doc["recent"] == []
    out = env.run("alerts")[1]
    assert "1 firing, 0 pending" in out and "High monthly cost  account  $500.00  > $100.00" in out
    assert json.loads(env.run("alerts", "--json", "--search", "error")[1])["firing"] == []
    history = json.loads(env.run("alerts", "--history", "--json")[1])
    assert [(h["rule"], h["to"]) for h in history] == [("High monthly cost", "firing")]
    assert env.run("rules", "list", "--json")[1].count('"state": "firing"') == 1


def test_notify_flush_delivers_the_outbox(env: Env) -> None:
    env.config.write_text(
        env.config.read_text().replace(
            "max_attempts = 1", 'max_attempts = 1\ndefault_channels = ["hook", "down"]'
        )
    )
    env.fire_cost_alert()
    listed = json.loads(env.run("notify", "list", "--json")[1])
    assert listed["counts"]["pending"] == 2
    assert {n["channel"] for n in listed["notifications"]} == {"hook", "down"}
    code, out, _ = env.run("notify", "flush")
    assert code == 1  # the "down" channel refused
    assert out.startswith("1 sent, 0 to retry, 1 dead\n")
    assert "could not connect to the webhook" in out
    [request] = env.receiver.requests
    assert request.path == f"/hook/{TOKEN}"
    assert request.json()["alerts"][0]["labels"]["alertname"] == "High monthly cost"
    [dead] = json.loads(env.run("notify", "list", "--json")[1])["notifications"]
    assert (dead["channel"], dead["state"]) == ("down", "dead")
    assert env.run("notify", "retry", str(dead["id"]))[:2] == (
        0,
        "1 of 1 notifications queued again\n",
    )
    code, _, err = env.run("notify", "retry", str(dead["id"]), "999")
    assert code == 1 and "only dead notifications are retried" in err
    assert json.loads(env.run("notify", "flush", "--json")[1])["dead"] == 1


def test_notify_flush_runs_the_responses_an_evaluation_queued(env: Env) -> None:
    """An alert fired by an evaluation outside the collector's job (as the
    TUI's "evaluate now" does): `notify flush` runs its response, once."""
    assert env.run("rules", "edit", "High monthly cost", "--response", "page")[0] == 0
    env.fire_cost_alert()
    code, out, err = env.run("notify", "flush")
    assert (code, err) == (0, "")
    assert "responses: 1 ran, 0 failed, 0 unknown" in out
    ran = "High monthly cost: response page ran: true exited with 0"
    assert [m for *_, m, _ in env.rows("event") if ": response " in m] == [ran]
    doc = json.loads(env.run("notify", "flush", "--json")[1])
    assert doc["responses"] == {"ran": 0, "failed": 0, "unknown": 0}
    assert [m for *_, m, _ in env.rows("event") if ": response " in m] == [ran]


def test_rules_test_sends_without_touching_alert_state(env: Env) -> None:
    store = open_store(f"sqlite:///{env.db}")
    try:
        writes.add_samples(store, "acme", [SampleRow("monthly_cost_usd", 500.0)])
    finally:
        store.close()
    assert env.run("rules", "edit", "High monthly cost", "--channel", "hook")[0] == 0
    code, out, err = env.run("rules", "test", "High monthly cost", "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["evaluations"] == [{"account": "acme", "bucket": "*", "value": 500.0, "holds": True}]
    assert doc["sends"] == [
        {"channel": "hook", "ok": True, "error": None, "describe": "webhook (config file)"}
    ]
    [request] = env.receiver.requests
    payload = request.json()
    assert (payload["receiver"], payload["groupLabels"]) == ("hook", {"alertname": TEST_ALERTNAME})
    assert env.rows("alert_instance") == [] and env.rows("notification") == []
    code, out, _ = env.run("rules", "test", "High monthly cost", "--no-send")
    assert code == 0 and "acme  account  $500.00  holds" in out
    assert len(env.receiver.requests) == 1
    assert env.run("rules", "edit", "High monthly cost", "--channel", "down")[0] == 0
    code, out, _ = env.run("rules", "test", "High monthly cost")
    assert code == 1 and "channel down: FAILED: channel down: could not connect" in out
    code, _, err = env.run("rules", "test", "Slow responses")  # no channels anywhere
    assert code == 1 and "names no channels and [alerts] default_channels is empty" in err


# --- read-only ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("rules", "add", *FULL),
        ("rules", "edit", "High error rate", "--threshold", "1"),
        ("rules", "enable", "High error rate"),
        ("rules", "disable", "High error rate"),
        ("rules", "delete", "High error rate"),
        ("rules", "import", "rules.toml"),
        ("silences", "add", "bucket=a", "--duration", "1h", "--comment", "x"),
        ("silences", "expire", "1"),
        ("notify", "flush"),
        ("notify", "retry", "1"),
    ],
)
def test_read_only_refuses_every_change(env: Env, args: tuple[str, ...]) -> None:
    env.run("silences", "add", "bucket=b", "--duration", "1h", "--comment", "keep")
    before = (env.rules(), env.rows("silence"), env.rows("notification"))
    for argv in (("--read-only", *args), (*args, "--read-only")):
        code, out, err = env.run(*argv)
        assert (code, out) == (2, "")
        assert err.startswith(f"r2tui: read-only: {args[0]} {args[1]} would change")
    assert (env.rules(), env.rows("silence"), env.rows("notification")) == before


def test_read_only_still_reads_evaluates_and_dry_runs(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    assert env.run("rules", "export", str(path))[0] == 0
    assert env.run("--read-only", "rules", "import", str(path), "--dry-run")[0] == 0
    for args in (
        ("rules", "list"),
        ("rules", "show", "High error rate"),
        ("alerts",),
        ("silences", "list"),
        ("notify", "list"),
        ("rules", "export"),
    ):
        assert env.run("--read-only", *args)[0] == 0
    assert env.run("rules", "edit", "High error rate", "--channel", "hook")[0] == 0
    code, out, err = env.run("--read-only", "rules", "test", "High error rate")
    assert code == 2 and out.startswith("rule 'High error rate': error_rate_pct > 5 %")
    assert err.startswith("r2tui: read-only: rules test (sending test notifications")
    assert env.receiver.requests == []
    assert env.run("--read-only", "rules", "test", "High error rate", "--no-send")[0] == 0


def test_notify_test_sends_to_each_channel(env: Env) -> None:
    code, out, _ = env.run("notify", "test")
    assert code == 1  # "down" refuses
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["hook"].startswith("ok") and lines["down"].startswith("FAILED")
    [request] = env.receiver.requests
    assert request.json()["alerts"][0]["labels"]["alertname"] == "r2tui test"
    code, out, _ = env.run("notify", "test", "hook", "--json")
    assert code == 0 and json.loads(out)[0]["ok"] is True
    assert len(env.receiver.requests) == 2
    code, _, err = env.run("--read-only", "notify", "test", "hook")
    assert code == 2 and "read-only" in err and len(env.receiver.requests) == 2


def test_found_in_review_silence_dates_enable_checks_and_a_locked_store(env: Env) -> None:
    # A start past what dates can show is refused, and the list keeps working.
    code, _, err = env.run(
        "silences",
        "add",
        "rule=X",
        "--duration",
        "1h",
        "--comment",
        "c",
        "--start",
        "9999-06-01T00:00",
    )
    assert code == 2 and "start" in err
    assert env.run("silences", "list")[0] == 0
    # Enabling goes through the same checks as an edit.
    assert (
        env.run(
            "rules",
            "add",
            "--name",
            "Dang",
            "--metric",
            "total_bytes",
            "--comparison",
            ">",
            "--threshold",
            "1",
            "--channel",
            "hook",
            "--disabled",
        )[0]
        == 0
    )
    env.config.write_text(env.config.read_text().replace("[channels.hook]", "[channels.hook2]"))
    code, _, err = env.run("rules", "enable", "Dang")
    assert code == 2 and "no channel 'hook'" in err
    assert show(env, "Dang")["enabled"] is False
    # A store held locked by another writer: a store error (exit 2), not a traceback.
    import sqlite3

    holder = sqlite3.connect(env.db, isolation_level=None)
    holder.execute("PRAGMA busy_timeout = 0")
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err = env.run("silences", "add", "rule=X", "--duration", "1h", "--comment", "c")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 2 and err.startswith("r2tui: store error:") and "Traceback" not in err


def test_a_change_alert_says_its_window_in_alerts_and_status(env: Env) -> None:
    """The default "Objects dropped" on 41 % of a bucket's objects gone: its
    window and kind in the JSON, and the rule's words in the lines, not
    `-41 % falls_by 20 %`."""
    now = int(time.time())
    store = open_store(f"sqlite:///{env.db}")
    try:
        for ago, objects in ((3660, 10_000.0), (60, 5_900.0)):
            writes.add_samples(
                store, "acme", [SampleRow("stored_objects", objects, "media")], ts=now - ago
            )
    finally:
        store.close()
    assert env.run("collect", "--once", "--job", "check_alerts")[0] == 0
    [alert] = json.loads(env.run("alerts", "--json")[1])["firing"]
    assert {k: alert[k] for k in ("rule", "bucket", "metric", "window", "change_in")} == {
        "rule": "Objects dropped",
        "bucket": "media",
        "metric": "total_files",
        "window": 3600,
        "change_in": "percent",
    }
    out = env.run("alerts")[1]
    assert "Objects dropped  media  -41 %  falls by more than 20 % in 1 hour" in out
    status = env.run("status")[1]
    assert (
        "Objects dropped on media (high, -41 %: total_files falls by more than 20 % in 1 hour)"
        in status
    )
