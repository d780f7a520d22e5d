"""What canary probes cost, and how many a run of `collect_metrics` may send.

A probe is PUT, GET, HEAD and DELETE of a tiny object (`PROBE_OPERATIONS`): one
Class A, two Class B and one free request. An account's probes spend a budget
of probe requests a month (`[accounts.NAME.probe] requests_per_month`). The
plan's figures are for the price list's billing period (30 days), as on the
bill; a run's share (`run_due`) is paid per scheduled run over the calendar
month's runs, as the free tier counts:

- **every run**: the budget pays for every bucket at every run of the
  schedule: each is probed every run, as without a budget.
- **rotation**: it does not. The buckets that must be probed (named by a rule
  on a probe metric, or with new errors in the last hour) are probed every run;
  the rest of the budget goes round the others in turn, the least recently
  probed first, so each is probed about every `ProbePlan.every_seconds`.
- **over budget**: the buckets that must be probed would alone spend more than
  their part of the budget (all but `ROTATION_SHARE`, kept for the others'
  turns). The budget wins: they take turns at their part's pace, the others
  keep their turns on the share kept for them, and the job, an event and
  `config check` say so.

Pure: `plan` is the month's figures, `run_due` a run's share of the budget; the job
(`jobs.probe_budget`) reads the store and chooses the buckets. `plan` is also
where the figures in docs/configuration.md come from (`r2tui estimate
--probe-buckets N`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
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
# The budget's share kept for the rotation however many buckets must be probed
# (a tenth): buckets that must be probed, however many, never stop the others' turns.
ROTATION_SHARE = 10  # one part in ten
# A cron schedule's runs a month are counted from here: a fixed start, so the
# same line gives the same figure (a month from a 1st, in UTC or the config's zone).
CRON_COUNT_FROM = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class ProbePlan:
    """A month of probes at the current settings."""

    buckets: int  # buckets probes may touch (probe.buckets among the watched ones)
    must: int  # of them, named by rules on probe metrics or with new errors in the last hour
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
    reserved_probes: int = 0  # of the budget, a month, kept for the others' turns

    @property
    def must_budget_probes(self) -> int:
        """What the buckets that must be probed may spend a month."""
        return self.budget_probes - self.reserved_probes

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

    def must_budget_text(self) -> str:
        """The probes a month left to the buckets that must be probed, in words."""
        if not self.reserved_probes:
            return f"the budget's {self.budget_probes:,}"
        return (
            f"the {self.must_budget_probes:,} of the budget's {self.budget_probes:,} left to "
            "them (a tenth is kept for the other buckets' turns)"
        )

    def needed_requests(self) -> int:
        """The budget that would probe every bucket that must be, at every run,
        besides the share kept for the others' turns."""
        need = self.must_probes_month
        if self.must < self.buckets:
            need = -(-need * ROTATION_SHARE // (ROTATION_SHARE - 1))
            while need - 1 - reserved(need - 1, self.must, self.buckets) >= self.must_probes_month:
                need -= 1  # the least that leaves them enough
        return need * REQUESTS_PER_PROBE


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
    return runs_in(schedule, tz, month_seconds(prices))


def runs_in(schedule: Schedule, tz: str, seconds: int) -> float:
    """Runs of `schedule` in `seconds`: over its interval; a cron line that
    repeats every week (day of month and month `*`) at its week's fires, scaled
    (counted arithmetically: "* * * * 1-5" fires 7,200 times a week); any other
    line at its fire times from `CRON_COUNT_FROM`."""
    if schedule.seconds is not None:
        return seconds / schedule.seconds
    weekly = _weekly_runs(schedule, tz)
    if weekly is not None:
        return weekly * seconds / WEEK
    return float(_cron_runs(schedule, tz, seconds))


WEEK = 7 * DAY
MOST_RUNS = 2000  # a run's count of the runs since the last probe stops here
MONDAY = 1_767_571_200  # 2026-01-05T00:00:00Z, a Monday


@lru_cache(maxsize=16)
def _weekly_runs(schedule: Schedule, tz: str) -> int | None:
    """A week's fires of a cron line whose day of month and month are `*`
    (None for any other): its minutes in an hour times its (weekday, hour)
    pairs in a week, each counted on its own line, at most 60 + 168 fire
    times (APScheduler takes about 0.15 ms each): the fields are independent.
    In UTC: the zone moves the fires, not their count (but on the days the
    clocks change)."""
    assert schedule.cron is not None
    fields = schedule.cron.split()
    if len(fields) != 5 or fields[2:4] != ["*", "*"]:
        return None
    minute, hour, _, _, weekday = fields

    def fires(line: str, span: int) -> int:
        got = cadence(Schedule(schedule.job, line, None, line), "UTC", MONDAY, MONDAY + span - 1)
        return len(got) if isinstance(got, list) else 0

    return fires(f"{minute} * * * *", HOUR) * fires(f"0 {hour} * * {weekday}", WEEK)


def calendar_month(now: float) -> tuple[int, int]:
    """The UTC calendar month holding `now` (the free tier's month): its start
    and end, Unix seconds."""
    at = datetime.fromtimestamp(now, UTC)
    start = datetime(at.year, at.month, 1, tzinfo=UTC)
    end = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(end.timestamp())


def runs_since(schedule: Schedule, tz: str, last: float, now: float, most: int) -> int:
    """The schedule's runs after `last` up to `now`, at most `most`: an
    interval's, the time over it rounded (a run a little late or early is one
    run; an extra run soon after one, none); a cron line's, its fire times."""
    if schedule.seconds is not None:
        return min(most, max(0, round((now - last) / schedule.seconds)))
    fires = cadence(schedule, tz, int(last) + 1, int(now), limit=most)
    return len(fires) if isinstance(fires, list) else 0


def run_due(budget_probes: int, schedule: Schedule, tz: str, now: float, last: float | None) -> int:
    """Probes a run of `schedule` at `now` may send, paid per scheduled run: the
    budget over the calendar month's runs (`calendar_month`: the free tier is
    per calendar month, 28 to 31 days), for each run since the last probe
    (`last`; one before the first), so that a schedule that pauses (a cron line
    for working hours) still spends its budget over the month, and an extra run
    (the refresh key, `collect --once`) spends nothing of it. Each run counts as
    the month's mean interval on `due`'s clock, at most its hour-or-one-probe cap
    after a long pause."""
    if budget_probes <= 0:
        return 0
    start, end = calendar_month(now)
    month = end - start
    runs = runs_in(schedule, tz, month)
    if runs <= 0:
        return 0
    mean = month / runs
    cap = max(HOUR, -(-month // budget_probes))
    # At most the cap's runs, and at most MOST_RUNS fire times read (0.3 s): a
    # budget of a few probes a month has a cap of days.
    most = min(MOST_RUNS, max(1, int(cap // mean)))
    n = 1 if last is None else runs_since(schedule, tz, last, now, most)
    return due(budget_probes, month, now, now - n * mean, mean)


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


def reserved(budget_probes: int, must: int, buckets: int) -> int:
    """The probes a month kept for the rotation out of `budget_probes`: a
    `ROTATION_SHARE`th, when there are buckets besides the `must` ones."""
    return budget_probes // ROTATION_SHARE if must < buckets else 0


def plan(
    buckets: int,
    budget_requests: int,
    runs_month: float,
    prices: PriceList = LIST_PRICES,
    must: int = 0,
) -> ProbePlan:
    """The month's probes for `buckets` at `runs_month` runs within
    `budget_requests`, `must` of them probed at every run while their part of
    the budget allows (all but the share kept for the others' turns)."""
    period = month_seconds(prices)
    budget = budget_requests // REQUESTS_PER_PROBE
    must = min(must, buckets)
    kept = reserved(budget, must, buckets)
    interval = period / runs_month if runs_month else None
    every: float | None
    must_every: float | None = interval if must else None
    if buckets * runs_month <= budget:
        mode, probes, every = EVERY_RUN, round(buckets * runs_month), interval
        must_every = interval if must else None
    elif must * runs_month <= budget - kept:
        mode, probes = ROTATION, budget
        left = budget - must * runs_month
        every = period * (buckets - must) / left if left >= 1 else None
    else:
        mode, probes = OVER_BUDGET, budget
        every = period * (buckets - must) / kept if kept else None
        must_every = period * must / (budget - kept) if budget - kept else None
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
        reserved_probes=kept if mode == OVER_BUDGET else 0,
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
        others = (
            f"the other {p.buckets - p.must:,} in turn on a tenth of the budget, each every "
            f"{every_text(p.every_seconds)}"
            if p.reserved_probes
            else "no other bucket"
        )
        how = (
            f"over budget: the {p.must:,} that must be probed take turns, each every "
            f"{every_text(p.must_every_seconds)}; {others}"
        )
    return (
        f"{p.buckets:,} buckets, {how}: {p.probes_month:,} probes a month, "
        f"{p.class_a:,} Class A + {p.class_b:,} Class B, ${to_cents(p.list_usd):,} at list "
        f"price, ${to_cents(p.beyond_free_usd):,} beyond the free tier "
        f"(budget {p.budget_requests:,} requests a month)"
    )
