"""`r2tui serve` over HTTP: the page is textual-serve's, its websocket points
back at the address served, and each session's command is the viewer's."""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

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


def _upgrade(url: str, origin: str | None, host: str | None = None) -> str:
    """The status line the server answers a WebSocket handshake with."""
    where = urlsplit(url)
    lines = [
        "GET /ws?width=80&height=24 HTTP/1.1",
        f"Host: {host or where.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection((where.hostname, where.port), timeout=10) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return s.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_serve_answers_only_its_own_pages(tmp_path: Path) -> None:
    """Any web page may open a WebSocket to loopback: only the served page's own
    origin gets a session, and a name rebound to 127.0.0.1 gets nothing."""
    with served(tmp_path) as app:
        port = urlsplit(app.url).port
        foreign_origin = _upgrade(app.url, "https://evil.example")
        own_origin = _upgrade(app.url, app.url)
        localhost = _upgrade(app.url, f"http://localhost:{port}", f"localhost:{port}")
        rebound = httpx.get(app.url + "/", headers={"Host": f"evil.example:{port}"}, timeout=5)
        page_from_elsewhere = httpx.get(
            app.url + "/", headers={"Origin": "https://evil.example"}, timeout=5
        )
    assert foreign_origin.startswith("HTTP/1.1 403")
    assert own_origin.startswith("HTTP/1.1 101")  # a session, closed at once
    assert localhost.startswith("HTTP/1.1 101")
    assert rebound.status_code == 403
    assert "is not an address of this server" in rebound.text
    assert page_from_elsewhere.status_code == 403
