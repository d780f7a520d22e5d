"""Ordered schema migrations with a recorded version.

Each step declares frozen copies of the tables it creates, so a later change
to `models.py` never rewrites history. Steps run one transaction each, under a
lock, so a TUI and a collector starting together never both migrate.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    Database,
    DatabaseError,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    SqliteDatabase,
    TextField,
)

log = logging.getLogger(__name__)


class StoreTooNew(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database], None]


class _Frozen(Model):
    """Base of the frozen tables; bound to the target database while applied."""

    class Meta:
        legacy_table_names = False


def _create(db: Database, models: Sequence[type[Model]]) -> None:
    with db.bind_ctx(models):
        db.create_tables(models)


def _v1_series(db: Database) -> None:
    class Sample(_Frozen):
        id = AutoField()
        ts = BigIntegerField()
        account = CharField()
        bucket = CharField()
        metric = CharField()
        value = DoubleField()

        class Meta:
            indexes = ((("account", "metric", "bucket", "ts"), False),)

    class Event(_Frozen):
        id = AutoField()
        ts = BigIntegerField(index=True)
        account = CharField()
        bucket = CharField(null=True)
        kind = CharField()
        level = CharField()
        message = TextField()
        data = TextField(null=True)

    class JobRun(_Frozen):
        id = AutoField()
        job = CharField()
        account = CharField()
        started_at = BigIntegerField(index=True)
        finished_at = BigIntegerField(null=True)
        ok = BooleanField(null=True)
        items = IntegerField(default=0)
        error = TextField(null=True)
        host = CharField(default="")
        pid = IntegerField(default=0)

    _create(db, [Sample, Event, JobRun])


def _v2_inventory(db: Database) -> None:
    class Bucket(_Frozen):
        id = AutoField()
        account = CharField()
        name = CharField()
        first_seen = BigIntegerField()
        last_seen = BigIntegerField()
        vanished_at = BigIntegerField(null=True)

        class Meta:
            indexes = ((("account", "name"), True),)

    class Inventory(_Frozen):
        id = AutoField()
        account = CharField()
        bucket = CharField()
        started_at = BigIntegerField()
        finished_at = BigIntegerField()
        objects = BigIntegerField()
        bytes = BigIntegerField()
        list_requests = IntegerField()
        other_extensions = BooleanField(default=False)

        class Meta:
            indexes = ((("account", "bucket", "finished_at"), False),)

    class InventoryBreakdown(_Frozen):
        id = AutoField()
        inventory = ForeignKeyField(Inventory, on_delete="CASCADE")
        dimension = CharField()
        key = CharField()
        objects = BigIntegerField()
        bytes = BigIntegerField()

    class InventoryObject(_Frozen):
        id = AutoField()
        inventory = ForeignKeyField(Inventory, on_delete="CASCADE")
        kind = CharField()
        rank = IntegerField()
        key = TextField()
        size = BigIntegerField()
        last_modified = BigIntegerField()
        storage_class = CharField()

    _create(db, [Bucket, Inventory, InventoryBreakdown, InventoryObject])


def _v3_rollups(db: Database) -> None:
    def rollup(name: str) -> type[Model]:
        class Rollup(_Frozen):
            id = AutoField()
            ts = BigIntegerField()
            account = CharField()
            bucket = CharField()
            metric = CharField()
            count = IntegerField()
            sum = DoubleField()
            min = DoubleField()
            max = DoubleField()
            last = DoubleField()

            class Meta:
                table_name = name
                indexes = ((("account", "metric", "bucket", "ts"), True), (("ts",), False))

        return Rollup

    class SeriesKey(_Frozen):
        account = CharField()
        metric = CharField()
        bucket = CharField()

        class Meta:
            primary_key = CompositeKey("account", "metric", "bucket")

    class StoreState(_Frozen):
        key = CharField(primary_key=True)
        value = BigIntegerField()

    _create(db, [rollup("sample_hourly"), rollup("sample_daily"), SeriesKey, StoreState])
    # Rolling up and purging by age alone scan the table without this.
    db.execute_sql("CREATE INDEX IF NOT EXISTS sample_ts ON sample (ts)")
    # The series index gains the value: readings then never visit the table itself.
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS sample_account_metric_bucket_ts_value "
        "ON sample (account, metric, bucket, ts, value)"
    )
    db.execute_sql("DROP INDEX IF EXISTS sample_account_metric_bucket_ts")
    db.execute_sql(
        "INSERT INTO series_key (account, metric, bucket) "
        "SELECT DISTINCT account, metric, bucket FROM sample"
    )


def _v4_reports(db: Database) -> None:
    class Report(_Frozen):
        id = AutoField()
        account = CharField()
        kind = CharField()
        period_start = BigIntegerField()
        period_end = BigIntegerField()
        generated_at = BigIntegerField()
        format = CharField(default="json")
        body = TextField()

        class Meta:
            table_name = "report"
            indexes = ((("account", "kind", "period_start", "format"), True),)

    _create(db, [Report])


# The default rules as version 5 installs them, as literals: what a migration
# writes must not change when the code's defaults do (the store layer knows
# nothing of the alerts' code either).
_V5_RULE = {
    "scope": "*",
    "for": 0,
    "keep_firing_for": 0,
    "channels": [],
    "labels": {},
    "annotations": {},
    "missing_data": "keep",
    "enabled": True,
    "repeat_interval": None,
    "max_per_hour": None,
    "escalate_after": 0,
    "escalate_to": [],
    "escalate_severity": None,
    "responses": [],
}
_V5_RULES = (  # name, metric, "> threshold", severity
    ("High monthly cost", "monthly_cost_usd", 100.0, "high"),
    ("Daily cost spike", "daily_cost_increase_pct", 50.0, "medium"),
    ("High error rate", "error_rate_pct", 5.0, "high"),
    ("Slow responses", "avg_response_ms", 2000.0, "medium"),
    ("Quota nearly used", "quota_usage_pct", 80.0, "medium"),
    ("Large upload", "new_large_objects", 0.0, "low"),
    ("Failed access", "failed_access", 10.0, "high"),
)


def v5_rule_bodies() -> list[dict[str, object]]:
    """The bodies of the default rules migration 5 installs."""
    return [
        {
            **_V5_RULE,
            "name": name,
            "metric": metric,
            "comparison": ">",
            "threshold": threshold,
            "severity": severity,
        }
        for name, metric, threshold, severity in _V5_RULES
    ]


def _v5_alerts(db: Database) -> None:
    class AlertRule(_Frozen):
        id = AutoField()
        name = CharField()
        name_key = CharField(unique=True)
        body = TextField()
        created_at = BigIntegerField()
        updated_at = BigIntegerField()

    class AlertInstance(_Frozen):
        fingerprint = CharField(primary_key=True)
        rule = CharField(index=True)
        account = CharField()
        bucket = CharField()
        state = CharField(index=True)
        severity = CharField()
        value = DoubleField(null=True)
        threshold = DoubleField()
        pending_since = BigIntegerField(null=True)
        firing_since = BigIntegerField(null=True)
        resolved_at = BigIntegerField(null=True)
        last_eval_at = BigIntegerField()
        last_true_at = BigIntegerField(null=True)
        notified_at = BigIntegerField(null=True)
        firing_notified = BooleanField(default=False)
        escalated = BooleanField(default=False)
        channels = TextField(default="[]")

        class Meta:
            table_name = "alert_instance"

    class Silence(_Frozen):
        id = AutoField()
        matchers = TextField()
        starts_at = BigIntegerField()
        ends_at = BigIntegerField(index=True)
        comment = TextField()
        created_by = CharField()
        created_at = BigIntegerField()
        expire_on_resolve = BooleanField(default=False)

    class Notification(_Frozen):
        id = AutoField()
        created_at = BigIntegerField()
        channel = CharField()
        kind = CharField()
        rule = CharField(null=True)
        group_key = CharField()
        status = CharField()
        body = TextField()
        state = CharField(index=True)
        attempts = IntegerField(default=0)
        next_attempt_at = BigIntegerField()
        claimed_until = BigIntegerField(null=True)
        last_error = TextField(null=True)
        sent_at = BigIntegerField(null=True)

    tables = [AlertRule, AlertInstance, Silence, Notification]
    _create(db, tables)
    # The default rules, once: a user who deletes them keeps them deleted.
    now = int(time.time())
    with db.bind_ctx(tables):
        AlertRule.insert_many(
            [
                {
                    "name": body["name"],
                    "name_key": str(body["name"]).casefold(),
                    "body": json.dumps(body, sort_keys=True),
                    "created_at": now,
                    "updated_at": now,
                }
                for body in v5_rule_bodies()
            ]
        ).execute()


def _v6_storage_classes(db: Database) -> None:
    """Analytics stored before storage classes and byte sums were asked hold one
    class's row (or the larger) for a bucket holding both, and no IA requests or
    bytes. Forgetting how far each account's analytics are stored makes the next
    run query Cloudflare's 31 days again, whose windows then replace those rows
    (the older rows stay as they were, and the bill estimates their IA shares
    from the listings as before)."""

    class StoreState(_Frozen):
        key = CharField(primary_key=True)
        value = BigIntegerField()

    with db.bind_ctx([StoreState]):
        # Matched here, not by LIKE: "_" is a wildcard there, and account names are text.
        # peewee's stubs type a `.tuples()` query's rows as models.
        rows = cast("Iterable[tuple[str]]", StoreState.select(StoreState.key).tuples())
        keys = [k for (k,) in rows if k.startswith("analytics_to:")]
        if keys:
            StoreState.delete().where(StoreState.key.in_(keys)).execute()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "samples, events and job runs", _v1_series),
    Migration(2, "buckets and inventories", _v2_inventory),
    Migration(3, "hourly and daily rollups, store state", _v3_rollups),
    Migration(4, "reports", _v4_reports),
    Migration(5, "alert rules, alerts, silences, the notification outbox", _v5_alerts),
    Migration(6, "analytics queried again with storage classes and byte sums", _v6_storage_classes),
    Migration(7, "the collector lease", lambda db: _v7_collector_lease(db)),
    Migration(
        8, "the default rule for a sudden drop in stored objects", lambda db: _v8_drop_rule(db)
    ),
    Migration(9, "job runs name the process that opened them", lambda db: _v9_run_holder(db)),
    Migration(10, "bytes and objects per prefix in each inventory", lambda db: _v10_prefixes(db)),
    Migration(
        11,
        "every bucket's samples read by time, and the account's hourly means and p95s",
        lambda db: _v11_spreads(db),
    ),
    Migration(
        12,
        "automated responses queued with the firing that wants them",
        lambda db: _v12_response_runs(db),
    ),
    Migration(13, "job runs found by account and job", lambda db: _v13_job_run_indexes(db)),
)
LATEST = MIGRATIONS[-1].version
_PG_LOCK_KEY = 0x72327475  # "r2tu": one advisory lock for r2tui's migrations
_VERSION_TABLE = "schema_version"


class _SchemaVersion(Model):
    """The version table's columns; `_version_table` binds a subclass to a database."""

    version = IntegerField(primary_key=True)
    name = CharField()
    applied_at = BigIntegerField()


