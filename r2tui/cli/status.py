"""`r2tui status [--json]`: the dashboard snapshot from the store, as one JSON
document (`r2tui.status`) or a line at a time for people (scripts read
`--json`). Names, details and messages come from outside (bucket names from
the analytics API, errors from servers): each goes into its line through
`visible`, so none can break the line or act on the terminal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from r2tui.cli.exits import EXIT_OK
from r2tui.cli.text import comparison_text, condition_text, value_text
from r2tui.config.model import DEMO_QUOTA
from r2tui.exporter.liveness import collector_alive
from r2tui.literal import visible as v
from r2tui.output import say, say_json
from r2tui.runtime import release_demo, start_demo
from r2tui.units import human_bytes

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands
    from r2tui.config import Config
    from r2tui.store import Store


def add_parser(sub: Subcommands, common: Parser) -> None:
    status = sub.add_parser("status", parents=[common], help="print the dashboard snapshot")
    status.add_argument("--json", action="store_true", help="as one JSON document")


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    """`store` is open (its models bound)."""
    # Start-up: the dashboard's reads load only when this command runs, not for `r2tui --help`.
    from r2tui import dashboard
    from r2tui.status import dashboard_doc
    from r2tui.store import queries

    started = None
    if config.demo and not config.read_only and not queries.bucket_names(store, "demo"):
        # A first `status --demo` has nothing to show: fill the demo store once
        # (unless a running demo holds it: that one fills it).
        started = start_demo(config, store, traffic=False)
    if started is not None:
        # Start-up: the jobs and APScheduler load only when something is collected.
        from r2tui.jobs import JobContext
        from r2tui.scheduler import Collector

        say("r2tui: demo store is empty; collecting once from the demo account…", err=True)
        demo_config, demo = started
        try:
            # Once, into an empty demo store: without the lease, as `collect --force`.
            collector = Collector(JobContext(config=demo_config, store=store), lease=False)
            for job in ("inventory", "collect_metrics"):
                collector.run(job)
        finally:
            demo.stop()
            release_demo(store)
    account = "demo" if config.demo else config.account(args.account)
    name = account if isinstance(account, str) else account.name
    quota = None if isinstance(account, str) else account.quota_bytes
    if config.demo:
        quota = DEMO_QUOTA
    analytics = config.demo or (not isinstance(account, str) and account.has_analytics)
    doc = dashboard_doc(
        dashboard.read(
            store,
            name,
            quota,
            analytics=analytics,
            tz=config.timezone,
            prices=config.pricing,
            alert_windows=config.alerts.maintenance,
            max_per_hour=config.alerts.max_per_hour,
            every_bucket=True,
        ),
        demo=config.demo,
    )
    # What the probes cost a month at the current settings (they need the account's
    # config: the demo's is made only when it starts, so the demo shows none).
    from r2tui.alerts.probe_watch import stored_plan
    from r2tui.status import probe_plan_doc

    doc["probe_plan"] = (
        None
        if isinstance(account, str)
        else probe_plan_doc(stored_plan(store, config, account, store.clock()))
    )
    # Whether a process collects this account: the collector lease, alive or not.
    live = collector_alive(store, name, store.clock(), schedules=config.schedules)
    doc["collector"]["lease"] = {
        "state": live.state,
        "alive": live.alive,
        "holder": live.holder,
        "heartbeat_age_seconds": live.heartbeat_age,
    }
    if args.json:
        say_json(doc)
    else:
        say(status_text(doc))
    return EXIT_OK


def status_text(doc: dict[str, Any]) -> str:
    s, c = doc["storage"], doc["collector"]
    lines = [
        f"account {v(doc['account'])}{' (demo)' if doc['demo'] else ''}: "
        f"{s['total_objects']:,} objects, {human_bytes(s['total_bytes'])} in "
        f"{s['bucket_count']} buckets",
        f"collector: {c['state']}{': ' + v(c['detail']) if c['detail'] else ''}",
    ]
    if "lease" in c:
        lease = c["lease"]
        held = (
            f" ({v(lease['holder'])}, heartbeat {lease['heartbeat_age_seconds']}s ago)"
            if lease["holder"]
            else ""
        )
        lines.append(f"collector lease: {lease['state']}{held}")
    lines += sources_lines(doc.get("sources") or {})
    if s["usage_pct"] is not None:
        lines.append(f"quota: {s['usage_pct']:.1f} % of {human_bytes(s['quota_bytes'])}")
    for b in s["buckets"]:
        lines.append(f"  {v(b['name']):<32} {b['objects']:>12,} {human_bytes(b['bytes']):>12}")
    m = doc["metrics"]
    shown = [
        f"{label} {value_text(m[key], unit)}"
        for key, label, unit in (
            ("uploads_today", "uploads today", "requests"),
            ("downloads_today", "downloads today", "requests"),
            ("error_rate_pct", "error rate", "%"),
            ("avg_response_ms", "avg response", "ms"),
            ("failed_access", "failed access (last hour)", "requests"),
        )
        if m.get(key) is not None
    ]
    if shown:
        lines.append("metrics: " + "; ".join(shown))
    if not m.get("analytics", {}).get("configured", True):
        lines.append(
            "analytics: no API token; uploads, downloads, error rate and failed "
            "access need one (Account Analytics: Read)"
        )
    k = doc["costs"]
    if k and k["computed_at"]:
        low, high = k["forecast_range_usd"]
        lines.append(
            f"cost: ${k['month_to_date_usd']:,.2f} this month so far, forecast "
            f"${k['forecast_month_usd']:,.2f} (${low:,.2f}–${high:,.2f})"
            + ("" if k["requests_known"] else "; storage only (no request counts)")
        )
    else:
        lines.append("cost: not calculated yet (`r2tui collect --once --job calculate_costs`)")
    if doc.get("probe_plan"):
        lines.append(probes_line(doc["probe_plan"]))
    lines.append(alerts_line(doc["alerts"]))
    return "\n".join(lines)


def probes_line(p: dict[str, Any]) -> str:
    """`probes: 1,000 buckets, each every 7.2 h: …` from the document's probe_plan."""
    # Start-up: the probes' arithmetic loads only for a plan to show.
    from r2tui.costs.probes import every_text

    if p["mode"] == "every_run":
        how = "every bucket at every run"
    elif p["mode"] == "rotation":
        how = f"in turn, each every {every_text(p['bucket_every_seconds'])}"
    else:
        how = (
            f"over budget: {p['must_probe']:,} must be probed at every run and take turns; "
            f"probe.requests_per_month = {p['needed_requests_per_month']:,} would fit them"
        )
    return (
        f"probes: {p['buckets']:,} buckets, {how}: {p['class_a_per_month']:,} Class A + "
        f"{p['class_b_per_month']:,} Class B a month, ${p['usd_list_price']:,.2f} at list "
        f"price, ${p['usd_beyond_free_tier']:,.2f} beyond the free tier"
    )


