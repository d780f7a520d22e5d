"""New text in the main screen's widgets: a layout of the whole screen only where
the text can change a widget's size, and nothing at all for the same text."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from r2tui.store import Store
from r2tui.tui.app import build_app
from r2tui.tui.widgets.header import StatusHeader
from r2tui.tui.widgets.table import Column, FilterTable, Row
from r2tui.tui.widgets.text import fixed_size, set_text
from tests.support.configs import account_for, make_config
from tests.support.tui import SIZE, wait_for
from tests.support.tui_data import NOW


def asked(widget: Static, action: Callable[[], object]) -> str:
    """What `action` asked of `widget` through Widget.refresh, Textual's public way
    to ask for a repaint or a layout: "layout", "repaint" or "nothing"."""
    calls: list[bool] = []
    original = widget.refresh

    def spy(*regions: Region, **kwargs: bool) -> Widget:
        calls.append(bool(kwargs.get("layout", False)))
        return original(*regions, **kwargs)

    widget.refresh = spy  # type: ignore[method-assign]
    try:
        action()
    finally:
        del widget.refresh
    return "layout" if any(calls) else "repaint" if calls else "nothing"


class Sizes(App[None]):
    CSS = """
    #one-line { height: 1; }
    #auto { height: auto; }
    #row { height: 3; }
    #in-row { height: 1; }
    #in-row-wide { height: 1; width: 20; }
    """

    def compose(self) -> ComposeResult:
        yield Static("a", id="one-line")
        yield Static("a", id="auto")
        with Horizontal(id="row"):
            yield Static("a", id="in-row")
            yield Static("a", id="in-row-wide")


async def test_only_a_widget_whose_size_text_can_change_is_laid_out() -> None:
    app = Sizes()
    async with app.run_test() as pilot:
        await pilot.pause()
        fixed = {w.id: fixed_size(w) for w in app.query(Static)}
        # A set height in a vertical container (its width is the container's), or
        # a set height and width anywhere; not an auto height, nor a width a
        # horizontal row would size from the text.
        assert fixed == {"one-line": True, "auto": False, "in-row": False, "in-row-wide": True}
        for widget in app.query(Static):
            what = asked(
                widget, lambda w=widget: set_text(w, Text("a longer text\non two lines", "bold"))
            )
            assert what == ("repaint" if fixed[widget.id] else "layout"), widget.id
            assert str(widget.content) == "a longer text\non two lines"


async def test_a_text_as_tall_as_the_last_needs_no_layout() -> None:
    """An auto-height line given as wide as its container: a new text that takes
    as many lines at that width keeps its size; one that wraps does not."""
    app = Sizes()
    async with app.run_test(size=(40, 12)) as pilot:
        widget = app.query_one("#auto", Static)
        await pilot.pause()
        assert widget.size == (40, 1)
        assert (
            asked(widget, lambda: set_text(widget, Text("12,345 objects · 1.2 TB", "bold")))
            == "repaint"
        )
        await pilot.pause()
        # Wraps onto a second line at 40 columns.
        assert asked(widget, lambda: set_text(widget, "x" * 41)) == "layout"
        await pilot.pause()
        assert widget.size == (40, 2)
        # As tall as it is now.
        assert asked(widget, lambda: set_text(widget, "two\nlines")) == "repaint"
        # Shorter: the rows below move up.
        assert asked(widget, lambda: set_text(widget, "one")) == "layout"
        await pilot.pause()
        assert widget.size.height == 1
        row = app.query_one("#in-row", Static)  # its width follows the text
        assert asked(row, lambda: set_text(row, "b")) == "layout"


async def test_the_same_text_is_not_shown_again() -> None:
    app = Sizes()
    async with app.run_test() as pilot:
        widget = app.query_one("#one-line", Static)
        set_text(widget, Text("42 objects", "bold"))
        await pilot.pause()
        assert asked(widget, lambda: set_text(widget, Text("42 objects", "bold"))) == "nothing"
        # Same characters, another style: shown.
        assert asked(widget, lambda: set_text(widget, Text("42 objects", "red"))) == "repaint"
        assert widget.content.style == "red"  # type: ignore[union-attr]


async def test_the_header_ticking_each_second_lays_nothing_out(filled: Store) -> None:
    """The header changes every second (the data's age); it is one line high and
    as wide as the screen, so it never needs the screen laid out again."""
    config = make_config((account_for("http://127.0.0.1:9"),))
    ticks = iter(range(0, 10**9, 100))  # each look at the clock: 100 s later
    app = build_app(config, filled, clock=lambda: NOW + next(ticks), collect=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        header = app.query_one(StatusHeader)
        await pilot.pause()
        before = str(header.content)
        assert asked(header, app._show_header) == "repaint"
        assert str(header.content) != before  # the data's age moved on


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield FilterTable([Column("name", "Name", 30)], id="t")


async def test_a_str_cell_is_plain_text_never_markup() -> None:
    """A caller that forgets `format.data` still cannot hand the table markup
    (a str cell is markup to a DataTable: "[/]x[" stopped the app)."""
    app = OneTable()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(FilterTable)
        table.set_rows(
            [Row("a", ("[/]unbalanced[",), ("a",)), Row("b", ("[bold]x[/] \x1b[2J",), ("b",))]
        )
        await pilot.pause()
        cells = [table.table.get_row_at(i)[0] for i in range(2)]
        assert [c.plain for c in cells] == ["[/]unbalanced[", "[bold]x[/] \\x1b[2J"]
        assert all(isinstance(c, Text) and not c.spans for c in cells)
