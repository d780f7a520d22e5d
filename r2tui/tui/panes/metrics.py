"""Metrics: the dashboard's nine cards for the account or one bucket, the
canary probes below them, and what an API token would add. Never a zero that
looks like data. A pane too short for the cards' sparklines and the probes
together shows compact cards (title and value, no sparkline)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.events import Resize
from textual.message import Message
from textual.widgets import Static

from r2tui.metrics import ACCOUNT
from r2tui.store.health import ANALYTICS, SourceHealth
from r2tui.store.views import MetricsView, ProbeRow
from r2tui.tui.format import BUCKET_CELLS, age, cell, visible
from r2tui.tui.panes.base import Note, Pane
from r2tui.tui.panes.views import MetricsPaneView
from r2tui.tui.widgets.card import TITLES, Card, card_why, clock_time, source_reason
from r2tui.tui.widgets.table import Column, FilterTable, Row, RowCache
from r2tui.tui.widgets.text import set_text

# The dashboard's cards, in order; the store's MetricsView.cards follow it too.
CARDS = tuple(TITLES.items())
ALL_BUCKETS = "All buckets"

TOKEN_NOTE = Text.assemble(
    ("No Cloudflare analytics for this account: ", "bold"),
    "they need an API token and the account's account_id. ",
    "Uploads and downloads today, error rate, request counts and failed access come "
    "only from Cloudflare's analytics API; the S3 keys alone give inventory totals "
    "and the canary probes.\n",
    ("To add one: ", "bold"),
    "Cloudflare dashboard → My Profile → API Tokens → Create Token → Custom token with "
    "Account · Account Analytics · Read for this account; then set CLOUDFLARE_API_TOKEN, "
    "or api_token_env in the config, and account_id if the endpoint is set instead.",
)
WAITING = "waiting for the first read of the store…"
NO_PROBE_YET = "no probe has run yet"
CARD_COLUMNS = 3
# Lines the pane needs for full cards (3 lines each) and the probes: the scope
# line, the cards, the probes' label and their table (a header and four rows).
FULL_HEIGHT = 1 + 3 * -(-len(CARDS) // CARD_COLUMNS) + 1 + 5


def bucket_label(bucket: str) -> str:
    return ALL_BUCKETS if bucket == ACCOUNT else bucket


class MetricsPane(Pane[MetricsPaneView]):
    TITLE = "Metrics"
    BINDINGS = [
        Binding(
            "b",
            "next_bucket",
            "Bucket",
            id="metrics.next_bucket",
            tooltip="Show the cards for the next bucket (All buckets comes first)",
        ),
        Binding(
            "B",
            "prev_bucket",
            "Prev bucket",
            id="metrics.prev_bucket",
            show=False,
            tooltip="Show the cards for the previous bucket",
        ),
    ]

    class BucketChosen(Message):
        """The cards should follow another bucket: the app re-reads the store at once."""

        def __init__(self, bucket: str) -> None:
            super().__init__()
            self.bucket = bucket

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.bucket = ACCOUNT  # what the user chose; the view may still be for another
        self.buckets: list[str] = []
        self.view: MetricsView | None = None
        self.cards: dict[str, Card] = {}  # by metric: found once, not by a query per refresh
        self.probe_rows: RowCache[Row] = RowCache()  # a bucket's made again when it changes

    def compose(self) -> ComposeResult:
        yield Static(self._scope_text(), id="metrics-scope")
        yield Static(WAITING, id="metrics-waiting")
        with Grid(id="metrics-cards"):
            for metric, title in CARDS:
                self.cards[metric] = Card(metric, title, id=f"card-{metric}")
                yield self.cards[metric]
        yield Note("", id="metrics-sources")
        yield Static(Text("Canary probes (PUT/GET/HEAD/DELETE, ms):", "dim"), id="probes-label")
        yield FilterTable(
            [
                Column("bucket", "Bucket"),
                Column("ok", "OK"),
                Column("put", "PUT", numeric=True),
                Column("get", "GET", numeric=True),
                Column("head", "HEAD", numeric=True),
                Column("delete", "DEL", numeric=True),
                Column("at", "When", numeric=True),
            ],
            # Until a collection says otherwise (an endpoint check is made only
            # when probes are off), "off" would be a guess: say none has run.
            empty=NO_PROBE_YET,
            id="table-probes",
        )
        yield Note(TOKEN_NOTE, id="metrics-token")

    def on_mount(self) -> None:
        super().on_mount()
        self._fit_height()
        self.query_one("#metrics-cards").display = False
        self.query_one("#metrics-token").display = False
        self.query_one("#metrics-sources").display = False

    def on_resize(self, event: Resize) -> None:
        self._fit_height()

    def _fit_height(self) -> None:
        """Compact cards when the full ones and the probes would not both fit."""
        height = self.content_size.height
        self.set_class(0 < height < FULL_HEIGHT, "-compact")

    # ---- rendering ----------------------------------------------------------------------
    def show(self, shown: MetricsPaneView, now: float) -> None:
        view = shown.metrics
        self.view = view
        self.buckets = list(view.buckets) if view is not None else list(shown.listed_buckets)
        self.query_one("#metrics-waiting").display = view is None
        self.query_one("#metrics-cards").display = view is not None
        self.query_one("#metrics-token").display = view is not None and not view.analytics
        sources = shown.health
        if view is not None:
            for card in view.cards:
                widget = self.cards.get(card.metric)
                if widget is not None:
                    widget.show(
                        card, view.analytics, card_why(card.metric, sources, view.analytics, now)
                    )
        self._show_sources(shown, view is not None and view.analytics, now)
        set_text(self.query_one("#metrics-scope", Static), self._scope_text())
        self._show_probes(shown, now)

    def _scope_text(self) -> Text:
        # A bucket the analytics name may be anything: its name is data.
        text = Text.assemble(
            ("Bucket: ", "dim"),
            cell(bucket_label(self.bucket), BUCKET_CELLS, "bold cyan"),
            (" (b/B)", "dim"),
            no_wrap=True,
            overflow="ellipsis",
        )
        view = self.view
        if view is not None and view.bucket != self.bucket:
            text.append(" reading…", "italic")
        if view is not None and not view.analytics:
            locked = sum(1 for c in view.cards if c.needs_token)
            text.append(f"  · {locked} cards need an API token (note below)", "yellow")
        return text

    def _show_sources(self, shown: MetricsPaneView, analytics: bool, now: float) -> None:
        """Under the cards, each failing source in full: since when, what would fix
        it, the reason; and how old the listing the storage figures come from is."""
        note = self.query_one("#metrics-sources", Note)
        failing: list[SourceHealth] = []
        said = set()
        for h in shown.health.failed:
            # The endpoint and the listings often fail alike: one line says it.
            if (h.source != ANALYTICS or analytics) and (h.short, h.reason) not in said:
                said.add((h.short, h.reason))
                failing.append(h)
        note.display = bool(failing)
        if not failing:
            return
        text = Text()
        for h in failing:
            if text:
                text.append("\n")
            if h.source == ANALYTICS:
                text.append("Analytics: ", "bold")
            elif shown.listed_at is not None:
                text.append(f"Listing from {clock_time(shown.listed_at, now)}; ", "bold")
            text.append_text(source_reason(h, now))
        set_text(note, text)

    def _show_probes(self, shown: MetricsPaneView, now: float) -> None:
        table = self.query_one(FilterTable)
        check = shown.endpoint
        if check is not None:
            verdict = (
                f"answers in {check.ms:,.0f} ms"
                if check.ok and check.ms is not None
                else ("does NOT answer" if not check.ok else "answers")
            )
            table.empty = (
                f"probes are off (accounts.NAME.probe.enabled); endpoint check: "
                f"{verdict}, {age(check.at, now)}"
            )
        # No header over an empty table: the note says why there are no probes.
        self.set_class(not shown.probes, "-no-probes")
        # A row is made again only when its age's text changed (a probe is its
        # bucket and time: its outcome and steps were written with it, at once).
        # With a probe budget most buckets' last probe is hours old, so at each
        # refresh most of a thousand rows come back as the same objects, which
        # the table leaves alone.
        ages = [age(p.at, now) for p in shown.probes]
        table.set_rows(
            self.probe_rows.rows(
                zip(shown.probes, ages, strict=True),
                lambda pa: (pa[0].bucket, pa[0].at, pa[0].ok, pa[1]),
                lambda pa: Row(
                    pa[0].bucket,
                    (
                        cell(pa[0].bucket, BUCKET_CELLS),
                        Text("yes", "green") if pa[0].ok else Text("FAIL", "bold red"),
                        *(_ms(v) for v in _steps(pa[0])),
                        pa[1],
                    ),
                    (pa[0].bucket, pa[0].ok, *_steps(pa[0]), -pa[0].at),
                    (visible(pa[0].bucket),),
                ),
            )
        )

    # ---- the bucket filter --------------------------------------------------------------
    def action_next_bucket(self) -> None:
        self._step_bucket(1)

    def action_prev_bucket(self) -> None:
        self._step_bucket(-1)

    def _step_bucket(self, step: int) -> None:
        choices = [ACCOUNT, *self.buckets]
        at = choices.index(self.bucket) if self.bucket in choices else 0
        self.choose_bucket(choices[(at + step) % len(choices)])

    def choose_bucket(self, bucket: str) -> None:
        if bucket == self.bucket:
            return
        self.bucket = bucket
        set_text(self.query_one("#metrics-scope", Static), self._scope_text())
        self.post_message(self.BucketChosen(bucket))

    def first_card(self) -> Card | None:
        """The card that focusing the pane gives the focus to, if the cards show."""
        if not self.query_one("#metrics-cards").display:
            return None
        return next(iter(self.cards.values()), None)

    def focused_metric(self) -> str | None:
        """The metric of the card with focus, if any (for `h`)."""
        focused = self.app.focused
        card = (
            next((a for a in focused.ancestors_with_self if isinstance(a, Card)), None)
            if focused
            else None
        )
        return card.metric if card is not None else None


def _steps(p: ProbeRow) -> tuple[float | None, ...]:
    return tuple(p.ms.get(s) for s in ("put", "get", "head", "delete"))


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"
