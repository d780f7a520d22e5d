"""Storage: totals, quota, own spend, and per-bucket, type, class and object tables."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, ProgressBar, Static, TabbedContent, TabPane

from r2tui.store.health import HealthView, SourceHealth, listing_failure
from r2tui.store.views import BucketStorage, JobStatus, ObjectRow, StorageView, TallyRow
from r2tui.tui import messages as msg
from r2tui.tui.format import (
    BUCKET_CELLS,
    KEY_CELLS,
    age,
    cell,
    count,
    data,
    human_bytes,
    local_time,
    pct,
    usd,
    visible,
)
from r2tui.tui.panes.base import Pane
from r2tui.tui.panes.views import StoragePaneView
from r2tui.tui.widgets.card import source_reason
from r2tui.tui.widgets.fit import Fitted
from r2tui.tui.widgets.table import Column, FilterTable, Row, RowCache
from r2tui.tui.widgets.text import set_text

TABS = ("buckets", "types", "classes", "largest", "newest")


class StoragePane(Pane[StoragePaneView]):
    TITLE = "Storage"
    BINDINGS = [
        Binding(
            "right_square_bracket",
            "next_tab",
            "Next tab",
            id="storage.next_tab",
            tooltip="Show the next storage table",
        ),
        Binding(
            "left_square_bracket",
            "prev_tab",
            "Prev tab",
            id="storage.prev_tab",
            show=False,
            tooltip="Show the previous storage table",
        ),
        Binding(
            "u",
            "folders",
            "Folders",
            id="storage.folders",
            tooltip="Where the bytes are, folder by folder, and what grew (like ncdu): the "
            "highlighted or chosen bucket",
        ),
        Binding(
            "backspace",
            "all_buckets",
            "All buckets",
            id="storage.all_buckets",
            tooltip="Leave the bucket chosen with enter and show all buckets again",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.scope: str | None = None
        self.view: StorageView | None = None
        self.last_inventory: JobStatus | None = None
        self.sources: HealthView | None = None
        self.now = 0.0
        self.objects: dict[str, ObjectRow] = {}  # the object tables' rows, by row key
        # A thousand buckets' rows, made again only where a bucket's changed.
        self.bucket_rows: RowCache[Row] = RowCache()
        self._newest: tuple[list[BucketStorage], list[ObjectRow]] = ([], [])

    def compose(self) -> ComposeResult:
        yield Static(
            "no inventory yet: the first listing runs when the collector starts",
            id="storage-summary",
        )
        with Horizontal(id="storage-quota-row"):
            yield Static("", id="storage-quota-label")
            yield ProgressBar(total=100, show_eta=False, show_percentage=True, id="storage-quota")
        yield Fitted(id="storage-spend")
        with TabbedContent(id="storage-tabs"):
            with TabPane("Buckets", id="buckets"):
                yield FilterTable(
                    [
                        Column("name", "Bucket"),
                        Column("objects", "Objects", numeric=True),
                        Column("bytes", "Size", numeric=True),
                        Column("share", "Share", numeric=True),
                        Column("listed", "Listed", numeric=True),
                    ],
                    empty="no bucket listed yet",
                    sort_column=2,
                    descending=True,
                    id="table-buckets",
                )
            with TabPane("Types", id="types"):
                yield FilterTable(
                    _tally_columns("Type"),
                    empty="no objects",
                    sort_column=2,
                    descending=True,
                    id="table-types",
                )
            with TabPane("Classes", id="classes"):
                yield FilterTable(
                    _tally_columns("Storage class"),
                    empty="no objects",
                    sort_column=2,
                    descending=True,
                    id="table-classes",
                )
            with TabPane("Largest", id="largest"):
                yield FilterTable(
                    _object_columns(),
                    empty="no objects",
                    sort_column=2,
                    descending=True,
                    id="table-largest",
                )
            with TabPane("Newest", id="newest"):
                yield FilterTable(
                    _object_columns(),
                    empty="no objects",
                    sort_column=4,
                    descending=True,
                    id="table-newest",
                )

    def show(self, shown: StoragePaneView, now: float) -> None:
        self.view = shown.storage
        self.sources = shown.health
        self.last_inventory = shown.last_inventory
        self.now = now
        if self.scope and self.scope not in {b.name for b in self.view.buckets}:
            self.scope = None
        self._render_view()

    def _render_view(self) -> None:
        view = self.view
        if view is None:
            return
        scoped = next((b for b in view.buckets if b.name == self.scope), None)
        self._summary(view, scoped)
        total = view.total_bytes or 1
        self.query_one("#table-buckets", FilterTable).set_rows(
            self.bucket_rows.rows(
                view.buckets,
                lambda b: (
                    b.name,
                    b.objects,
                    b.bytes,
                    b.inventoried_at,
                    age(b.inventoried_at, self.now),
                    total,
                ),
                lambda b: Row(
                    b.name,
                    (
                        cell(b.name, BUCKET_CELLS),
                        count(b.objects),
                        human_bytes(b.bytes),
                        pct(b.bytes, total),
                        age(b.inventoried_at, self.now),
                    ),
                    (b.name, b.objects, b.bytes, b.bytes, -b.inventoried_at),
                    (visible(b.name),),
                ),
            )
        )
        types = scoped.by_extension if scoped else view.by_extension
        classes = scoped.by_storage_class if scoped else view.by_storage_class
        scope_bytes = scoped.bytes if scoped else view.total_bytes
        self.query_one("#table-types", FilterTable).set_rows(_tally_rows(types, scope_bytes))
        self.query_one("#table-classes", FilterTable).set_rows(_tally_rows(classes, scope_bytes))
        largest = scoped.largest if scoped else view.largest
        newest = scoped.newest if scoped else self._newest_of(view.buckets)
        self.objects = {_object_key(o): o for o in [*largest, *newest]}
        self.query_one("#table-largest", FilterTable).set_rows(self._object_rows(largest))
        self.query_one("#table-newest", FilterTable).set_rows(self._object_rows(newest))

    def _newest_of(self, buckets: list[BucketStorage]) -> list[ObjectRow]:
        """The account's newest objects, merged again only when a bucket's
        listing changed (the store hands back the same buckets until then)."""
        seen = self._newest[0]
        if len(seen) != len(buckets) or any(a is not b for a, b in zip(seen, buckets, strict=True)):
            self._newest = (list(buckets), _newest(buckets))
        return self._newest[1]

    def _summary(self, view: StorageView, scoped: BucketStorage | None) -> None:
        summary = self.query_one("#storage-summary", Static)
        quota = self.query_one("#storage-quota", ProgressBar)
        quota_row = self.query_one("#storage-quota-row")
        if not view.has_data:
            set_text(summary, self._no_data_text(view))
        else:
            text = Text.assemble(
                (count(view.total_objects), "bold"),
                " objects · ",
                (human_bytes(view.total_bytes), "bold"),
                f" in {len(view.buckets)} buckets",
                f" · oldest listing {age(view.oldest_inventory_at, self.now)}",
            )
            if view.not_inventoried:
                text.append(f" · {len(view.not_inventoried)} not listed yet", "yellow")
            failing = self._failing()
            if failing is not None:
                # The figures are the last listing's: say since when they are stale.
                text.append("\nstale: ", "bold yellow")
                text.append_text(source_reason(failing, self.now))
            if scoped:
                text.append("\nshowing ", "dim")
                text.append_text(data(scoped.name, "bold cyan"))
                text.append(
                    f": {count(scoped.objects)} objects, {human_bytes(scoped.bytes)}"
                    " (backspace: all buckets)",
                    "dim",
                )
            set_text(summary, text)
        quota_row.display = view.quota_bytes is not None and view.has_data
        if view.usage_pct is not None:
            quota.update(progress=min(100.0, view.usage_pct))
            set_text(
                self.query_one("#storage-quota-label", Static),
                f"{human_bytes(view.total_bytes)} of {human_bytes(view.quota_bytes)} quota ",
            )
            quota_row.set_class(view.usage_pct >= 80, "-warning")
        s = view.spend
        cost = (f" ≈ {usd(s.usd)}", "dim")
        # The dollar figure stays whatever the width: the words around it go first.
        self.query_one("#storage-spend", Fitted).show(
            Text.assemble(
                ("r2tui's own requests this month: ", "dim"),
                f"{count(s.class_a)} Class A, {count(s.class_b)} Class B",
                cost,
            ),
            Text.assemble(
                ("r2tui's own requests: ", "dim"),
                f"{count(s.class_a)} Class A, {count(s.class_b)} Class B",
                cost,
            ),
            Text.assemble(
                ("own requests: ", "dim"), f"{count(s.class_a)} A, {count(s.class_b)} B", cost
            ),
        )

    def _failing(self) -> SourceHealth | None:
        """Why the listing cannot refresh, if it cannot."""
        return None if self.sources is None else listing_failure(self.sources)

    def _no_data_text(self, view: StorageView) -> Text:
        pending = (
            f" ({len(view.not_inventoried)} buckets waiting)" if (view.not_inventoried) else ""
        )
        failing = self._failing()
        if failing is not None:
            return Text.assemble("no inventory yet: ", source_reason(failing, self.now))
        inventory = self.last_inventory
        if inventory is None:
            return Text(
                f"no inventory yet: the first listing runs when a collector starts{pending}"
            )
        if inventory.finished_at is None:
            return Text(f"no inventory yet: the first listing is running{pending}")
        if inventory.ok is False:
            return Text.assemble(
                "no inventory yet: the last listing failed: ", data(inventory.error or "", "red")
            )
        return Text(f"no inventory yet{pending}")

    def _object_rows(self, objs: list[ObjectRow]) -> list[Row]:
        return [
            Row(
                _object_key(o),
                (
                    cell(o.bucket, BUCKET_CELLS),
                    cell(o.key, KEY_CELLS),
                    human_bytes(o.size),
                    cell(o.storage_class),
                    local_time(o.last_modified, self.now),
                ),
                (o.bucket, o.key, o.size, o.storage_class, o.last_modified),
                (visible(o.bucket), visible(o.key)),
            )
            for o in objs
        ]

    @on(DataTable.RowSelected, "#table-largest DataTable, #table-newest DataTable")
    def _open_object(self, event: DataTable.RowSelected) -> None:
        """Enter: the object in full; its key may be far wider than the column.
        One line each: a line break inside a key shows as \\n."""
        o = self.objects.get(str(event.row_key.value))
        if o is not None:
            self.post_message(
                msg.ShowDetail(
                    "object",
                    "\n".join(
                        (
                            f"bucket: {visible(o.bucket)}",
                            f"key: {visible(o.key)}",
                            f"size: {human_bytes(o.size)} ({o.size:,} bytes)",
                            f"storage class: {visible(o.storage_class)}",
                            f"last modified: {local_time(o.last_modified)}",
                        )
                    ),
                )
            )

    @on(DataTable.RowSelected, "#table-buckets DataTable")
    def _choose_bucket(self, event: DataTable.RowSelected) -> None:
        self.scope = str(event.row_key.value)
        self._render_view()
        self.query_one(TabbedContent).active = "types"
        self.query_one("#table-types DataTable").focus()

    def action_folders(self) -> None:
        """The folders of the bucket chosen (enter), else of the one highlighted in
        the Buckets table while it shows, else every bucket to choose from."""
        view = self.view
        if view is None:
            return
        bucket = self.scope
        tabs = self.query_one(TabbedContent)
        table = self.query_one("#table-buckets DataTable", DataTable)
        if bucket is None and tabs.active == "buckets" and table.row_count:
            row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            bucket = str(row) if row is not None else None
        self.post_message(
            msg.ShowFolders(bucket, tuple((b.name, b.objects, b.bytes) for b in view.buckets))
        )

    def action_all_buckets(self) -> None:
        self.scope = None
        self._render_view()

    def action_next_tab(self) -> None:
        self._switch(1)

    def action_prev_tab(self) -> None:
        self._switch(-1)

    def _switch(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        tab = TABS[(TABS.index(tabs.active or TABS[0]) + step) % len(TABS)]
        tabs.active = tab
        self.query_one(f"#{tab} DataTable").focus()


def _tally_columns(label: str) -> list[Column]:
    return [
        Column("key", label),
        Column("objects", "Objects", numeric=True),
        Column("bytes", "Size", numeric=True),
        Column("share", "Share", numeric=True),
    ]


def _object_columns() -> list[Column]:
    return [
        Column("bucket", "Bucket"),
        Column("key", "Key"),
        Column("size", "Size", numeric=True),
        Column("class", "Class"),
        Column("modified", "Modified", numeric=True),
    ]


def _object_key(o: ObjectRow) -> str:
    return f"{o.bucket}/{o.key}"


def _tally_rows(rows: list[TallyRow], total: int) -> list[Row]:
    # A type comes from keys and a class from the server: text from outside too.
    return [
        Row(
            r.key,
            (
                cell(r.key, BUCKET_CELLS),
                count(r.objects),
                human_bytes(r.bytes),
                pct(r.bytes, total),
            ),
            (r.key, r.objects, r.bytes, r.bytes),
        )
        for r in rows
    ]


def _newest(buckets: list[BucketStorage], n: int = 20) -> list[ObjectRow]:
    merged = [o for b in buckets for o in b.newest]
    return sorted(merged, key=lambda o: (-o.last_modified, o.bucket, o.key))[:n]
