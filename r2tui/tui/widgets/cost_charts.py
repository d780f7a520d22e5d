"""The Cost pane's parts that size themselves to the width they get: the
summary's label/value rows, what each day added to the bill (the cards'
Sparkline, taller), and the free tier's gauges (used of allowance, a bar, and
when it runs out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from r2tui.store.views import FreeTierGauge
from r2tui.tui.format import usd
from r2tui.tui.widgets.card import spark_data
from r2tui.tui.widgets.text import set_text


def day_label(ts: float) -> str:
    """A billing day: R2 bills by UTC day, so a day is shown as its UTC date
    (in a zone west of UTC, local time would put it on the day before)."""
    d = datetime.fromtimestamp(ts, UTC)
    return f"{d:%b} {d.day}"


def short_amount(v: float) -> str:
    """1,757,827 → "1.76 M": a gauge line has to fit a pane a third of a screen wide."""
    for size, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(v) >= size:
            x = v / size
            digits = 2 if x < 10 else 1 if x < 100 else 0
            return _trim(f"{x:,.{digits}f}") + suffix
    return _trim(f"{v:,.1f}")


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


@dataclass(frozen=True)
class Figure:
    label: str
    short: str  # the label in a narrow pane
    parts: tuple[Text, ...]  # the value first, then notes that may move to the next line


class Figures(Widget):
    """Label and value rows. A row too long for the width goes on under the
    value column, at a part's boundary, so "$4.24  11 %" never splits a figure."""

    COMPONENT_CLASSES = {"figures--label"}
    LABEL = 15  # "Month to date", "vs last month"
    SHORT = 10  # "Daily avg", "Retrieval"
    NARROW = 36  # below this width the short labels are used

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Figure] = []

    def show(self, rows: list[Figure]) -> None:
        if rows != self.rows:
            self.rows = list(rows)
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))

    def lines(self, width: int) -> list[Text]:
        narrow = width < self.NARROW
        label_width = self.SHORT if narrow else self.LABEL
        style = self.get_component_rich_style("figures--label")
        out: list[Text] = []
        for row in self.rows:
            line = Text(f"{row.short if narrow else row.label:<{label_width}}", style)
            col = label_width
            for i, part in enumerate(row.parts):
                gap = 2 if i else 0
                if i and col + gap + len(part) > width:
                    out.append(line)
                    # Under the value column if it fits there, else nearly full width.
                    col = label_width if label_width + len(part) <= width else 2
                    line, gap = Text(" " * col), 0
                line.append(" " * gap)
                line.append_text(part)
                col += gap + len(part)
            out.append(line)
        return out


