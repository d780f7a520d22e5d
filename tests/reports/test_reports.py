"""Reports built from a store with known history (report_data), against golden
files and against numbers worked out by hand from the inputs; hostile names
escaped in every format; the stored JSON renders as the report did.

Re-record the golden files after an intended change with
`R2TUI_UPDATE_GOLDEN=1 pytest tests/reports/test_reports.py`, then read the diff."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import tests.support.report_data as d
from r2tui.config import Retention
from r2tui.costs.view import costs_view
from r2tui.metrics import DAY
from r2tui.reports import build as build_mod
from r2tui.reports import stored
from r2tui.reports.build import build, default_period, parse_period, period_bounds
from r2tui.reports.model import Report
from r2tui.reports.render import FORMATS, md_text, render, to_csv, to_html, to_markdown, usd
from r2tui.store import Store, open_store, rollups
from tests.support.peers import HtmlText

UPDATE = bool(os.environ.get("R2TUI_UPDATE_GOLDEN"))
PRICE = Decimal("0.015")  # Standard storage, USD per GB-month
FREE = 10  # GB-months a month


@pytest.fixture
def rs(tmp_path: Path) -> Iterator[Store]:
    """A copy of report_data's filled store."""
    yield from d.store_copy(tmp_path)


def daily(store: Store) -> Report:
    return build(store, d.ACCOUNT, "daily", default_period("daily", d.REPORT_NOW), d.REPORT_NOW)


def monthly(store: Store) -> Report:
    return build(store, d.ACCOUNT, "monthly", default_period("monthly", d.REPORT_NOW), d.REPORT_NOW)


def bill(gb_months: int) -> Decimal:
    """Storage only: what is past the free tier, in whole GB-months, at list price."""
    return max(0, gb_months - FREE) * PRICE


