"""Every job by name. The placeholders are registered so the CLI and the
schedule know them; they are not scheduled until built."""

from __future__ import annotations

from r2tui.jobs.base import JobSpec
from r2tui.jobs.collect import collect_metrics
from r2tui.jobs.inventory import inventory
from r2tui.jobs.rollup import rollup

JOBS: dict[str, JobSpec] = {
    s.name: s
    for s in (
        JobSpec("collect_metrics", collect_metrics,
                "Probe buckets, or check that the endpoint answers."),
        JobSpec("inventory", inventory,
                "List every object of every watched bucket: counts, bytes, types, largest."),
        JobSpec("rollup", rollup,
                "Roll samples up into hourly and daily history; purge what retention drops."),
        JobSpec("calculate_costs", None, "Month-to-date cost and forecast."),
        JobSpec("check_alerts", None, "Evaluate alert rules and notify."),
        JobSpec("daily_report", None, "Write the daily report."),
        JobSpec("monthly_report", None, "Write the monthly report."),
    )
}
