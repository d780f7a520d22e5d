"""Each catalog metric (`r2tui.metrics.CATALOG`) as a Prometheus metric family:
its name, type, unit and the scale from r2tui's unit to Prometheus' base unit.

Prometheus' naming: base units (seconds, bytes, ratios), the unit as the
name's suffix, and `_total` on counters. So `avg_response_ms` is served as
`r2tui_avg_response_seconds` (the value / 1000), `error_rate_pct` as
`r2tui_error_rate_ratio` (/ 100), `downloaded_bytes_today` as
`r2tui_downloaded_today_bytes_total`.

The type follows what the value means to Prometheus, where a counter only
grows except when it resets: a `today` metric (a sum since midnight in the
configured time zone) is a counter that resets at midnight, which `rate()`
and `increase()` handle as any counter reset. Every other calc is a gauge:
`last`, `mean` and `p95` are levels, and a `sum` or `ratio` over the last full
hour goes down as well as up (the catalog calls those counters because a
period of them adds up; to Prometheus they are gauges).
"""

from __future__ import annotations

from dataclasses import dataclass

from r2tui.metrics import CATALOG, Metric

PREFIX = "r2tui_"
GAUGE = "gauge"
COUNTER = "counter"

# r2tui's unit → (the token a catalog name may carry for it, Prometheus' unit, scale).
_UNITS: dict[str, tuple[str, str, float]] = {
    "bytes": ("bytes", "bytes", 1.0),
    "s": ("seconds", "seconds", 1.0),
    "ms": ("ms", "seconds", 0.001),
    "%": ("pct", "ratio", 0.01),
    "USD": ("usd", "usd", 1.0),
}


@dataclass(frozen=True)
class Family:
    """How one catalog metric is served."""

    metric: str  # the catalog name
    name: str  # the family's name, without `_total` for a counter
    type: str  # gauge | counter
    unit: str  # Prometheus' unit suffix, "" for a count or a 0/1
    scale: float  # the catalog's value times this is the served value
    help: str

    @property
    def sample_name(self) -> str:
        """The name its samples carry in the text format."""
        return f"{self.name}_total" if self.type == COUNTER else self.name


def family(m: Metric) -> Family:
    kind = COUNTER if m.calc == "today" else GAUGE
    token, unit, scale = _UNITS.get(m.unit, ("", "", 1.0))
    words = m.name.split("_")
    if token and token in words:
        words.remove(token)
    base = "_".join(words)
    name = f"{PREFIX}{base}_{unit}" if unit else f"{PREFIX}{base}"
    return Family(m.name, name, kind, unit, scale, m.help)


# Every catalog metric, as served, in the catalog's order.
FAMILIES: tuple[Family, ...] = tuple(family(m) for m in CATALOG.values())
