"""The collector's triggers, built from the schedules. The config layer builds
them too, when it loads a file, so a schedule `config check` accepts is one
APScheduler takes: `r2tui collect` and the TUI build theirs with the same
functions (`r2tui.scheduler` imports them from here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from r2tui.config.model import Schedule
from r2tui.literal import quoted

# Reports cover UTC days and months (as the daily rollups do), so their cron lines
# are read in UTC: at local midnight ahead of UTC the month has not ended yet.
UTC_JOBS = frozenset({"daily_report", "monthly_report"})


def zone_for(job: str, tz: str) -> str:
    return "UTC" if job in UTC_JOBS else tz


def trigger_for(schedule: Schedule, tz: str) -> IntervalTrigger | CronTrigger:
    if schedule.seconds is not None:
        return IntervalTrigger(seconds=schedule.seconds, timezone=ZoneInfo(tz))
    assert schedule.cron is not None
    return CronTrigger.from_crontab(schedule.cron, timezone=ZoneInfo(tz))


def first_fire(schedule: Schedule, tz: str, now: datetime) -> datetime:
    """When the job's trigger, as the collector builds it, first fires after
    `now`; ValueError (or OverflowError) when it cannot be built or never fires."""
    # APScheduler is untyped: its answer is typed here.
    trigger = trigger_for(schedule, zone_for(schedule.job, tz))
    following: datetime | None = trigger.get_next_fire_time(None, now)
    if following is None:
        raise ValueError(f"{quoted(schedule.text)} never fires")
    return following


def cadence(
    schedule: Schedule, tz: str, start: int, end: int, limit: int | None = None
) -> int | list[int]:
    """When the job runs over [start, end]: every so many seconds (an interval),
    or a cron line's fire times, as its trigger gives them (Unix seconds; the
    first `limit` of them only, when given)."""
    if schedule.seconds is not None:
        return schedule.seconds
    trigger = trigger_for(schedule, zone_for(schedule.job, tz))
    out: list[int] = []
    previous: datetime | None = None
    following: datetime | None = trigger.get_next_fire_time(
        None, datetime.fromtimestamp(start, UTC)
    )
    while following is not None and following.timestamp() <= end:
        out.append(int(following.timestamp()))
        if limit is not None and len(out) >= limit:
            break
        previous = following
        following = trigger.get_next_fire_time(previous, previous + timedelta(seconds=1))
    return out
