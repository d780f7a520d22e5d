"""Pilot and snapshot tests of the Cost pane over a real store and a real
calculate_costs run.

The month: tui_data's three buckets (media, backups, site, with their
listings), and analytics-shaped samples for every UTC day from 1 February to
14 March 2026 (tui_data.NOW, 15:00): each bucket's stored bytes once a day and
its requests once a day, with a weekly rhythm so the daily chart has a shape.
February is complete, so last month's bill is known. The job runs at NOW, and
the app's clock is frozen there too, so every figure is fixed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, Sparkline, Static

from r2tui import dashboard
from r2tui.config import Config, ProbeSettings
from r2tui.costs.probes import account_plan
from r2tui.jobs.base import JobContext
from r2tui.jobs.costs import calculate_costs
from r2tui.metrics import DAY, HOUR
from r2tui.store import Store, writes
from r2tui.store.views import CostsView
from r2tui.store.writes import SampleRow
from r2tui.tui.app import R2App, build_app
from r2tui.tui.format import usd
from r2tui.tui.panes.base import Note
from r2tui.tui.panes.cost import RUN_NOW, WIDE, CostPane
from r2tui.tui.panes.views import CostPaneView
from r2tui.tui.widgets.cost_charts import (
    DayAxis,
    Figures,
    FreeTierGauges,
    day_label,
    short_amount,
)
from r2tui.tui.widgets.table import FilterTable
from tests.support.configs import account_for, make_config
from tests.support.tui import SIZE, rows, settle, wait_for
from tests.support.tui_data import NOW

GB = 10**9
FEB1 = int(datetime(2026, 2, 1, tzinfo=UTC).timestamp())
MAR1 = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
# bucket → (stored GB, Class A, Class B, GETs) on an ordinary day.
DAILY = {
    "media": (300.0, 15_000, 400_000, 30_000),
    "backups": (421.0, 2_000, 500, 5),
    "site": (0.0035, 100, 200_000, 200_000),
}
RHYTHM = (1.0, 1.1, 0.9, 1.3, 0.8, 0.7, 1.2)  # by day of the month, so bars differ


def config() -> Config:
    return make_config((account_for("http://127.0.0.1:9", quota_bytes=1000 * GB),))


# The share of each bucket's bytes and requests in Infrequent Access, when the
# analytics say the storage class (`classes=True`).
IA_SHARE = {"media": 0.25, "backups": 1.0, "site": 0.0}


def write_month(store: Store, requests: bool = True, classes: bool = False) -> None:
    """Samples as the analytics job stores them, one set a day per bucket; by
    default as a store written before storage classes were asked (no per-class
    series: the bill estimates them from the listings)."""
    for day in range(int((NOW - FEB1) // DAY) + 1):
        t = FEB1 + day * DAY
        f = RHYTHM[day % len(RHYTHM)]
        for bucket, (stored, a, b, gets) in DAILY.items():
            # Storage grows a little through the month: the high forecast sees it.
            level = round(stored * GB * (1 + day / 400))
            ia = round(level * IA_SHARE[bucket])
            writes.add_samples(
                store,
                "test",
                [SampleRow("stored_bytes", level, bucket)]
                + (
                    [
                        SampleRow("stored_standard_bytes", level - ia, bucket),
                        SampleRow("stored_ia_bytes", ia, bucket),
                    ]
                    if classes
                    else []
                ),
                ts=t + 30 * 60,
            )
            if requests:
                counts = (round(a * f), round(b * f), round(gets * f))
                writes.add_samples(
                    store,
                    "test",
                    [
                        SampleRow("class_a_requests", counts[0], bucket),
                        SampleRow("class_b_requests", counts[1], bucket),
                        SampleRow("download_requests", counts[2], bucket),
                    ]
                    + (
                        [
                            SampleRow("classified_requests", sum(counts), bucket),
                            SampleRow(
                                "ia_class_a_requests", round(counts[0] * IA_SHARE[bucket]), bucket
                            ),
                            SampleRow(
                                "ia_class_b_requests", round(counts[1] * IA_SHARE[bucket]), bucket
                            ),
                            SampleRow(
                                "ia_retrieval_bytes",
                                round(counts[2] * IA_SHARE[bucket]) * 1_000_000,
                                bucket,
                            ),
                        ]
                        if classes
                        else []
                    ),
                    ts=t + HOUR,
                )


def calculate(store: Store) -> None:
    cfg = config()
    out = calculate_costs(JobContext(config=cfg, store=store, clock=lambda: NOW), cfg.accounts[0])
    assert not out.errors


@pytest.fixture
def costed(filled: Store) -> Store:
    write_month(filled)
    calculate(filled)
    return filled


@pytest.fixture
def measured(filled: Store) -> Store:
    write_month(filled, classes=True)
    calculate(filled)
    return filled


@pytest.fixture
def storage_only(filled: Store) -> Store:
    write_month(filled, requests=False)
    calculate(filled)
    return filled


def make_app(store: Store) -> R2App:
    return build_app(config(), store, clock=lambda: NOW, collect=False)


def text(app: R2App, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def summary(app: R2App) -> list[str]:
    return str(app.query_one("#cost-summary", Figures).render()).splitlines()


LABEL = Figures.LABEL


def costs(app: R2App) -> CostsView:
    assert app.dashboard is not None and app.dashboard.costs is not None
    return app.dashboard.costs


def laid_out(app: R2App) -> bool:
    """The pane's layout follows its width: a zoom resizes the pane, the resize
    sets -wide, and only then does the summary move beside the chart."""
    pane = app.query_one(CostPane)
    summary, side = app.query_one("#cost-summary"), app.query_one("#cost-side")
    if not app.query_one("#cost-data").display:
        return True
    return (
        pane.has_class("-wide")
        == (pane.size.width >= WIDE)
        == (summary.region.y == side.region.y and summary.region.x < side.region.x)
    )


async def _zoom_cost(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("2", "z")
    await wait_for(pilot, lambda: pilot.app.screen.maximized is not None)
    try:
        await wait_for(pilot, lambda: laid_out(pilot.app), timeout=3)
    except AssertionError:
        app = pilot.app
        pane = app.query_one(CostPane)
        print(
            "DBG",
            pane.classes,
            pane.size,
            app.query_one("#cost-summary").region,
            app.query_one("#cost-side").region,
            app.query_one("#cost-top").styles.layout,
            app.query_one("#cost-top").region,
        )
        raise
    await settle(pilot)


async def _main_screen(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await wait_for(pilot, lambda: laid_out(pilot.app))
    await settle(pilot)  # every table sized again after the pane's layout settled


# ---- with a calculated month ----------------------------------------------------------
async def test_the_month_reads_as_the_view_says(costed: Store) -> None:
    app = make_app(costed)
    async with app.run_test(size=SIZE) as pilot:
        await _zoom_cost(pilot)  # wide: the long labels, a row a line
        view = costs(app)
        assert view.has_data and view.requests_known and view.month_start == MAR1
        assert not app.query_one("#cost-note").display
        assert not app.query_one("#cost-storage-only").display
        lines = summary(app)
        mtd = f"{'Month to date':<{LABEL}}{usd(view.month_to_date_usd)}"
        assert lines[0] == mtd and view.month_to_date_usd > 1
        assert lines[1] == f"{'Daily average':<{LABEL}}{usd(view.daily_average_usd)}"
        assert lines[2] == f"{'Forecast':<{LABEL}}{usd(view.forecast_month_usd)}"
        assert lines[3] == (
            f"{'  range':<{LABEL}}{usd(view.forecast_low_usd)}–{usd(view.forecast_high_usd)}"
        )
        # February was seen from its first day: the change against it is shown.
        assert view.last_month_usd is not None and view.change_pct is not None
        vs = next(line for line in lines if line.startswith("vs last month"))
        assert f"{abs(view.change_pct):.1f}%" in vs and usd(view.last_month_usd) in vs
        # A store written before storage classes were asked: every IA share is the
        # listing's, so each charge is marked as estimated.
        for label, amount in (
            ("Storage", view.storage_usd),
            ("Requests", view.requests_usd),
            ("Retrieval", view.retrieval_usd),
        ):
            line = next(x for x in lines if x.startswith(label))
            share = f"{100 * amount / view.month_to_date_usd:.0f} %"
            assert line == f"{label:<{LABEL}}~{usd(amount)}  {share}"
        footer = text(app, "#cost-footer").splitlines()
        assert footer[:3] == [
            "~ Storage estimated: split by the last listing's IA share of bytes",
            "~ Requests estimated: split by the last listing's IA share of objects",
            "~ Retrieval estimated: GETs x the last listing's IA share x its mean object size",
        ]
        # The buckets, dearest first (the To date ▼ header), summing to the month.
        table = rows(app, "table-costs")
        assert (
            [r[0] for r in table]
            == [b.name for b in sorted(view.buckets, key=lambda b: -b.month_to_date_usd)]
            == ["media", "backups", "site"]
        )
        assert [r[1] for r in table] == [usd(b.month_to_date_usd) for b in view.buckets]
        assert sum(b.month_to_date_usd for b in view.buckets) == pytest.approx(
            view.month_to_date_usd, abs=0.011
        )
        media = view.buckets[0]
        assert table[0][2:7] == [
            "~" + usd(media.storage_usd),
            "~" + usd(media.requests_usd),
            "~" + usd(media.retrieval_usd),
            usd(media.forecast_month_usd),
            usd(media.today_usd or 0),
        ]
        # What each day added, oldest first: March 1 to 14.
        assert app.query_one("#cost-daily Sparkline", Sparkline).data == [v for _, v in view.daily]
        assert [d for d, _ in view.daily] == [MAR1 + i * DAY for i in range(14)]
        axis = str(app.query_one("#cost-daily .chart-axis", DayAxis).render())
        assert axis.startswith("Mar 1") and axis.endswith("Mar 14")


async def test_free_tier_savings_and_footer(costed: Store) -> None:
    app = make_app(costed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = costs(app)
        gauges = app.query_one(FreeTierGauges)
        shown = str(gauges.render())
        status = {g.item: gauges.status(g) for g in view.free_tier}
        # 290 GB of Standard storage uses the 10 GB-month up on the first day;
        # ~600,000 Class B a day reach 10 million on the 17th; ~17,000 Class A a
        # day stay under a million.
        assert status == {
            "standard_storage": "used up Mar 1",
            "standard_class_b": "runs out Mar 17",
            "standard_class_a": "lasts the month",
        }
        for g in view.free_tier:
            assert f"{short_amount(g.used)} of {short_amount(g.allowance)} {g.unit}" in shown
            assert f"{g.used_pct:,.0f} %" in shown and status[g.item] in shown
        advice = text(app, "#cost-advice")
        best = view.recommendations[0]
        assert best.saving_usd is not None
        assert f"{usd(best.saving_usd)}/month" in advice and best.text[:40] in advice
        footer = text(app, "#cost-footer")
        assert view.prices_source in footer
        assert "8 Class A, 6 Class B" in footer and usd(view.monitor_month_usd) in footer


async def test_filter_and_sort_the_bucket_table(costed: Store) -> None:
    app = make_app(costed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = app.query_one("#table-costs", FilterTable)
        assert app.focused is table.table
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"med", "enter")
        assert table.visible_keys == ["media"]
        assert isinstance(app.focused, DataTable)
        await pilot.press("escape")
        assert table.visible_keys == ["media", "backups", "site"]
        await pilot.press("s")  # by Storage now, dearest first
        view = costs(app)
        assert table.visible_keys == [
            b.name for b in sorted(view.buckets, key=lambda b: -b.storage_usd)
        ]


async def test_narrow_stacks_and_shortens_wide_sits_side_by_side(costed: Store) -> None:
    app = make_app(costed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = costs(app)
        pane = app.query_one(CostPane)
        assert not pane.has_class("-wide")  # a third of the top row: everything stacks
        lines = summary(app)
        short = Figures.SHORT
        assert lines[0] == f"{'To date':<{short}}{usd(view.month_to_date_usd)}"
        assert lines[4].startswith(f"{'vs Feb':<{short}}")
        # Every line fits the pane: a note moves under the value column instead.
        width = app.query_one(Figures).content_size.width
        assert all(len(line) <= width for line in lines)
        assert any(line.lstrip().startswith("(last month") for line in lines)
        await pilot.press("2", "z")
        await pilot.pause()
        assert app.screen.maximized is pane
        await wait_for(pilot, lambda: laid_out(app))
        assert pane.has_class("-wide")


# ---- before the first calculation; without request counts ----------------------------
async def test_before_any_calculation_a_note_and_no_figures(filled: Store) -> None:
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not costs(app).has_data
        note = text(app, "#cost-note")
        assert "No costs calculated this month yet" in note
        assert "every 6 hours" in note and RUN_NOW in note
        # The real numbers it has: r2tui's own requests.
        assert "8 Class A, 6 Class B" in note
        assert not app.query_one("#cost-data").display
        assert summary(app) == []
        await pilot.press("2")  # the note takes the focus, not the hidden table
        assert isinstance(app.focused, Note) and app.focused.id == "cost-note"


async def test_a_run_that_found_no_usage_is_not_a_free_month(store: Store) -> None:
    calculate(store)  # an empty store: the run stores zeros and no day
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = costs(app)
        assert view.has_data and view.month_to_date_usd == 0 and view.daily == []
        assert not app.query_one("#cost-data").display
        note = text(app, "#cost-note")
        assert "No usage stored this month yet" in note and "15:00:00" in note


async def test_a_failed_calculation_says_why(filled: Store) -> None:
    run = writes.start_job_run(filled, "calculate_costs", "test", ts=NOW - 60)
    writes.finish_job_run(filled, run, False, 0, "database is locked", ts=NOW - 59)
    app = make_app(filled)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "The last calculation failed: database is locked" in text(app, "#cost-note")


async def test_storage_only_without_request_counts(storage_only: Store) -> None:
    app = make_app(storage_only)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = costs(app)
        assert view.has_data and not view.requests_known
        assert app.query_one("#cost-storage-only").display
        assert "Storage only" in text(app, "#cost-storage-only")
        await _zoom_cost(pilot)
        lines = summary(app)
        assert f"{'Requests':<{LABEL}}– not counted" in lines
        assert f"{'Retrieval':<{LABEL}}– not counted" in lines
        assert f"{'Storage':<{LABEL}}~{usd(view.storage_usd)}  100 %" in lines
        # Only storage is an estimate: requests are not counted at all.
        assert text(app, "#cost-footer").splitlines()[0] == (
            "~ Storage estimated: split by the last listing's IA share of bytes"
        )
        for row in rows(app, "table-costs"):
            assert row[3] == row[4] == "–"  # requests and retrieval: unknown, not $0.00
        # Nor do the request allowances read "0 of 1 M": they are not counted.
        gauges = str(app.query_one(FreeTierGauges).render()).splitlines()
        assert "Standard Class A  not counted" in gauges
        assert "Standard Class B  not counted" in gauges
        assert not any("0 %" in line for line in gauges[3:])
        # Advice to move to IA assumed no reads: the pane says they are unknown.
        assert [r.kind for r in view.recommendations] == ["infrequent_access"]
        assert "reads unknown without request counts" in text(app, "#cost-advice")


async def test_measured_classes_carry_no_mark(measured: Store) -> None:
    """Per-class bytes and classified requests from the analytics: every charge
    is measured, no figure carries the mark, and the legend says so."""
    app = make_app(measured)
    async with app.run_test(size=SIZE) as pilot:
        await _zoom_cost(pilot)
        view = costs(app)
        assert {x.basis for x in view.lines} == {"measured"}
        for label in ("Storage", "Requests", "Retrieval"):
            line = next(x for x in summary(app) if x.startswith(label))
            assert "~" not in line, line
        assert all("~" not in cell for row in rows(app, "table-costs") for cell in row[1:])
        assert text(app, "#cost-footer").splitlines()[0] == (
            "Measured by Cloudflare's analytics: storage per class, IA requests and retrieval."
        )
        # backups is all IA, site all Standard: the IA lines hold backups' and media's share.
        ia = {x.item: x.usage for x in view.lines}
        assert ia["ia_storage"] > ia["standard_storage"] > 0
        assert ia["ia_class_b"] > 0 and ia["ia_retrieval"] > 0


def test_day_labels_and_short_amounts() -> None:
    assert day_label(MAR1) == "Mar 1"
    assert day_label(MAR1 - 1) == "Feb 28"  # a billing day is a UTC day
    assert short_amount(1_757_827) == "1.76 M"
    assert short_amount(1_000_000) == "1 M"
    assert short_amount(10_000_000) == "10 M"
    assert short_amount(367.07615) == "367.1"
    assert short_amount(10.0) == "10"


# ---- snapshots --------------------------------------------------------------------------
def test_snapshot_cost_zoomed(snap_compare, costed: Store) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(costed), terminal_size=SIZE, run_before=_zoom_cost)


def test_snapshot_main_screen_with_costs(snap_compare, costed: Store) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(costed), terminal_size=SIZE, run_before=_main_screen)


def test_snapshot_cost_before_calculation(snap_compare, filled: Store) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(filled), terminal_size=SIZE, run_before=_zoom_cost)


def test_snapshot_cost_storage_only(snap_compare, storage_only: Store) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(storage_only), terminal_size=SIZE, run_before=_zoom_cost)


async def test_the_footer_says_what_the_probes_cost(costed: Store) -> None:
    """Probes on, with a budget under one probe of each bucket a run: the pane,
    shown the view the main screen makes of a real read, says what a month of
    them costs, as `status --json` does for the same buckets."""
    probe = ProbeSettings(enabled=True, requests_per_month=40_000)
    probing = make_config((account_for("http://127.0.0.1:9", probe=probe),))
    view = CostPaneView.of(dashboard.read(costed, "test", now=NOW), probing.schedules, probing)
    assert view.probes == account_plan(probing, probing.accounts[0], ["backups", "media", "site"])

    class OnePane(App[None]):
        def compose(self) -> ComposeResult:
            yield CostPane(id="cost")

    app = OnePane()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(CostPane).show(view, NOW)
        await pilot.pause()
        lines = str(app.query_one("#cost-footer", Static).render()).splitlines()
        line = (
            "Probes a month: 3 buckets in turn (budget 40,000 requests): 10,000 Class A + "
            "20,000 Class B, $0.05 at list price, $0.00 beyond the free tier"
        )
        # Under r2tui's spend so far this month: what the probes add in a month.
        assert lines[lines.index(line) - 1].startswith("r2tui's own requests this month: ")
    # Probes off (every other test here): no such line.
    assert CostPaneView.of(dashboard.read(costed, "test", now=NOW), {}, config()).probes is None
