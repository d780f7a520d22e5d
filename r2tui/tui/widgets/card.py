"""One metric card: title, value in human units, trend against the previous
window, and a 24-hour sparkline. Also the value formatting the history screen
shares, so a number reads the same on both."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from r2tui.store.views import MetricCard
from r2tui.tui.format import human_bytes, usd
from r2tui.tui.widgets.text import set_text

NEEDS_TOKEN = "needs API token"
NO_DATA = "no data yet"
# The product brief's card titles; other catalog metrics are titled from their names.
TITLES = {"total_files": "Total files", "total_bytes": "Storage used",
          "uploads_today": "Uploads today", "downloads_today": "Downloads today",
          "error_rate_pct": "Error rate", "avg_response_ms": "Avg response"}
_WORDS = {"pct": "%", "ms": "(ms)", "usd": "(USD)", "ops": "requests", "a": "A", "b": "B",
          "ia": "IA"}


def metric_title(name: str) -> str:
    if name in TITLES:
        return TITLES[name]
    text = " ".join(_WORDS.get(w, w) for w in name.split("_"))
    return text[:1].upper() + text[1:]


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
    """Focusable so that `h` can chart the metric of the card under the cursor."""

    def __init__(self, metric: str, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="card")
        self.metric = metric
        self.card_title = title
        self.card: MetricCard | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.card_title, classes="card-title")
        yield Static(Text("–", "dim"), classes="card-value")
        yield Sparkline([], classes="card-spark")

    def show(self, card: MetricCard, analytics: bool) -> None:
        self.card = card
        self.card_title = card.title
        set_text(self.query_one(".card-title", Static), card.title)
        value = self.query_one(".card-value", Static)
        spark = self.query_one(Sparkline)
        locked = card.needs_token and not analytics
        self.set_class(locked, "-locked")
        self.set_class(card.warning and not locked, "-warning")
        if locked:
            set_text(value, Text(NEEDS_TOKEN, "italic"))
            spark.data = []
            spark.display = False
            self.tooltip = f"{card.title}: {NEEDS_TOKEN} (see the note below the cards)"
            return
        reading = card.reading
        if reading.value is None:
            set_text(value, Text(NO_DATA, "dim italic"))
        else:
            text = Text(metric_value(reading.value, card.unit), "bold")
            text.append("  ")
            text.append_text(trend_text(reading.trend_pct, card.warn_above is not None))
            set_text(value, text)
        # A new list each time: Sparkline redraws on assignment, not on mutation;
        # and only a changed one, as each assignment repaints it.
        data = spark_data(card.spark)
        if data != spark.data:
            spark.data = data
        # One hour alone would fill the line as a solid bar: a trend needs two.
        spark.display = len(spark.data) >= 2
        limit = (f"; warns above {metric_value(card.warn_above, card.unit)}"
                 if card.warn_above is not None else "")
        self.tooltip = f"{card.title} (last 24 h in the sparkline{limit}); h charts it"
