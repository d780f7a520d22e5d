"""The served app in a real headless browser: Debian's chromium, driven by
Playwright (`executable_path`: no browser of Playwright's own is downloaded).
The page's terminal (xterm.js) draws on a canvas, so what the app drew is read
where the browser receives it: the websocket frames textual-serve sends it,
the terminal's own byte stream, escape sequences taken out."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.served import served

CHROMIUM = Path("/usr/bin/chromium")
# CSI and OSC sequences, then any other escape: what is left is the text drawn.
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no {CHROMIUM}: .ci/run installs Debian's chromium with apt-get, "
        "which failed or did not run here",
    ),
]


class Screen:
    """Everything the app sent the page, as text."""

    def __init__(self) -> None:
        self.raw: list[str] = []

    def received(self, payload: str | bytes) -> None:
        self.raw.append(
            payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        )

    def text(self) -> str:
        return ESCAPES.sub("", "".join(self.raw))


def test_the_app_draws_in_chromium_and_answers_a_key(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with served(tmp_path) as app, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            screen = Screen()
            page.on("websocket", lambda ws: ws.on("framereceived", screen.received))
            page.goto(app.url + "/")

            def until(condition: Callable[[str], bool], what: str) -> str:
                deadline = time.monotonic() + 20.0
                while not condition(text := screen.text()):
                    assert time.monotonic() < deadline, f"{what} not drawn; got: {text[-2000:]!r}"
                    page.wait_for_timeout(100)  # the page's events arrive meanwhile
                return text

            # The app draws: its header's account and pane titles, from the filled store.
            until(lambda t: "Storage" in t and "Alerts" in t, "the panes")
            page.wait_for_selector("body.-first-byte")  # the page showed the terminal
            assert "app.help" not in screen.text()
            # A key typed into the page reaches the app: ? opens the help.
            page.locator(".textual-terminal").click()
            page.keyboard.press("?")
            until(lambda t: "app.help" in t, "the help")
            # q closes the help, a second q quits the app, which ends the browser's session.
            page.keyboard.press("q")
            page.keyboard.press("q")
            page.wait_for_selector("body.-closed", timeout=20_000)  # q ended the session
        finally:
            browser.close()
        assert app.job_runs() == 1  # a viewer: the session collected nothing
