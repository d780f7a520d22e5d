"""Background work gives way while the UI's event loop runs late (r2tui/pace.py),
against a real asyncio loop in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from r2tui import pace
from r2tui.store import Store
from r2tui.tui.app import build_app
from tests.support.configs import account_for, make_config


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def _until(check: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.001)
    return False


def test_without_a_ui_nothing_waits() -> None:
    pulse = pace.Pulse()
    assert not pulse.late()
    started = time.perf_counter()
    for _ in range(100):
        pulse.give_way()
    assert time.perf_counter() - started < pace.PAUSE_S * 50  # no pauses, only yields


def test_a_prompt_loop_is_never_late(loop: asyncio.AbstractEventLoop) -> None:
    """Asked again and again, as a listing does between its steps: the loop
    answers each question well within LATE_S, so no step pauses."""
    pulse = pace.Pulse()
    pulse.attach(loop)
    lates = 0
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        lates += pulse.late()
        time.sleep(0.001)
    assert lates == 0
    assert _until(lambda: not pulse._asked)  # the last question was answered too
    pulse.detach(loop)
    assert not pulse.late() and not pulse._asked


def test_a_loop_closed_with_a_question_pending_is_let_go() -> None:
    loop = asyncio.new_event_loop()
    pulse = pace.Pulse()
    pulse.attach(loop)
    assert not pulse.late()  # asks; the loop never runs to answer
    loop.close()
    time.sleep(pace.LATE_S * 2)
    assert not pulse.late()  # not late for ever: the closed loop is let go
    assert pulse._loop is None


def test_a_busy_loop_is_late_and_work_pauses_until_it_answers(
    loop: asyncio.AbstractEventLoop,
) -> None:
    pulse = pace.Pulse()
    pulse.attach(loop)
    busy = threading.Event()
    loop.call_soon_threadsafe(lambda: (busy.set(), time.sleep(0.3)))  # a long layout, say
    assert busy.wait(5)
    assert not pulse.late()  # asks
    time.sleep(pace.LATE_S * 2)
    assert pulse.late()  # unanswered for longer than LATE_S
    started = time.perf_counter()
    pulse.give_way()
    assert time.perf_counter() - started >= pace.PAUSE_S * 0.9
    assert _until(lambda: not pulse.late())  # answered once the loop is free


def test_a_closed_loop_is_let_go() -> None:
    loop = asyncio.new_event_loop()
    loop.close()
    pulse = pace.Pulse()
    pulse.attach(loop)
    assert not pulse.late()  # call_soon_threadsafe refused: detached, no error
    assert pulse._loop is None


async def test_the_app_is_the_ui_while_it_runs(filled: Store) -> None:
    config = make_config((account_for("http://127.0.0.1:9"),))
    app = build_app(config, filled, collect=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert pace.UI._loop is asyncio.get_running_loop()
    assert pace.UI._loop is None
