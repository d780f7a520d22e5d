"""`r2tui serve` over HTTP: the page is textual-serve's, its websocket points
back at the address served, and each session's command is the viewer's."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import httpx

from tests.support.served import served


def test_serve_answers_with_textual_serves_page(tmp_path: Path) -> None:
    with served(tmp_path) as app:
        page = httpx.get(app.url + "/", timeout=5.0)
        script = httpx.get(app.url + "/static/js/textual.js", timeout=5.0)
        runs = app.job_runs()
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # textual-serve's page: its terminal, fed by the websocket of this address.
    assert 'class="textual-terminal"' in page.text
    ws = app.url.replace("http://", "ws://") + "/ws"
    assert f'data-session-websocket-url="{ws}"' in page.text
    assert "<div>r2tui</div>" in page.text  # our title, not the command line
    assert sys.executable not in page.text
    assert script.status_code == 200 and len(script.content) > 100_000
    assert runs == 1  # the filled inventory run: serving collected nothing


def test_serve_says_where_and_what_each_session_runs(tmp_path: Path) -> None:
    with served(tmp_path, "--account", "test") as app:
        pass
    err = app.err
    assert f"r2tui serve: {app.url} (listening on 127.0.0.1:" in err
    assert (
        f"each browser session runs {shlex.join([sys.executable, '-m', 'r2tui', '--viewer'])};"
        in err
    )
    assert app.process.returncode == 0
