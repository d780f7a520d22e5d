"""`r2tui estimate`: a month's R2 bill for usage given on the command line.

It needs no account and no store, so it answers "what would this cost?"
before anything is set up; prices come from the config's [pricing] table when
there is one, else from Cloudflare's public list."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from r2tui.cli.exits import EXIT_OK
from r2tui.config.model import (
    DEFAULT_PROBE_REQUESTS,
    DEFAULT_SCHEDULES,
    MAX_PROBE_REQUESTS,
    MIN_PROBE_REQUESTS,
)
from r2tui.config.values import parse_duration
from r2tui.costs import probes
from r2tui.costs.bill import ITEMS, USAGE_FIELD, Bill, Usage, bill, to_cents
from r2tui.literal import visible
from r2tui.output import say, say_json
from r2tui.pricing import PriceList

if TYPE_CHECKING:
    from r2tui.cli.args import Parser, Subcommands

# Usage field -> (option, help). Storage and retrieval take fractions; request
# counts are whole numbers.
OPTIONS: dict[str, tuple[str, str]] = {
    "standard_gb_month": ("--standard-gb-month", "Standard storage, GB-month"),
    "standard_class_a": ("--standard-class-a", "Standard Class A requests"),
    "standard_class_b": ("--standard-class-b", "Standard Class B requests"),
    "ia_gb_month": ("--ia-gb-month", "Infrequent Access storage, GB-month"),
    "ia_class_a": ("--ia-class-a", "Infrequent Access Class A requests"),
    "ia_class_b": ("--ia-class-b", "Infrequent Access Class B requests"),
    "ia_retrieval_gb": ("--ia-retrieval-gb", "Infrequent Access data retrieved, GB"),
}
# Requests are counted in whole numbers; storage and bytes read need not be.
_WHOLE = {USAGE_FIELD[item.name] for item in ITEMS if item.unit == "requests"}


def _amount(whole: bool) -> Callable[[str], Decimal | int]:
    """An argparse type: argparse turns the error into a usage message naming
    the option, with exit code 2."""
    what = "a whole number of 0 or more" if whole else "a number of 0 or more"

    def parse(text: str) -> Decimal | int:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not value.is_finite() or value < 0 or (whole and value != value.to_integral_value()):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return int(value) if whole else abs(value)  # abs: "-0" is 0

    return parse


def add_parser(sub: Subcommands, common: Parser) -> None:
    p = sub.add_parser(
        "estimate",
        parents=[common],
        help="price a month of R2 usage (no account needed)",
        epilog="Free tier and rounding up to whole billing units apply as on the invoice. "
        "Prices: the config's [pricing] table over Cloudflare's public list.",
    )
    for name, (option, help_) in OPTIONS.items():
        p.add_argument(
            option,
            dest=name,
            type=_amount(name in _WHOLE),
            default=0,
            metavar="N" if name in _WHOLE else "X",
            help=f"{help_} (default 0)",
        )
    p.add_argument(
        "--probe-buckets",
        type=_amount(True),
        default=0,
        metavar="N",
        help="add canary probes of N buckets within a probe budget (default 0: none)",
    )
    p.add_argument(
        "--probe-requests",
        type=_budget,
        default=DEFAULT_PROBE_REQUESTS,
        metavar="N",
        help=f"the probe budget, requests a month (default {DEFAULT_PROBE_REQUESTS:,})",
    )
    p.add_argument(
        "--probe-every",
        type=_interval,
        default=DEFAULT_SCHEDULES["collect_metrics"],
        metavar="DURATION",
        help=f"how often collect_metrics runs (default {DEFAULT_SCHEDULES['collect_metrics']})",
    )
    p.add_argument("--json", action="store_true", help="as one JSON document")


def _budget(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not MIN_PROBE_REQUESTS <= value <= MAX_PROBE_REQUESTS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of probe requests a month from {MIN_PROBE_REQUESTS} "
            f"to {MAX_PROBE_REQUESTS:,}, got {text!r}"
        )
    return value


def _interval(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace, prices: PriceList) -> int:
    usage = Usage(**{name: getattr(args, name) for name in OPTIONS})
    plan = probe_plan(args, prices)
    if plan is not None:
        # The probes' requests are Standard requests like the others.
        usage = usage + Usage(standard_class_a=plan.class_a, standard_class_b=plan.class_b)
    result = bill(usage, prices)
    if args.json:
        # Start-up: the status documents load only for a plan to show.
        from r2tui.status import probe_plan_doc

        doc = as_doc(result)
        if plan is not None:
            doc["probes"] = probe_plan_doc(plan)
        say_json(doc)
    else:
        say(("" if plan is None else f"probes: {probes.plan_text(plan)}\n") + as_text(result))
    return EXIT_OK


def probe_plan(args: argparse.Namespace, prices: PriceList) -> probes.ProbePlan | None:
    """The month of probes the options describe (--probe-buckets), or None."""
    if not args.probe_buckets:
        return None
    runs = probes.month_seconds(prices) / args.probe_every
    return probes.plan(args.probe_buckets, args.probe_requests, runs, prices)


def _number(value: Decimal) -> int | float:
    # Counts stay exact integers; JSON has no decimal type for the rest.
    return int(value) if value == value.to_integral_value() else float(value)


def as_doc(b: Bill) -> dict[str, Any]:
    """Line amounts are exact; the total is rounded to the cent, as invoiced."""
    prices: dict[str, object] = {"source": b.prices.source}
    prices.update(
        {
            f.name: _number(Decimal(getattr(b.prices, f.name)))
            for f in fields(b.prices)
            if f.name != "source"
        }
    )
    return {
        "total_usd": float(b.total_usd),
        "lines": [
            {
                "item": line.item,
                "unit": line.unit,
                "usage": _number(line.usage),
                "free": _number(line.free),
                "billable": _number(line.billable),
                "usd": float(line.usd),
            }
            for line in b.lines
        ],
        "prices": prices,
    }


def _quantity(value: Decimal, unit: str) -> str:
    return f"{value.normalize():,f} {unit}"


def as_text(b: Bill) -> str:
    row = "{:<18} {:>22} {:>20} {:>22} {:>11}"
    out = [row.format("item", "usage", "free", "billable", "USD")]
    for line in b.lines:
        out.append(
            row.format(
                line.label,
                _quantity(line.usage, line.unit),
                _quantity(line.free, line.unit),
                _quantity(line.billable, line.unit),
                f"${to_cents(line.usd):,}",
            )
        )
    out.append(row.format("total", "", "", "", f"${b.total_usd:,}"))
    out.append(f"prices: {visible(b.prices.source)}")
    return "\n".join(out)