def sources_lines(sources: dict[str, dict[str, Any]]) -> list[str]:
    """A line for each failing source: what, since when, what would fix it, why."""
    lines = []
    for name, x in sources.items():
        if x.get("stale_since") is None:
            continue
        needs = f" ({x['needs']})" if x.get("needs") else ""
        reason = f": {v(x['reason'])}" if x.get("reason") else ""
        lines.append(
            f"{name}: {x['summary']} since {x['stale_since']}{needs}{reason}; "
            "figures built on it are stale"
        )
    return lines


def alerts_line(a: dict[str, Any]) -> str:
    """`alerts: 1 firing: Failed access (high, 63 > 10) …` — the worst first, as the pane."""

    def one(x: dict[str, Any]) -> str:
        where = "" if x["bucket"] == "*" else f" on {v(x['bucket'])}"
        unit = str(x.get("unit") or "")
        value = value_text(x["value"], unit)
        if x.get("window"):  # a change rule: its value is the change
            what = f"{value}: " + condition_text(
                x["metric"], x["comparison"], x["threshold"], unit, x["window"]
            )
        else:
            what = f"{value} {comparison_text(x['comparison'], x['threshold'], unit)}"
        quiet = "; silenced" if x["silenced"] else ""
        return f"{v(x['rule'])}{where} ({x['severity']}, {what}{quiet})"

    if not a["firing"] and not a["pending"]:
        return f"alerts: nothing firing ({a.get('rules', 0)} rules watching)"
    parts = (
        [f"{len(a['firing'])} firing: " + ", ".join(one(x) for x in a["firing"])]
        if a["firing"]
        else []
    )
    if a["pending"]:
        parts.append(f"{len(a['pending'])} pending: " + ", ".join(one(x) for x in a["pending"]))
    return "alerts: " + "; ".join(parts)