def cents(v: Decimal) -> float:
    return float(v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# ---- golden files ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["daily", "monthly"])
def test_golden(rs: Store, kind: str) -> None:
    report = daily(rs) if kind == "daily" else monthly(rs)
    for fmt in FORMATS:
        path = d.GOLDEN / f"{kind}.{fmt}"
        text = render(report, fmt)
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        assert path.read_text(encoding="utf-8") == text, f"{path.name} differs"


# ---- the numbers, by hand --------------------------------------------------------------
def test_daily_numbers_by_hand(rs: Store) -> None:
    r = daily(rs)
    assert (r.kind, r.account, r.period_start, r.period_end) == ("daily", "test", d.NOV28, d.NOV29)
    assert r.period_label == "2026-11-28" and r.file_stem() == "daily-test-2026-11-28"
    n = r.numbers
    # Nov 28 (day 88): 3,690 + 180 * 88 + 30 (fresh) = 19,560 GB; Nov 27: 19,350 GB.
    assert (n.bytes.value, n.bytes.previous) == (19_560 * d.GB, 19_350 * d.GB)
    assert (n.objects.value, n.objects.previous) == (39_120, 38_700)
    assert n.objects.change == 420
    # 24 hours of 1,200 requests against 24 of 1,000.
    assert (n.requests.value, n.requests.previous) == (28_800, 24_000)
    assert n.requests.change_pct == pytest.approx(20.0)
    assert (n.uploads.value, n.uploads.previous) == (7_200, 4_800)
    assert (n.downloads.value, n.downloads.previous) == (19_200, 16_800)
    assert n.error_rate_pct.value == pytest.approx(100 * 144 / 28_800)  # 0.5 %
    assert n.error_rate_pct.previous == pytest.approx(100 * 240 / 24_000)  # 1.0 %

    # The month's storage through day k of November is the sum of 123 + 6 i GB-months
    # (i from 61, Nov 1), plus fresh's one GB-month on Nov 28.
    through_27 = sum(d.gb_months(i) for i in range(61, 88))
    assert through_27 == 27 * 123 + 6 * sum(range(61, 88)) == 15_309
    through_28 = through_27 + d.gb_months(88)
    assert d.gb_months(88) == 652 and through_28 == 15_961
    through_26 = through_27 - d.gb_months(87)
    c = r.costs
    assert c.known
    assert c.period_usd.value == pytest.approx(float(bill(through_28) - bill(through_27)))
    assert c.period_usd.value == pytest.approx(9.78)  # 652 GB-months at $0.015
    assert c.period_usd.previous == pytest.approx(9.675)  # 645 GB-months
    assert c.period_usd.previous == pytest.approx(float(bill(through_27) - bill(through_26)))
    assert c.month_to_date_usd == pytest.approx(float(bill(through_28)))  # $239.265
    # The forecast made at 18:00 on Nov 28: the month so far, and Nov 29 and 30 at
    # Nov 28's level; the high end grows by the last 7 days' pace for those two days:
    # (19,530 - 18,270) / 7 = 180 GB a day, fresh's 30 GB left out (first seen on Nov 28,
    # it has no known level before to grow from).
    assert c.forecast_month_usd == pytest.approx(float(bill(through_28 + 2 * 652)))
    assert c.forecast_low_usd == c.forecast_month_usd
    growth = Decimal(19_530 - 18_270) / 7
    high = through_28 + (2 * 19_560 + growth * 3) / 30
    assert c.forecast_high_usd == pytest.approx(
        float(bill(int(high.to_integral_value(rounding="ROUND_CEILING"))))
    )
    assert usd(c.forecast_high_usd) == "$259.10"  # $259.095, half up

    # Growth: fresh is new (no level before), site and backups did not grow.
    assert [(g.name, g.bytes_start / d.GB, g.bytes_end / d.GB) for g in r.growth] == [
        (d.HOSTILE_BUCKET, 8_430, 8_520),
        ("media", 6_120, 6_180),
        ("logs", 2_670, 2_700),
    ]
    assert r.growth[0].pct == pytest.approx(100 * 90 / 8_430)
    assert any("1 bucket has no size recorded" in note for note in r.notes)

    # One alert in the period (the one at Nov 29 00:00 is the next day's).
    assert r.alerts_total == 1 and [a.ts for a in r.alerts] == [d.NOV28 + 3 * 3600]
    # Notable: the bucket event on the first second, both uploads, the failed job; not
    # the routine job run, not the alert.
    assert r.events_total == 4
    assert [(e.kind, e.level) for e in r.events] == [
        ("bucket", "info"),
        ("upload", "warning"),
        ("upload", "warning"),
        ("job", "error"),
    ]
    view = costs_view(rs, d.ACCOUNT, d.NOV29 - 1)
    assert [x.text for x in r.recommendations] == [x.text for x in view.recommendations]
    assert r.recommendations and r.recommendations[0].bucket == d.HOSTILE_BUCKET


def test_monthly_numbers_by_hand(rs: Store) -> None:
    r = monthly(rs)
    assert (r.kind, r.period_start, r.period_end, r.period_label) == (
        "monthly",
        d.OCT1,
        d.NOV1,
        "2026-10",
    )
    n = r.numbers
    # Oct 31 is day 60: 3,690 + 10,800 = 14,490 GB; Sep 30, day 29: 8,910 GB.
    assert (n.bytes.value, n.bytes.previous) == (14_490 * d.GB, 8_910 * d.GB)
    assert (n.objects.value, n.objects.previous) == (28_980, 17_820)
    # No analytics in October or September: unknown, not zero.
    assert n.requests.value is None and n.requests.previous is None
    assert n.error_rate_pct.value is None
    # October: days 30 to 60; September: days 0 to 29.
    october = sum(d.gb_months(i) for i in range(30, 61))
    september = sum(d.gb_months(i) for i in range(30))
    assert (october, september) == (12_183, 6_300)
    assert r.costs.period_usd.value == pytest.approx(float(bill(october)))  # $182.595
    assert r.costs.period_usd.previous == pytest.approx(float(bill(september)))  # $94.35
    assert usd(r.costs.period_usd.value) == "$182.60"
    assert r.costs.month_to_date_usd is None and r.costs.forecast_month_usd is None
    assert [(g.name, g.added / d.GB) for g in r.growth] == [
        (d.HOSTILE_BUCKET, 2_790),
        ("media", 1_860),
        ("logs", 930),
    ]
    assert r.growth[2].pct == pytest.approx(100.0)
    assert r.alerts_total == 0 and r.alerts == []
    assert "No alerts fired." in to_markdown(r)
    assert [e.message for e in r.events] == ["found 5 buckets"]
    assert any("no request counts" in note for note in r.notes)


# ---- hostile names ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["daily", "monthly"])
def test_html_escapes_every_value(rs: Store, kind: str) -> None:
    report = daily(rs) if kind == "daily" else monthly(rs)
    page = to_html(report)
    parser = HtmlText()
    parser.feed(page)
    # Only the page's own tags: nothing from a name or message became markup.
    assert parser.tags <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "p",
        "ul",
        "li",
        "table",
        "tr",
        "th",
        "td",
    }
    assert "<script" not in page and "<img" not in page
    assert "o&#x27;brien&quot;s,bucket" in page
    assert d.HOSTILE_BUCKET not in page  # the raw quotes appear nowhere
    if kind == "daily":
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x27;more&#x27;" in page
        assert "media/&lt;img src=x onerror=alert(1)&gt;.mp4" in page
        # Escaped, not lost: the text a browser shows is the original.
        shown = "".join(parser.text)
        assert d.SCRIPT in shown and d.UPLOAD_KEY in shown and d.HOSTILE_BUCKET in shown


