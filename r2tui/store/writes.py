"""The write side: every change the jobs make, each in one transaction."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

from peewee import fn

from r2tui.metrics import ACCOUNT, PREFIX_BYTES, PREFIX_OBJECTS, prefix_series
from r2tui.observations import BucketInventory, ObjectEntry
from r2tui.store import state
from r2tui.store.db import Store
from r2tui.store.holder import me
from r2tui.store.models import (
    BaseModel,
    Bucket,
    Event,
    Inventory,
    InventoryBreakdown,
    InventoryObject,
    InventoryPrefix,
    JobRun,
    Notification,
    ResponseRun,
    Sample,
    SeriesKey,
    StoreState,
)

# Rows per INSERT. SQLite (3.32+) binds at most 32,766 variables a statement by
# default; an event or kept-object row binds 7, so an unchunked batch of a few
# thousand fails with "too many SQL variables". 500 rows stay far below.
CHUNK = 500


class SampleRow(NamedTuple):
    """One sample to write. A named tuple: an inventory writes two for each of a
    bucket's prefixes (a thousand a bucket), where a frozen dataclass cost a
    tenth of the save in making them."""

    metric: str
    value: float
    bucket: str = ACCOUNT


@dataclass(frozen=True)
class EventRow:
    kind: str
    level: str
    message: str
    bucket: str | None = None
    data: Mapping[str, object] | None = None  # JSON


def add_samples(
    store: Store,
    account: str,
    rows: Iterable[SampleRow],
    ts: float | None = None,
    keyed: AbstractSet[str] = frozenset(),
) -> int:
    """`keyed`: names (the bucket column) whose series are known to be in the
    series registry already, for every metric of `rows`: not written again."""
    t = int(ts if ts is not None else store.clock())
    data = [(t, account, r.bucket, r.metric, float(r.value)) for r in rows]
    if data:
        # The write lock (PostgreSQL's advisory lock; SQLite's IMMEDIATE): the
        # rollup's pruning of series keys waits for it, so a new series' key is
        # never dropped while its first sample commits.
        with store.write():
            _insert_samples(store, data, keyed)
    return len(data)


def _insert_samples(
    store: Store,
    data: list[tuple[int, str, str, str, float]],
    keyed: AbstractSet[str] = frozenset(),
) -> None:
    """executemany with one prepared statement: peewee builds SQL for every row of
    insert_many, which costs more than the insert itself for a month's backfill."""
    if not data:
        return
    p = store.db.param
    sql = (
        f"INSERT INTO {Sample._meta.table_name} (ts, account, bucket, metric, value) "
        f"VALUES ({p}, {p}, {p}, {p}, {p})"
    )
    store.db.cursor().executemany(sql, data)
    keys = sorted(
        {(account, metric, bucket) for _, account, bucket, metric, _ in data if bucket not in keyed}
    )
    _insert_rows(store, SeriesKey, ("account", "metric", "bucket"), keys, if_new=True)
    # A sample stamped before the rolled-up hours (a write the store refused and
    # took later) must still reach the rollups.
    oldest = min(row[0] for row in data)
    mark = _state_value(store, state.ROLLUP_FROM)
    if mark is not None and oldest < mark:
        state.put(store, state.ROLLUP_FROM, oldest - oldest % 3600)


def _insert_rows(
    store: Store,
    model: type[BaseModel],
    fields: Sequence[str],
    rows: Sequence[Sequence[object]],
    if_new: bool = False,
) -> None:
    """executemany with one prepared statement (see _insert_samples); `if_new`
    skips rows whose key is already there. The inventory job saves a thousand
    buckets a run, and peewee's SQL for their few rows each cost more than
    SQLite's work."""
    if not rows:
        return
    store.db.cursor().executemany(_insert_sql(store, model, fields, if_new), rows)


def _insert_one(
    store: Store, model: type[BaseModel], fields: Sequence[str], row: Sequence[object]
) -> int:
    """One row by the statement `_insert_rows` would use; gives back its id."""
    sql = _insert_sql(store, model, fields, if_new=False)
    if store.is_sqlite:
        cursor = store.db.cursor()
        cursor.execute(sql, row)
        return int(cursor.lastrowid)
    return int(store.db.execute_sql(sql + ' RETURNING "id"', row).fetchone()[0])


def _insert_sql(store: Store, model: type[BaseModel], fields: Sequence[str], if_new: bool) -> str:
    cached = (model, tuple(fields), if_new, store.is_sqlite, store.db.param)
    sql = _INSERTS.get(cached)
    if sql is None:
        p = store.db.param
        columns = ", ".join(f'"{model._meta.fields[f].column_name}"' for f in fields)
        verb = "INSERT OR IGNORE" if if_new and store.is_sqlite else "INSERT"
        sql = (
            f'{verb} INTO "{model._meta.table_name}" ({columns}) '
            f"VALUES ({', '.join([p] * len(fields))})"
            + (" ON CONFLICT DO NOTHING" if if_new and not store.is_sqlite else "")
        )
        _INSERTS[cached] = sql
    return sql


