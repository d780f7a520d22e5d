"""Whether an account's collector is alive, for `/healthz` and
`r2tui_collector_alive`.

There is no collector lease in the store yet. Until there is, a collector is
alive when its most frequent scheduled job (its heartbeat: `check_alerts`,
every minute, by default) last started for the account within twice that
job's period and a grace (`GRACE_SECONDS`): every collector, headless or
embedded in a TUI, runs that job on its schedule, whether its runs succeed or
not. A collector killed mid-run leaves its run open; the run's start still
ages out. `collector_alive` is the one function that decides, so the lease
replaces its body, not its callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from r2tui.config import Schedule
from r2tui.config.triggers import first_fire, zone_for
from r2tui.exporter.readings import last_job_starts

if TYPE_CHECKING:
    from r2tui.store import Store

# Slack for a slow start, a job that waits for its lock, or clocks a little apart.
GRACE_SECONDS = 60


@dataclass(frozen=True)
class Liveness:
    alive: bool
    job: str | None  # the heartbeat job read
    last_started_at: int | None  # its newest run for the account
    within_seconds: int | None  # how recent that run must be
    reason: str  # a sentence for people


def period_seconds(schedule: Schedule, tz: str, now: float) -> int:
    """The time between two runs of the job: an interval's, or a cron line's next gap."""
    if schedule.seconds is not None:
        return schedule.seconds
    zone = zone_for(schedule.job, tz)
    first = first_fire(schedule, zone, datetime.fromtimestamp(now, UTC))
    # The trigger may fire at the very moment it is asked from: ask from just after.
    second = first_fire(schedule, zone, first + timedelta(seconds=1))
    return int((second - first).total_seconds())


def collector_alive(
    store: Store, account: str, now: float, *, schedules: Mapping[str, Schedule], tz: str = "UTC"
) -> Liveness:
    """Whether `account`'s collector on `store` runs its schedule (see the module)."""
    if not schedules:
        return Liveness(False, None, None, None, "no job is scheduled")
    periods = {job: period_seconds(s, tz, now) for job, s in schedules.items()}
    job = min(periods, key=lambda j: (periods[j], j))
    within = 2 * periods[job] + GRACE_SECONDS
    started = last_job_starts(store, account).get(job)
    if started is None:
        return Liveness(False, job, None, within, f"{job} has never run")
    age = int(now) - started
    if age > within:
        return Liveness(
            False,
            job,
            started,
            within,
            f"{job} last started {age} s ago (expected within {within} s)",
        )
    return Liveness(True, job, started, within, f"{job} started {max(age, 0)} s ago")
