"""Full collections while nobody scrolls (tui/memory.QuietCollections): while
the app runs Python's own are off; the app runs one when input has been idle,
and after a while whatever the input; it gives Python its rule back on exit.
The collections are real (seen through gc.callbacks); the clock is the test's."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from r2tui.store import Store
from r2tui.tui.memory import QuietCollections
from tests.support.tui import SIZE, quiet_app, wait_for


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def full() -> Iterator[list[int]]:
    """The full collections run from here on: one entry each."""
    seen: list[int] = []

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(collected)
    try:
        yield seen
    finally:
        gc.callbacks.remove(collected)


def test_a_full_collection_waits_for_idle_input_and_not_forever(full: list[int]) -> None:
    clock = Clock()
    quiet = QuietCollections(idle=2.0, every=10.0, at_most=120.0, clock=clock)
    before = gc.get_threshold()
    quiet.start()
    try:
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 10**9
        clock.t += 5
        quiet.tick()  # idle, but the last one was 5 s ago
        assert full == [] and quiet.runs == 0
        for _ in range(100):  # someone scrolls, a key every 0.5 s for 50 s
            clock.t += 0.5
            quiet.input()
            quiet.tick()
        assert full == []
        clock.t += 2.0  # then lets go: two seconds without a key
        quiet.tick()
        assert len(full) == 1 and quiet.runs == 1
        for _ in range(240):  # scrolling without a pause for two minutes
            clock.t += 0.5
            quiet.input()
            quiet.tick()
        assert len(full) == 2  # after at_most seconds, whatever the input
    finally:
        quiet.stop()
    assert gc.get_threshold() == before


def test_overlapping_ones_give_pythons_rule_back_when_the_last_stops() -> None:
    before = gc.get_threshold()
    first, second = QuietCollections(), QuietCollections()
    first.start()
    second.start()
    first.stop()
    assert gc.get_threshold()[2] > 10**9  # the second still runs
    second.stop()
    assert gc.get_threshold() == before
    second.stop()  # again: nothing
    assert gc.get_threshold() == before


async def test_the_app_turns_pythons_full_collections_off_while_it_runs(store: Store) -> None:
    before = gc.get_threshold()
    app = quiet_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        assert gc.get_threshold()[2] > 10**9
        idle_since = app.collections.input_at
        await pilot.press("down")
        assert app.collections.input_at > idle_since  # a key is input
    assert gc.get_threshold() == before