_INSERTS: dict[tuple[type[BaseModel], tuple[str, ...], bool, bool, str], str] = {}


def _state_value(store: Store, key: str) -> int | None:
    """state.get without peewee's query building (run once a save)."""
    cursor = store.db.cursor()
    cursor.execute(
        f'SELECT "value" FROM "{StoreState._meta.table_name}" WHERE "key" = {store.db.param}',
        (key,),
    )
    row = cursor.fetchone()
    return None if row is None else int(row[0])


def replace_series(
    store: Store,
    account: str,
    metrics: Sequence[str],
    start: int,
    end: int,
    rows: Iterable[tuple[int, str, str, float]],
    marks: dict[str, int] | None = None,
) -> int:
    """Replace every sample of `metrics` with start <= ts < end by `rows`
    (ts, bucket, metric, value), in one transaction: a window queried again
    overwrites what the first query stored instead of adding to it. `marks`
    (state watermarks) are set in the same transaction."""
    data = [(int(ts), account, bucket, metric, float(value)) for ts, bucket, metric, value in rows]
    outside = [r for r in data if not start <= r[0] < end or r[3] not in metrics]
    if outside:
        raise ValueError(f"row outside the replaced window or metrics: {outside[0]}")
    with store.write():
        Sample.delete().where(
            Sample.account == account,
            Sample.metric.in_(list(metrics)),
            Sample.ts >= start,
            Sample.ts < end,
        ).execute()
        _insert_samples(store, data)
        state.lower(store, state.ROLLUP_FROM, start - start % 3600)
        for key, value in (marks or {}).items():
            state.put(store, key, value)
    return len(data)


def add_events(
    store: Store, account: str, rows: Iterable[EventRow], ts: float | None = None
) -> None:
    t = int(ts if ts is not None else store.clock())
    data = [
        {
            "ts": t,
            "account": account,
            "bucket": r.bucket,
            "kind": r.kind,
            "level": r.level,
            "message": r.message,
            "data": json.dumps(r.data) if r.data is not None else None,
        }
        for r in rows
    ]
    if data:
        with store.atomic():
            for i in range(0, len(data), CHUNK):
                Event.insert_many(data[i : i + CHUNK]).execute()


def start_job_run(store: Store, job: str, account: str, ts: float | None = None) -> int:
    started = int(ts if ts is not None else store.clock())
    store.bound()
    process = me()
    run_id: int = JobRun.insert(
        job=job,
        account=account,
        started_at=started,
        host=process.host,
        pid=process.pid,
        holder=process.id,
    ).execute()
    return run_id


def finish_job_run(
    store: Store,
    run_id: int,
    ok: bool | None,
    items: int,
    error: str | None,
    ts: float | None = None,
) -> None:
    """ok is None for a run cancelled on request: finished, neither good nor bad."""
    finished = int(ts if ts is not None else store.clock())
    store.bound()
    JobRun.update(finished_at=finished, ok=ok, items=items, error=error).where(
        JobRun.id == run_id
    ).execute()


def abandon_stale_runs(store: Store) -> int:
    """Close runs this host left open when a process died (kill -9, power loss):
    their pid is gone, or it is this process's pid but not this process (a
    container restarted as pid 1 again)."""
    store.bound()
    process = me()
    open_runs = JobRun.select(JobRun.id, JobRun.pid, JobRun.holder).where(
        JobRun.finished_at.is_null(), JobRun.host == process.host
    )
    dead = [
        r.id
        for r in open_runs
        if (r.pid == process.pid and r.holder not in ("", process.id))
        or (r.pid != process.pid and not _pid_alive(r.pid))
    ]
    if dead:
        JobRun.update(
            finished_at=store.now(), ok=False, error="abandoned: the process running it ended"
        ).where(JobRun.id.in_(dead)).execute()
    return len(dead)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class BucketChanges:
    new: list[str]
    vanished: list[str]