def test_csv_round_trips_hostile_text(rs: Store) -> None:
    report = daily(rs)
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert all(len(row) == 9 for row in rows)
    header, body = rows[0], rows[1:]
    assert header[:4] == ["section", "name", "bucket", "value"]
    growth = [row for row in body if row[0] == "growth"]
    assert [row[2] for row in growth] == [d.HOSTILE_BUCKET, "media", "logs"]
    assert growth[0][3:7] == [
        str(8_520 * d.GB),
        str(8_430 * d.GB),
        str(90 * d.GB),
        repr(round(100 * 90 / 8_430, 6)),
    ]
    uploads = [row for row in body if row[0] == "event" and row[1] == "upload"]
    # Commas and quotes survive, a newline is shown as "\n" (the one rule for text
    # from outside: a cell never breaks a row); a formula gets a quote in front.
    assert uploads[1][8] == (f'large upload {d.FORMULA_KEY}, "quoted"\\nsecond line (2.0 GB)')
    assert uploads[0][8] == f"large upload {d.UPLOAD_KEY} (9.0 GB)"
    alert = next(row for row in body if row[0] == "alert")
    assert alert[2] == d.HOSTILE_BUCKET and d.SCRIPT in alert[8]
    figures = {row[1]: row for row in body if row[0] == "numbers"}
    assert figures["requests"][3:7] == ["28800", "24000", "4800", "20"]


def test_csv_cells_never_start_a_formula(rs: Store) -> None:
    from r2tui.reports.render import cell_text

    assert cell_text("=1+1") == "'=1+1"
    assert cell_text("@SUM(A1)") == "'@SUM(A1)"
    assert cell_text("-2") == "'-2" and cell_text("media") == "media"


def test_markdown_shows_hostile_text_literally(rs: Store) -> None:
    text = to_markdown(daily(rs))
    md = MarkdownIt("commonmark").enable("table")
    tokens = [t for block in md.parse(text) for t in [block, *(block.children or [])]]
    # No raw HTML reaches a renderer; the table keeps its four columns.
    assert not [t for t in tokens if t.type in ("html_inline", "html_block")]
    assert md.render(text).count("<script>") == 0
    assert "\\<script\\>" in text
    for fragment in ("a|b", "*bold*", "[link](x)", "`code`", "# heading", "1. item", "- x"):
        rendered = md.render(md_text(fragment, block=True))
        assert rendered.strip() == f"<p>{_escaped(fragment)}</p>", fragment


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=False).replace('"', "&quot;")


# ---- JSON and the store copy -----------------------------------------------------------
def test_json_round_trip_renders_the_same(rs: Store) -> None:
    for report in (daily(rs), monthly(rs)):
        again = Report.from_dict(json.loads(render(report, "json")))
        assert again == report
        for fmt in FORMATS:
            assert render(again, fmt) == render(report, fmt)


