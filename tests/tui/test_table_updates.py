"""A table's refresh that changes many cells (a thousand buckets' ages move on
every few seconds) costs the screen only the changed cells: columns widen by
the new cells' widths, never measuring the whole column once per narrower
cell."""

from __future__ import annotations

from typing import Any

import textual.widgets._data_table as data_table_module
from rich.style import Style
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.widgets.data_table import ColumnKey

from r2tui.tui.widgets.table import Column, FilterTable, Row

ROWS = 300


class AgesTable(App[None]):
    def compose(self) -> ComposeResult:
        yield FilterTable([Column("name", "Name", 12), Column("age", "Age")], id="t")


def _rows(age: str) -> list[Row]:
    return [Row(f"b{i:03d}", (f"b{i:03d}", age), (i, age)) for i in range(ROWS)]


def _ages(minutes: int) -> list[Row]:
    """Ages of every width, as a thousand buckets listed at different times show."""
    rows = []
    for i in range(ROWS):
        m = minutes + i * 7
        age = f"{m}m ago" if m < 60 else f"{m // 60}h {m % 60}m ago"
        rows.append(Row(f"b{i:03d}", (f"b{i:03d}", age), (i, age)))
    return rows


def _counted(monkeypatch: Any, owner: object, name: str) -> list[int]:
    """Calls of `owner.name` from now on, counted in the list's one item; the
    call itself goes on as before."""
    calls = [0]
    real = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


async def test_many_narrower_cells_are_not_measured_column_by_column(monkeypatch: Any) -> None:
    # Textual's cell measure, counted: its module's function, as DataTable calls it
    # (no public hook says how much a table measured).
    measured = _counted(monkeypatch, data_table_module, "measure")
    app = AgesTable()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(FilterTable)
        table.set_rows(_rows("59 minutes ago"))
        await pilot.pause()
        age = table.table.columns[ColumnKey("age")]
        wide = age.content_width
        assert wide == len("59 minutes ago")
        measured[0] = 0
        table.set_rows(_ages(3))  # the same rows, their ages of every width
        await pilot.pause()
        # Textual's own path measures the whole column again for each cell narrower
        # than the widest: about ROWS x ROWS here.
        assert measured[0] < ROWS
        assert table.table.get_row_at(0)[1].plain == "3m ago"
        assert age.content_width == wide  # no narrower (nor after a clear, in Textual)
        table.set_rows(_rows("a day and 3 hours ago"))  # wider: it widens
        await pilot.pause()
        assert age.content_width == len("a day and 3 hours ago")


class SizesTable(App[None]):
    def compose(self) -> ComposeResult:
        yield FilterTable(
            [Column("name", "Name", 12), Column("size", "Size", 10), Column("age", "Age")],
            id="t",
        )


def _sized(age: str) -> list[Row]:
    return [Row(f"b{i:03d}", (f"b{i:03d}", f"{i} KB", age), (i, i, age)) for i in range(ROWS)]


async def test_a_store_read_renders_again_only_the_cells_that_changed(monkeypatch: Any) -> None:
    # The cells Rich renders, counted: DataTable wraps each in its module's
    # `Styled` (no public hook says how many cells a table rendered).
    rendered = _counted(monkeypatch, data_table_module, "Styled")
    app = SizesTable()
    async with app.run_test(size=(60, 20)) as pilot:
        owner = app.query_one(FilterTable)
        owner.set_rows(_sized("1m ago"))
        await pilot.pause()
        table = owner.table
        shown = table.size.height - 1  # below the header
        rendered[0] = 0
        owner.set_rows(_sized("2m ago"))  # a read: every age moved on, nothing else
        await pilot.pause()
        # The ages on screen and the header, not the names and sizes again (Textual
        # renders every cell on screen once one has changed: 3 x `shown` here).
        assert 0 < rendered[0] <= shown + len(table.columns)
        line = table.render_line(1).text
        assert "b000" in line and "0 KB" in line and "2m ago" in line


