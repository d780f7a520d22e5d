"""History: any catalog metric over any range, for the account or one bucket.

The screen never reads the store itself: it is given a loader (metric, bucket,
range → Series) and runs it on a thread worker, so tests and other stores can
hand it any series."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.metrics import RANGES as METRIC_RANGES
from r2tui.store.views import Series
from r2tui.tui.format import BUCKET_CELLS, LINE_CELLS, data
from r2tui.tui.screens.styled import StyledOnce
from r2tui.tui.widgets.card import metric_title, metric_value
from r2tui.tui.widgets.footer import KeyFooter

Loader = Callable[[str, str, str], Series]

RANGES = tuple(METRIC_RANGES)
RESOLUTION_WORDS = {"raw": "every sample", "hour": "hourly", "day": "daily"}
BYTE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")  # decimal, as units.human_bytes


def byte_scale(largest: float) -> tuple[float, str]:
    """The divisor and unit that put the largest value between 1 and 1,000."""
    divisor = 1.0
    for unit in BYTE_UNITS:
        if abs(largest) < divisor * 1000 or unit == BYTE_UNITS[-1]:
            return divisor, unit
        divisor *= 1000
    return divisor, BYTE_UNITS[-1]


def time_format(range_: str) -> str:
    if range_ in ("1h", "24h"):
        return "%H:%M"
    if range_ == "7d":
        return "%a %H:%M"
    if range_ in ("30d", "90d"):
        return "%d %b"
    return "%b %Y"


def local(ts: float, fmt: str) -> str:
    """Local time on screen: the store keeps UTC."""
    return datetime.fromtimestamp(ts).astimezone().strftime(fmt)


class HistoryScreen(StyledOnce[None]):
    BINDINGS = [
        Binding(
            "escape",
            "close",
            "Close",
            id="history.close",
            tooltip="Close the history chart and return to the panes",
        ),
        Binding(
            "m",
            "metric(1)",
            "Metric",
            id="history.next_metric",
            tooltip="Chart the next metric of the catalog",
        ),
        Binding(
            "M",
            "metric(-1)",
            "Prev metric",
            id="history.prev_metric",
            tooltip="Chart the previous metric of the catalog",
        ),
        Binding(
            "r",
            "range(1)",
            "Range",
            id="history.next_range",
            tooltip="Chart a longer range (1h, 24h, 7d, 30d, 90d, 1y)",
        ),
        Binding(
            "R", "range(-1)", "Prev range", id="history.prev_range", tooltip="Chart a shorter range"
        ),
        Binding(
            "b",
            "bucket(1)",
            "Bucket",
            id="history.next_bucket",
            tooltip="Chart the next bucket (All buckets comes first)",
        ),
        Binding(
            "B",
            "bucket(-1)",
            "Prev bucket",
            id="history.prev_bucket",
            tooltip="Chart the previous bucket",
        ),
    ]

    class Loaded(Message):
        def __init__(
            self, request: tuple[str, str, str], series: Series | None, error: str | None = None
        ) -> None:
            super().__init__()
            self.request = request
            self.series = series
            self.error = error

    def __init__(
        self,
        load: Loader,
        metrics: Sequence[str],
        buckets: Sequence[str],
        metric: str = "total_bytes",
        bucket: str = ACCOUNT,
        range_: str = "24h",
        *,
        ranges: Sequence[str] = RANGES,
        titles: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.load = load
        self.metrics = list(metrics) or [metric]
        # The account first, then each bucket once.
        self.buckets = [ACCOUNT, *(b for b in dict.fromkeys(buckets) if b != ACCOUNT)]
        self.ranges = list(ranges)
        self.titles = titles or {}
        self.metric = metric if metric in self.metrics else self.metrics[0]
        self.bucket = bucket if bucket in self.buckets else ACCOUNT
        self.range_ = range_ if range_ in self.ranges else self.ranges[0]
        self.series: Series | None = None
        self.error: str | None = None
        self.loading = False

    @property
    def request(self) -> tuple[str, str, str]:
        return (self.metric, self.bucket, self.range_)

    def compose(self) -> ComposeResult:
        yield Static("", id="history-title")
        yield Static("", id="history-help")
        yield Static("", id="history-meta")
        yield PlotextPlot(id="history-plot")
        yield Static("", id="history-empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()

    # ---- keys ---------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_metric(self, step: int) -> None:
        self.metric = _step(self.metrics, self.metric, step)
        self.reload()

    def action_range(self, step: int) -> None:
        self.range_ = _step(self.ranges, self.range_, step)
        self.reload()

    def action_bucket(self, step: int) -> None:
        self.bucket = _step(self.buckets, self.bucket, step)
        self.reload()

    # ---- loading ------------------------------------------------------------------------
    def reload(self) -> None:
        self.loading = True
        self._show_heading()
        self._load(self.request)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(self, request: tuple[str, str, str]) -> None:
        try:
            series = self.load(*request)
        except Exception as exc:  # a locked store: say so on the screen, keep the app up
            if not get_current_worker().is_cancelled:
                self.post_message(self.Loaded(request, None, f"{type(exc).__name__}: {exc}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(request, series))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.request != self.request:
            return  # an older key press finished late: the newer request wins
        self.loading = False
        self.series = event.series
        self.error = event.error
        self._show_heading()
        self._draw()

    # ---- rendering ----------------------------------------------------------------------
    def _title(self, metric: str) -> str:
        return self.titles.get(metric) or metric_title(metric)

    def _show_heading(self) -> None:
        entry = CATALOG.get(self.metric)
        unit = entry.unit if entry else ""
        # A bucket the analytics name may be anything: its name is data.
        where = (
            Text("All buckets", "bold cyan")
            if self.bucket == ACCOUNT
            else data(f"bucket {self.bucket}", "bold cyan", BUCKET_CELLS + 7)
        )
        self.query_one("#history-title", Static).update(
            Text.assemble(
                (self._title(self.metric), "bold"),
                (f" ({unit})" if unit else "", "dim"),
                (" · ", "dim"),
                where,
                (" · ", "dim"),
                (f"last {self.range_}", "bold"),
            )
        )
        self.query_one("#history-help", Static).update(
            Text(entry.help) if entry else data(f"{self.metric} is not in the catalog")
        )
        meta = self.query_one("#history-meta", Static)
        if self.loading:
            meta.update(Text("loading…", "italic"))
        elif self.error is not None:
            meta.update(data(f"could not read the history: {self.error}", "red", LINE_CELLS))
        elif self.series is not None:
            meta.update(self._meta_text(self.series))

    def _meta_text(self, s: Series) -> Text:
        resolution = RESOLUTION_WORDS.get(s.resolution, s.resolution)
        fmt = "%Y-%m-%d %H:%M"
        count = f"{len(s.points):,} point" + ("" if len(s.points) == 1 else "s")
        text = Text.assemble(
            ("resolution ", "dim"),
            resolution,
            (" · ", "dim"),
            count,
            (" · ", "dim"),
            f"{local(s.start, fmt)} → {local(s.end, fmt)}",
            (" local time", "dim"),
        )
        if s.points:
            values = [v for _, v in s.points]
            text.append(" · ", "dim")
            text.append(
                f"last {metric_value(values[-1], s.unit)}, min "
                f"{metric_value(min(values), s.unit)}, max "
                f"{metric_value(max(values), s.unit)}"
            )
        return text

    def _draw(self) -> None:
        plot = self.query_one(PlotextPlot)
        empty = self.query_one("#history-empty", Static)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        s = self.series
        has_points = s is not None and bool(s.points)
        plot.display = has_points
        empty.display = not has_points
        if s is None or not s.points:
            hint = " · r charts a longer range" if self.range_ != self.ranges[-1] else ""
            empty.update("" if self.error else f"no data for this range yet{hint}")
            plot.refresh()
            return
        xs = [float(ts) for ts, _ in s.points]
        ys = [v for _, v in s.points]
        label = s.unit
        if s.unit == "bytes":
            divisor, label = byte_scale(max(abs(v) for v in ys))
            ys = [v / divisor for v in ys]
        if len(xs) == 1:
            plt.scatter(xs, ys, marker="●")  # a line needs two points
        else:
            plt.plot(xs, ys, marker="braille")
        plt.xlim(float(s.start), float(s.end))
        ticks = [s.start + (s.end - s.start) * i / 4 for i in range(5)]
        fmt = time_format(s.range)
        plt.xticks(ticks, [local(t, fmt) for t in ticks])
        plt.ylabel(label)
        plt.xlabel("local time")
        plot.refresh()


def _step(choices: list[str], current: str, step: int) -> str:
    at = choices.index(current) if current in choices else 0
    return choices[(at + step) % len(choices)]
