"""A bucket's prefixes as a tree, from its latest inventory: size, objects,
files, and growth since the previous inventory and over 7 and 30 days.

The tree holds the prefixes the inventory kept (sources/listing/prefixes.py);
under each, what is not itemised (its files, and prefixes too small to keep)
is still in its totals, so a node's figures are always whole. Growth since the
previous inventory compares the two inventories' rows; over 7 and 30 days it
reads the prefix series (`prefix_bytes`, and the bucket's `total_bytes` for
its root), raw samples or daily rollups, which last as long as the other
series do, not as long as `inventories_kept`: the value stored nearest to 7
(30) days before the latest inventory, within 2 days before it or 12 hours
after. A prefix with no such value has no figure (None), never a made-up 0.

`du` and the Folders screen (`u` in the Storage pane) both show this tree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from r2tui.literal import quoted
from r2tui.metrics import DAY, HOUR, PREFIX_BYTES, prefix_series
from r2tui.observations import ancestors
from r2tui.store.db import Store
from r2tui.store.models import Inventory, InventoryPrefix, Sample, SampleDaily

WEEK = 7 * DAY
MONTH = 30 * DAY
BEFORE = 2 * DAY  # how far before the time asked a stored value still stands for it
AFTER = 12 * HOUR  # and after (one inventory a day runs at varying times)
_CHUNK = 5000  # names per query: far below any database's bound-variable limit


@dataclass(frozen=True)
class Growth:
    """Bytes gained (negative: lost); None where there is nothing to compare with."""

    since_previous: int | None = None
    week: int | None = None
    month: int | None = None


@dataclass(frozen=True)
class PrefixNode:
    prefix: str  # "" for the bucket's root
    objects: int
    bytes: int
    files_objects: int  # directly in it (at the deepest level counted: all below)
    files_bytes: int
    growth: Growth = field(default_factory=Growth)
    children: tuple[PrefixNode, ...] = ()  # the kept prefixes right under it, largest first

    @property
    def name(self) -> str:
        """Its last part, as a listing of its parent shows it: "2026/"; "" at the root."""
        return self.prefix[len(parent_of(self.prefix)) :]

    @property
    def depth(self) -> int:
        return self.prefix.count("/")

    @property
    def other_objects(self) -> int:
        """Objects in prefixes under it that were not kept."""
        return self.objects - self.files_objects - sum(c.objects for c in self.children)

    @property
    def other_bytes(self) -> int:
        return self.bytes - self.files_bytes - sum(c.bytes for c in self.children)


@dataclass(frozen=True)
class PrefixTree:
    account: str
    bucket: str
    inventoried_at: int  # the latest inventory's end
    previous_at: int | None  # the one before, which `since_previous` compares with
    depth: int  # how deep its prefixes were counted (0: not counted)
    dropped: int  # prefixes not kept (counted in their parents' "other")
    root: PrefixNode

    def find(self, prefix: str) -> PrefixNode | None:
        node: PrefixNode | None = self.root
        for step in ancestors(prefix):
            node = next((c for c in node.children if c.prefix == step), None) if node else None
        return node

    def nearest(self, prefix: str) -> PrefixNode:
        """The deepest kept node on the way to `prefix` (the root at least)."""
        node = self.root
        for step in ancestors(prefix):
            child = next((c for c in node.children if c.prefix == step), None)
            if child is None:
                break
            node = child
        return node


class NoSuchPrefix(ValueError):
    """A bucket without an inventory, or a prefix the tree does not hold: the
    message names what is there instead."""


def parent_of(prefix: str) -> str:
    """ "a/b/" → "a/"; "a/" → ""; "a//" → "a/"."""
    return prefix[: prefix[:-1].rfind("/") + 1]


def inventoried_buckets(store: Store, account: str) -> list[str]:
    store.bound()
    return [
        b
        for (b,) in store.fetch(
            Inventory.select(Inventory.bucket)
            .distinct()
            .where(Inventory.account == account)
            .order_by(Inventory.bucket)
        )
    ]


def bucket_tree(store: Store, account: str, bucket: str) -> PrefixTree:
    """The bucket's tree from its latest inventory; NoSuchPrefix (naming the
    buckets that have one) when it has none."""
    store.bound()
    invs = store.fetch(
        Inventory.select(
            Inventory.id,
            Inventory.finished_at,
            Inventory.objects,
            Inventory.bytes,
            Inventory.prefix_depth,
            Inventory.prefixes_dropped,
        )
        .where(Inventory.account == account, Inventory.bucket == bucket)
        .order_by(Inventory.finished_at.desc(), Inventory.id.desc())
        .limit(2)
    )
    if not invs:
        known = inventoried_buckets(store, account)
        raise NoSuchPrefix(
            f"no inventory of bucket {quoted(bucket)}; "
            + (f"listed buckets: {', '.join(known)}" if known else "no bucket is listed yet")
        )
    inv_id, finished, objects, size, depth, dropped = invs[0]
    rows = _rows(store, inv_id) if depth else {}
    if "" not in rows:  # prefixes not counted: the root alone, all of it files
        rows[""] = (objects, size, objects, size)
    previous: dict[str, int] = {}
    previous_at = previous_depth = previous_dropped = None
    if len(invs) > 1:
        prev_id, previous_at, _, prev_size, previous_depth, previous_dropped = invs[1]
        previous = {p: r[1] for p, r in _rows(store, prev_id).items()} if previous_depth else {}
        previous[""] = prev_size
    week = _values_near(store, account, bucket, rows, finished - WEEK)
    month = _values_near(store, account, bucket, rows, finished - MONTH)

    def before(prefix: str) -> int | None:
        if previous_at is None:
            return None
        if prefix in previous:
            return previous[prefix]
        # Not in a previous listing that counted this deep and left nothing out: new.
        if previous_dropped == 0 and (previous_depth or 0) >= prefix.count("/"):
            return 0
        return None

    def growth(prefix: str, now: int) -> Growth:
        return Growth(
            _minus(now, before(prefix)),
            _minus(now, week.get(prefix)),
            _minus(now, month.get(prefix)),
        )

    children: dict[str, list[str]] = defaultdict(list)
    for prefix in rows:
        if prefix:
            children[parent_of(prefix)].append(prefix)

    def node(prefix: str) -> PrefixNode:
        o, b, fo, fb = rows[prefix]
        kids = sorted(
            (node(c) for c in children.get(prefix, ()) if c in rows),
            key=lambda n: (-n.bytes, -n.objects, n.prefix),
        )
        return PrefixNode(prefix, o, b, fo, fb, growth(prefix, b), tuple(kids))

    return PrefixTree(account, bucket, finished, previous_at, depth, dropped, node(""))


def _minus(now: int, then: float | None) -> int | None:
    return None if then is None else now - int(then)


def _rows(store: Store, inv_id: int) -> dict[str, tuple[int, int, int, int]]:
    return {
        p: (o, b, fo, fb)
        for p, o, b, fo, fb in store.fetch(
            InventoryPrefix.select(
                InventoryPrefix.prefix,
                InventoryPrefix.objects,
                InventoryPrefix.bytes,
                InventoryPrefix.files_objects,
                InventoryPrefix.files_bytes,
            ).where(InventoryPrefix.inventory == inv_id)
        )
    }


def _values_near(
    store: Store, account: str, bucket: str, prefixes: Iterable[str], at: int
) -> dict[str, float]:
    """Each prefix's bytes as stored nearest to `at` (see the module): "" is the
    bucket's root, whose series is the listing's `total_bytes`."""
    names: dict[str, str] = {}  # series' bucket column → prefix
    for prefix in prefixes:
        name = prefix_series(bucket, prefix) if prefix else bucket
        if name is not None:  # else too long to have a series
            names[name] = prefix
    lo, hi = at - BEFORE, at + AFTER
    best: dict[str, tuple[int, int, float]] = {}  # prefix → (distance, time, value)

    def offer(name: str, ts: int, value: float) -> None:
        prefix = names[name]
        candidate = (abs(ts - at), ts, value)
        if prefix not in best or candidate < best[prefix]:
            best[prefix] = candidate

    p = store.db.param
    for metric, chosen in (
        ("total_bytes", [bucket] if "" in names.values() else []),
        (PREFIX_BYTES, sorted(n for n in names if n != bucket)),
    ):
        for i in range(0, len(chosen), _CHUNK):
            chunk = chosen[i : i + _CHUNK]
            among = ", ".join([p] * len(chunk))
            # Plain SQL: peewee spent ten times the query's own time building a list
            # of 2,000 names. Days whose raw samples are purged: a day's last value,
            # at its middle.
            for table, value, shift, lo_ts, hi_ts in (
                (Sample._meta.table_name, '"value"', 0, lo, hi),
                (SampleDaily._meta.table_name, '"last"', DAY // 2, lo - DAY // 2, hi - DAY // 2),
            ):
                rows = store.db.execute_sql(
                    f"SELECT bucket, ts, {value} FROM {table} WHERE account = {p} "
                    f"AND metric = {p} AND bucket IN ({among}) AND ts >= {p} AND ts <= {p}",
                    (account, metric, *chunk, lo_ts, hi_ts),
                ).fetchall()
                for name, ts, got in rows:
                    offer(name, int(ts) + shift, float(got))
    return {prefix: value for prefix, (_, _, value) in best.items()}
