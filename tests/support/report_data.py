"""A store with fixed, hand-checkable history for the report tests.

Every bucket's size is a whole number of 30 GB and changes by whole 30 GB a
day, so a day's storage is a whole number of GB-months (bytes / 30 days) and
the bills below need no rounding but the price list's own. Day i counts from
2026-09-01 (i = 0); Nov 28 is i = 88. Sizes in GB, one listing a day at noon:

    backups                2,100           (constant)
    media                  900 + 60 i
    logs                   60 + 30 i
    o'brien"s,bucket       600 + 90 i      (quotes and a comma: names come from outside)
    site                   30              (constant)
    fresh                  30, from Nov 28 on only

The account's total is 3,690 + 180 i GB (19,560 GB on Nov 28, with fresh), a
day's storage 123 + 6 i GB-months (652 on Nov 28). Objects: 2 per GB.

Analytics for the account on Nov 27 and Nov 28 only (per hour): requests 1,000
and 1,200, errors 10 and 6, uploads 200 and 300, downloads 700 and 800.

The cost job runs at Oct 31 18:00 and Nov 28 18:00 UTC (its 6-hourly cron);
the rollups are brought up to the time the reports are made.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from r2tui.jobs.base import JobContext
from r2tui.jobs.costs import calculate_costs
from r2tui.metrics import DAY, HOUR
from r2tui.store import Store, open_store, rollups, writes
from r2tui.store.writes import EventRow, SampleRow
from tests.support.configs import account_for, make_config

GB = 10**9
# The reports these inputs make, as recorded (R2TUI_UPDATE_GOLDEN=1 re-records them).
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "reports"
SEP1 = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp())
OCT1 = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
NOV1 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
NOV27 = int(datetime(2026, 11, 27, tzinfo=UTC).timestamp())
NOV28 = int(datetime(2026, 11, 28, tzinfo=UTC).timestamp())
NOV29 = int(datetime(2026, 11, 29, tzinfo=UTC).timestamp())
LAST_DAY = 88  # Nov 28
# When the report jobs run: just after midnight, as their cron says.
REPORT_NOW = NOV29 + 30
HOSTILE_BUCKET = "o'brien\"s,bucket"
ACCOUNT = "test"

SCRIPT = "<script>alert(1)</script>"
UPLOAD_KEY = "media/<img src=x onerror=alert(1)>.mp4"
FORMULA_KEY = '=HYPERLINK("http://evil","x")'


def gb(bucket: str, i: int) -> int | None:
    """The bucket's size on day i, in GB (None: it does not exist yet)."""
    return {
        "backups": 2100,
        "media": 900 + 60 * i,
        "logs": 60 + 30 * i,
        HOSTILE_BUCKET: 600 + 90 * i,
        "site": 30,
        "fresh": 30 if i >= LAST_DAY else None,
    }[bucket]


BUCKETS = ("backups", "fresh", "logs", "media", HOSTILE_BUCKET, "site")


def total_gb(i: int) -> int:
    return sum(v for b in BUCKETS if (v := gb(b, i)) is not None)


def gb_months(i: int) -> int:
    """The account's storage on day i, in GB-months (exact by construction)."""
    assert total_gb(i) % 30 == 0
    return total_gb(i) // 30


def fill(store: Store, account: str = ACCOUNT) -> None:
    for i in range(LAST_DAY + 1):
        noon = SEP1 + i * DAY + 12 * HOUR
        rows = []
        for b in BUCKETS:
            size = gb(b, i)
            if size is not None:
                rows += [
                    SampleRow("total_bytes", size * GB, b),
                    SampleRow("total_files", 2 * size, b),
                ]
        rows += [
            SampleRow("total_bytes", total_gb(i) * GB),
            SampleRow("total_files", 2 * total_gb(i)),
        ]
        writes.add_samples(store, account, rows, ts=noon)
    for day, (req, err, up, down) in ((NOV27, (1000, 10, 200, 700)), (NOV28, (1200, 6, 300, 800))):
        for h in range(24):
            writes.add_samples(
                store,
                account,
                [
                    SampleRow("requests", req),
                    SampleRow("error_requests", err),
                    SampleRow("upload_requests", up),
                    SampleRow("download_requests", down),
                ],
                ts=day + h * HOUR,
            )
    _events(store, account)
    # The rollup job runs every 15 minutes: history before its watermark is read
    # from the rollups, and the cost job lowers the watermark to the month's start.
    for at in (OCT1 + 30 * DAY + 18 * HOUR, NOV28 + 18 * HOUR):
        rollups.roll_up(store, at)
        run_costs(store, at, account)
    rollups.roll_up(store, REPORT_NOW)


def run_costs(store: Store, at: int, account: str = ACCOUNT) -> None:
    ctx = JobContext(
        config=make_config((account_for("http://127.0.0.1:9", name=account),)),
        store=store,
        clock=lambda: float(at),
    )
    calculate_costs(ctx, ctx.config.accounts[0])


def _events(store: Store, account: str) -> None:
    def add(ts: int, kind: str, level: str, message: str, bucket: str | None = None) -> None:
        writes.add_events(store, account, [EventRow(kind, level, message, bucket)], ts=ts)

    # On the period's first second: in the report.
    add(
        NOV28,
        "bucket",
        "info",
        f"found 6 buckets: backups, fresh, logs, media, {HOSTILE_BUCKET}, site",
    )
    add(
        NOV28 + 3 * HOUR,
        "alert",
        "warning",
        f"storage above 19 TB on {HOSTILE_BUCKET}: {SCRIPT} & 'more'",
        HOSTILE_BUCKET,
    )
    add(NOV28 + 5 * HOUR, "upload", "warning", f"large upload {UPLOAD_KEY} (9.0 GB)", "media")
    add(
        NOV28 + 6 * HOUR,
        "upload",
        "warning",
        f'large upload {FORMULA_KEY}, "quoted"\nsecond line (2.0 GB)',
        "logs",
    )
    # Routine: a successful job run is not a notable event; a failed one is.
    add(NOV28 + 7 * HOUR, "job", "info", "inventory: 6 of 6 buckets listed")
    add(NOV28 + 8 * HOUR, "job", "error", "inventory failed: endpoint timed out")
    # The next day's first second: not in Nov 28's report.
    add(NOV29, "alert", "warning", "after the period")
    # October: one event, no alert.
    add(OCT1 + 9 * DAY, "bucket", "info", "found 5 buckets")


_template: Path | None = None


def template() -> Path:
    """The filled store, made once a process (about 2 s); tests work on copies."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="r2tui-report-data-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        s = open_store(f"sqlite:///{path}")
        try:
            fill(s)
        finally:
            s.close()
        _template = path
    return _template


def store_copy(tmp_path: Path) -> Iterator[Store]:
    """A copy of the filled store, open, for a fixture to yield from."""
    path = tmp_path / "reports.db"
    shutil.copy(template(), path)
    s = open_store(f"sqlite:///{path}")
    try:
        yield s
    finally:
        s.close()
