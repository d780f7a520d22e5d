"""Automated responses: what a rule's `responses` run when its alert fires. A
command gets the alert as JSON on stdin and runs as an argument list, never
through a shell, so nothing in the alert (a bucket name, a label) can become
shell syntax. A URL gets the alert POSTed to it.

`run_response` never raises: it returns (ok, outcome), and the outcome is safe
to show and store: no URL (it may carry a token), one line, control
characters removed (a command's output could hold terminal escapes)."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import httpx

from r2tui.config.alert_model import ResponseConfig

OUTPUT_MAX = 200
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x1f\x7f-\x9f]")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = _CONTROL.sub("", line).strip()
        if line:
            return line if len(line) <= OUTPUT_MAX else line[: OUTPUT_MAX - 1] + "…"
    return ""


def run_response(resp: ResponseConfig, alert: dict[str, Any]) -> tuple[bool, str]:
    """Run one response for one alert: (True, what happened) on success, else
    (False, why)."""
    if resp.command:
        return _run_command(resp, alert)
    if resp.url is not None:
        return _post(resp, resp.url.reveal(), alert)
    return False, f"response {resp.name}: neither a command nor a URL"


def _run_command(resp: ResponseConfig, alert: dict[str, Any]) -> tuple[bool, str]:
    program = resp.command[0]
    try:
        done = subprocess.run(
            list(resp.command),
            input=json.dumps(alert, default=str),
            shell=False,
            timeout=resp.timeout,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        return False, f"program not found: {program}"
    except PermissionError:
        return False, f"program not executable: {program}"
    except subprocess.TimeoutExpired:
        return False, f"{program} timed out after {resp.timeout:g}s and was killed"
    except OSError as exc:
        return False, f"{program} could not start: {exc.strerror or type(exc).__name__}"
    ok = done.returncode == 0
    # A failure explains itself on stderr; a success reports on stdout.
    streams = (done.stdout, done.stderr) if ok else (done.stderr, done.stdout)
    line = next((s for s in map(_first_line, streams) if s), "")
    if done.returncode < 0:
        outcome = f"{program} killed by signal {-done.returncode}"
    else:
        outcome = f"{program} exited with {done.returncode}"
    return ok, f"{outcome}: {line}" if line else outcome


def _post(resp: ResponseConfig, url: str, alert: dict[str, Any]) -> tuple[bool, str]:
    body = json.dumps(alert, default=str)
    try:
        response = httpx.post(
            url,
            content=body,
            timeout=resp.timeout,
            headers={"Content-Type": "application/json"},
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        return False, f"POST timed out after {resp.timeout:g}s"
    except httpx.ConnectError:
        return False, "POST failed: could not connect"
    except httpx.TransportError as exc:
        return False, f"POST failed: {type(exc).__name__}"
    except httpx.InvalidURL:
        return False, "POST failed: the URL is not valid"
    ok = 200 <= response.status_code < 300
    return ok, f"POST answered HTTP {response.status_code}"