def test_json_is_utf8_with_derived_values(rs: Store) -> None:
    doc = json.loads(render(daily(rs), "json"))
    assert doc["schema"] == 1 and doc["period"] == "2026-11-28"
    assert doc["period_start_utc"] == "2026-11-28T00:00:00Z"
    assert doc["numbers"]["objects"] == {
        "value": 39_120,
        "previous": 38_700,
        "change": 420,
        "change_pct": 1.09,
    }
    assert doc["alerts"][0]["at"] == "2026-11-28T03:00:00Z"
    assert '"o\'brien\\"s,bucket"' in render(daily(rs), "json")  # not \u-escaped
    with pytest.raises(ValueError, match="schema"):
        Report.from_dict({**doc, "schema": 99})


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_stored_copy_renders_as_made(request: pytest.FixtureRequest, backend: str) -> None:
    """On each back-end: the same figures, and the stored JSON gives back the report."""
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    s = open_store(url)
    try:
        d.fill(s)
        made = [daily(s), monthly(s)]
        ids = [stored.save(s, r) for r in made]
        for report_id, report in zip(ids, made, strict=True):
            again = stored.load(s, report_id)
            assert again is not None
            for fmt in FORMATS:
                assert render(again, fmt) == render(report, fmt)
        assert (d.GOLDEN / "daily.md").read_text(encoding="utf-8") == to_markdown(made[0])
        rows = stored.listing(s, d.ACCOUNT)
        assert [(r.kind, r.period_start) for r in rows] == [("daily", d.NOV28), ("monthly", d.OCT1)]
        # A second report for the same period replaces the first.
        later = build(s, d.ACCOUNT, "daily", d.NOV28, d.REPORT_NOW + 3600)
        new_id = stored.save(s, later)
        assert len(stored.listing(s, d.ACCOUNT)) == 2
        assert stored.load(s, ids[0]) is None
        found = stored.find(s, d.ACCOUNT, "daily", d.NOV28)
        assert found is not None and found.generated_at == d.REPORT_NOW + 3600
        assert stored.load(s, new_id) == found
        assert stored.listing(s, "another") == []
    finally:
        s.close()


# ---- history past the raw purge --------------------------------------------------------
def test_monthly_report_outlives_the_raw_samples(rs: Store) -> None:
    before = monthly(rs)
    purged = rollups.purge(rs, Retention(samples_days=14), d.REPORT_NOW)
    assert purged.samples > 0
    after = monthly(rs)
    # Every figure comes from the daily rollups; only the recommendations and the
    # charges' basis, read from the cost run's raw samples, are gone, and the report says so.
    assert (after.numbers, replace(after.costs, basis=before.costs.basis), after.growth) == (
        before.numbers,
        before.costs,
        before.growth,
    )
    assert after.recommendations == [] and before.recommendations
    assert after.costs.basis == [] and before.costs.basis
    assert any(
        "no recommendations, nor which charges were measured" in note for note in after.notes
    )


# ---- periods and edges -----------------------------------------------------------------
def test_periods() -> None:
    assert parse_period("daily", "2026-11-28") == d.NOV28
    assert parse_period("monthly", "2026-10") == d.OCT1
    for kind, text, form in (
        ("daily", "2026-11", "YYYY-MM-DD"),
        ("daily", "28/11/2026", "YYYY-MM-DD"),
        ("monthly", "2026-11-28", "YYYY-MM"),
        ("monthly", "2026-13", "YYYY-MM"),
    ):
        with pytest.raises(ValueError, match=form):
            parse_period(kind, text)
    assert default_period("daily", d.REPORT_NOW) == d.NOV28
    assert default_period("daily", d.NOV29) == d.NOV28  # at midnight: the day just over
    assert default_period("monthly", d.NOV1) == d.OCT1
    january = parse_period("daily", "2027-01-15") + 5
    assert default_period("monthly", january) == parse_period("monthly", "2026-12")
    assert period_bounds("monthly", parse_period("monthly", "2026-12")) == (
        parse_period("monthly", "2026-12"),
        parse_period("monthly", "2027-01"),
    )
    feb = parse_period("monthly", "2028-02")
    assert period_bounds("monthly", feb)[1] - feb == 29 * DAY
    assert period_bounds("daily", d.NOV28 + 5000) == (d.NOV28, d.NOV29)
    with pytest.raises(ValueError, match="daily, monthly"):
        period_bounds("weekly", d.NOV28)


def test_empty_store_says_what_is_missing(store: Store) -> None:
    r = build(store, "nobody", "daily", d.NOV28, d.REPORT_NOW)
    assert r.numbers.objects.value is None and not r.costs.known and r.growth == []
    text = to_markdown(r)
    assert "No alerts fired." in text and "No cost figures for this period." in text
    assert "No bucket grew this day." in text
    assert any("calculate_costs" in note for note in r.notes)
    for fmt in FORMATS:
        assert render(r, fmt)


def test_unfinished_period_is_noted(rs: Store) -> None:
    r = build(rs, d.ACCOUNT, "monthly", d.NOV1, d.REPORT_NOW)
    assert any("not over yet" in note for note in r.notes)


def test_long_lists_are_capped_and_counted(rs: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_mod, "MAX_EVENTS", 2)
    r = daily(rs)
    assert r.events_total == 4 and [e.kind for e in r.events] == ["upload", "job"]
    assert "4 events; the last 2 shown." in to_markdown(r)
