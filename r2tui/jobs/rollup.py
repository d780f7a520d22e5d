"""The rollup job: keep the hourly and daily rollups current and apply the
retention policy to samples and rollups, so a year of history charts fast and
the store stays small.

The watermark it advances is store-wide (see `r2tui.store.rollups`), so the
first account's run does the work for every account the store holds and the
runs for the other accounts find only the current hour left to recompute.
"""

from __future__ import annotations

from r2tui.config import AccountConfig
from r2tui.jobs.base import JobContext, Outcome, plural
from r2tui.store import rollups


def rollup(ctx: JobContext, account: AccountConfig) -> Outcome:
    now = ctx.clock()
    done = rollups.roll_up(ctx.store, now)
    purged = rollups.purge(ctx.store, ctx.config.retention, now)
    parts = [
        f"rolled up {plural(done.hours, 'hour')}" if done.hours else "no samples to roll up yet",
        f"purged {plural(purged.samples, 'raw sample')}",
    ]
    if purged.hourly or purged.daily:
        parts.append(
            f"{plural(purged.hourly, 'hourly row')} and {plural(purged.daily, 'daily row')}"
        )
    return Outcome(items=done.hours, summary=", ".join(parts))
