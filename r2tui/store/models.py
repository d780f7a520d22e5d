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
    CompositeKey,
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
    ts = BigIntegerField(index=True)
    account = CharField()
    bucket = CharField()  # "*" for the account as a whole
    metric = CharField()
    value = DoubleField()

    class Meta:
        # Covering: the readings behind every pane refresh never touch the table.
        # By bucket: one series over time; by time: every bucket's samples of a
        # series in a window, one range of the index.
        indexes = (
            (("account", "metric", "bucket", "ts", "value"), False),
            (("account", "metric", "ts", "bucket", "value"), False),
        )


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
    holder = CharField(default="")  # the opening process's random id (store/holder.py)

    class Meta:
        # Each job's last run and the last success, per account, in a few seeks.
        indexes = (
            (("account", "job", "id"), False),
            (("account", "ok", "finished_at"), False),
        )


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
    prefix_depth = IntegerField(default=0)  # how deep prefixes were counted; 0: not counted
    prefixes_dropped = BigIntegerField(default=0)  # prefixes beyond the cap, not in the rows

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


class InventoryPrefix(BaseModel):
    """A prefix's totals in one inventory (sources/listing/prefixes.py); the row of
    prefix "" is the bucket's root, whose files are the objects outside any prefix."""

    id = AutoField()
    inventory = ForeignKeyField(Inventory, on_delete="CASCADE", backref="prefixes")
    prefix = TextField()
    objects = BigIntegerField()
    bytes = BigIntegerField()
    files_objects = BigIntegerField()  # directly in it (at the deepest level: all below)
    files_bytes = BigIntegerField()


class _Rollup(BaseModel):
    """One metric's samples over an hour or a day (ts is the period's start)."""

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


class SampleHourly(_Rollup):
    ts = BigIntegerField(index=True)

    class Meta:
        indexes = ((("account", "metric", "bucket", "ts"), True),)


class SampleDaily(_Rollup):
    ts = BigIntegerField(index=True)

    class Meta:
        indexes = ((("account", "metric", "bucket", "ts"), True),)


class SpreadHourly(BaseModel):
    """A mean or p95 metric per hour: each bucket's samples of the metric's
    series together, and every bucket's (bucket "*": the account's figure), as
    the rollup job counted, summed and ranked them. `p95` is None where the
    hour's raw samples were not all kept."""

    id = AutoField()
    account = CharField()
    bucket = CharField()  # "*": every bucket's samples, the account's own included
    metric = CharField()  # the catalog metric: avg_response_ms, p95_response_ms
    ts = BigIntegerField(index=True)  # the hour's start
    count = IntegerField()
    sum = DoubleField()
    p95 = DoubleField(null=True)

    class Meta:
        table_name = "spread_hourly"
        indexes = ((("account", "metric", "bucket", "ts"), True),)


class SeriesKey(BaseModel):
    """Every (account, metric, bucket) that has samples. A reading looks its
    buckets up here: finding them in the samples means walking every sample of
    the metric."""

    account = CharField()
    metric = CharField()
    bucket = CharField()

    class Meta:
        primary_key = CompositeKey("account", "metric", "bucket")


class StoreState(BaseModel):
    """Small named values the jobs keep between runs (watermarks)."""

    key = CharField(primary_key=True)
    value = BigIntegerField()


class StoredReport(BaseModel):
    """A daily or monthly report as the job made it (the JSON rendering): the
    other formats are rendered from it again, so one copy serves them all."""

    id = AutoField()
    account = CharField()
    kind = CharField()  # "daily" or "monthly"
    period_start = BigIntegerField()
    period_end = BigIntegerField()
    generated_at = BigIntegerField()
    format = CharField(default="json")
    body = TextField()

    class Meta:
        table_name = "report"
        # One report per account, kind, period and format: a re-run replaces it.
        indexes = ((("account", "kind", "period_start", "format"), True),)


