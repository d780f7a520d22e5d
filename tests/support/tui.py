"""What the Pilot tests share: the terminal size, an app on a fixed clock with
collection off, a table's rows as text, and the two ways to wait.

`settle(pilot)` waits for the app's own work, on Textual's own waiting: every
worker done (`app.workers.wait_for_complete`), the messages they posted handled
and the screen idle (`pilot.pause`), scheduled animations run
(`pilot.wait_for_scheduled_animations`). After it, what a test reads is what the
app shows once it has nothing left to do, on any machine speed.

`wait_for(pilot, condition)` is for what happens outside the app: the
collector's jobs on their own threads, a peer answering late. Nothing in Textual
can wait for those, so it handles the app's pending messages (`pilot.pause`) and
looks again every 10 ms until the condition holds, and fails after `timeout`
seconds. A wait for the app's own work is a settle(), not a wait_for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerCancelled, WorkerFailed

from r2tui.store import Store
from r2tui.tui.app import R2App, build_app
from r2tui.tui.widgets.table import FilterTable
from tests.support.configs import account_for, make_config
from tests.support.tui_data import NOW

SIZE = (120, 40)

# How long wait_for lets the world outside the app go between two looks (a look
# costs little; a long step is time lost once the condition holds).
_OUTSIDE_STEP = 0.01


def _busy(app: Any) -> bool:
    """A worker not finished, or a table that has rows it has not measured yet.
    A DataTable measures its columns on an idle moment after rows arrive; it says
    so only through `_require_update_dimensions` (no public way to ask), and a
    snapshot taken before would catch columns still at their headers' width."""
    if any(not w.is_finished for w in app.workers):
        return True
    return any(t._require_update_dimensions for t in app.screen.query(DataTable))


async def settle(pilot: Pilot[Any], timeout: float = 60.0) -> None:
    """Until the app has nothing left to do: see the module's docstring. A timer
    that starts new work later (the periodic store read) is not waited for; a
    worker stuck past `timeout` fails the test."""
    app = pilot.app
    async with asyncio.timeout(timeout):
        # The first store read starts after the first paint: until then there is
        # no worker to wait for.
        while isinstance(app, R2App) and app.first_paint_at is None:
            await pilot.pause()
        while True:
            # Failed or cancelled workers count as done: the app shows what it
            # made of them, and that is what the tests look at.
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await app.workers.wait_for_complete()
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            # The messages just handled may have started more work (a pane
            # filling its table, a screen reading after a save): again, until not.
            if not _busy(app):
                return


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 15.0
) -> None:
    """Until `condition()` holds, for work outside the app (see the module's
    docstring)."""
    # Counted in looks, not wall time, as before: on a loaded machine each look
    # takes longer than its step, and the wait stretches with it.
    for look in range(int(timeout / _OUTSIDE_STEP)):
        if condition():
            if look:
                # What the world outside just did, the app may hear of by a message
                # still queued (a job thread's JobStarted): handled before the test
                # looks at the app, as the longer steps of before left time for.
                await pilot.pause()
            return
        await pilot.pause(_OUTSIDE_STEP)
    raise AssertionError("condition not reached in time")


def rows(app: R2App, table_id: str) -> list[list[str]]:
    table = app.query_one(f"#{table_id}", FilterTable).table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def quiet_app(store: Store, **kwargs: object) -> R2App:
    config = make_config((account_for("http://127.0.0.1:9", quota_bytes=1000 * 10**9),), **kwargs)  # type: ignore[arg-type]
    return build_app(config, store, clock=lambda: NOW, collect=False)
