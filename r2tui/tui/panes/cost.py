"""Cost: the month's bill so far, its forecast, where the money goes (storage,
requests, retrieval; bucket by bucket), each day's share, the free tier and
what would save money, all from what the calculate_costs job stored.

Before the job's first run this month the pane says so and shows no figures:
a zero would read as a free month. While the first full figures are on their
way (an account with analytics whose first read, the month's backfill, has
not reached the costs yet) it says "Calculating…" and shows none either: a
storage-only figure then would read as the month's bill."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widgets import Static

from r2tui.config.model import DEFAULT_SCHEDULES
from r2tui.costs.bill import ITEMS
from r2tui.costs.probes import EVERY_RUN, ProbePlan
from r2tui.store.health import ANALYTICS, LISTING, HealthView, SourceState, listing_failure
from r2tui.store.views import ESTIMATED, BucketCost, CostsView, MonitorSpend
from r2tui.tui.format import BUCKET_CELLS, LINE_CELLS, age, cell, data, local_time, usd, visible
from r2tui.tui.panes.base import Note, Pane
from r2tui.tui.panes.views import CostPaneView
from r2tui.tui.widgets.card import source_reason, trend_text
from r2tui.tui.widgets.cost_charts import DailyChart, Figure, Figures, FreeTierGauges
from r2tui.tui.widgets.table import Column, FilterTable, Row, RowCache
from r2tui.tui.widgets.text import set_text

# From this width the summary and the drawings sit side by side (zoomed, or a
# very wide terminal); below it everything stacks and the pane scrolls.
WIDE = 90
MAX_ADVICE = 5
WAITING = "waiting for the first read of the store…"
RUN_NOW = "r2tui collect --once --job calculate_costs"
STALE_WHAT = {
    ANALYTICS: "requests and analytics storage stop at the last read; ",
    LISTING: "storage classes and listed sizes are the last listing's; ",
}
CALCULATING = Text.assemble(
    ("Calculating… ", "bold"),
    "the month's costs follow the first read of Cloudflare's analytics (it fetches "
    "the last 31 days of requests and storage), then one calculation on them. No "
    "figure until then: storage alone would understate the bill.",
)
STORAGE_ONLY = Text.assemble(
    ("Storage only: ", "bold"),
    "no request counts are stored, so Class A/B requests and Infrequent Access "
    "retrieval are not in these figures. They come from Cloudflare's analytics API, "
    "which needs an API token (see the Metrics pane).",
)

SUMMARY_TIP = (
    "Month to date: the bill so far (free tier used, units rounded up). "
    "Forecast: requests at the last 7 days' pace, storage as it is; the range "
    "takes the quietest and the busiest of those days. Last 24 h: at list price, "
    "no free tier; the change is against the 7 days before."
)
FREE_TIP = (
    "The free tier covers Standard storage and requests only. A date ahead is "
    "when it runs out at the last 7 days' pace."
)
TABLE_TIP = (
    "Each bucket's share of the month's bill; Last 24 h at list price, and its "
    "change against the 7 days before. ~ marks an estimated figure. / filters, "
    "s sorts."
)
# Marks a figure whose usage was estimated (from the last listing's storage class
# shares) rather than measured by Cloudflare's analytics; the legend says why.
ESTIMATE_MARK = "~"
ITEM_KINDS = {item.name: item.kind for item in ITEMS}
KIND_LABELS = (("storage", "Storage"), ("requests", "Requests"), ("retrieval", "Retrieval"))


def sources_text(sources: HealthView, now: float, requests_known: bool) -> Text:
    """Why figures are missing or stale, for the account shown: storage only
    without request counts (and the true reason: no token, a refused token, an
    unreachable API), and each source the costs read that has been failing."""
    analytics = sources.get(ANALYTICS)
    lines: list[Text] = []
    if not requests_known:
        if analytics.failed:
            lines.append(
                Text.assemble(
                    ("Storage only: ", "bold"),
                    "no request counts are stored, so Class A/B requests and IA retrieval are "
                    "not in these figures. Cloudflare's analytics: ",
                    source_reason(analytics, now),
                )
            )
        else:
            lines.append(STORAGE_ONLY)
    # Figures built on a failing source are the last good ones: say since when.
    if analytics.failed and requests_known:
        lines.append(
            Text.assemble(
                ("Stale: ", "bold yellow"), STALE_WHAT[ANALYTICS], source_reason(analytics, now)
            )
        )
    listing = listing_failure(sources)
    if listing is not None:
        lines.append(
            Text.assemble(
                ("Stale: ", "bold yellow"), STALE_WHAT[LISTING], source_reason(listing, now)
            )
        )
    return Text("\n").join(lines)


def calculating(shown: CostPaneView) -> bool:
    """Whether the figures wait for the first full calculation: the account reads
    analytics, which have not failed, and either their first read (the month's
    backfill) is running or yet to run, or the last calculation had no request
    counts because it ran while that read was under way (the calculation that
    follows the read brings them). A failing source is not waited for: the
    figures say why they are storage only."""
    costs = shown.costs
    if costs is None or not shown.analytics:
        return False
    analytics = shown.health.get(ANALYTICS)
    if analytics.failed:
        return False
    run = shown.collect_run
    if analytics.state != SourceState.OK:
        return run is None or run.running
    if costs.requests_known or costs.computed_at is None or run is None:
        return False
    ended = run.finished_at
    return ended is not None and run.started_at <= costs.computed_at <= ended


def why_no_usage(sources: HealthView, now: float) -> Text:
    """What keeps the first listing or analytics read from coming: each source
    the costs read that fails, one line each ("" when none does)."""
    failing = [
        (label, h)
        for label, h in (
            ("Listing: ", listing_failure(sources)),
            ("Cloudflare's analytics: ", sources.get(ANALYTICS)),
        )
        if h is not None and h.failed
    ]
    text = Text()
    for label, h in failing:
        text.append(label, "bold")
        text.append_text(source_reason(h, now))
        text.append("\n")
    return text


class CostPane(Pane[CostPaneView]):
    TITLE = "Cost"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.view: CostsView | None = None
        self.bucket_rows: RowCache[Row] = (
            RowCache()
        )  # a thousand buckets' rows, made again where they change

    def compose(self) -> ComposeResult:
        yield Note(WAITING, id="cost-note")
        yield Static(STORAGE_ONLY, id="cost-storage-only")
        with Vertical(id="cost-data"):
            with Horizontal(id="cost-top"):
                yield Figures(id="cost-summary")
                with Vertical(id="cost-side"):
                    yield DailyChart(id="cost-daily")
                    yield FreeTierGauges(id="cost-free")
            yield FilterTable(
                [
                    Column("bucket", "Bucket"),
                    Column("mtd", "To date", numeric=True),
                    Column("storage", "Storage", numeric=True),
                    Column("requests", "Requests", numeric=True),
                    Column("retrieval", "Retrieval", numeric=True),
                    Column("forecast", "Forecast", numeric=True),
                    Column("today", "Last 24 h", numeric=True),
                    Column("change", "Change", numeric=True),
                ],
                empty="no bucket has costs yet",
                sort_column=1,
                descending=True,
                id="table-costs",
            )
            yield Static("", id="cost-advice")
            yield Static("", id="cost-footer")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_data(False)
        self.query_one("#cost-summary").tooltip = SUMMARY_TIP
        self.query_one("#table-costs").tooltip = TABLE_TIP
        self.query_one("#cost-free").tooltip = FREE_TIP
        # A zoom does not always bring this pane a Resize event (Textual 8 can
        # resize it in a scroll-only reflow): check the width once it is laid out.
        self.watch(self.screen, "maximized", self._zoomed, init=False)

    def _zoomed(self) -> None:
        self.call_after_refresh(self._fit_width)

    def on_resize(self, event: Resize) -> None:
        self._fit_width()

    def _fit_width(self) -> None:
        # The size now, not the event's: a late event may carry an older one.
        self.set_class(self.size.width >= WIDE, "-wide")

    # ---- rendering ----------------------------------------------------------------------
    def show(self, shown: CostPaneView, now: float) -> None:
        view = self.view = shown.costs
        self._fit_width()  # and at every read, should a resize have gone unseen
        # A run that found no usage at all stores no day: its zeros are not a bill.
        has_data = view is not None and view.has_data and bool(view.daily)
        waiting = calculating(shown)
        self._show_data(has_data and not waiting)
        if view is None or not has_data or waiting:
            note = self.query_one("#cost-note", Note)
            if view is None:
                set_text(note, WAITING)
            else:
                set_text(note, CALCULATING if waiting else self._no_data_text(shown, now))
            return
        sources = sources_text(shown.health, now, view.requests_known)
        self.query_one("#cost-storage-only").display = bool(sources)
        set_text(self.query_one("#cost-storage-only", Static), sources)
        self.query_one(Figures).show(summary_rows(view))
        self.query_one(DailyChart).show(view.daily)
        self.query_one(FreeTierGauges).show(view.free_tier, now, view.requests_known)
        known = view.requests_known
        self.query_one(FilterTable).set_rows(
            self.bucket_rows.rows(
                view.buckets,
                lambda b: _row_key(b, known),
                lambda b: bucket_row(b, known),
            )
        )
        set_text(self.query_one("#cost-advice", Static), advice_text(view))
        set_text(
            self.query_one("#cost-footer", Static),
            footer_text(view, shown.spend, now, shown.probes),
        )

    def _show_data(self, shown: bool) -> None:
        self.query_one("#cost-note").display = not shown
        if not shown:
            self.query_one("#cost-storage-only").display = False
        data = self.query_one("#cost-data")
        data.display = shown
        # Hidden widgets still count as focusable: disabled, the table cannot take
        # the focus (keys 1–5 give it to the note instead).
        data.disabled = not shown

    def _no_data_text(self, shown: CostPaneView, now: float) -> Text:
        view = shown.costs
        if view is not None and view.computed_at is not None:
            text = Text.assemble(
                ("No usage stored this month yet: ", "bold"),
                (
                    f"the calculation at {local_time(view.computed_at, now)} found no stored "
                    "bytes or requests to bill. Costs follow the first listing or analytics "
                    "read.\n"
                ),
            )
            text.append_text(why_no_usage(shown.health, now))
            text.append_text(own_spend(shown.spend))
            text.append_text(probes_text(shown.probes))
            return text
        text = Text.assemble(("No costs calculated this month yet. ", "bold"))
        run = shown.last_run
        if run is not None and run.running:
            text.append("The calculation is running now.\n")
        elif run is not None and run.ok is False:
            text.append("The last calculation failed: ")
            text.append_text(data(run.error or "no reason given", "red", LINE_CELLS))
            text.append("\n")
        schedule = shown.schedule
        when = (
            "every 6 hours"
            if schedule == DEFAULT_SCHEDULES["calculate_costs"]
            else (f"on the schedule “{schedule}”")
        )
        text.append(
            f"Costs are calculated {when} from the stored usage (no request to "
            f"R2); to calculate now run "
        )
        text.append(RUN_NOW, "bold")
        text.append(".\n")
        text.append_text(own_spend(shown.spend))
        return text


def summary_rows(v: CostsView) -> list[Figure]:
    """The month in a few rows; charges the store cannot know (no request
    counts) read "– not counted", never $0.00."""
    rows = [
        Figure("Month to date", "To date", (Text(usd(v.month_to_date_usd), "bold"),)),
        Figure("Daily average", "Daily avg", (Text(usd(v.daily_average_usd)),)),
        Figure("Forecast", "Forecast", (Text(usd(v.forecast_month_usd), "bold"),)),
        Figure(
            "  range", " range", (Text(f"{usd(v.forecast_low_usd)}–{usd(v.forecast_high_usd)}"),)
        ),
    ]
    change = v.change_pct
    if change is not None and v.last_month_usd is not None:
        month = datetime.fromtimestamp(v.month_start - 1, UTC)
        rows.append(
            Figure(
                "vs last month",
                f"vs {month:%b}",
                (
                    trend_text(change, lower_is_better=True),
                    Text(f"(last month {usd(v.last_month_usd)})", "dim"),
                ),
            )
        )
    if v.today_usd is not None:
        rows.append(
            Figure(
                "Last 24 h",
                "Last 24 h",
                (Text(usd(v.today_usd)), trend_text(v.increase_pct, lower_is_better=True)),
            )
        )
    total = v.month_to_date_usd
    estimated = estimated_kinds(v)
    for (kind, label), amount in zip(
        KIND_LABELS, (v.storage_usd, v.requests_usd, v.retrieval_usd), strict=True
    ):
        if kind != "storage" and not v.requests_known:
            rows.append(Figure(label, label, (Text("– not counted", "dim"),)))
            continue
        share = (Text(f"{100 * amount / total:.0f} %", "dim"),) if total else ()
        value = Text(usd(amount))
        if kind in estimated:
            value = Text.assemble((ESTIMATE_MARK, "yellow"), value)
        rows.append(Figure(label, label, (value, *share)))
    return rows


def estimated_kinds(v: CostsView) -> dict[str, str]:
    """The kinds of charge with an estimated line, and why (the first such
    line's reason: a kind's lines share theirs). Charges not counted at all are
    not estimates: the pane says "not counted" for them."""
    out: dict[str, str] = {}
    for line in v.lines:
        kind = ITEM_KINDS[line.item]
        if line.estimated and (kind == "storage" or v.requests_known):
            out.setdefault(kind, line.reason)
    return out


def basis_text(v: CostsView) -> Text:
    """The legend of the estimate marks: which charges are estimated and why."""
    estimated = estimated_kinds(v)
    if not estimated:
        counted = "storage per class" + (", IA requests and retrieval" if v.requests_known else "")
        return Text(f"Measured by Cloudflare's analytics: {counted}.", "dim")
    text = Text()
    for kind, label in KIND_LABELS:
        if kind in estimated:
            if text:
                text.append("\n")
            text.append(f"{ESTIMATE_MARK} ", "yellow")
            text.append(f"{label} estimated: ", "bold")
            text.append(estimated[kind])
    return text


def _row_key(b: BucketCost, requests_known: bool) -> tuple[object, ...]:
    """Everything `bucket_row` shows of a bucket."""
    return (
        b.name,
        b.month_to_date_usd,
        b.storage_usd,
        b.requests_usd,
        b.retrieval_usd,
        b.forecast_month_usd,
        b.today_usd,
        b.increase_pct,
        tuple(sorted(b.basis.items())),
        requests_known,
    )


def bucket_row(b: BucketCost, requests_known: bool) -> Row:
    def money(v: float | None, counted: bool = True, kind: str = "") -> str:
        if v is None or not counted:
            return "–"
        return (ESTIMATE_MARK if b.basis.get(kind) == ESTIMATED else "") + usd(v)

    change = trend_text(b.increase_pct, lower_is_better=True)
    return Row(
        b.name,
        (
            cell(b.name, BUCKET_CELLS),
            money(b.month_to_date_usd),
            money(b.storage_usd, kind="storage"),
            money(b.requests_usd, requests_known, "requests"),
            money(b.retrieval_usd, requests_known, "retrieval"),
            money(b.forecast_month_usd),
            money(b.today_usd),
            change,
        ),
        (
            b.name,
            b.month_to_date_usd,
            b.storage_usd,
            b.requests_usd if requests_known else None,
            b.retrieval_usd if requests_known else None,
            b.forecast_month_usd,
            b.today_usd,
            b.increase_pct,
        ),
        (visible(b.name),),
    )


def advice_text(v: CostsView) -> Text:
    text = Text.assemble(("Savings", "bold"))
    if not v.recommendations:
        text.append("\nnothing to change: the storage classes fit how the buckets are read", "dim")
        return text
    for r in v.recommendations[:MAX_ADVICE]:
        text.append("\n• ")
        if r.saving_usd is not None:
            text.append(f"{usd(r.saving_usd)}/month ", "bold green")
        text.append_text(data(r.text))  # it names buckets
        if r.kind == "infrequent_access" and not v.requests_known:
            # Without request counts the saving assumes no reads at all: say so.
            text.append(
                " (reads unknown without request counts: IA's retrieval fee could undo it)",
                "yellow",
            )
    more = len(v.recommendations) - MAX_ADVICE
    if more > 0:
        text.append(f"\n… and {more} more (r2tui status --json)", "dim")
    return text


def own_spend(s: MonitorSpend, month_usd: float | None = None) -> Text:
    return Text.assemble(
        ("r2tui's own requests this month: ", "dim"),
        f"{s.class_a:,} Class A, {s.class_b:,} Class B: ",
        (usd(s.usd if month_usd is None else month_usd), "bold"),
        (" at list price", "dim"),
    )


def probes_text(p: ProbePlan | None) -> Text:
    """A line on what the canary probes cost a month, or none when they are off."""
    if p is None:
        return Text()
    how = "at every run" if p.mode == EVERY_RUN else "in turn"
    return Text.assemble(
        ("\nProbes a month: ", "dim"),
        f"{p.buckets:,} buckets {how} (budget {p.budget_requests:,} requests): "
        f"{p.class_a:,} Class A + {p.class_b:,} Class B, ",
        (usd(float(p.list_usd)), "bold"),
        (" at list price, ", "dim"),
        usd(float(p.beyond_free_usd)),
        (" beyond the free tier", "dim"),
    )


def footer_text(
    v: CostsView, spend: MonitorSpend, now: float, probes: ProbePlan | None = None
) -> Text:
    text = basis_text(v)
    text.append("\n")
    text.append_text(own_spend(spend, v.monitor_month_usd))
    text.append_text(probes_text(probes))
    text.append("\nPrices: ", "dim")
    text.append_text(data(v.prices_source, cells=LINE_CELLS))  # a file's path, a URL
    if v.computed_at is not None:
        text.append(
            f"\nCalculated {local_time(v.computed_at, now)} ({age(v.computed_at, now)})", "dim"
        )
    return text
