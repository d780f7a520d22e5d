"""What a report holds: plain, immutable data with a JSON form.

The store keeps a report's JSON; every other format is rendered from a
`Report`, and `Report.from_dict(json.loads(...))` gives back an equal one, so a
stored report renders exactly as it did when it was made."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from r2tui.store.views import Recommendation

KINDS = ("daily", "monthly")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SCHEMA = 1  # bumped when the JSON's shape changes; from_dict refuses other versions


@dataclass(frozen=True)
class Figure:
    """A number and what it is compared with: the level at the period's start
    (objects, bytes) or the previous period (requests, costs). None: not known,
    never shown as a zero."""

    value: float | None
    previous: float | None = None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_pct(self) -> float | None:
        if self.change is None or not self.previous:
            return None
        return 100.0 * self.change / abs(self.previous)


@dataclass(frozen=True)
class KeyNumbers:
    objects: Figure  # at the period's end, against its start
    bytes: Figure
    requests: Figure  # in the period, against the previous one (analytics only)
    uploads: Figure
    downloads: Figure
    error_rate_pct: Figure
    # Per storage class, at the period's end against its start (analytics when
    # it said the class, else the listing); objects and bytes are their sums.
    standard_objects: Figure = field(default_factory=lambda: Figure(None))
    standard_bytes: Figure = field(default_factory=lambda: Figure(None))
    ia_objects: Figure = field(default_factory=lambda: Figure(None))
    ia_bytes: Figure = field(default_factory=lambda: Figure(None))


@dataclass(frozen=True)
class Basis:
    """How one kind of charge's usage was found, as the cost view says it."""

    kind: str  # storage | requests | retrieval
    basis: str  # measured | estimated
    reason: str


@dataclass(frozen=True)
class Costs:
    known: bool  # calculate_costs stored figures for the period
    period_usd: Figure  # the day's share of the bill, or the month's bill; vs the one before
    month_to_date_usd: float | None = None  # daily: the month's bill at the day's end
    forecast_month_usd: float | None = None  # daily: the forecast made that day
    forecast_low_usd: float | None = None
    forecast_high_usd: float | None = None
    basis: list[Basis] = field(default_factory=list)  # per kind of charge


@dataclass(frozen=True)
class BucketGrowth:
    name: str
    bytes_start: float
    bytes_end: float

    @property
    def added(self) -> float:
        return self.bytes_end - self.bytes_start

    @property
    def pct(self) -> float | None:
        return 100.0 * self.added / self.bytes_start if self.bytes_start else None


@dataclass(frozen=True)
class EventLine:
    ts: int
    kind: str
    level: str
    bucket: str | None
    message: str


@dataclass(frozen=True)
class Report:
    kind: str  # "daily" | "monthly"
    account: str
    period_start: int  # UTC, inclusive
    period_end: int  # UTC, exclusive
    generated_at: int
    numbers: KeyNumbers
    costs: Costs
    growth: list[BucketGrowth] = field(default_factory=list)  # fastest first
    alerts: list[EventLine] = field(default_factory=list)
    alerts_total: int = 0  # alerts fired in the period; `alerts` may be capped
    events: list[EventLine] = field(default_factory=list)  # uploads, new buckets, spikes...
    events_total: int = 0
    recommendations: list[Recommendation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is missing, and why

    @property
    def period_label(self) -> str:
        return period_label(self.kind, self.period_start)

    @property
    def title(self) -> str:
        return f"r2tui {self.kind} report: {self.account}, {self.period_label}"

    def file_stem(self) -> str:
        """daily-<account>-2026-11-28: the account as a safe file name (a TOML
        table key may hold "/" or ".." )."""
        account = _UNSAFE.sub("_", self.account).strip("._") or "account"
        return f"{self.kind}-{account}-{self.period_label}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the fields, plus derived values (changes, ISO times) for
        whoever reads the file; `from_dict` reads the fields alone."""

        def figure(f: Figure) -> dict[str, Any]:
            return {
                "value": f.value,
                "previous": f.previous,
                "change": _round(f.change, 6),
                "change_pct": _round(f.change_pct),
            }

        def event(e: EventLine) -> dict[str, Any]:
            return {**asdict(e), "at": iso(e.ts)}

        return {
            "schema": SCHEMA,
            "kind": self.kind,
            "account": self.account,
            "period": self.period_label,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "period_start_utc": iso(self.period_start),
            "period_end_utc": iso(self.period_end),
            "generated_at": self.generated_at,
            "generated_at_utc": iso(self.generated_at),
            "numbers": {
                name: figure(getattr(self.numbers, name))
                for name in KeyNumbers.__dataclass_fields__
            },
            "costs": {**asdict(self.costs), "period_usd": figure(self.costs.period_usd)},
            "growth": [{**asdict(g), "added": g.added, "pct": _round(g.pct)} for g in self.growth],
            "alerts": [event(e) for e in self.alerts],
            "alerts_total": self.alerts_total,
            "events": [event(e) for e in self.events],
            "events_total": self.events_total,
            "recommendations": [asdict(r) for r in self.recommendations],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Report:
        if doc.get("schema") != SCHEMA:
            raise ValueError(
                f"report schema {doc.get('schema')!r} is not {SCHEMA}: "
                "made by another r2tui version"
            )

        def figure(d: dict[str, Any]) -> Figure:
            return Figure(d["value"], d["previous"])

        def event(d: dict[str, Any]) -> EventLine:
            return EventLine(d["ts"], d["kind"], d["level"], d["bucket"], d["message"])

        n, c = doc["numbers"], doc["costs"]
        # Reports stored before the storage classes and the bill's basis lack them.
        return cls(
            kind=doc["kind"],
            account=doc["account"],
            period_start=doc["period_start"],
            period_end=doc["period_end"],
            generated_at=doc["generated_at"],
            numbers=KeyNumbers(
                **{k: figure(n[k]) for k in KeyNumbers.__dataclass_fields__ if k in n}
            ),
            costs=Costs(
                **{
                    **c,
                    "period_usd": figure(c["period_usd"]),
                    "basis": [Basis(**b) for b in c.get("basis", [])],
                }
            ),
            growth=[
                BucketGrowth(g["name"], g["bytes_start"], g["bytes_end"]) for g in doc["growth"]
            ],
            alerts=[event(e) for e in doc["alerts"]],
            alerts_total=doc["alerts_total"],
            events=[event(e) for e in doc["events"]],
            events_total=doc["events_total"],
            recommendations=[Recommendation(**r) for r in doc["recommendations"]],
            notes=list(doc["notes"]),
        )


def period_label(kind: str, start: int) -> str:
    """2026-11-28 for a day, 2026-11 for a month: the `--date` form too."""
    d = datetime.fromtimestamp(start, UTC)
    return d.strftime("%Y-%m-%d" if kind == "daily" else "%Y-%m")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _round(v: float | None, places: int = 2) -> float | None:
    """Derived values rounded (percentages to 0.01, the rest to the millionth the
    cost job keeps): float noise in a file a person reads helps no one."""
    return None if v is None else round(v, places)
