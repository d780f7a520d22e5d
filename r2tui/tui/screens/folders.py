"""Folders: where the bytes are, prefix by prefix, like `ncdu`: the Storage
pane's buckets, and in each the prefixes its last listing kept (store/prefixes.py,
the tree `r2tui du` prints): size, share of the folder shown, objects, and
growth since the previous listing and over 7 and 30 days ("what grew": `s`
sorts by it). enter or right opens a folder, left or backspace goes up.

Under each folder, "(files)" are the objects directly in it (at the deepest
level counted, everything below) and "(other)" the folders too small to keep:
the rows add up to the folder. Prefixes are text from outside: `Text`, never
markup. The tree is read on a worker thread, never on the event loop, and
again when the app reads the store."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from r2tui.store import Store
from r2tui.store.prefixes import PrefixNode, PrefixTree, bucket_tree
from r2tui.tui import messages as msg
from r2tui.tui.failures import reason
from r2tui.tui.format import LINE_CELLS, age, count, data, human_bytes, pct
from r2tui.tui.resources import style
from r2tui.tui.widgets.table import Column, FilterTable, Row

FILES = "(files)"  # row keys of their own: a prefix ends in "/", a bucket has none
OTHER = "(other)"
COLUMNS = [
    Column("name", "Name", flex=True, middle=True),
    Column("size", "Size", width=8, numeric=True),
    Column("share", "Share", width=7, numeric=True),
    Column("objects", "Objects", width=11, numeric=True),
    Column("previous", "Since last", width=10, numeric=True),
    Column("week", "7 days", width=9, numeric=True),
    Column("month", "30 days", width=9, numeric=True),
]
NARROW = 100  # below this many columns, the objects column goes (the name needs the room)


@dataclass(frozen=True)
class BucketSize:
    """A bucket as the account level lists it (the Storage pane's figures)."""

    name: str
    objects: int
    bytes: int


class FolderSource(Protocol):
    def tree(self, bucket: str) -> PrefixTree: ...


class StoreFolders:
    """The store's prefix trees; each call runs on a worker thread."""

    def __init__(self, store: Store, account: str) -> None:
        self.store = store
        self.account = account

    def tree(self, bucket: str) -> PrefixTree:
        try:
            return bucket_tree(self.store, self.account, bucket)
        finally:
            self.store.thread_done()  # this worker thread ends; give its connection back


def signed(n: int | None) -> Text:
    """Growth as it reads: +1.2 GB grew, -300 MB shrank, 0, – unknown."""
    if n is None:
        return Text("–", style="dim")
    if n == 0:
        return Text("0")
    return Text(("+" if n > 0 else "-") + human_bytes(abs(n)), style="yellow" if n > 0 else "cyan")


class FoldersScreen(Screen[None]):
    CSS_PATH = [style("folders.tcss")]
    BINDINGS = [
        Binding(
            "right",
            "open",
            "Open",
            id="folders.open",
            priority=True,  # the table would take it (it scrolls sideways)
            tooltip="Open the highlighted folder or bucket (enter too)",
        ),
        Binding(
            "left,backspace",
            "up",
            "Up",
            id="folders.up",
            priority=True,
            tooltip="Up to the folder above; from a bucket's top, the buckets",
        ),
        Binding(
            "escape",
            "close",
            "Close",
            id="folders.close",
            priority=True,  # the table's escape only clears its filter: done here first
            tooltip="Clear the filter, else close the folders",
        ),
    ]

    class Loaded(Message):
        def __init__(self, bucket: str, tree: PrefixTree | None, error: str | None = None) -> None:
            super().__init__()
            self.bucket, self.listing, self.error = bucket, tree, error

    def __init__(
        self,
        source: FolderSource,
        buckets: Sequence[BucketSize],
        bucket: str | None = None,
        prefix: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.source = source
        self.buckets = list(buckets)
        self.bucket = bucket  # None: the account's buckets
        self.prefix = prefix
        self.clock = clock  # the app's: "listed 3h ago"
        self.listing: PrefixTree | None = None
        self.error: str | None = None
        self.node: PrefixNode | None = None  # the folder shown

    def compose(self) -> ComposeResult:
        yield Static("", id="folders-title")
        yield FilterTable(
            COLUMNS,
            empty="nothing listed here yet",
            sort_column=1,
            descending=True,
            id="folders-table",
        )
        yield Footer(compact=True)

    def on_resize(self, event: Resize) -> None:
        self.query_one(FilterTable).hide(
            frozenset({"objects"}) if event.size.width < NARROW else frozenset()
        )

    def on_mount(self) -> None:
        self.query_one(FilterTable).table.focus()
        self._show()
        if self.bucket is not None:
            self._load(self.bucket)

    # ---- keys ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Arrows and backspace edit the filter while it has the focus.
        if action in ("open", "up"):
            return not isinstance(self.focused, Input)
        return True

    def action_open(self) -> None:
        table = self.query_one(FilterTable).table
        if table.row_count and 0 <= table.cursor_row < table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self._enter(str(key))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._enter(str(event.row_key.value))

    def _enter(self, key: str) -> None:
        if self.bucket is None:  # a bucket
            self.bucket, self.prefix, self.listing = key, "", None
            self._moved(None)
            self._load(key)
        elif self.node is not None and any(c.prefix == key for c in self.node.children):
            self.prefix = key  # (files) and (other) open nothing
            self._moved(None)

    def action_up(self) -> None:
        if self.bucket is None:
            return
        if not self.prefix:
            came_from = self.bucket
            self.bucket, self.listing, self.error = None, None, None
            self._moved(came_from)
            return
        came_from = self.prefix
        self.prefix = self.prefix[: self.prefix[:-1].rfind("/") + 1]
        self._moved(came_from)

    def action_close(self) -> None:
        table = self.query_one(FilterTable)
        if table.filter_text or isinstance(self.focused, Input):
            table.action_clear_filter()
            return
        self.dismiss(None)

    def _moved(self, came_from: str | None) -> None:
        """Show the level now chosen, the cursor on where we came from (else the top)."""
        table = self.query_one(FilterTable)
        if table.filter_text:
            table.action_clear_filter()
        self._show()
        grid = table.table
        keys = table.visible_keys
        grid.move_cursor(row=keys.index(came_from) if came_from in keys else 0, animate=False)

    # ---- loading ------------------------------------------------------------------------

    @on(msg.StoreChanged)
    def _store_changed(self) -> None:
        if self.bucket is not None:
            self._load(self.bucket)

    @work(thread=True, exclusive=True, group="folders", exit_on_error=False)
    def _load(self, bucket: str) -> None:
        try:
            tree = self.source.tree(bucket)
        except Exception as exc:  # no inventory yet, a locked store: say so on the screen
            self.post_message(self.Loaded(bucket, None, reason(exc)))
            return
        self.post_message(self.Loaded(bucket, tree))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.bucket != self.bucket:
            return  # left for another bucket meanwhile
        self.listing, self.error = event.listing, event.error
        keys = self.query_one(FilterTable).visible_keys
        self._show()
        if not keys:  # the first rows of this bucket: the cursor at the top
            self.query_one(FilterTable).table.move_cursor(row=0, animate=False)

    # ---- rendering ----------------------------------------------------------------------

    def _show(self) -> None:
        table = self.query_one(FilterTable)
        title = self.query_one("#folders-title", Static)
        if self.bucket is None:
            self.node = None
            total = sum(b.bytes for b in self.buckets)
            title.update(
                Text.assemble(
                    ("Folders", "bold"),
                    (" · every bucket · ", "dim"),
                    (human_bytes(total), "bold"),
                    f" in {count(sum(b.objects for b in self.buckets))} objects",
                )
            )
            table.set_rows([bucket_row(b, total) for b in self.buckets])
            return
        tree = self.listing
        where = data(f"{self.bucket}/{self.prefix}", "bold cyan", LINE_CELLS)
        if tree is None:
            table.set_rows([])
            note = f"could not read it: {self.error}" if self.error else "loading…"
            title.update(Text.assemble(("Folders", "bold"), (" · ", "dim"), where, " · ", note))
            return
        node = tree.find(self.prefix)
        if node is None:  # gone from a newer listing: its nearest folder still there
            node = tree.nearest(self.prefix)
            self.prefix = node.prefix
            where = data(f"{self.bucket}/{self.prefix}", "bold cyan", LINE_CELLS)
        self.node = node
        title.update(folder_title(tree, node, where, self.clock()))
        table.set_rows(folder_rows(node))


def folder_title(tree: PrefixTree, node: PrefixNode, where: Text, now: float) -> Text:
    counted = (
        f"counted {tree.depth} levels deep"
        + (f", {tree.dropped:,} smaller folders in (other)" if tree.dropped else "")
        if tree.depth
        else "folders not counted ([inventory] prefix_depth = 0, or an older listing)"
    )
    return Text.assemble(
        ("Folders", "bold"),
        (" · ", "dim"),
        where,
        (" · ", "dim"),
        (human_bytes(node.bytes), "bold"),
        f" in {count(node.objects)} objects",
        (f" · listed {age(tree.inventoried_at, now)} · {counted}", "dim"),
    )


def bucket_row(b: BucketSize, total: int) -> Row:
    blank = Text("")
    return Row(
        b.name,
        (
            data(b.name + "/"),
            human_bytes(b.bytes),
            pct(b.bytes, total),
            count(b.objects),
            blank,
            blank,
            blank,
        ),
        (b.name, b.bytes, b.bytes, b.objects, None, None, None),
    )


def folder_rows(node: PrefixNode) -> list[Row]:
    """The folders kept under `node`, and its files and (other) when it has any."""
    rows = []
    for c in node.children:
        g = c.growth
        rows.append(
            Row(
                c.prefix,
                (
                    data(c.name),
                    human_bytes(c.bytes),
                    pct(c.bytes, node.bytes),
                    count(c.objects),
                    signed(g.since_previous),
                    signed(g.week),
                    signed(g.month),
                ),
                (c.name, c.bytes, c.bytes, c.objects, g.since_previous, g.week, g.month),
            )
        )
    for key, objects, size in (
        (FILES, node.files_objects, node.files_bytes),
        (OTHER, node.other_objects, node.other_bytes),
    ):
        if objects:
            blank = Text("")
            rows.append(
                Row(
                    key,
                    (
                        Text(key, style="dim italic"),
                        human_bytes(size),
                        pct(size, node.bytes),
                        count(objects),
                        blank,
                        blank,
                        blank,
                    ),
                    (key, size, size, objects, None, None, None),
                )
            )
    return rows
