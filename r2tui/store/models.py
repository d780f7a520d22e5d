"""Peewee models for the current schema. Migrations keep their own frozen
copies; change a model here only together with a new migration.

Timestamps are integer seconds since the epoch (UTC): unambiguous, compact,
and indexable the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Sample(BaseModel):
    id = AutoField()
    ts = BigIntegerField()
    account = CharField()
    bucket = CharField()  # "*" for the account as a whole
    metric = CharField()
    value = DoubleField()

    class Meta:
        indexes = ((("account", "metric", "bucket", "ts"), False),)


class Event(BaseModel):
    id = AutoField()
    ts = BigIntegerField(index=True)
    account = CharField()
    bucket = CharField(null=True)
    kind = CharField()  # job, bucket, upload, error, ...
    level = CharField()  # info, warning, error
    message = TextField()
    data = TextField(null=True)  # JSON


class JobRun(BaseModel):
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


class Bucket(BaseModel):
    id = AutoField()
    account = CharField()
    name = CharField()
    first_seen = BigIntegerField()
    last_seen = BigIntegerField()
    vanished_at = BigIntegerField(null=True)

    class Meta:
        indexes = ((("account", "name"), True),)


class Inventory(BaseModel):
    id = AutoField()
    account = CharField()
    bucket = CharField()
    started_at = BigIntegerField()
    finished_at = BigIntegerField()
    objects = BigIntegerField()
    bytes = BigIntegerField()
    list_requests = IntegerField()
    other_extensions = BooleanField(default=False)  # some types folded into "(other)"

    class Meta:
        indexes = ((("account", "bucket", "finished_at"), False),)


class InventoryBreakdown(BaseModel):
    id = AutoField()
    inventory = ForeignKeyField(Inventory, on_delete="CASCADE", backref="breakdowns")
    dimension = CharField()  # "extension" or "storage_class"
    key = CharField()
    objects = BigIntegerField()
    bytes = BigIntegerField()


class InventoryObject(BaseModel):
    id = AutoField()
    inventory = ForeignKeyField(Inventory, on_delete="CASCADE", backref="objects_kept")
    kind = CharField()  # "largest", "newest" or "new_large"
    rank = IntegerField()
    key = TextField()
    size = BigIntegerField()
    last_modified = BigIntegerField()
    storage_class = CharField()


MODELS = (Sample, Event, JobRun, Bucket, Inventory, InventoryBreakdown,
          InventoryObject)