async def test_a_store_read_that_changes_nothing_repaints_no_line(monkeypatch: Any) -> None:
    app = SizesTable()
    async with app.run_test(size=(60, 20)) as pilot:
        owner = app.query_one(FilterTable)
        rows = _sized("1m ago")
        owner.set_rows(rows)
        await pilot.pause()
        table = owner.table
        for _ in range(3):  # the cursor moved since the table was drawn whole
            await pilot.press("down")
        await pilot.pause()
        # The lines the table draws, counted on this table only (its own method,
        # which Textual's styles cache calls for each line it must draw).
        lines = _counted(monkeypatch, table, "render_line")
        owner.set_rows(list(rows))  # a read: the same rows
        await pilot.pause()
        assert lines[0] == 0
        owner.sort_by(1)  # a new sort: the header's mark moves, the table is redrawn
        await pilot.pause()
        assert lines[0] > 0
        assert "Size ▲" in table.render_line(0).text


async def test_a_page_works_out_the_tables_style_once(monkeypatch: Any) -> None:
    app = SizesTable()
    async with app.run_test(size=(60, 20)) as pilot:
        owner = app.query_one(FilterTable)
        owner.set_rows(_sized("1m ago"))
        await pilot.pause()
        table = owner.table
        # Textual's style of a node, counted: the property that walks its ancestors
        # (no public hook says how often a widget worked its style out).
        walks = [0]
        real = DOMNode.rich_style

        def counting(node: DOMNode) -> Style:
            walks[0] += 1
            return real.fget(node)  # type: ignore[no-any-return]

        monkeypatch.setattr(DOMNode, "rich_style", property(counting))
        table.action_page_down()  # a page of rows never drawn
        await pilot.pause()
        lines = table.size.height
        # Textual works out the table's style once a line and the zebra rows' once
        # a row, besides the header's once a row (`_render_line_in_row`): 3 x lines
        # (61 here). Left: the header's, and what the other widgets drawn need.
        assert 0 < walks[0] < 2 * lines


async def test_the_same_rows_again_are_neither_sorted_nor_compared(monkeypatch: Any) -> None:
    """A refresh that gives the table back the very rows it shows (a RowCache's
    unchanged rows) costs nothing; other rows, or none, are shown as ever."""
    app = AgesTable()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(FilterTable)
        rows = _rows("1m ago")
        table.set_rows(rows)
        await pilot.pause()
        sorted_ = _counted(monkeypatch, table, "_render_rows")
        table.set_rows(list(rows))  # a new list of the same rows
        assert sorted_[0] == 0
        changed = [*rows[:-1], Row(rows[-1].key, (rows[-1].cells[0], "2m ago"), rows[-1].sort)]
        table.set_rows(changed)
        await pilot.pause()
        assert sorted_[0] == 1
        assert table.table.get_row(rows[-1].key)[1].plain == "2m ago"
        table.empty = "nothing here"
        table.set_rows([])
        table.set_rows([])  # no rows: the note in their place is shown again
        await pilot.pause()
        assert sorted_[0] == 3
        assert table.table.row_count == 0


async def test_a_cell_refresh_does_not_walk_every_row(monkeypatch: Any) -> None:
    """Ages that move on change cells, not the rows' order or heights: the
    repaint after them looks up the rows it draws, not all of them again."""
    app = AgesTable()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(FilterTable)
        for age in ("2m ago", "3m ago"):  # shown, and laid out, as after a store read
            table.set_rows(_rows(age))
            await pilot.pause()
        inner = table.table
        looked_up = _counted(monkeypatch, inner._row_locations, "get_key")
        table.set_rows(_rows("4m ago"))  # every age moves on, no column widens
        await pilot.pause()
        assert inner.get_row_at(0)[1].plain == "4m ago"
        # The rows on screen (about 18 at this size), a few times each; not ROWS.
        assert 0 < looked_up[0] < ROWS // 2
