"""What canary probes cost, and how many a run of `collect_metrics` may send.

A probe is PUT, GET, HEAD and DELETE of a tiny object (`PROBE_OPERATIONS`): one
Class A, two Class B and one free request. An account's probes spend a budget
of probe requests a month (`[accounts.NAME.probe] requests_per_month`), and a
"month" is the price list's billing period (30 days), as on the bill:

- **every run**: the budget pays for every bucket at every run of the
  schedule: each is probed every run, as without a budget.
- **rotation**: it does not. The buckets that must be probed (named by a rule
  on a probe metric, or with errors in the last hour) are probed every run; the
  rest of the budget goes round the others in turn, the least recently probed
  first, so each is probed about every `ProbePlan.every_seconds`.
- **over budget**: the buckets that must be probed would alone spend more than
  the budget. The budget wins: they take turns at the budget's pace, no other
  bucket is probed, and the job, an event and `config check` say so.

Pure: `plan` is the month's figures, `due` a run's share of the budget; the job
(`jobs.probe_budget`) reads the store and chooses the buckets. `plan` is also
where the figures in docs/configuration.md come from (`r2tui estimate
--probe-buckets N`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from r2tui.config.model import DEFAULT_SCHEDULES, AccountConfig, Config, Schedule
from r2tui.config.triggers import cadence
from r2tui.config.values import parse_schedule
from r2tui.costs.bill import Usage, bill, to_cents
from r2tui.metrics import DAY, HOUR
from r2tui.observations import PROBE_OPERATIONS
from r2tui.pricing import LIST_PRICES, MILLION, PriceList, operation_class

REQUESTS_PER_PROBE = len(PROBE_OPERATIONS)
# Requests of each class ("A", "B", "free") one probe sends.
PER_PROBE: dict[str, int] = dict(Counter(operation_class(op) for op in PROBE_OPERATIONS))
EVERY_RUN, ROTATION, OVER_BUDGET = "every_run", "rotation", "over_budget"
# A cron schedule's runs a month are counted from here: a fixed start, so the
# same line gives the same figure (a month from a 1st, in UTC or the config's zone).
CRON_COUNT_FROM = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class ProbePlan:
    """A month of probes at the current settings."""

    buckets: int  # buckets probes may touch (probe.buckets among the watched ones)
    must: int  # of them, named by rules on probe metrics or with errors in the last hour
    budget_requests: int  # probe.requests_per_month
    runs_month: float  # runs of collect_metrics in a billing period
    period_seconds: int  # the billing period
    mode: str  # EVERY_RUN, ROTATION or OVER_BUDGET
    probes_month: int
    class_a: int
    class_b: int
    free: int
    list_usd: Decimal  # at list price, before any free tier
    beyond_free_usd: Decimal  # the probes alone after the free tier, rounded up as billed
    # How often one bucket is probed: one in rotation (every run's interval when
    # the budget pays for every run; None when none is probed), and one that must be.
    every_seconds: float | None
    must_every_seconds: float | None

    @property
    def budget_probes(self) -> int:
        return self.budget_requests // REQUESTS_PER_PROBE

    @property
    def requests_month(self) -> int:
        return self.probes_month * REQUESTS_PER_PROBE

    @property
    def interval_seconds(self) -> float:
        """The schedule's mean time between runs."""
        return self.period_seconds / self.runs_month if self.runs_month else float("inf")

    @property
    def must_probes_month(self) -> int:
        """Probes a month for the buckets that must be probed at every run."""
        return round(self.must * self.runs_month)

    @property
    def over_budget(self) -> bool:
        return self.mode == OVER_BUDGET

    def needed_requests(self) -> int:
        """The budget that would probe every bucket that must be, at every run."""
        return self.must_probes_month * REQUESTS_PER_PROBE


def month_seconds(prices: PriceList = LIST_PRICES) -> int:
    return prices.billing_period_days * DAY


def collect_schedule(config: Config) -> Schedule:
    """When collect_metrics runs (the probes' runs), as configured."""
    schedule = config.schedules.get("collect_metrics")
    if schedule is not None:
        return schedule
    text = DEFAULT_SCHEDULES["collect_metrics"]
    seconds, cron = parse_schedule(text)
    return Schedule("collect_metrics", text, seconds, cron)


def runs_per_month(schedule: Schedule, tz: str = "UTC", prices: PriceList = LIST_PRICES) -> float:
    """Runs of `schedule` in a billing period: the period over its interval, or a
    cron line's fire times in one (counted once per line)."""
    period = month_seconds(prices)
    if schedule.seconds is not None:
        return period / schedule.seconds
    return float(_cron_runs(schedule, tz, period))