def _version_table(db: Database) -> type[_SchemaVersion]:
    """The version table, bound to `db` alone. A fresh class per call on purpose:
    `bind_ctx` on one shared class rebinds it for every thread, so two threads
    migrating through two connections would write through each other's connection
    (and wait on their own lock until "database is locked")."""

    class SchemaVersion(_SchemaVersion):
        class Meta:
            database = db
            table_name = _VERSION_TABLE

    return SchemaVersion


def _read_version(db: Database, table: type[_SchemaVersion]) -> int:
    if not db.table_exists(_VERSION_TABLE):
        return 0
    row: _SchemaVersion | None = table.select(table.version).order_by(table.version.desc()).first()
    return row.version if row else 0


def _refuse_newer(version: int) -> None:
    if version > LATEST:
        raise StoreTooNew(
            f"the store is at schema version {version}, newer than this r2tui "
            f"knows ({LATEST}): a newer r2tui has upgraded it; upgrade r2tui "
            "(every process on this store) or point it at another store"
        )


def current_version(db: Database) -> int:
    return _read_version(db, _version_table(db))


def check_version(db: Database) -> int:
    """The store's schema version, read without a lock (a read never waits on a
    writer); raises StoreTooNew for a store a newer r2tui has upgraded."""
    version = current_version(db)
    _refuse_newer(version)
    return version


