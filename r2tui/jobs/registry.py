"""Every job by name. The placeholders are registered so the CLI and the
schedule know them; they are not scheduled until built."""

from __future__ import annotations

from r2tui.jobs.alerts import check_alerts
from r2tui.jobs.base import JobSpec
from r2tui.jobs.collect import collect_metrics
from r2tui.jobs.costs import calculate_costs
from r2tui.jobs.inventory import inventory
from r2tui.jobs.reports import daily_report, monthly_report
from r2tui.jobs.rollup import rollup

JOBS: dict[str, JobSpec] = {
    s.name: s
    for s in (
        JobSpec(
            "collect_metrics", collect_metrics, "Probe buckets, or check that the endpoint answers."
        ),
        JobSpec(
            "inventory",
            inventory,
            "List every object of every watched bucket: counts, bytes, types, largest.",
        ),
        JobSpec(
            "rollup",
            rollup,
            "Roll samples up into hourly and daily history; purge what retention drops.",
        ),
        JobSpec(
            "calculate_costs",
            calculate_costs,
            "The month's bill so far, forecast, spikes and savings (reads only the store).",
            after=("collect_metrics", "inventory"),
        ),
        JobSpec(
            "check_alerts",
            check_alerts,
            "Evaluate alert rules, run their responses, deliver notifications.",
            after=("calculate_costs",),
        ),
        # Reports follow the costs that follow a start's first collection: a report
        # made at start-up, beside that collection, would miss what it brings.
        JobSpec(
            "daily_report", daily_report, "Write the daily report.", after=("calculate_costs",)
        ),
        JobSpec(
            "monthly_report",
            monthly_report,
            "Write the monthly report.",
            after=("calculate_costs",),
        ),
    )
}
