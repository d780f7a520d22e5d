"""A DataTable that every pane uses: `/` filters, `s` sorts, header clicks sort.

Rows carry raw sort values beside their text, so "2.0 GB" sorts after
"900 MB", and the cursor stays on the same row across refreshes. A narrow
screen can hide columns (`hide`), and a column can be cut in the middle
(`Column.middle`), so two long names that differ at the end stay apart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey, RowKey

from r2tui.literal import ELLIPSIS
from r2tui.tui.format import LINE_CELLS, data
from r2tui.tui.widgets.text import set_text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None
    numeric: bool = False
    flex: bool = False  # takes the width the other columns leave
    min_width: int = 10  # a flex column's least width, when the others leave less
    middle: bool = False  # a flex column's text too wide is cut in the middle: "Missi…(media)"


def middle_cut(text: Text, cells: int) -> Text:
    """`text` in `cells` cells: whole, or its start and end around an ellipsis,
    in its own style."""
    if text.cell_len <= cells or cells < 3:
        return text
    head, tail = cells // 2, cells - 1 - cells // 2

    def cut(head: int) -> Text:
        if not text.spans:  # a cell's usual case: one style for it all
            end = text.plain[len(text) - tail :] if tail else ""
            return Text(text.plain[:head] + ELLIPSIS + end, style=text.style)
        return Text.assemble(text[:head], ELLIPSIS, text[len(text) - tail :] if tail else "")

    out = cut(head)
    while out.cell_len > cells and head > 1:  # wide characters: fewer of them
        head -= 1
        out = cut(head)
    out.no_wrap = True
    return out


T = TypeVar("T")
V = TypeVar("V")


class RowCache(Generic[V]):
    """What a table's rows were made of, by a key of everything they show: a
    refresh of a thousand unchanged rows gets the same objects back (made once:
    the same `Row`s, which the table then leaves alone). Keys not used by the
    last `rows` are dropped."""

    def __init__(self) -> None:
        self._made: dict[Hashable, V] = {}

    def rows(
        self, items: Iterable[T], key: Callable[[T], Hashable], make: Callable[[T], V]
    ) -> list[V]:
        kept, fresh, out = self._made, {}, []
        for item in items:
            k = key(item)
            made = kept.get(k)
            if made is None:
                made = make(item)
            fresh[k] = made
            out.append(made)
        self._made = fresh
        return out


@dataclass(frozen=True)
class Row:
    """One row. Text from outside goes in `cells` as Text (`format.data`/`cell`,
    cut to fit); a str cell is shown as plain text all the same (`data`), never
    as the markup a DataTable would read in it. A value cut to fit its column is
    still found by the filter: `match` holds the whole values, as shown."""

    key: str
    cells: tuple[str | Text, ...]
    sort: tuple[object, ...]
    match: tuple[str, ...] = ()  # what `/` searches besides the cells' text


class MeasuredTable(DataTable[str | Text]):
    """A DataTable that drops its cached lines once it has measured new rows,
    and renders again only the cells that changed.

    Textual's DataTable sizes its columns for new rows when idle. On a busy
    machine a table was seen drawn at its header's widths after that measure
    (the main-screen snapshot with costs, under load on the other core: 2
    failures in 10 runs before this, none in 18 after). Its line caches are
    keyed by a count of data changes, not by column widths, which is the likely
    cause (a direct test of it did not reproduce the stale paint). Clearing
    them and repainting once the columns are measured ended it.

    Its cell cache is keyed by that count too: one changed cell (a probe's age,
    at every store read) and every cell on screen is rendered again by Rich,
    half a millisecond a row at 160x50, most of the frame that followed a read.
    `_render_cell` keeps each cell's lines by the cell's value itself instead
    (the very object in the table, with everything else Textual keys it by but
    the count), so only the changed cells are rendered again.

    Private Textual, for want of a public way: DataTable measures in its private
    `_on_idle` → `_update_dimensions`, says to no one when it is done (no message,
    no public flag), and clears its line caches only in the private
    `_clear_caches` (and `notify_style_update`); an `on_idle` handler of ours
    would run before its own, not after. Its cells are rendered in the private
    `_render_cell`, with no public hook or cache setting. Checked against
    Textual 8.2.8."""

    CELL_CACHE_SIZE = 10_000  # as Textual's own cell cache: a thousand rows of a few columns

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before Textual's own: its reactives' watchers clear the caches.
        self._cells: LRUCache[Hashable, tuple[object, list[list[Segment]]]] = LRUCache(
            self.CELL_CACHE_SIZE
        )
        super().__init__(*args, **kwargs)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:  # the header and row labels: as Textual
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value = self._data[row_key].get(column_key)
        # Textual's key (`_render_cell`, 8.2.8) without its count of data changes,
        # with what that count stood for here: the value, the cell's place (its
        # lines carry the row and column as meta, for the mouse), width, height.
        key = (
            row_key,
            column_key,
            id(value),
            row_index,
            column_index,
            base_style,
            width,
            self.rows[row_key].height,
            cursor,
            hover,
            self._show_hover_cursor,
            self._pseudo_class_state,
        )
        made = self._cells.get(key)
        if made is not None and made[0] is value:  # the same object, not a reused id
            return made[1]
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._cells[key] = (value, lines)
        return lines

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._cells.clear()

    # A page of rows never drawn (a `pagedown` at a thousand rows) spent a fifth of
    # its time working out the same styles again: Textual's `rich_style` walks the
    # table's ancestors, for the table itself once a line (`render_line`) and for
    # the zebra row style once a row (`_get_row_style`).
    _line_style: Style | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        self._line_style = None
        self._line_style = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._line_style = None

    @property
    def rich_style(self) -> Style:
        """The table's style: worked out once for all the lines of a render."""
        if self._line_style is not None:
            return self._line_style
        return super().rich_style

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        """Textual's (8.2.8, private, with no public way to set a row's style)
        through its public `get_component_rich_style`, which keeps each
        component's style until the next repaint or change of styles: the same
        styles, as no text-opacity is set on these components."""
        if row_index == -1:
            return self.get_component_rich_style("datatable--header")
        if row_index < self.fixed_rows:
            return self.get_component_rich_style("datatable--fixed")
        if self.zebra_stripes:
            odd = row_index % 2
            return self.get_component_rich_style(
                "datatable--odd-row" if odd else "datatable--even-row"
            )
        return base_style

    def notify_style_update(self) -> None:
        # Textual clears its caches here without `_clear_caches`: new styles.
        self._cells.clear()
        super().notify_style_update()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()
        self.refresh()

    def update_cells(self, changes: list[tuple[RowKey, ColumnKey, str | Text]]) -> None:
        """`update_cell` for many cells, with one repaint: a refresh that moves a
        thousand rows' ages on repainted the table a thousand times (half a
        tenth of a second of the screen's time). Columns only widen here, by the
        new cells' widths, as they do when rows are added. Textual measures
        each updated cell on idle, and the whole column again for each one that
        got narrower ("18s ago" → "2m ago"): a thousand ages measured a
        thousand cells each, 1.5 s with the screen held still. What
        `update_cell` does per cell otherwise, as in Textual 8.2.8 (private, for
        want of a public batch)."""
        widened = False
        for row_key, column_key, value in changes:
            self._data[row_key][column_key] = value
            column = self.columns.get(column_key)
            if column is not None and column.auto_width:
                width = _width(value)
                if width > column.content_width:
                    column.content_width = width
                    widened = True
        if changes:
            before = self._update_count
            self._update_count += 1
            # Cell values only: the rows' order and heights stay, so Textual's
            # lists of them (keyed by the count of data changes, private, 8.2.8,
            # as above) carry over; made again, each walked all thousand rows at
            # the repaint that followed every store read.
            ordered = self._ordered_row_cache.get((self.row_count, before))
            if ordered is not None:
                self._ordered_row_cache[(self.row_count, self._update_count)] = ordered
            offsets = self._offset_cache.get(before)
            if offsets is not None:
                self._offset_cache[self._update_count] = offsets
            # Measured again (and repainted whole) only when a column got wider.
            self._require_update_dimensions = self._require_update_dimensions or widened
            self.refresh()

    @property
    def measuring(self) -> bool:
        """Whether new rows wait to be measured, at the table's next idle (tests
        wait for this before a snapshot). Textual keeps it in a private flag only,
        as above."""
        return self._require_update_dimensions


