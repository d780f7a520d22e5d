"""A viewer (`r2tui --viewer`, what `r2tui serve` runs) collects nothing: space
re-reads the store and says who collects, p says there is nothing to pause, and
no job runs."""

from __future__ import annotations

from r2tui.store import Store
from r2tui.tui.app import VIEWER_PAUSE, VIEWER_REFRESH
from tests.support.tui import SIZE, quiet_app, settle


async def test_space_and_p_in_a_viewer(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        read = app.applied_read
        await pilot.press("space")
        await settle(pilot)
        assert app.applied_read > read  # the store read again, at once
        assert list(app.notices)[-1] == VIEWER_REFRESH
        await pilot.press("p")
        await settle(pilot)
        assert list(app.notices)[-1] == VIEWER_PAUSE
        assert app.embedded.collector is None and not app.embedded.paused
