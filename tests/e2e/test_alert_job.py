"""The check_alerts job end to end, as `r2tui collect --once --job check_alerts`
runs it: a cost above the default rule's $100 reaches a local Alertmanager
receiver and a Slack-shaped one, the rule's response command gets the alert on
stdin, and the fix is followed by one resolved notice."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from r2tui.store import open_store, writes
from r2tui.store.models import Event, Notification
from r2tui.store.writes import SampleRow
from tests.support.receivers import Receiver


def _config(tmp_path: Path, db: Path, hook: Receiver, slack: Receiver, out: Path) -> Path:
    script = tmp_path / "respond.py"
    script.write_text(
        f"import sys, pathlib\npathlib.Path({str(out)!r}).write_text(sys.stdin.read())\n"
    )
    path = tmp_path / "c.toml"
    path.write_text(f"""
[store]
url = "sqlite:///{db}"
[accounts.acme]
endpoint_url = "http://127.0.0.1:9"
access_key_id = "k"
secret_access_key = "s"
[alerts]
default_channels = ["hook", "chat"]
[channels.hook]
type = "webhook"
url = "{hook.url("/alertmanager/TOKEN123")}"
[channels.chat]
type = "slack"
url = "{slack.url("/services/T0/B0/TOKEN456")}"
[responses.record]
command = [{json.dumps(sys.executable)}, {json.dumps(str(script))}]
""")
    return path


def _cost(db: Path, usd: float, ts: float) -> None:
    """Through a store of its own: `cli` rebinds the models to each command's store."""
    store = open_store(f"sqlite:///{db}")
    try:
        writes.add_samples(store, "acme", [SampleRow("monthly_cost_usd", usd, "*")], ts=ts)
    finally:
        store.close()


def test_a_costly_month_notifies_responds_and_resolves(cli: Any, tmp_path: Path) -> None:
    db, out = tmp_path / "s.db", tmp_path / "response.json"
    with Receiver() as hook, Receiver() as slack:
        config = _config(tmp_path, db, hook, slack, out)
        store = open_store(f"sqlite:///{db}")
        # The default "High monthly cost" rule, given the response.
        from r2tui.alerts import saved

        rule = saved.get_rule(store, "High monthly cost")
        assert rule is not None
        from dataclasses import replace

        saved.save_rule(store, replace(rule, responses=("record",)), replacing=rule.name)
        store.close()
        _cost(db, 250.0, time.time() - 5)
        code, summary, err = cli(
            "collect", "--once", "--job", "check_alerts", "--config", str(config)
        )
        assert code == 0, err + summary
        assert "1 fired" in summary and "delivered 2" in summary
        (am,) = hook.requests
        payload = am.json()
        assert am.path == "/alertmanager/TOKEN123"
        assert (payload["version"], payload["status"], payload["receiver"]) == (
            "4",
            "firing",
            "hook",
        )
        (alert,) = payload["alerts"]
        assert alert["labels"]["alertname"] == "High monthly cost"
        assert alert["labels"]["severity"] == "high"
        assert alert["endsAt"] == "0001-01-01T00:00:00Z"
        (sl,) = slack.requests
        assert "[FIRING:1] High monthly cost" in sl.json()["text"]
        assert json.loads(out.read_text())["rule"] == "High monthly cost"
        open_store(f"sqlite:///{db}")
        assert (
            Event.select()
            .where(Event.kind == "alert_state", Event.message.contains("response record ran"))
            .exists()
        )
        # Again, unchanged: nothing more is sent.
        cli("collect", "--once", "--job", "check_alerts", "--config", str(config))
        assert (len(hook.requests), len(slack.requests)) == (1, 1)
        # Fixed: one resolved notice on each channel.
        _cost(db, 20.0, time.time())
        code, summary, err = cli(
            "collect", "--once", "--job", "check_alerts", "--config", str(config)
        )
        assert code == 0 and "1 resolved" in summary
        assert hook.requests[-1].json()["status"] == "resolved"
        assert len(hook.requests) == 2 and len(slack.requests) == 2
        store = open_store(f"sqlite:///{db}")
        assert Notification.select().where(Notification.state == "sent").count() == 4
        # The secrets in the URLs never reached the store's events or the output.
        text = " ".join(e.message for e in Event.select()) + summary + err
        assert "TOKEN123" not in text and "TOKEN456" not in text
        store.close()