def _width(value: str | Text) -> int:
    """The cells a cell's value takes: its widest line."""
    plain = value.plain if isinstance(value, Text) else value
    return max(cell_len(line) for line in plain.split("\n"))


class FilterTable(Vertical):
    BINDINGS = [
        Binding(
            "slash",
            "filter",
            "Filter",
            id="table.filter",
            tooltip="Show only rows containing some text",
        ),
        Binding("s", "sort_next", "Sort", id="table.sort", tooltip="Sort by the next column"),
        Binding(
            "S",
            "sort_reverse",
            "Reverse",
            id="table.reverse",
            show=False,
            tooltip="Reverse the sort order",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            id="table.clear",
            show=False,
            tooltip="Clear the filter",
        ),
    ]

    def __init__(
        self,
        columns: list[Column],
        empty: str = "nothing yet",
        sort_column: int = 0,
        descending: bool = False,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = columns
        self.empty = empty
        self.sort_column = sort_column
        self.descending = descending
        self.filter_text = ""
        self.hidden: frozenset[str] = frozenset()  # column keys left out (hide)
        self._rows: list[Row] = []
        # What the table shows now: the sort, then its rows in order.
        self._shown: tuple[int, bool] | None = None
        self._shown_rows: list[Row] = []

    def compose(self) -> ComposeResult:
        table = MeasuredTable(cursor_type="row", zebra_stripes=True)
        for col in self.columns:
            table.add_column(col.label, key=col.key, width=col.width)
        yield table
        yield Static(Text(self.empty), classes="table-empty")
        yield Input(placeholder="filter… (enter keeps, escape clears)", classes="table-filter")

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one(DataTable)

    @property
    def visible_keys(self) -> list[str]:
        return [str(k.value) for k in self.table.rows]

    def set_rows(self, rows: list[Row]) -> None:
        # The very rows shown already (a RowCache gives unchanged rows back as the
        # same objects): nothing to filter, sort or compare again. Whatever else
        # changes what is shown (the filter, the sort, hidden columns, a width)
        # renders by itself. No rows: the note in their place may have changed.
        same = (
            rows
            and self._shown is not None
            and len(rows) == len(self._rows)
            and all(a is b for a, b in zip(rows, self._rows, strict=True))
        )
        self._rows = rows
        if not same:
            self._render_rows()

    def _render_rows(self) -> None:
        table = self.table
        current = None
        if table.row_count and 0 <= table.cursor_row < table.row_count:
            current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        needle = self.filter_text.lower()
        rows = [
            r
            for r in self._rows
            if not needle or any(needle in str(c).lower() for c in (*r.cells, *r.match))
        ]
        rows.sort(key=lambda r: _sortable(r.sort[self.sort_column]), reverse=self.descending)
        # Unchanged rows are left alone: a refresh every few seconds must not clear
        # and refill the table, which flickers, sizes its columns again on idle,
        # and with a thousand rows holds the screen still for a tenth of a second.
        sort = (self.sort_column, self.descending)
        before = self._shown_rows
        if (
            sort == self._shown
            and len(rows) == len(before) == table.row_count
            and all(a is b or a.key == b.key for a, b in zip(rows, before, strict=True))
        ):
            self._update_cells(before, rows)
        else:
            # The sort is part of it: clearing is also what redraws the header's labels.
            self._shown = sort
            table.clear()
            shown_at = self._shown_indexes()
            for r in rows:
                table.add_row(*(self._cell(r.cells[i], i) for i in shown_at), key=r.key)
            if current is not None and current in {r.key for r in rows}:
                table.move_cursor(row=table.get_row_index(current), animate=False)
        self._shown_rows = rows
        empty = self.query_one(".table-empty", Static)
        empty.display = not rows
        if not rows:
            # Text, not markup: what was typed ("[/]") must show, never be parsed.
            set_text(
                empty,
                data(
                    f"no row matches “{self.filter_text}”" if self._rows else str(self.empty),
                    cells=LINE_CELLS,
                ),
            )
        self._label_sorted_column()

    def _update_cells(self, before: list[Row], rows: list[Row]) -> None:
        """The same rows in the same order: only the cells that changed, in one
        repaint."""
        shown_at = self._shown_indexes()
        changes = [
            (RowKey(new.key), ColumnKey(self.columns[i].key), self._cell(new.cells[i], i))
            for old, new in zip(before, rows, strict=True)
            if old is not new and old.cells != new.cells
            for i in shown_at
            if old.cells[i] != new.cells[i]
        ]
        table = self.table
        if isinstance(table, MeasuredTable):
            table.update_cells(changes)
        else:
            for row_key, column_key, value in changes:
                table.update_cell(row_key, column_key, value, update_width=True)

    def _shown_indexes(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.key not in self.hidden]

    def _cell(self, value: str | Text, index: int) -> str | Text:
        text = data(value) if isinstance(value, str) else value
        col = self.columns[index]
        if col.middle:
            width = self.table.columns[ColumnKey(col.key)].width
            if not self.table.columns[ColumnKey(col.key)].auto_width and width:
                return middle_cut(text, width)
        return text

    def hide(self, keys: frozenset[str]) -> None:
        """Leave these columns out (a narrow screen), or show them again."""
        if keys == self.hidden:
            return
        self.hidden = keys
        table = self.table
        table.clear(columns=True)
        for col in self.columns:
            if col.key not in keys:
                table.add_column(col.label, key=col.key, width=col.width)
        self._shown = None
        self._fit_flex()
        self._render_rows()

    def _label_sorted_column(self) -> None:
        """Mark the sorted column's label. The table is repainted only when a label
        changed: at every store read a repaint of the whole table (its lines are
        cached by the cursor's place, which has moved) took most of the frame
        after the read."""
        changed = False
        for i, col in enumerate(self.columns):
            if col.key in self.hidden:
                continue
            mark = (" ▼" if self.descending else " ▲") if i == self.sort_column else ""
            column = self.table.columns[ColumnKey(col.key)]
            if column.label.plain != col.label + mark:
                column.label = Text(col.label + mark)
                changed = True
        if changed:
            self.table.refresh()

    def action_filter(self) -> None:
        box = self.query_one(Input)
        box.add_class("-shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one(Input)
        if not box.has_class("-shown") and not self.filter_text:
            return
        box.value = ""
        box.remove_class("-shown")
        self.filter_text = ""
        self._render_rows()
        self.table.focus()

    def action_sort_next(self) -> None:
        shown = self._shown_indexes()
        later = [i for i in shown if i > self.sort_column]
        self.sort_by(later[0] if later else shown[0])

    def action_sort_reverse(self) -> None:
        self.descending = not self.descending
        self._render_rows()

    def sort_by(self, index: int) -> None:
        if index == self.sort_column:
            self.descending = not self.descending
        else:
            self.sort_column = index
            self.descending = self.columns[index].numeric
        self._render_rows()

    def on_resize(self) -> None:
        if self._fit_flex() and any(c.middle for c in self.columns):
            self._shown = None  # cut again for the new width
            self._render_rows()

    def _fit_flex(self) -> bool:
        """Give the flex columns the width the others leave; whether there are any."""
        shown = [c for c in self.columns if c.key not in self.hidden]
        flex = [c for c in shown if c.flex]
        if not flex:
            return False
        table = self.table
        fixed = sum(
            table.columns[ColumnKey(c.key)].get_render_width(table) for c in shown if not c.flex
        )
        spare = self.size.width - fixed - 2 * len(flex) - 1
        for c in flex:
            column = table.columns[ColumnKey(c.key)]
            column.auto_width = False
            column.width = max(c.min_width, spare // len(flex))
        table.refresh()
        return True

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(self._shown_indexes()[event.column_index])

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value
        self._render_rows()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            event.input.remove_class("-shown")
        self.table.focus()


def _sortable(value: object) -> tuple[int, object]:
    # None sorts last whatever the direction of everything else.
    return (1, 0) if value is None else (0, value)