class AlertRule(BaseModel):
    """An alert rule as `r2tui.alerts.rules.rule_to_dict` writes it (JSON): the
    rule module alone decides what a valid rule is."""

    id = AutoField()
    name = CharField()
    name_key = CharField(unique=True)  # casefolded: names are unique whatever their case
    body = TextField()
    created_at = BigIntegerField()
    updated_at = BigIntegerField()


class AlertInstance(BaseModel):
    """One rule on one bucket (or the account) of one account: its state now."""

    fingerprint = CharField(primary_key=True)
    rule = CharField(index=True)
    account = CharField()
    bucket = CharField()
    state = CharField(index=True)  # inactive, pending, firing, resolved
    severity = CharField()
    value = DoubleField(null=True)
    threshold = DoubleField()
    pending_since = BigIntegerField(null=True)
    firing_since = BigIntegerField(null=True)
    resolved_at = BigIntegerField(null=True)
    last_eval_at = BigIntegerField()
    last_true_at = BigIntegerField(null=True)  # the condition last held (keep-firing)
    notified_at = BigIntegerField(null=True)  # the last firing notice queued
    firing_notified = BooleanField(default=False)  # a resolved notice may follow
    escalated = BooleanField(default=False)
    channels = TextField(default="[]")  # JSON: where the firing notice went

    class Meta:
        table_name = "alert_instance"


class Silence(BaseModel):
    id = AutoField()
    matchers = TextField()  # JSON list of [label, op, value]
    starts_at = BigIntegerField()
    ends_at = BigIntegerField(index=True)
    comment = TextField()
    created_by = CharField()
    created_at = BigIntegerField()
    expire_on_resolve = BooleanField(default=False)


class Notification(BaseModel):
    """The durable outbox: written before it is sent, sent until it is marked."""

    id = AutoField()
    created_at = BigIntegerField()
    channel = CharField()
    kind = CharField()  # alert, test, summary, response
    rule = CharField(null=True)
    group_key = CharField()
    status = CharField()  # firing or resolved
    body = TextField()  # JSON: what the channel renders
    state = CharField(index=True)  # pending, sent, dead, held
    attempts = IntegerField(default=0)
    next_attempt_at = BigIntegerField()
    claimed_until = BigIntegerField(null=True)  # a sender's lease
    last_error = TextField(null=True)
    sent_at = BigIntegerField(null=True)


class ResponseRun(BaseModel):
    """An automated response due because an alert fired (alerts/response_runs.py):
    queued with the firing, claimed before it runs, run at most once."""

    id = AutoField()
    created_at = BigIntegerField()
    account = CharField()
    rule = CharField()
    response = CharField()  # its name in the config's [responses]
    bucket = CharField()
    fingerprint = CharField()
    body = TextField()  # JSON: the alert as the response gets it
    state = CharField(index=True)  # pending, running, ran, failed, unknown
    claimed_until = BigIntegerField(null=True)  # the runner's claim, on the database's clock
    finished_at = BigIntegerField(null=True)
    outcome = TextField(null=True)  # responses.py's safe one line

    class Meta:
        table_name = "response_run"


MODELS = (
    Sample,
    Event,
    JobRun,
    Bucket,
    Inventory,
    InventoryBreakdown,
    InventoryObject,
    InventoryPrefix,
    SampleHourly,
    SampleDaily,
    SpreadHourly,
    SeriesKey,
    StoreState,
    StoredReport,
    AlertRule,
    AlertInstance,
    Silence,
    Notification,
    ResponseRun,
)


class CollectorLease(BaseModel):
    """Which process collects an account (store/lease.py). Its times are float
    seconds: a lease of a few seconds needs better than whole ones."""

    account = CharField(primary_key=True)
    host = CharField()
    pid = IntegerField()
    holder = CharField()
    acquired_at = DoubleField()
    heartbeat_at = DoubleField()
    expires_at = DoubleField()
    activity = TextField(default="")
    run_requested_at = DoubleField(null=True)
