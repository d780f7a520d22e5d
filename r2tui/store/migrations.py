"""Ordered schema migrations with a recorded version.

Each step declares frozen copies of the tables it creates, so a later change
to `models.py` never rewrites history. Steps run one transaction each, under a
lock, so a TUI and a collector starting together never both migrate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    Database,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    SqliteDatabase,
    TextField,
)


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


def _create(db: Database, models: list[type[Model]]) -> None:
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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "samples, events and job runs", _v1_series),
    Migration(2, "buckets and inventories", _v2_inventory),
)
LATEST = MIGRATIONS[-1].version
_PG_LOCK_KEY = 0x72327475  # "r2tu": one advisory lock for r2tui's migrations


class _Version(Model):
    version = IntegerField(primary_key=True)
    name = CharField()
    applied_at = BigIntegerField()

    class Meta:
        table_name = "schema_version"


def current_version(db: Database) -> int:
    with _Version.bind_ctx(db):
        if not _Version.table_exists():
            return 0
        row = _Version.select(_Version.version).order_by(_Version.version.desc()).first()
        return row.version if row else 0


def migrate(db: Database, target: int = LATEST) -> list[int]:
    """Bring the store to `target`; returns the versions applied now."""
    applied: list[int] = []
    with _Version.bind_ctx(db):
        db.create_tables([_Version], safe=True)
        for step in MIGRATIONS:
            if step.version > target:
                break
            with _locked(db):
                version = current_version(db)
                if version > LATEST:
                    raise StoreTooNew(
                        f"the store is at schema version {version}, newer than this r2tui "
                        f"knows ({LATEST}); upgrade r2tui or point it at another store")
                if version >= step.version:
                    continue
                step.apply(db)
                _Version.create(version=step.version, name=step.name,
                                applied_at=int(time.time()))
                applied.append(step.version)
    return applied


def _locked(db: Database):  # type: ignore[no-untyped-def]
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    tx = db.atomic()
    if isinstance(db, PostgresqlDatabase):
        class _Ctx:
            def __enter__(self) -> None:
                tx.__enter__()
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))

            def __exit__(self, *exc: object) -> None:
                tx.__exit__(*exc)
        return _Ctx()
    return tx
