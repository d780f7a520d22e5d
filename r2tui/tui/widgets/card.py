"""One metric card: title, value in human units, trend against the previous
window, and a 24-hour sparkline. Focusable: the arrows move between cards and
enter charts the card's metric. Also the value formatting the history screen
shares, so a number reads the same on both."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import Sparkline, Static

from r2tui.metrics import CATALOG
from r2tui.store.health import ANALYTICS, LISTING, S3, HealthView, SourceHealth
from r2tui.store.views import MetricCard
from r2tui.tui.format import data, human_bytes, usd
from r2tui.tui.widgets.text import set_text
from r2tui.units import human_count

NEEDS_TOKEN = "needs API token"
NEEDS_TOKEN_SHORT = "needs token"
NO_DATA = "no data yet"
# The dashboard's card titles; other catalog metrics are titled from their names.
TITLES = {
    "total_files": "Total files",
    "total_bytes": "Storage used",
    "uploads_today": "Uploads today",
    "downloads_today": "Downloads today",
    "class_a_ops": "Class A / hour",
    "class_b_ops": "Class B / hour",
    "error_rate_pct": "Error rate",
    "avg_response_ms": "Avg response",
    "p95_response_ms": "p95 response",
}
# What a card too narrow for its title says instead (whole words, never "Downlo…").
SHORT_TITLES = {
    "total_files": "Files",
    "total_bytes": "Stored",
    "uploads_today": "Uploads",
    "downloads_today": "Downloads",
    "class_a_ops": "Class A/h",
    "class_b_ops": "Class B/h",
    "error_rate_pct": "Errors",
    "avg_response_ms": "Avg resp.",
    "p95_response_ms": "p95 resp.",
}
_WORDS = {
    "pct": "%",
    "ms": "(ms)",
    "usd": "(USD)",
    "ops": "requests",
    "a": "A",
    "b": "B",
    "ia": "IA",
}


@dataclass(frozen=True)
class CardWhy:
    """Why a card lacks data, or why its value is stale: a failing source."""

    source: SourceHealth
    since: str  # when the failure began, as a clock time ("09:40")

    @property
    def full(self) -> str:
        return (
            f"{self.source.short} since {self.since}"
            + (f" ({self.source.needs})" if self.source.needs else "")
            + (f": {self.source.reason}" if self.source.reason else "")
        )


def card_sources(metric: str, analytics: bool) -> tuple[str, ...]:
    """The sources a card's value is built on: the analytics for traffic (and for
    storage when a token is set), the listings and the endpoint otherwise, the
    endpoint for the canary's latency."""
    m = CATALOG.get(metric)
    if m is None:
        return ()
    if m.needs_token or (m.source == "analytics" and analytics):
        return (ANALYTICS,)
    if m.source in ("analytics", "inventory"):
        return (S3, LISTING)
    if m.source in ("probe", "check"):
        return (S3,)
    return ()


def card_why(metric: str, health: HealthView, analytics: bool, now: float) -> CardWhy | None:
    """The failing source behind the card, the longest failing first; None when its
    sources work (or were never heard of)."""
    failed = [health.get(s) for s in card_sources(metric, analytics) if health.get(s).failed]
    if not failed:
        return None
    first = min(failed, key=lambda h: h.since or 0)
    return CardWhy(first, clock_time(first.since, now))


def source_reason(h: SourceHealth, now: float | None = None) -> Text:
    """A failing source in one line for a pane: "token refused since 09:40 (needs
    Account Analytics: Read): <the reason>"; the reason is a server's words: data."""
    text = Text(f"{h.short} since {clock_time(h.since, now)}", "bold red")
    if h.needs:
        text.append(f" ({h.needs})", "bold")
    if h.reason:
        text.append(": ")
        text.append_text(data(h.reason))
    return text


def clock_time(ts: float | None, now: float | None = None) -> str:
    """HH:MM today (local time, as the Activity pane), else the date too."""
    if ts is None:
        return "?"
    at = datetime.fromtimestamp(ts).astimezone()
    today = datetime.fromtimestamp(time.time() if now is None else now).astimezone().date()
    return at.strftime("%H:%M") if at.date() == today else at.strftime("%Y-%m-%d %H:%M")