def migrate(db: Database, target: int = LATEST) -> list[int]:
    """Bring the store to `target`; returns the versions applied now.

    A store already there is only read: no lock, no write, so opening it never
    waits behind (or fails behind) another process's write. Only a store that
    needs a step takes the migrations' lock, and reads its version again under it.
    An existing SQLite store is copied aside first (`backup_path`)."""
    table = _version_table(db)
    if db.table_exists(_VERSION_TABLE) and check_version(db) >= target:
        return []
    with _locked(db):
        # Under the lock: on PostgreSQL two concurrent CREATE TABLE IF NOT EXISTS
        # can both try to create the table and one fails on a unique index.
        db.create_tables([table], safe=True)
        version = _read_version(db, table)
        _refuse_newer(version)
        if 0 < version < target and isinstance(db, SqliteDatabase):
            _copy_aside(db, version)
    applied: list[int] = []
    for step in MIGRATIONS:
        if step.version > target:
            break
        with _locked(db):
            # Read again under the lock: another process may have migrated meanwhile.
            version = _read_version(db, table)
            _refuse_newer(version)
            if version >= step.version:
                continue
            step.apply(db)
            table.create(version=step.version, name=step.name, applied_at=int(time.time()))
            applied.append(step.version)
    return applied


def backup_path(path: str, version: int) -> Path:
    """Where a SQLite store at `version` is copied before the next version is
    applied: `<file>.before-v<version + 1>`."""
    return Path(f"{path}.before-v{version + 1}")


