"""Which buckets a run of collect_metrics probes, within the account's budget
of probe requests a month (`costs.probes` has the rules and the arithmetic).

The buckets that must be probed (`alerts.probe_watch`: named by a rule on a
probe metric, or with new errors in the last hour) are probed at every run; the
others take turns, the least recently probed first (by name among equals), read from
the stored probes: the rotation is the same after a restart, or in another
collector on the store.

When the buckets that must be probed would alone spend more than their part of
the budget (all but a `probes.ROTATION_SHARE`th, kept for the others' turns),
the budget wins: they take turns at their part's pace, the others keep their
turns on the share kept for them, and the run's summary says so (an event too,
once a day while it lasts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from r2tui.alerts.probe_watch import must_probe
from r2tui.config import AccountConfig, Config
from r2tui.costs import probes
from r2tui.costs.probes import EVERY_RUN, OVER_BUDGET, ProbePlan
from r2tui.metrics import DAY
from r2tui.store import Store, probed, writes
from r2tui.store.writes import EventRow


def choose(
    eligible: Sequence[str],
    last: Mapping[str, int],
    must: set[str],
    plan: ProbePlan,
    due: int,
    reserve: int = 0,
) -> tuple[str, ...]:
    """This run's buckets: every one when the budget pays for every run; else
    those that must be probed, then the rest of the run's share (`due`) in
    turn, the least recently probed first; never more than `due` (an extra run
    has none: it spends nothing beyond the budget). Over budget, `due` in turn: up to
    `reserve` of them (the share kept for the rotation) among the others, the
    rest among those that must be probed."""
    if plan.mode == EVERY_RUN:
        return tuple(sorted(eligible))

    def turn(b: str) -> tuple[int, str]:
        return (last.get(b, -1), b)

    first = sorted((b for b in eligible if b in must), key=turn)
    rest = sorted((b for b in eligible if b not in must), key=turn)
    if plan.mode == OVER_BUDGET:
        others = min(max(0, reserve), max(0, due), len(rest))
        return tuple(first[: max(0, due - others)] + rest[:others])
    return tuple(first[: max(0, due)] + rest[: max(0, due - len(first))])


@dataclass(frozen=True)
class Turn:
    """A run's probes: which buckets, and why."""

    chosen: tuple[str, ...]
    plan: ProbePlan
    ruled: frozenset[str]  # of the eligible buckets, named by probe rules
    erroring: frozenset[str]  # of the eligible buckets, with new errors in the last hour
    due: int  # the budget's share for this run

    def summary(self, probed_count: int) -> str:
        p = self.plan
        if p.mode == EVERY_RUN:
            return f"probed {probed_count:,} bucket{'' if probed_count == 1 else 's'}"
        head = f"probed {probed_count:,} of {p.buckets:,} buckets"
        if probed_count == 0 and p.mode != OVER_BUDGET:
            return (
                f"no probe due this run ({p.buckets:,} buckets in turn within the budget, "
                f"each every {probes.every_text(p.every_seconds)})"
            )
        if p.mode == OVER_BUDGET:
            return (
                f"{head}: {p.must:,} must be probed at every run "
                f"({len(self.ruled):,} named by rules on probe metrics, "
                f"{len(self.erroring):,} with new errors in the last hour), "
                f"{p.must_probes_month:,} probes a month, more than {p.must_budget_text()}: "
                f"they take turns, {_others(p)} "
                f"(probe.requests_per_month = {p.needed_requests():,} would probe them all "
                "at every run)"
            )
        must = f"{p.must:,} at every run, the rest " if p.must else ""
        return (
            f"{head} within the budget ({must}in turn, each every "
            f"{probes.every_text(p.every_seconds)})"
        )


def _others(p: ProbePlan) -> str:
    if not p.reserved_probes:
        return "and no other bucket is probed"
    return (
        "the others in turn on the tenth kept for them, each every "
        f"{probes.every_text(p.every_seconds)}"
    )


def plan_turn(
    store: Store, config: Config, account: AccountConfig, eligible: Sequence[str], now: float
) -> Turn:
    """This run's probes for `account`, from what the store holds."""
    schedule = probes.collect_schedule(config)
    runs = probes.runs_per_month(schedule, config.timezone, config.pricing)
    budget = account.probe.requests_per_month
    if len(eligible) * runs <= budget // probes.REQUESTS_PER_PROBE:
        # Every bucket at every run: nothing to read.
        p = probes.plan(len(eligible), budget, runs, config.pricing)
        return Turn(tuple(sorted(eligible)), p, frozenset(), frozenset(), len(eligible))
    ruled, errors = must_probe(store, account, eligible, now)
    must = ruled | errors
    p = probes.plan(len(eligible), budget, runs, config.pricing, must=len(must))
    last = probed.last_probes(store, account.name)
    newest = max(last.values(), default=None)
    share = probes.run_due(p.budget_probes, schedule, config.timezone, now, newest)
    reserve = 0
    if p.mode == OVER_BUDGET:
        # The share kept for the rotation, paced on the same clock.
        reserve = probes.run_due(p.reserved_probes, schedule, config.timezone, now, newest)
    chosen = choose(eligible, last, set(must), p, share, reserve)
    return Turn(chosen, p, ruled, errors, share)


def warn_over_budget(store: Store, account: str, turn: Turn, now: float) -> None:
    """The budget's warning as an event, at most once a day while it lasts."""
    if not turn.plan.over_budget:
        return
    # Read and written under the write lock: two runs at once (a `collect --once
    # --force` beside the holder) write it once.
    with store.write():
        if not probed.warned_since(store, account, now - DAY):
            _warn(store, account, turn, now)


def _warn(store: Store, account: str, turn: Turn, now: float) -> None:
    p = turn.plan
    message = (
        f"probe budget too small: {p.must:,} buckets must be probed at every run "
        f"({len(turn.ruled):,} named by rules on probe metrics, {len(turn.erroring):,} with "
        f"new errors in the last hour), {p.must_probes_month:,} probes a month against "
        f"{p.must_budget_text()}; they take turns, each every "
        f"{probes.every_text(p.must_every_seconds)}, {_others(p)}. "
        f"Raise probe.requests_per_month to {p.needed_requests():,} to probe them at every run"
    )
    writes.add_events(store, account, [EventRow(probed.BUDGET_KIND, "warning", message)], now)