def metric_title(name: str) -> str:
    if name in TITLES:
        return TITLES[name]
    text = " ".join(_WORDS.get(w, w) for w in name.split("_"))
    return text[:1].upper() + text[1:]


# The catalog's units that are counts: shown whole, or to three figures where
# the whole number does not fit the card.
COUNTS = frozenset({"objects", "requests", "uploads"})


def metric_value(value: float | None, unit: str) -> str:
    """A catalog value as people read it; "–" for no data, never a zero."""
    if value is None or math.isnan(value):
        return "–"
    if unit == "bytes":
        return human_bytes(value)
    if unit == "%":
        return f"{value:,.1f} %"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:,.1f} s"
    if unit == "USD":
        return usd(value)
    if unit == "bool":
        return "yes" if value >= 0.5 else "no"
    # Counts (objects, requests, uploads): whole numbers with separators.
    return f"{round(value):,}"


def trend_text(trend: float | None, lower_is_better: bool = False) -> Text:
    """▲/▼ and the change in percent. Rising is only bad for metrics with a
    warning threshold (error rate, latency); elsewhere it is just news."""
    if trend is None:
        return Text("–", "dim")
    if abs(trend) < 0.05:
        return Text("→0.0%", "dim")
    arrow = "▲" if trend > 0 else "▼"
    # Compact: a card is about 16 cells wide and the value comes first.
    size = f"{abs(trend):,.0f}" if abs(trend) >= 100 else f"{abs(trend):.1f}"
    style = ""
    if lower_is_better:
        style = "red" if trend > 0 else "green"
    return Text(f"{arrow}{size}%", style)


def spark_data(values: list[float]) -> list[float]:
    """Gaps (None, NaN) are dropped rather than drawn as zeros."""
    return [float(v) for v in values if v is not None and not math.isnan(v)]