def sync_buckets(
    store: Store, account: str, seen: Sequence[str], ts: float | None = None
) -> BucketChanges:
    """Record the account's current bucket set; report new and vanished buckets."""
    t = int(ts if ts is not None else store.clock())
    # A name listed twice would be inserted twice and break the unique index.
    seen = list(dict.fromkeys(seen))
    with store.write():
        rows = {b.name: b for b in Bucket.select().where(Bucket.account == account)}
        new = [name for name in seen if name not in rows or rows[name].vanished_at is not None]
        vanished = [n for n, b in rows.items() if n not in seen and b.vanished_at is None]
        for name in seen:
            if name in rows:
                Bucket.update(last_seen=t, vanished_at=None).where(
                    Bucket.id == rows[name].id
                ).execute()
            else:
                Bucket.insert(account=account, name=name, first_seen=t, last_seen=t).execute()
        if vanished:
            Bucket.update(vanished_at=t).where(
                Bucket.account == account, Bucket.name.in_(vanished)
            ).execute()
    return BucketChanges(new=new, vanished=vanished)


def previous_inventory_start(store: Store, account: str, bucket: str) -> float | None:
    store.bound()
    row = (
        Inventory.select(fn.MAX(Inventory.started_at))
        .where(Inventory.account == account, Inventory.bucket == bucket)
        .scalar()
    )
    return float(row) if row is not None else None


def save_inventory(
    store: Store,
    account: str,
    inv: BucketInventory,
    samples: Iterable[SampleRow] = (),
    events: Iterable[EventRow] = (),
    keep: int = 14,
    before: Iterable[str] | None = None,
    before_stored: bool = False,
) -> int:
    """Write one bucket's inventory with its samples and events, all or nothing,
    and drop the oldest detailed inventories beyond `keep`. `before`: the
    prefixes the bucket's last inventory kept, when the caller has read them
    already (the inventory job reads them as the bucket's listing starts); read
    here when None. `before_stored`: the caller knows that inventory's samples
    are all still stored (it is younger than the raw samples' retention), so
    its prefixes' series are in the registry and are not written there again
    (a thousand statements a bucket at 437 prefixes)."""
    t = int(inv.finished_at)
    # The inventory just written always stays, whatever `keep` says.
    keep = max(keep, 1)
    with store.write():
        before = last_prefixes(store, account, inv.bucket) if before is None else list(before)
        keyed = {
            name
            for prefix in (before if before_stored else ())
            if (name := prefix_series(inv.bucket, prefix)) is not None
        }
        inv_id = _insert_one(
            store,
            Inventory,
            _INVENTORY_FIELDS,
            (
                account,
                inv.bucket,
                int(inv.started_at),
                t,
                inv.objects,
                inv.bytes,
                inv.list_requests,
                inv.other_extensions,
                inv.prefix_depth,
                inv.prefixes_dropped,
            ),
        )
        breakdown = [
            (inv_id, dim, key, tally.objects, tally.bytes)
            for dim, table in (
                ("extension", inv.by_extension),
                ("storage_class", inv.by_storage_class),
            )
            for key, tally in table.items()
        ]
        _insert_rows(
            store,
            InventoryBreakdown,
            ("inventory", "dimension", "key", "objects", "bytes"),
            breakdown,
        )
        kept = (
            _object_rows(inv_id, "largest", inv.largest)
            + _object_rows(inv_id, "newest", inv.newest)
            + _object_rows(inv_id, "new_large", inv.new_large)
        )
        # The listing's cut points ride along as kept "objects" of kind "split", each
        # with its position (keys at or before it) as its size; 0 when unknown.
        positions = inv.split_positions or (0,) * len(inv.split_keys)
        kept += [
            {
                "inventory": inv_id,
                "kind": "split",
                "rank": i,
                "key": key,
                "size": position,
                "last_modified": 0,
                "storage_class": "",
            }
            for i, (key, position) in enumerate(zip(inv.split_keys, positions, strict=True))
        ]
        _insert_rows(store, InventoryObject, _KEPT, [tuple(r[f] for f in _KEPT) for r in kept])
        _insert_rows(store, InventoryPrefix, _PREFIX_FIELDS, _prefix_rows(inv_id, inv))
        add_samples(store, account, [*samples, *prefix_samples(inv, before)], ts=t, keyed=keyed)
        add_events(store, account, events, ts=t)
        newest_first = store.rows(
            "SELECT id FROM inventory WHERE account = ? AND bucket = ?"
            " ORDER BY finished_at DESC, id DESC",
            (account, inv.bucket),
        )
        old = [i for (i,) in newest_first[keep:]]
        if old:
            _drop_inventories(store, old)
    return inv_id


def _drop_inventories(store: Store, ids: list[int]) -> None:
    marks = ", ".join([store.db.param] * len(ids))
    # Children first: a PostgreSQL store made elsewhere may lack ON DELETE CASCADE.
    for model in (InventoryBreakdown, InventoryObject, InventoryPrefix, Inventory):
        column = model._meta.fields["inventory" if model is not Inventory else "id"].column_name
        store.db.execute_sql(
            f'DELETE FROM "{model._meta.table_name}" WHERE "{column}" IN ({marks})', ids
        )


