"""The calculate_costs job against a synthetic month worked by hand, through a
real store (SQLite and PostgreSQL), the cost view and `status --json`.

The month (November 2026, 30 days; "now" is 11 November 12:00 UTC):
- bucket `media` stores 100 GB on days 1–5 and 400 GB from day 6 on (one
  sample a day, 00:30);
- it serves 100,000 Class A and 1,000,000 Class B requests a day on days
  1–10 (one hourly sample at 01:00) and, on day 11 so far, 60,000 and 500,000.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from r2tui.config import Config
from r2tui.costs.month import month_bounds
from r2tui.costs.view import costs_view
from r2tui.jobs.base import JobContext
from r2tui.jobs.costs import calculate_costs
from r2tui.metrics import ACCOUNT, DAY, HOUR
from r2tui.store import Store, writes
from r2tui.store.models import Event, Sample
from r2tui.store.writes import SampleRow
from tests.support.configs import account_for, make_config

GB = 1_000_000_000
NOV1 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
NOW = NOV1 + 10 * DAY + 12 * HOUR  # 11 November, 12:00 UTC


def _config() -> Config:
    return make_config((account_for("http://127.0.0.1:9", name="acme"),))


def fill_month(
    store: Store,
    bucket: str = "media",
    scale: float = 1.0,
    today_a: float = 60_000,
    today_b: float = 500_000,
) -> None:
    for day in range(11):  # 1..11 November
        t = NOV1 + day * DAY
        stored = (100 if day < 5 else 400) * GB * scale
        writes.add_samples(
            store, "acme", [SampleRow("stored_bytes", stored, bucket)], ts=t + 30 * 60
        )
        a, b = (100_000, 1_000_000) if day < 10 else (today_a, today_b)
        writes.add_samples(
            store,
            "acme",
            [
                SampleRow("class_a_requests", a * scale, bucket),
                SampleRow("class_b_requests", b * scale, bucket),
            ],
            ts=t + HOUR,
        )


def run(store: Store, config: Config | None = None, now: int = NOW) -> None:
    cfg = config or _config()
    out = calculate_costs(
        JobContext(config=cfg, store=store, clock=lambda: float(now)), cfg.accounts[0]
    )
    assert not out.errors


def test_month_bounds_cross_the_year() -> None:
    dec = int(datetime(2026, 12, 15, tzinfo=UTC).timestamp())
    start, end, before = month_bounds(dec)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 12, 1, tzinfo=UTC)
    assert datetime.fromtimestamp(end, UTC) == datetime(2027, 1, 1, tzinfo=UTC)
    assert datetime.fromtimestamp(before, UTC) == datetime(2026, 11, 1, tzinfo=UTC)
    jan = int(datetime(2027, 1, 2, tzinfo=UTC).timestamp())
    assert datetime.fromtimestamp(month_bounds(jan)[2], UTC) == datetime(2026, 12, 1, tzinfo=UTC)


def test_a_synthetic_month_to_the_cent(st: Store) -> None:
    fill_month(st)
    run(st)
    view = costs_view(st, "acme", NOW)
    # Storage: 5 days x 100 GB + 6 days x 400 GB = 2,900 GB-days / 30 = 96.67 GB-month;
    #   - 10 free = 86.67 → rounds up to 87 → 87 x $0.015 = $1.305.
    # Class A: 10 x 100,000 + 60,000 = 1,060,000 - 1,000,000 free = 60,000 → 1 million → $4.50.
    # Class B: 10 x 1,000,000 + 500,000 = 10,500,000 - 10,000,000 = 500,000 → 1 million → $0.36.
    # Month to date: 1.305 + 4.50 + 0.36 = $6.165 → $6.17 on the bill.
    assert view.month_to_date_usd == pytest.approx(6.165, abs=1e-9)
    lines = {line.item: line for line in view.lines}
    assert lines["standard_storage"].billable == 87
    assert lines["standard_storage"].usd == pytest.approx(1.305)
    assert lines["standard_class_a"].billable == 1_000_000
    assert lines["standard_class_b"].usd == pytest.approx(0.36)
    assert view.storage_usd == pytest.approx(1.305) and view.requests_usd == pytest.approx(4.86)
    # Daily average: $6.165 over the 11 days begun (the bill holds day 11's whole
    # storage already) = $0.5605 -> $0.56.
    assert view.daily_average_usd == pytest.approx(6.165 / 11)
    # Forecast: 19 more full days at 400 GB: 2,900 + 7,600 = 10,500 GB-days = 350 GB-month
    #   → 340 billable → $5.10.
    # Class A pace: the last 7 x 24 h windows held 60,000 and six of 100,000 → 94,285.71/day;
    #   19.5 days left → 1,060,000 + 1,838,571.43 = 2,898,571.43 → 1,898,571.43 over → 2 M → $9.00.
    # Class B pace: (500,000 + 6 x 1,000,000) / 7 = 928,571.43/day → 10,500,000 + 18,107,142.86
    #   = 28,607,142.86 → 18,607,142.86 over → 19 M → $6.84.
    # Forecast: 5.10 + 9.00 + 6.84 = $20.94.
    assert view.forecast_month_usd == pytest.approx(20.94, abs=1e-6)
    # Low: quietest day (60,000 A, 500,000 B), no growth: A 1,060,000 + 1,170,000 = 2,230,000
    #   → 2 M → $9.00; B 10,500,000 + 9,750,000 = 20,250,000 → 11 M → $3.96; 5.10 + 9 + 3.96.
    assert view.forecast_low_usd == pytest.approx(18.06, abs=1e-6)
    # High: busiest day (100,000 A, 1,000,000 B), storage growing (400 - 100) / 7 GB a day:
    #   7,600 + 42.857 x 19 x 20 / 2 = 15,742.86 GB-days → (2,900 + 15,742.86) / 30 = 621.43
    #   → 612 billable → $9.18; A 3,010,000 → 3 M → $13.50; B 30,000,000 → 20 M → $7.20.
    assert view.forecast_high_usd == pytest.approx(29.88, abs=1e-6)
    # What each day added to the bill sums to the month to date.
    assert sum(v for _, v in view.daily) == pytest.approx(6.165, abs=1e-5)
    assert [ts for ts, _ in view.daily] == [NOV1 + d * DAY for d in range(11)]
    # Day 4 is the first to leave the free storage: 13.33 GB-month → 4 billable → $0.06.
    assert dict(view.daily)[NOV1 + 3 * DAY] == pytest.approx(0.06)
    # Free tier: storage used up on day 3 (3 x 100 GB / 30 = exactly 10 GB-month), Class A
    # and B on day 10 (10 x 100,000 = 1,000,000 and 10 x 1,000,000 = 10,000,000).
    gauges = {g.item: g for g in view.free_tier}
    assert gauges["standard_storage"].runs_out_at == NOV1 + 2 * DAY
    assert gauges["standard_class_b"].runs_out_at == NOV1 + 9 * DAY
    assert gauges["standard_class_a"].runs_out_at == NOV1 + 9 * DAY
    assert gauges["standard_class_a"].used_pct == pytest.approx(106.0)
    # One bucket: its share is the whole bill, in cents as on the invoice.
    assert [(b.name, b.month_to_date_usd) for b in view.buckets] == [("media", 6.17)]
    # The store has no October: no comparison is invented.
    assert view.last_month_usd is None and view.change_pct is None
    assert view.requests_known


def test_the_last_24_hours_against_the_baseline(st: Store) -> None:
    fill_month(st)
    run(st)
    view = costs_view(st, "acme", NOW)
    # Last 24 h: 400 GB / 30 x $0.015 = $0.20; 60,000 x $4.50/M = $0.27; 500,000 x $0.36/M
    # = $0.18 → $0.65. The 7 days before (24 h windows ending at noon, each costed at the
    # storage of the day it ends in): five ending 6–10 Nov at 0.20 + 0.45 + 0.36 = $1.01 and
    # two ending 4 and 5 Nov (100 GB) at 0.05 + 0.45 + 0.36 = $0.86 → 6.77 / 7 = $0.967143.
    assert view.today_usd == pytest.approx(0.65)
    assert view.increase_pct == pytest.approx(100 * (0.65 - 6.77 / 7) / (6.77 / 7))
    assert not Event.select().where(Event.kind == "cost").exists()


def test_a_spike_is_an_event_once_a_day(st: Store) -> None:
    fill_month(st, today_a=1_000_000)
    run(st)
    run(st, now=NOW + HOUR)
    # Today: 0.20 + 1,000,000 x $4.50/M + 0.18 = $4.88 against $0.967143: +405 %, $3.91 more.
    events = list(Event.select().where(Event.kind == "cost"))
    assert len(events) == 1
    assert "+405 %" in events[0].message and "$4.88" in events[0].message
    assert costs_view(st, "acme", NOW).increase_pct == pytest.approx(
        100 * (4.88 - 6.77 / 7) / (6.77 / 7)
    )


def test_cents_never_page_anyone(st: Store) -> None:
    # A thousandth of the traffic and storage: still +405 %, but only $0.0039 more.
    fill_month(st, scale=0.001, today_a=1_000_000)
    run(st)
    assert costs_view(st, "acme", NOW).increase_pct == pytest.approx(404.58, abs=0.01)
    assert not Event.select().where(Event.kind == "cost").exists()


def test_bucket_shares_add_up_to_the_account(st: Store) -> None:
    fill_month(st, "media")
    fill_month(st, "logs", scale=0.5)
    run(st)
    view = costs_view(st, "acme", NOW)
    assert sorted(b.name for b in view.buckets) == ["logs", "media"]
    # In cents that add up to the account's bill rounded to the cent.
    assert sum(b.month_to_date_usd for b in view.buckets) == pytest.approx(
        round(view.month_to_date_usd + 1e-9, 2), abs=1e-9
    )
    media, logs = (next(b for b in view.buckets if b.name == n) for n in ("media", "logs"))
    # Every line is shared by usage, and media uses twice what logs does.
    # Shares are rounded to cents that add up to the account's: within a cent of it.
    assert media.month_to_date_usd == pytest.approx(2 * logs.month_to_date_usd, abs=0.015)


def test_storage_only_without_request_counts(st: Store) -> None:
    for day in range(11):
        writes.add_samples(
            st, "acme", [SampleRow("total_bytes", 50 * GB, "media")], ts=NOV1 + day * DAY + 3 * HOUR
        )
    run(st)
    view = costs_view(st, "acme", NOW)
    # 11 days x 50 GB = 550 GB-days / 30 = 18.33 GB-month → 8.33 over → 9 → $0.135.
    assert view.month_to_date_usd == pytest.approx(0.135)
    assert not view.requests_known


def test_a_listing_stored_the_same_second_counts(st: Store) -> None:
    # `collect --once` costs the month the moment the listing stores it: the sample's
    # second is "now", and it is part of the month.
    writes.add_samples(st, "acme", [SampleRow("total_bytes", 400 * GB, "media")], ts=NOW)
    run(st)
    # One day of 400 GB = 400 GB-days / 30 = 13.33 GB-month → 3.33 over → 4 → $0.06.
    assert costs_view(st, "acme", NOW).month_to_date_usd == pytest.approx(0.06)


def test_configured_prices_apply(st: Store) -> None:
    fill_month(st)
    base = _config()
    cfg = Config(
        **{
            **base.__dict__,
            "pricing": base.pricing.overridden({"standard_class_a_per_million": 3}, "negotiated"),
        }
    )
    run(st, cfg)
    # Class A now bills 1 M x $3.00 instead of $4.50: 6.165 - 1.50 = $4.665.
    assert costs_view(st, "acme", NOW, cfg.pricing).month_to_date_usd == pytest.approx(4.665)


def test_a_rerun_replaces_the_daily_series(st: Store) -> None:
    fill_month(st)
    run(st)
    run(st, now=NOW + 60)
    days = (
        Sample.select().where(Sample.metric == "daily_cost_usd", Sample.bucket == ACCOUNT).count()
    )
    assert days == 11


def _listed(
    store: Store, bucket: str, objects: int, ia_bytes: float, std_bytes: float = 0.0
) -> None:
    """A listing that says how much of the bucket is Infrequent Access."""
    from r2tui.observations import BucketInventory, Tally

    classes = {}
    if ia_bytes:
        classes["STANDARD_IA"] = Tally(objects, int(ia_bytes))
    if std_bytes:
        classes["STANDARD"] = Tally(objects, int(std_bytes))
    writes.save_inventory(
        store,
        "acme",
        BucketInventory(
            bucket=bucket,
            started_at=NOV1,
            finished_at=NOV1 + 60,
            objects=objects,
            bytes=int(ia_bytes + std_bytes),
            by_extension={},
            by_storage_class=classes,
            largest=[],
            newest=[],
            new_large=[],
            new_large_count=0,
            list_requests=1,
        ),
    )


def _stored(store: Store, bucket: str, per_day: list[float]) -> None:
    for day, value in enumerate(per_day):
        writes.add_samples(
            store, "acme", [SampleRow("stored_bytes", value, bucket)], ts=NOV1 + day * DAY + 30 * 60
        )


def test_cold_data_would_be_cheaper_in_infrequent_access(st: Store) -> None:
    _stored(st, "cold", [2000 * GB] * 11)
    run(st)
    view = costs_view(st, "acme", NOW)
    # The month at this pace: 2,000 GB for 30 days = 2,000 GB-month, no requests.
    # Standard: (2,000 - 10) x $0.015 = $29.85. IA: 2,000 x $0.01 = $20.00. Saving $9.85.
    assert view.buckets[0].ia_saving_usd == pytest.approx(9.85)
    (rec,) = [r for r in view.recommendations if r.kind == "infrequent_access"]
    assert rec.bucket == "cold" and rec.saving_usd == pytest.approx(9.85)
    assert "cold" in rec.text


def test_busy_infrequent_access_data_would_be_cheaper_in_standard(st: Store) -> None:
    _listed(st, "hot", 1000, ia_bytes=100 * GB)  # all IA, 100 MB an object
    _stored(st, "hot", [100 * GB] * 11)
    for day in range(11):
        writes.add_samples(
            st,
            "acme",
            [
                SampleRow("class_b_requests", 100_000, "hot"),
                SampleRow("download_requests", 100_000, "hot"),
            ],
            ts=NOV1 + day * DAY + HOUR,
        )
    run(st)
    view = costs_view(st, "acme", NOW)
    # Month to date in IA: 100 GB x 11 days / 30 = 36.67 GB-month -> 37 x $0.01 = $0.37;
    # 1,100,000 Class B -> 2 M x $0.90 = $1.80; 1,100,000 GETs x 0.1 GB = 110,000 GB
    # retrieved x $0.01 = $1,100.00. Total $1,102.17.
    assert view.month_to_date_usd == pytest.approx(1102.17)
    assert view.retrieval_usd == pytest.approx(1100.0)
    # The month at pace: 100 GB-month; 1,100,000 + 100,000 x 19.5 = 3,050,000 GETs.
    # IA: $1.00 + 4 M x $0.90 + 305,000 GB x $0.01 = $3,054.60.
    # Standard: (100 - 10) x $0.015 = $1.35, the GETs inside the free 10 M. Saving $3,053.25.
    (b,) = view.buckets
    assert b.standard_saving_usd == pytest.approx(3053.25)
    assert b.ia_saving_usd is None  # nothing in Standard to move
    assert view.recommendations[0].kind == "standard"


def test_the_infrequent_access_minimum_charges_early_deletes(st: Store) -> None:
    _listed(st, "scratch", 10, ia_bytes=300 * GB)
    # Nothing on 1 November; 300 GB from the 2nd to the 5th; deleted on the 6th.
    _stored(st, "scratch", [0.0] + [300 * GB] * 4 + [0.0] * 6)
    run(st)
    (line,) = [x for x in costs_view(st, "acme", NOW).lines if x.item == "ia_storage"]
    # Stored 4 days (1,200 GB-days), deleted at 4 days old: 26 more days are charged
    # (7,800 GB-days). 9,000 GB-days / 30 = 300 GB-month x $0.01 = $3.00, as if kept 30 days.
    assert line.usage == pytest.approx(300.0)
    assert line.usd == pytest.approx(3.00)


def test_unfinished_uploads_and_the_monitors_own_spend_are_advice(st: Store) -> None:
    _stored(st, "media", [50 * GB] * 11)
    writes.add_samples(st, "acme", [SampleRow("pending_uploads", 7, "media")], ts=NOW - HOUR)
    writes.add_samples(st, "acme", [SampleRow("monitor_class_a_ops", 20_000)], ts=NOW - DAY)
    run(st)
    view = costs_view(st, "acme", NOW)
    kinds = {r.kind: r for r in view.recommendations}
    assert "7 unfinished multipart uploads" in kinds["pending_uploads"].text
    # 20,000 Class A at $4.50/M = $0.09 against a month to date of $0.135 (storage only).
    assert view.monitor_month_usd == pytest.approx(0.09)
    assert "67 % of the bill" in kinds["monitor"].text


def test_a_rerun_rewrites_only_from_the_first_changed_day(st: Store) -> None:
    from r2tui.store import rollups, state

    fill_month(st)
    run(st)
    rollups.roll_up(st, NOW)
    mark = state.get(st, state.ROLLUP_FROM)
    assert mark is not None and mark > NOV1 + 10 * DAY
    run(st, now=NOW + 60)  # nothing new: the past stays, the rollup is not sent back
    assert state.get(st, state.ROLLUP_FROM) == mark
    assert costs_view(st, "acme", NOW + 60).month_to_date_usd == pytest.approx(6.165)
    writes.add_samples(
        st, "acme", [SampleRow("class_a_requests", 1_000_000, "media")], ts=NOW - 5 * HOUR
    )
    run(st, now=NOW + 120)  # today changed: rewritten from today on
    assert state.get(st, state.ROLLUP_FROM) == NOV1 + 10 * DAY
    # 2,060,000 Class A now: a second billed million, $4.50 more, all of it today's.
    view = costs_view(st, "acme", NOW + 120)
    assert view.month_to_date_usd == pytest.approx(10.665)
    # Day 11 added: storage 2,500 -> 2,900 GB-days, billable 74 -> 87 GB-month = $0.195;
    # Class A from 1,000,000 (all free) to 2,060,000 = 2 M = $9.00; Class B 1 M = $0.36.
    assert dict(view.daily)[NOV1 + 10 * DAY] == pytest.approx(0.195 + 9.00 + 0.36)


def test_the_month_survives_the_raw_purge(st: Store) -> None:
    from r2tui.config.model import Retention
    from r2tui.store import rollups, state

    fill_month(st)
    run(st)
    rollups.roll_up(st, NOW)
    rollups.purge(st, Retention(samples_days=3), NOW)  # raw samples before 8 Nov go
    run(st, now=NOW + 60)
    view = costs_view(st, "acme", NOW + 60)
    # The month's first days come from the rollups, the same figures as before the purge.
    assert [ts for ts, _ in view.daily] == [NOV1 + d * DAY for d in range(11)]
    assert sum(v for _, v in view.daily) == pytest.approx(6.165, abs=1e-5)
    assert view.month_to_date_usd == pytest.approx(6.165)
    # ...and the job does not write the purged days again for the next purge to drop.
    kept = state.get(st, rollups.RAW_KEPT_FROM)
    assert kept is not None and state.get(st, state.ROLLUP_FROM) >= kept