class Card(Vertical, can_focus=True):
    """Focusable so that `h` or enter can chart the metric of the card under the
    cursor; the arrows move to the card beside, above or below."""

    BINDINGS = [
        Binding(
            "enter",
            "chart",
            "Chart",
            id="card.chart",
            tooltip="Chart the focused card's metric over time (h does too)",
        ),
        Binding(
            "left", "move(-1, 0)", "Left", show=False, id="card.left", tooltip="Card on the left"
        ),
        Binding(
            "right", "move(1, 0)", "Right", show=False, id="card.right", tooltip="Card on the right"
        ),
        Binding("up", "move(0, -1)", "Up", show=False, id="card.up", tooltip="Card above"),
        Binding("down", "move(0, 1)", "Down", show=False, id="card.down", tooltip="Card below"),
    ]

    # The line under the value says why a source fails, in place of the sparkline.
    DEFAULT_CSS = """
    Card .card-why { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    Card.-stale .card-value { color: $text-warning; }
    """

    class Chosen(Message):
        """Chart this card's metric (enter on a card)."""

        def __init__(self, metric: str) -> None:
            super().__init__()
            self.metric = metric

    def __init__(self, metric: str, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="card")
        self.metric = metric
        self.card_title = title
        self.card: MetricCard | None = None
        self.analytics = False
        self.why: CardWhy | None = None

    def compose(self) -> ComposeResult:
        # Kept, not looked up: a card shows at every store read, and a query's
        # CSS matching cost a sixth of the read's time on the UI thread.
        self._title_line = Static(Text(self.card_title), classes="card-title")
        self._value_line = Static(Text("–", "dim"), classes="card-value")
        self._sparkline = Sparkline([], classes="card-spark")
        self._why_line = Static("", classes="card-why")
        self._why_line.display = False
        yield self._title_line
        yield self._value_line
        yield self._sparkline
        yield self._why_line

    # ---- keys ---------------------------------------------------------------------------
    def action_chart(self) -> None:
        self.post_message(self.Chosen(self.metric))

    def action_move(self, dx: int, dy: int) -> None:
        """Focus the card beside (dx) or above or below (dy), in the grid's order."""
        parent = self.parent
        if parent is None:
            return
        cards = [c for c in parent.children if isinstance(c, Card) and c.display]
        columns = parent.styles.grid_size_columns or 1
        at = cards.index(self) + dx + dy * columns
        if 0 <= at < len(cards):
            cards[at].focus()

    # ---- fitting ------------------------------------------------------------------------
    def on_resize(self, event: Resize) -> None:
        if self.card is not None:
            self.show(self.card, self.analytics, self.why)  # the value fits the new width
        else:
            self._show_title()

    def _room(self) -> int:
        """The cells a line of the card has (0 before the first layout: room enough)."""
        return self.content_size.width or 1000

    def _show_title(self) -> None:
        title = self.card_title
        if len(title) > self._room():
            title = SHORT_TITLES.get(self.metric, title)
        set_text(self._title_line, title)

    def _show_locked(self) -> None:
        words = NEEDS_TOKEN if len(NEEDS_TOKEN) <= self._room() else NEEDS_TOKEN_SHORT
        set_text(self._value_line, Text(words, "italic"))

    def show(self, card: MetricCard, analytics: bool, why: CardWhy | None = None) -> None:
        self.card = card
        self.analytics = analytics
        self.why = why
        self.card_title = card.title
        self._show_title()
        value = self._value_line
        spark = self._sparkline
        locked = card.needs_token and not analytics
        self.set_class(locked, "-locked")
        self.set_class(card.warning and not locked, "-warning")
        stale = why is not None and not locked and card.reading.value is not None
        self.set_class(stale, "-stale")
        why_line = self._why_line
        why_line.display = why is not None and not locked
        if why is not None and not locked:
            self._show_why(card, why, value, spark, why_line)
            return
        if locked:
            self._show_locked()
            spark.data = []
            spark.display = False
            self.tooltip = f"{card.title}: {NEEDS_TOKEN} (see the note below the cards)"
            return
        reading = card.reading
        if reading.value is None:
            set_text(value, Text(NO_DATA, "dim italic"))
        else:
            # ≈: Cloudflare counted a sample and scaled it up (an Adaptive dataset
            # under load): an estimate, not a count.
            trend = trend_text(reading.trend_pct, card.warn_above is not None)
            shown = metric_value(reading.value, card.unit)
            approx = "≈ " if reading.sampled else ""
            if len(approx) + len(shown) + 2 + trend.cell_len > self._room() and card.unit in COUNTS:
                # A count too long for the card (billions of objects): to three
                # figures, the whole number in the tooltip and the chart.
                shown = human_count(reading.value)
            text = Text(style="bold")
            if approx:
                text.append(approx, "yellow")
            text.append(shown)
            text.append("  ")
            text.append_text(trend)
            set_text(value, text)
        # A new list each time: Sparkline redraws on assignment, not on mutation;
        # and only a changed one, as each assignment repaints it.
        data = spark_data(card.spark)
        if data != spark.data:
            spark.data = data
        # One hour alone would fill the line as a solid bar: a trend needs two.
        spark.display = len(spark.data) >= 2
        limit = (
            f"; warns above {metric_value(card.warn_above, card.unit)}"
            if card.warn_above is not None
            else ""
        )
        sampled = (
            "; ≈ Cloudflare sampled these requests: the figure is its estimate"
            if reading.sampled
            else ""
        )
        exact = f": {metric_value(reading.value, card.unit)}" if reading.value is not None else ""
        self.tooltip = (
            f"{card.title}{exact} ({card.spark_span} in the sparkline{limit}){sampled}; "
            "enter or h charts it"
        )

    def _show_why(
        self, card: MetricCard, why: CardWhy, value: Static, spark: Sparkline, line: Static
    ) -> None:
        """A failing source: the value marked stale, or, without one, the reason in
        its place ("token refused", "S3 unreachable"); the line below says since
        when, or what would fix it."""
        spark.display = False
        source = why.source
        if card.reading.value is None:
            set_text(value, Text(source.short, "bold italic"))
            set_text(line, Text(source.needs or f"since {why.since}", "italic"))
            # The reason is a server's words: data, never markup.
            self.tooltip = data(f"{card.title}: no data; {why.full}")
            return
        text = Text(metric_value(card.reading.value, card.unit), "bold")
        text.append(" stale", "italic")
        set_text(value, text)
        set_text(line, Text(f"stale since {why.since}", "italic"))
        self.tooltip = data(f"{card.title}: stale since {why.since}; {why.full}")