class DailyChart(Vertical):
    """The month's days as bars: a caption with the scale, the bars, first and last day."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[int, float]] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="chart-caption")
        yield Sparkline([], classes="chart-bars")
        yield DayAxis(classes="chart-axis")

    def show(self, daily: list[tuple[int, float]]) -> None:
        if daily == self._shown:
            return  # a refresh every few seconds: redraw only when a day changed
        self._shown = list(daily)
        caption = self.query_one(".chart-caption", Static)
        bars = self.query_one(Sparkline)
        axis = self.query_one(DayAxis)
        # One day alone would fill the line as a solid bar: a trend needs two.
        enough = len(daily) >= 2
        bars.display = axis.display = enough
        if not daily:
            set_text(caption, Text("Each day's cost: no day yet this month", "dim"))
            return
        values = [v for _, v in daily]
        top = max(range(len(values)), key=values.__getitem__)
        text = Text("Daily cost", "bold")
        if enough:
            # Bars run from the lowest day to the highest, not from zero: say so.
            text.append(
                f"  high {usd(values[top])} {day_label(daily[top][0])} · low {usd(min(values))}",
                "dim",
            )
        else:
            text.append(f"  {day_label(daily[0][0])} (UTC): {usd(values[0])}", "dim")
        set_text(caption, text)
        # A new list each time: Sparkline redraws on assignment, not on mutation.
        bars.data = spark_data(values)
        axis.show(day_label(daily[0][0]), "UTC days", day_label(daily[-1][0]))


class DayAxis(Widget):
    """First day on the left, last on the right, what the days are between."""

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.labels = ("", "", "")

    def show(self, first: str, middle: str, last: str) -> None:
        self.labels = (first, middle, last)
        self.refresh()

    def render(self) -> Text:
        first, middle, last = self.labels
        width = self.content_size.width
        room = width - len(first) - len(last)
        if room < len(middle) + 2:
            middle = ""  # the dates matter more than the note between them
        left = (room - len(middle)) // 2
        return Text(
            first + " " * left + middle + " " * (room - left - len(middle)) + last,
            no_wrap=True,
            overflow="crop",
        )


class FreeTierGauges(Widget):
    """Each gauge: its name and share used, what is used of the allowance, and
    a bar with the day it ran out, will run out, or that it lasts the month.
    Wide, the first two share a line."""

    COMPONENT_CLASSES = {
        "gauge--title",
        "gauge--bar",
        "gauge--over",
        "gauge--empty",
        "gauge--muted",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.gauges: list[FreeTierGauge] = []
        self.now = 0.0
        self.requests_known = True

    def show(self, gauges: list[FreeTierGauge], now: float, requests_known: bool) -> None:
        before = (self.gauges, self.requests_known, [self.status(g) for g in self.gauges])
        self.gauges, self.now, self.requests_known = list(gauges), now, requests_known
        # Redraw when a figure changed, or a "runs out" date has come ("used up").
        if before != (self.gauges, requests_known, [self.status(g) for g in gauges]):
            self.refresh(layout=True)

    def status(self, g: FreeTierGauge) -> str:
        if g.runs_out_at is None:
            return "lasts the month"
        if g.runs_out_at <= self.now:
            return f"used up {day_label(g.runs_out_at)}"
        return f"runs out {day_label(g.runs_out_at)}"

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))

    def lines(self, width: int) -> list[Text]:
        width = max(20, width)
        muted = self.get_component_rich_style("gauge--muted")
        out = [
            Text(
                "Free tier this month",
                self.get_component_rich_style("gauge--title"),
                no_wrap=True,
                overflow="ellipsis",
            )
        ]
        for g in self.gauges:
            if g.unit == "requests" and not self.requests_known:
                # No request counts is not zero requests: no bar, no 0 %.
                out.append(
                    Text.assemble(
                        g.label, ("  not counted", muted), no_wrap=True, overflow="ellipsis"
                    )
                )
                continue
            pct = f"{g.used_pct:,.0f} %"
            amounts = f"{short_amount(g.used)} of {short_amount(g.allowance)} {g.unit}"
            one_line = len(g.label) + 2 + len(amounts) + 1 + len(pct) <= width
            head = Text(g.label)
            if one_line:
                head.append(f"  {amounts}", muted)
            head.truncate(width - len(pct) - 1, overflow="ellipsis")
            head.pad_right(width - len(head) - len(pct))
            head.append(pct, "bold" if g.used >= g.allowance else "")
            out.append(head)
            if not one_line:
                out.append(Text(amounts, muted, no_wrap=True, overflow="ellipsis"))
            status = self.status(g)
            cells = max(4, width - len(status) - 1)
            filled = round(cells * min(1.0, g.used / g.allowance)) if g.allowance else 0
            # Ran out or will this month: from then on it is charged.
            over = g.runs_out_at is not None
            bar = Text(
                "━" * filled, self.get_component_rich_style("gauge--over" if over else "gauge--bar")
            )
            bar.append("━" * (cells - filled), self.get_component_rich_style("gauge--empty"))
            bar.append(" " + status, "bold" if over else muted)
            bar.truncate(width, overflow="crop")
            out.append(bar)
        return out
