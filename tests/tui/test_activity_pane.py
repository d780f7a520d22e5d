"""The Activity pane under Pilot, on a real SQLite store: it follows the newest
entry as events arrive, counts what came while the user looked elsewhere and
jumps back on F or home, and shows what matters until asked for every job run."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable, Input

from r2tui.store import Store, writes
from r2tui.store.queries import ACTIVITY_LIMIT
from r2tui.store.writes import EventRow
from r2tui.tui.app import R2App
from r2tui.tui.palette import commands
from r2tui.tui.panes.activity import ActivityPane
from r2tui.tui.widgets.table import FilterTable
from tests.support.tui import SIZE, quiet_app, rows, settle, wait_for
from tests.support.tui_data import NOW

ACCOUNT = "test"


def add(store: Store, n: int, start: int, kind: str = "upload", level: str = "warning") -> None:
    """`n` events, a second apart from `start` seconds before NOW, each its own
    write as jobs make them; their messages number them."""
    for i in range(n):
        writes.add_events(
            store,
            ACCOUNT,
            [EventRow(kind, level, f"{kind} [{start + i}] media/a[b]/{start + i}.bin")],
            ts=NOW - 500 + start + i,  # after the fixture's events
        )


def table(app: R2App) -> DataTable:  # type: ignore[type-arg]
    return app.query_one("#table-activity", FilterTable).table


def on_screen(app: R2App, number: int) -> bool:
    """Whether the entry numbered `number` is among the rows the table shows."""
    t = table(app)
    for i in range(t.row_count):
        if f"[{number}]" in str(t.get_row_at(i)[1]):
            body = t.size.height - 1  # the header is fixed
            return t.scroll_y <= i < t.scroll_y + body
    return False


def title(app: R2App) -> str:
    # Kept as markup, made from the pane's Text: its text, as shown.
    return Text.from_markup(str(app.query_one(ActivityPane).border_title)).plain


async def refresh(app: R2App, pilot) -> None:  # type: ignore[no-untyped-def]
    app.refresh_data()
    await settle(pilot)


async def test_the_newest_of_30_arrivals_is_on_screen_at_the_top(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await pilot.press("4")  # the focus in the pane, its cursor on the newest entry
        for batch in range(3):  # arriving over three reads, as a collector writes them
            add(filled, 10, 10 * batch)
            await refresh(app, pilot)
        t = table(app)
        assert t.row_count == 32  # and the fixture's two that matter
        assert on_screen(app, 29) and t.cursor_row == 0
        assert "[29]" in rows(app, "table-activity")[0][1]
        # Text from outside, never markup: "[b]" is shown as typed.
        assert "media/a[b]/29.bin" in rows(app, "table-activity")[0][1]
        assert "new" not in title(app)


async def test_scrolled_away_it_counts_new_entries_and_f_jumps_back(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        add(filled, 40, 0)
        await wait_for(pilot, lambda: app.dashboard is not None)
        # A page down, then up a little: mid-screen, the newest out of view.
        await pilot.press("4", "pagedown", "up", "up", "up")
        await settle(pilot)
        t = table(app)
        reading, line = str(t.get_row_at(t.cursor_row)[1]), t.cursor_row - t.scroll_y
        assert not on_screen(app, 39)
        add(filled, 3, 100)
        await refresh(app, pilot)
        assert title(app) == "Activity · matters · ↑ 3 new (F: newest)"
        # Whole in the border, at 120 columns: the pane is 2/5 of the row.
        assert len(title(app)) <= app.query_one(ActivityPane).size.width - 4
        # The cursor stays on the entry it was on, on the same line of the
        # screen; the new ones wait above.
        assert str(t.get_row_at(t.cursor_row)[1]) == reading
        assert t.cursor_row - t.scroll_y == line
        assert not on_screen(app, 102)
        await pilot.press("F")
        await settle(pilot)
        assert on_screen(app, 102) and table(app).cursor_row == 0
        assert "new" not in title(app)
        # Sorted by another column, then home: by time again, the newest on top.
        await pilot.press("s", "down")
        add(filled, 2, 300)
        await refresh(app, pilot)
        assert "↑ 2 new" in title(app)
        await pilot.press("home")
        await settle(pilot)
        assert on_screen(app, 301) and table(app).cursor_row == 0
        assert "new" not in title(app)
        # While a filter is typed, F is a letter of it.
        await pilot.press("slash", "F")
        assert app.query_one("#table-activity Input", Input).value == "F"


async def test_job_runs_wait_for_a_and_show_after_it(filled: Store) -> None:
    app = quiet_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        add(filled, 3, 0, kind="job", level="info")  # routine: hidden
        add(filled, 1, 10, kind="job", level="error")  # a failed run matters
        await wait_for(pilot, lambda: app.dashboard is not None)
        await settle(pilot)
        shown = [r[1] for r in rows(app, "table-activity")]
        assert [s for s in shown if "job " in s] == ["✖ job job [10] media/a[b]/10.bin"]
        assert any("large upload" in s for s in shown)
        assert title(app) == "Activity · what matters (a: all)"
        await pilot.press("4", "a")
        shown = [r[1] for r in rows(app, "table-activity")]
        assert sum("job " in s for s in shown) == 5  # and the fixture's inventory run
        assert title(app) == "Activity · everything (a: what matters)"
        await pilot.press("a")
        assert sum("job " in r[1] for r in rows(app, "table-activity")) == 1
        # The command palette's entry does what the key does.
        [entry] = [c for c in commands(app, app.screen) if c.title == "All events"]
        await entry.callback()
        assert title(app) == "Activity · everything (a: what matters)"


async def test_more_job_runs_than_the_pane_reads_never_push_out_what_matters(
    store: Store,
) -> None:
    """A failed upload, then more routine job runs than the pane reads
    (ACTIVITY_LIMIT), all newer: what matters still shows, where every event
    (a: all) has only the newest job runs."""
    add(store, 1, 0, kind="upload", level="error")
    runs = ACTIVITY_LIMIT + 50
    for batch in range(5):  # a few writes, a second apart: newer than the upload
        writes.add_events(
            store,
            ACCOUNT,
            [EventRow("job", "info", f"job [{100 + i}] ok") for i in range(runs // 5)],
            ts=NOW - 400 + batch,
        )
    app = quiet_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await settle(pilot)
        assert [r[1] for r in rows(app, "table-activity")] == [
            "✖ upload upload [0] media/a[b]/0.bin"
        ]
        await pilot.press("4", "a")
        shown = [r[1] for r in rows(app, "table-activity")]
        assert len(shown) == ACTIVITY_LIMIT and not any("upload [0]" in s for s in shown)


async def test_only_job_runs_say_how_to_see_them(store: Store) -> None:
    add(store, 2, 0, kind="job", level="info")
    app = quiet_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await settle(pilot)
        assert rows(app, "table-activity") == []
        empty = str(app.query_one("#table-activity .table-empty").render())
        assert empty == "nothing that matters in the last 7 days, only job runs (a: all)"