class BackupFailed(DatabaseError):
    """The copy made before a migration failed: nothing was migrated."""


def _copy_aside(db: SqliteDatabase, version: int) -> None:
    """Copy the SQLite file aside through SQLite's backup API (a file copy of a
    live WAL store can miss what is still in its -wal). Called under the
    migrations' lock, so no other process writes meanwhile: the copy is read
    through a connection of its own (the locked connection cannot be the backup's
    source; SQLite waits on itself)."""
    path = str(db.database)
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    dest = backup_path(path, version)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
        os.replace(partial, dest)
    except (sqlite3.Error, OSError) as exc:  # a full disk, a read-only folder
        with suppress(OSError):
            partial.unlink(missing_ok=True)
        raise BackupFailed(
            f"cannot copy the store to {dest} before migrating it: {exc}; "
            "free space there or back it up by hand, then open it again"
        ) from None
    log.info("store %s is at schema %s: copied to %s before migrating it", path, version, dest)


@contextmanager
def locked_transaction(db: Database, pg_key: int) -> Iterator[None]:
    """A transaction in which writers queue rather than race: IMMEDIATE on
    SQLite (else "database is locked"), an advisory lock `pg_key` held to the
    end of the transaction on PostgreSQL (else two writers that both read "not
    there yet" both insert)."""
    if isinstance(db, SqliteDatabase):
        with db.atomic("IMMEDIATE"):
            yield
        return
    with db.atomic():
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (pg_key,))
        yield


def _locked(db: Database) -> contextlib.AbstractContextManager[None]:
    """One transaction that no other r2tui migrates in at the same time."""
    return locked_transaction(db, _PG_LOCK_KEY)


def _v7_collector_lease(db: Database) -> None:
    """One row per account: which process collects it (store/lease.py)."""

    class CollectorLease(_Frozen):
        account = CharField(primary_key=True)
        host = CharField()
        pid = IntegerField()
        holder = CharField()  # the holding process's random id
        acquired_at = DoubleField()
        heartbeat_at = DoubleField()
        expires_at = DoubleField()
        activity = TextField(default="")  # what the holder is doing, for viewers
        run_requested_at = DoubleField(null=True)  # a viewer's "run now"

    _create(db, [CollectorLease])


