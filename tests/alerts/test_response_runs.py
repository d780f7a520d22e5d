"""Automated responses queued with their firing (`r2tui.alerts.response_runs`),
through a real store (SQLite and PostgreSQL): wherever the rules were
evaluated, the delivering process runs each response once; a crash after the
firing committed loses none; two runners never both run one; a runner that
stopped mid-run is reported, never run again; a response the config no longer
defines is reported, never guessed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from r2tui.alerts import response_runs, saved
from r2tui.alerts.engine import check_alerts
from r2tui.alerts.rules import Rule
from r2tui.config import Config, Secret
from r2tui.config.alert_model import AlertSettings, ResponseConfig
from r2tui.jobs import JobContext
from r2tui.jobs.alerts import check_alerts as check_alerts_job
from r2tui.store import Store, writes
from r2tui.store.db import db_now
from r2tui.store.models import Event, ResponseRun
from r2tui.store.writes import SampleRow
from tests.support.configs import account_for, make_config
from tests.support.receivers import Receiver

ROOT = Path(__file__).resolve().parents[2]
ACC = "acme"
RULE = Rule("Costly", "monthly_cost_usd", ">", 10.0, severity="high", responses=("record",))


def recorder(out: Path) -> ResponseConfig:
    """A command that appends the alert it gets on stdin to `out`, a line a run."""
    script = (
        "import sys, pathlib; p = pathlib.Path(sys.argv[1]); "
        "p.open('a').write(sys.stdin.read().replace(chr(10), ' ') + chr(10))"
    )
    return ResponseConfig("record", (sys.executable, "-c", script, str(out)), timeout=20)


def config(**responses: ResponseConfig) -> Config:
    return make_config(
        (account_for("http://127.0.0.1:9", name=ACC),),
        alerts=AlertSettings(responses=dict(responses)),
    )


def fire(store: Store, cfg: Config, rule: Rule = RULE) -> None:
    """A cost over the rule's threshold, evaluated as the TUI's "evaluate now"
    does: the engine alone, no job around it."""
    saved.import_rules(store, [rule], replace_all=True)
    writes.add_samples(store, ACC, [SampleRow("monthly_cost_usd", 50.0)], ts=store.now() - 5)
    result = check_alerts(store, cfg, ACC)
    assert [t.after for t in result.transitions] == ["firing"]


def job(store: Store, cfg: Config) -> Any:
    return check_alerts_job(JobContext(config=cfg, store=store), cfg.accounts[0])


def runs(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def response_events() -> list[tuple[str, str]]:
    return [
        (e.level, e.message)
        for e in Event.select().where(Event.message.contains(": response ")).order_by(Event.id)
    ]


def test_evaluated_elsewhere_the_collectors_job_runs_it_once(st: Store, tmp_path: Path) -> None:
    out = tmp_path / "ran.jsonl"
    cfg = config(record=recorder(out))
    fire(st, cfg)
    assert runs(out) == []  # evaluating queues; only whoever delivers runs
    [queued] = ResponseRun.select()
    assert (queued.state, queued.rule, queued.response) == ("pending", "Costly", "record")
    outcome = job(st, cfg)
    assert "responses ran 1, failed 0, unknown 0" in outcome.summary
    [alert] = runs(out)
    assert (alert["rule"], alert["status"], alert["value"]) == ("Costly", "firing", 50.0)
    assert response_events() == [
        ("info", f"Costly: response record ran: {sys.executable} exited with 0")
    ]
    # Still firing: the next evaluations run nothing more.
    job(st, cfg)
    job(st, cfg)
    assert len(runs(out)) == 1 and len(response_events()) == 1


def test_the_job_runs_what_its_own_evaluation_fired(st: Store, tmp_path: Path) -> None:
    out = tmp_path / "ran.jsonl"
    cfg = config(record=recorder(out))
    saved.import_rules(st, [RULE], replace_all=True)
    writes.add_samples(st, ACC, [SampleRow("monthly_cost_usd", 50.0)], ts=st.now() - 5)
    assert "1 fired" in job(st, cfg).summary
    assert len(runs(out)) == 1
    assert [r.state for r in ResponseRun.select()] == ["ran"]


def test_a_crash_right_after_the_firing_committed_loses_nothing(
    st: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Another process evaluates and is killed before it could run anything:
    the firing and its response committed together, and the next deliverer runs it."""
    out = tmp_path / "ran.jsonl"
    cfg = config(record=recorder(out))
    saved.import_rules(st, [RULE], replace_all=True)
    writes.add_samples(st, ACC, [SampleRow("monthly_cost_usd", 50.0)], ts=st.now() - 5)
    child = (
        "import os, sys\n"
        "from r2tui.store import open_store\n"
        "from r2tui.alerts.engine import check_alerts\n"
        "from tests.alerts.test_response_runs import config, recorder\n"
        "from pathlib import Path\n"
        "store = open_store(sys.argv[1])\n"
        "check_alerts(store, config(record=recorder(Path(sys.argv[2]))), 'acme')\n"
        "os._exit(9)  # no job, no cleanup: as if killed right after the commit\n"
    )
    url = request.getfixturevalue("sqlite_url" if st.is_sqlite else "pg_url")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", child, url, str(out)],
        timeout=60,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 9, done.stderr
    assert runs(out) == []
    job(st, cfg)
    assert len(runs(out)) == 1
    job(st, cfg)
    assert len(runs(out)) == 1