def _prefix_rows(inv_id: int, inv: BucketInventory) -> list[tuple[int, str, int, int, int, int]]:
    """The bucket's root (prefix "") and each kept prefix; none when prefixes were
    not counted."""
    if not inv.prefix_depth:
        return []
    root = (inv_id, "", inv.objects, inv.bytes, inv.root_files.objects, inv.root_files.bytes)
    return [root] + [
        (inv_id, p.prefix, p.objects, p.bytes, p.files_objects, p.files_bytes) for p in inv.prefixes
    ]


def prefix_samples(inv: BucketInventory, before: Iterable[str] = ()) -> list[SampleRow]:
    """Each kept prefix's bytes and objects as series of their own ("bucket/prefix/"
    in the bucket column): rolled up, kept, charted and alerted on as any series.
    A name longer than the column holds has none (its rows stay with the inventory).
    The pinned prefixes not kept (`inv.pinned_prefixes`: the last inventory's kept
    ones, those rules name) get their exact totals, 0 when gone: a series that
    falls out of the kept set, or ends, shows it, and an alert on it resolves
    instead of holding its last value. Without pins, a prefix the last inventory
    kept (`before`) and this one does not is gone only when this one counted that
    deep and left nothing out: then it gets 0."""
    rows = []
    for p in (*inv.prefixes, *inv.pinned_prefixes):
        name = prefix_series(inv.bucket, p.prefix)
        if name is not None:
            rows.append(SampleRow(PREFIX_BYTES, p.bytes, name))
            rows.append(SampleRow(PREFIX_OBJECTS, p.objects, name))
    if inv.prefix_depth and not inv.prefixes_dropped:
        known = {p.prefix for p in (*inv.prefixes, *inv.pinned_prefixes)}
        for prefix in sorted(set(before) - known):
            name = prefix_series(inv.bucket, prefix)
            if name is not None and prefix.count("/") <= inv.prefix_depth:
                rows.append(SampleRow(PREFIX_BYTES, 0, name))
                rows.append(SampleRow(PREFIX_OBJECTS, 0, name))
    return rows


def last_prefixes(store: Store, account: str, bucket: str) -> list[str]:
    """The prefixes the bucket's newest inventory kept (not its root). In SQL:
    the inventory job asks once per bucket, and peewee's statement building cost
    more than the read."""
    return [
        prefix
        for (prefix,) in store.rows(
            "SELECT prefix FROM inventory_prefix WHERE prefix <> '' AND inventory_id = ("
            "SELECT id FROM inventory WHERE account = ? AND bucket = ?"
            " ORDER BY finished_at DESC, id DESC LIMIT 1)",
            (account, bucket),
        )
    ]


_INVENTORY_FIELDS = (
    "account",
    "bucket",
    "started_at",
    "finished_at",
    "objects",
    "bytes",
    "list_requests",
    "other_extensions",
    "prefix_depth",
    "prefixes_dropped",
)
_KEPT = ("inventory", "kind", "rank", "key", "size", "last_modified", "storage_class")
_PREFIX_FIELDS = ("inventory", "prefix", "objects", "bytes", "files_objects", "files_bytes")


def _object_rows(inv_id: int, kind: str, entries: list[ObjectEntry]) -> list[dict[str, str | int]]:
    return [
        {
            "inventory": inv_id,
            "kind": kind,
            "rank": i,
            "key": e.key,
            "size": e.size,
            "last_modified": int(e.last_modified),
            "storage_class": e.storage_class,
        }
        for i, e in enumerate(entries)
    ]


def purge(
    store: Store, job_runs_days: int, events_days: int, now: float | None = None
) -> dict[str, int]:
    t = int(now if now is not None else store.clock())
    with store.atomic():
        runs = (
            JobRun.delete()
            .where(
                JobRun.finished_at.is_null(False), JobRun.finished_at < t - job_runs_days * 86400
            )
            .execute()
        )
        events = Event.delete().where(Event.ts < t - events_days * 86400).execute()
        # Delivered notifications are history like events; pending, held and dead
        # ones are work still to do, or to look at, and stay.
        sent = (
            Notification.delete()
            .where(
                Notification.state.in_(("sent", "summarised")),
                Notification.created_at < t - events_days * 86400,
            )
            .execute()
        )
        # Responses that ran, failed or whose outcome is unknown: history, said by
        # their events; pending and running ones are work still to do.
        responses = (
            ResponseRun.delete()
            .where(
                ResponseRun.state.in_(("ran", "failed", "unknown")),
                ResponseRun.created_at < t - events_days * 86400,
            )
            .execute()
        )
    return {"job_runs": runs, "events": events, "notifications": sent, "responses": responses}