# The default rule migration 8 installs, as a literal (see _V5_RULE): 20 % of a
# bucket's objects gone within an hour. "?*" is every bucket.
_V8_RULE: dict[str, object] = {
    **_V5_RULE,
    "name": "Objects dropped",
    "metric": "total_files",
    "comparison": "falls_by",
    "threshold": 20.0,
    "window": 3600,
    "change_in": "percent",
    "scope": "?*",
    "severity": "high",
}


def v8_rule_bodies() -> list[dict[str, object]]:
    """The bodies of the default rules migration 8 installs."""
    return [dict(_V8_RULE)]


def _v8_drop_rule(db: Database) -> None:
    """Once, and only where the user kept the defaults: every rule migration 5
    installed is still there (by name; their thresholds may have changed). A
    store whose defaults were deleted, even one of them, was told they never
    come back by themselves: a new one does not come either. A fresh store has
    them all (migration 5 just ran). A store that has a rule of the new one's
    name keeps it."""

    class AlertRule(_Frozen):
        id = AutoField()
        name = CharField()
        name_key = CharField(unique=True)
        body = TextField()
        created_at = BigIntegerField()
        updated_at = BigIntegerField()

    now = int(time.time())
    with db.bind_ctx([AlertRule]):
        keys = {str(b["name"]).casefold() for b in v5_rule_bodies()}
        kept = AlertRule.select().where(AlertRule.name_key.in_(sorted(keys))).count()
        if kept < len(keys):
            return
        for body in v8_rule_bodies():
            key = str(body["name"]).casefold()
            if AlertRule.get_or_none(AlertRule.name_key == key) is None:
                AlertRule.insert(
                    name=body["name"],
                    name_key=key,
                    body=json.dumps(body, sort_keys=True),
                    created_at=now,
                    updated_at=now,
                ).execute()


def _v9_run_holder(db: Database) -> None:
    """Each job run names the process that opened it by its random id
    (store/holder.py): a lease's taker closes its holder's runs by that id, not
    by host and pid, which a restarted container shares with its predecessor.
    Older runs keep "" and are matched by host and pid as before."""
    db.execute_sql("ALTER TABLE job_run ADD COLUMN holder VARCHAR(255) NOT NULL DEFAULT ''")


def _v10_prefixes(db: Database) -> None:
    """Each inventory keeps its bytes and objects per prefix (the row of prefix ""
    is the bucket's root: its totals, and the objects outside any prefix), and
    says how deep they were counted (0: not at all, as every inventory before
    this) and how many prefixes were left out of the rows. Deleted with their
    inventory; the daily series per prefix are samples, as every series."""

    class Inventory(_Frozen):
        id = AutoField()

    class InventoryPrefix(_Frozen):
        id = AutoField()
        inventory = ForeignKeyField(Inventory, on_delete="CASCADE")
        prefix = TextField()
        objects = BigIntegerField()
        bytes = BigIntegerField()
        files_objects = BigIntegerField()
        files_bytes = BigIntegerField()

    _create(db, [InventoryPrefix])
    db.execute_sql("ALTER TABLE inventory ADD COLUMN prefix_depth INTEGER NOT NULL DEFAULT 0")
    db.execute_sql("ALTER TABLE inventory ADD COLUMN prefixes_dropped BIGINT NOT NULL DEFAULT 0")


# The catalog's mean and p95 metrics and the series they read, as version 11
# knows them (literals: see _V5_RULE).
_V11_SPREADS = ("avg_response_ms", "p95_response_ms")
_V11_SERIES = ("probe_put_ms", "probe_get_ms", "probe_head_ms", "probe_delete_ms", "endpoint_ms")