def test_two_runners_never_run_one_response_twice(st: Store, tmp_path: Path) -> None:
    """While one process runs a response, another deliverer (here called from
    inside the running response) finds it claimed and leaves it alone."""
    cfg = config(record=recorder(tmp_path / "unused"))
    fire(st, cfg)
    calls: list[dict[str, Any]] = []
    inner: list[response_runs.ResponseReport] = []

    def run(resp: ResponseConfig, alert: dict[str, Any]) -> tuple[bool, str]:
        calls.append(alert)
        if len(calls) == 1:
            inner.append(response_runs.run_due(st, cfg.alerts.responses, run=run))
        return True, "done"

    report = response_runs.run_due(st, cfg.alerts.responses, run=run)
    assert len(calls) == 1
    assert (report.ran, inner[0].ran, inner[0].unknown) == (1, 0, 0)
    [row] = ResponseRun.select()
    assert (row.state, row.outcome, row.claimed_until) == ("ran", "done", None)


def test_a_runner_that_stopped_mid_run_is_reported_and_never_run_again(
    st: Store, tmp_path: Path
) -> None:
    cfg = config(record=recorder(tmp_path / "ran.jsonl"))
    fire(st, cfg)
    # Claimed by a process that then died: its claim ran out a minute ago.
    ResponseRun.update(state="running", claimed_until=db_now(st) - 60).execute()
    calls: list[str] = []

    def run(resp: ResponseConfig, alert: dict[str, Any]) -> tuple[bool, str]:
        calls.append(resp.name)
        return True, "ran"

    report = response_runs.run_due(st, cfg.alerts.responses, run=run)
    assert calls == [] and (report.ran, report.unknown) == (0, 1)
    [row] = ResponseRun.select()
    assert row.state == "unknown"
    [(level, message)] = response_events()
    assert level == "error"
    assert message.startswith("Costly: response record failed: outcome unknown")
    assert response_runs.run_due(st, cfg.alerts.responses, run=run).unknown == 0
    assert calls == [] and len(response_events()) == 1


def test_a_claim_still_running_is_not_taken_for_lost_by_a_clock_ahead(
    st: Store, tmp_path: Path
) -> None:
    """A claim ends on the database's clock: a runner on a host whose clock is
    two hours ahead does not take a running response for lost."""
    cfg = config(record=recorder(tmp_path / "ran.jsonl"))
    fire(st, cfg)
    ResponseRun.update(state="running", claimed_until=db_now(st) + 600).execute()
    ahead = Store(st.db, st.url, clock=lambda: time.time() + 7200)
    report = response_runs.run_due(ahead, cfg.alerts.responses, run=lambda r, a: (True, "x"))
    assert (report.ran, report.unknown) == (0, 0)
    assert [r.state for r in ResponseRun.select()] == ["running"]


def test_a_response_the_config_no_longer_defines_is_reported_not_guessed(
    st: Store, tmp_path: Path
) -> None:
    out = tmp_path / "ran.jsonl"
    fire(st, config(record=recorder(out)))
    cfg = config(other=recorder(out))  # "record" removed from the config meanwhile
    outcome = job(st, cfg)
    assert "rule 'Costly': response 'record' is not configured" in outcome.errors
    assert runs(out) == []
    [row] = ResponseRun.select()
    assert row.state == "failed"
    assert response_events() == [
        ("error", "Costly: response record failed: not configured (nothing run)")
    ]
    job(st, cfg)
    assert len(response_events()) == 1


def test_a_url_response_posts_once_and_its_url_is_never_shown(st: Store) -> None:
    with Receiver(status=503) as receiver:
        url = receiver.url("/respond/s3cr3t-token")
        cfg = config(page=ResponseConfig("page", url=Secret(url, "test"), timeout=5))
        fire(st, cfg, rule=replace(RULE, responses=("page",)))
        job(st, cfg)
        job(st, cfg)  # a failed POST is not retried: a response is an action, not a message
        [request] = receiver.requests
        assert request.path == "/respond/s3cr3t-token"
        assert request.json()["rule"] == "Costly"
    assert response_events() == [("error", "Costly: response page failed: POST answered HTTP 503")]
    stored = " ".join(str(r.outcome) + r.body for r in ResponseRun.select())
    assert "s3cr3t" not in stored and "127.0.0.1" not in stored