@lru_cache(maxsize=16)
def _cron_runs(schedule: Schedule, tz: str, period: int) -> int:
    """A line that fires alike every day ("*/5 * * * *") is counted over one day
    (APScheduler takes about 0.15 ms a fire time), any other over the period."""
    assert schedule.cron is not None
    daily = schedule.cron.split()[2:] == ["*", "*", "*"]
    span = DAY if daily and period % DAY == 0 else period
    fires = cadence(schedule, tz, CRON_COUNT_FROM, CRON_COUNT_FROM + span - 1)
    count = len(fires) if isinstance(fires, list) else span // fires
    return count * (period // span)


def plan(
    buckets: int,
    budget_requests: int,
    runs_month: float,
    prices: PriceList = LIST_PRICES,
    must: int = 0,
) -> ProbePlan:
    """The month's probes for `buckets` at `runs_month` runs within
    `budget_requests`, `must` of them probed at every run while the budget allows."""
    period = month_seconds(prices)
    budget = budget_requests // REQUESTS_PER_PROBE
    must = min(must, buckets)
    interval = period / runs_month if runs_month else None
    every: float | None
    must_every: float | None = interval if must else None
    if buckets * runs_month <= budget:
        mode, probes, every = EVERY_RUN, round(buckets * runs_month), interval
        must_every = interval if must else None
    elif must * runs_month <= budget:
        mode, probes = ROTATION, budget
        left = budget - must * runs_month
        every = period * (buckets - must) / left if left >= 1 else None
    else:
        mode, probes, every = OVER_BUDGET, budget, None
        must_every = period * must / budget if budget else None
    a, b, free = (probes * PER_PROBE.get(k, 0) for k in ("A", "B", "free"))
    priced = bill(Usage(standard_class_a=a, standard_class_b=b), prices)
    return ProbePlan(
        buckets=buckets,
        must=must,
        budget_requests=budget_requests,
        runs_month=runs_month,
        period_seconds=period,
        mode=mode,
        probes_month=probes,
        class_a=a,
        class_b=b,
        free=free,
        list_usd=(a * prices.standard_class_a_per_million + b * prices.standard_class_b_per_million)
        / MILLION,
        beyond_free_usd=priced.total,
        every_seconds=every,
        must_every_seconds=must_every,
    )


def account_plan(
    config: Config, account: AccountConfig, buckets: list[str], must: int = 0
) -> ProbePlan | None:
    """The plan for `account`'s probes over its known `buckets`; None when its
    probes are off."""
    if not account.probe.enabled:
        return None
    eligible = sum(1 for b in buckets if account.probes_bucket(b))
    runs = runs_per_month(collect_schedule(config), config.timezone, config.pricing)
    return plan(eligible, account.probe.requests_per_month, runs, config.pricing, must)


def due(budget_probes: int, period: int, now: float, last: float | None, interval: float) -> int:
    """Probes a run at `now` may send: the budget's share of the time since the
    last probe (`last`; the schedule's `interval` before the first one), counted
    on one clock for every run, so that the shares add up to the budget over the
    period whatever the runs' times; the time counted is at most an hour (or
    one probe's share, for a budget under one probe an hour), so that a
    collector started after a pause does not spend it at once."""
    if budget_probes <= 0:
        return 0
    cap = max(HOUR, -(-period // budget_probes))
    gap = interval if last is None else now - last
    t = int(now)
    start = t - int(max(0.0, min(gap, cap)))
    return (budget_probes * t) // period - (budget_probes * start) // period


def every_text(seconds: float | None) -> str:
    """How often, as people say it: "5 min", "7.2 h", "3.5 days", "never"."""
    if seconds is None:
        return "never"
    if seconds < HOUR:
        return f"{seconds / 60:.3g} min"
    if seconds < 2 * DAY:
        return f"{seconds / HOUR:.3g} h"
    return f"{seconds / DAY:.3g} days"


def plan_text(p: ProbePlan) -> str:
    """One line: how often a bucket is probed and what a month of it costs."""
    if p.mode == EVERY_RUN:
        how = f"every bucket every run ({every_text(p.every_seconds)})"
    elif p.mode == ROTATION:
        must = f"{p.must:,} every run, the rest " if p.must else ""
        how = f"{must}in turn, each every {every_text(p.every_seconds)}"
    else:
        how = (
            f"over budget: the {p.must:,} that must be probed take turns, each every "
            f"{every_text(p.must_every_seconds)}; no other bucket is probed"
        )
    return (
        f"{p.buckets:,} buckets, {how}: {p.probes_month:,} probes a month, "
        f"{p.class_a:,} Class A + {p.class_b:,} Class B, ${to_cents(p.list_usd):,} at list "
        f"price, ${to_cents(p.beyond_free_usd):,} beyond the free tier "
        f"(budget {p.budget_requests:,} requests a month)"
    )