def _v11_spreads(db: Database) -> None:
    """Two things a thousand buckets need.

    An index of the samples by (account, metric, ts) that carries the bucket and
    the value: every bucket's samples of a series in a time window are then one
    range of it, where the (account, metric, bucket, ts) index needs a seek per
    bucket.

    `spread_hourly`: per hour, each bucket's samples of a mean or p95 metric's
    series together, and every bucket's (bucket "*", the account's figure):
    their count, sum and nearest-rank 95th percentile (None where the hour's raw
    samples are not all kept). The rollup job keeps it; a chart reads a row an
    hour instead of a row per series (and for the account, per bucket) or every
    raw sample (the p95).

    Filled here with the counts and sums of the hourly rollups; the rollup
    watermark goes back to the raw horizon, so that the rollup job's next run
    ranks the p95 of the hours whose raw samples are kept (until then charts
    read those hours' raw samples, as before)."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS sample_account_metric_ts_bucket_value "
        "ON sample (account, metric, ts, bucket, value)"
    )

    class SpreadHourly(_Frozen):
        id = AutoField()
        account = CharField()
        bucket = CharField()
        metric = CharField()
        ts = BigIntegerField(index=True)
        count = IntegerField()
        sum = DoubleField()
        p95 = DoubleField(null=True)

        class Meta:
            table_name = "spread_hourly"
            indexes = ((("account", "metric", "bucket", "ts"), True),)

    _create(db, [SpreadHourly])
    p = db.param
    series = ", ".join([p] * len(_V11_SERIES))
    columns = "INSERT INTO spread_hourly (account, bucket, metric, ts, count, sum) "
    for metric in _V11_SPREADS:
        db.execute_sql(
            columns + f"SELECT account, bucket, {p}, ts, SUM(count), SUM(sum) FROM sample_hourly "
            f"WHERE metric IN ({series}) AND bucket <> {p} GROUP BY account, bucket, ts",
            (metric, *_V11_SERIES, "*"),
        )
        db.execute_sql(
            columns + f"SELECT account, {p}, {p}, ts, SUM(count), SUM(sum) FROM sample_hourly "
            f"WHERE metric IN ({series}) GROUP BY account, ts",
            ("*", metric, *_V11_SERIES),
        )
    marks = dict(
        db.execute_sql(
            f"SELECT key, value FROM store_state WHERE key IN ({p}, {p})",
            ("rollup_from", "raw_kept_from"),
        ).fetchall()
    )
    if "rollup_from" not in marks:
        return  # never rolled up: the first run ranks every hour
    kept = marks.get("raw_kept_from")
    if kept is None:
        (oldest,) = db.execute_sql("SELECT MIN(ts) FROM sample").fetchone()
        kept = marks["rollup_from"] if oldest is None else int(oldest) - int(oldest) % 3600
    if int(kept) < int(marks["rollup_from"]):
        db.execute_sql(
            f"UPDATE store_state SET value = {p} WHERE key = {p}", (int(kept), "rollup_from")
        )


def _v12_response_runs(db: Database) -> None:
    """The automated responses an alert's firing wants, queued in the same
    transaction as the firing (alerts/response_runs.py): whoever delivers runs
    them, once, even if the process that evaluated stopped before it could."""

    class ResponseRun(_Frozen):
        id = AutoField()
        created_at = BigIntegerField()
        account = CharField()
        rule = CharField()
        response = CharField()
        bucket = CharField()
        fingerprint = CharField()
        body = TextField()
        state = CharField(index=True)
        claimed_until = BigIntegerField(null=True)
        finished_at = BigIntegerField(null=True)
        outcome = TextField(null=True)

        class Meta:
            table_name = "response_run"

    _create(db, [ResponseRun])


def _v13_job_run_indexes(db: Database) -> None:
    """Job runs by (account, job, id) and by (account, ok, finished_at): the
    collector's state each pane refresh reads (each job's last run, the last
    success) is then a few seeks, where it was a walk of every run the
    retention keeps, of every account sharing the store."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS job_run_account_job_id ON job_run (account, job, id)"
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS job_run_account_ok_finished_at "
        "ON job_run (account, ok, finished_at)"
    )
