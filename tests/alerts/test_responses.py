"""Automated responses run for real: a Python child process reading the alert
on stdin, failing, missing, hanging; a URL response POSTed to a loopback
receiver. run_response never raises and never shows a URL."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from r2tui.alerts.responses import run_response
from r2tui.config.alert_model import ResponseConfig
from r2tui.config.model import Secret
from tests.support.peers import closed_port
from tests.support.receivers import Receiver

ALERT = {
    "rule": "High error rate",
    "bucket": "<script>$(touch pwned)</script>",
    "status": "firing",
    "value": 7.5,
    "labels": {"team": "ops; rm -rf /"},
}
TOKEN_PATH = "/respond/SECRET123"


def py(script: str, *args: str, timeout: float = 10.0) -> ResponseConfig:
    return ResponseConfig(
        name="fix", command=(sys.executable, "-c", script, *args), timeout=timeout
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_command_gets_the_alert_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "alert.json"
    script = (
        "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.stdin.read());"
        "print('restarted the worker'); print('second line')"
    )
    ok, outcome = run_response(py(script, str(out)), ALERT)
    assert ok
    assert outcome == f"{sys.executable} exited with 0: restarted the worker"
    assert json.loads(out.read_text()) == ALERT


def test_arguments_are_never_shell_syntax(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    script = "import sys; print(sys.argv[1])"
    ok, outcome = run_response(py(script, f"; touch {marker}"), ALERT)
    assert ok and outcome.endswith(f": ; touch {marker}")
    assert not marker.exists()


def test_failing_command_reports_exit_code_and_stderr() -> None:
    script = (
        "import sys; print('stdout text'); print('\\n  boom: \\x1b[31mdisk\\x1b[0m full',"
        " file=sys.stderr); print('more', file=sys.stderr); sys.exit(3)"
    )
    ok, outcome = run_response(py(script), ALERT)
    assert not ok
    assert outcome == f"{sys.executable} exited with 3: boom: disk full"


def test_output_is_trimmed_to_one_short_line() -> None:
    ok, outcome = run_response(py("print('x' * 5000)"), ALERT)
    line = outcome.split(": ", 1)[1]
    assert ok and len(line) == 200 and line.endswith("…")


def test_silent_command_reports_only_its_exit_code() -> None:
    assert run_response(py("pass"), ALERT) == (True, f"{sys.executable} exited with 0")


def test_missing_program() -> None:
    resp = ResponseConfig(name="fix", command=("/nonexistent/r2tui-fixer", "--now"))
    assert run_response(resp, ALERT) == (False, "program not found: /nonexistent/r2tui-fixer")


def test_program_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "fix.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    ok, outcome = run_response(ResponseConfig(name="fix", command=(str(script),)), ALERT)
    assert not ok and outcome == f"program not executable: {script}"


def test_timeout_kills_the_command() -> None:
    started = time.monotonic()
    ok, outcome = run_response(py("import time; time.sleep(30)", timeout=0.5), ALERT)
    assert not ok and outcome == f"{sys.executable} timed out after 0.5s and was killed"
    assert time.monotonic() - started < 10


def test_killed_by_a_signal() -> None:
    ok, outcome = run_response(py("import os, signal; os.kill(os.getpid(), signal.SIGTERM)"), ALERT)
    assert not ok and outcome == f"{sys.executable} killed by signal 15"


def test_url_response_posts_the_alert(receiver: Receiver) -> None:
    resp = ResponseConfig(
        name="hook", url=Secret(receiver.url(TOKEN_PATH), "env FIX_URL"), timeout=5
    )
    assert run_response(resp, ALERT) == (True, "POST answered HTTP 200")
    [req] = receiver.requests
    assert req.path == TOKEN_PATH and req.headers["content-type"] == "application/json"
    assert req.json() == ALERT


def test_url_response_failure_never_shows_the_url(receiver: Receiver) -> None:
    receiver.status, receiver.reply = 500, f"broken at {TOKEN_PATH}"
    resp = ResponseConfig(name="hook", url=Secret(receiver.url(TOKEN_PATH), "env FIX_URL"))
    assert run_response(resp, ALERT) == (False, "POST answered HTTP 500")
    refused = ResponseConfig(
        name="hook", url=Secret(f"http://127.0.0.1:{closed_port()}{TOKEN_PATH}", "env FIX_URL")
    )
    ok, outcome = run_response(refused, ALERT)
    assert not ok and outcome == "POST failed: could not connect"


def test_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.status, receiver.headers = 307, {"Location": "http://elsewhere.example/"}
    resp = ResponseConfig(name="hook", url=Secret(receiver.url(TOKEN_PATH), "env FIX_URL"))
    assert run_response(resp, ALERT) == (False, "POST answered HTTP 307")
    assert len(receiver.requests) == 1


def test_nothing_to_run() -> None:
    ok, outcome = run_response(ResponseConfig(name="empty"), ALERT)
    assert not ok and "neither a command nor a URL" in outcome
