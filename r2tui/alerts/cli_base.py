"""What every `r2tui rules|silences|alerts|notify` command shares: exit codes,
the rule options, the error line, and how a scope, a value and a table are
shown. It imports none of the command modules, which all import it, so the
alerting CLI has no import cycle.

Everything goes out through `r2tui.output`; values from outside go into their
lines through `r2tui.literal.visible`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.cells import cell_len

from r2tui.literal import visible
from r2tui.metrics import ACCOUNT
from r2tui.output import say
from r2tui.units import human_bytes

if TYPE_CHECKING:
    from r2tui.config import Config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Rule options: (flag, field, kind, help). The kinds turn command-line text into
# what `rule_from` reads (see rules_cli.option_data); validation stays there.
RULE_OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("--name", "name", "text", "the rule's name (edit: renames it)"),
    ("--metric", "metric", "text", "a catalog metric, e.g. error_rate_pct"),
    ("--comparison", "comparison", "text", "one of > >= < <= == !="),
    ("--threshold", "threshold", "number", 'in the metric\'s unit; sizes such as "1 GB" too'),
    ("--scope", "scope", "text", '"*" the account (default), a bucket or a glob "logs-*"'),
    ("--for", "for", "duration", "how long the condition holds before firing, e.g. 5m"),
    (
        "--keep-firing-for",
        "keep_firing_for",
        "duration",
        "how long it keeps firing after the condition stops holding",
    ),
    ("--severity", "severity", "text", "low, medium (default), high or critical"),
    (
        "--channel",
        "channels",
        "list",
        "a configured channel (repeatable; default: [alerts] default_channels)",
    ),
    ("--label", "labels", "pairs", "KEY=VALUE label (repeatable)"),
    ("--annotation", "annotations", "pairs", "KEY=VALUE annotation (repeatable)"),
    ("--missing-data", "missing_data", "text", "keep (default), alert or resolve"),
    (
        "--repeat-interval",
        "repeat_interval",
        "duration",
        "resend a still-firing alert this often (default: [alerts] repeat_interval)",
    ),
    ("--max-per-hour", "max_per_hour", "count", "notifications an hour before holding back"),
    ("--escalate-after", "escalate_after", "duration", "still firing this long: escalate"),
    ("--escalate-to", "escalate_to", "list", "channel to add on escalation (repeatable)"),
    ("--escalate-severity", "escalate_severity", "text", "severity on escalation"),
    ("--response", "responses", "list", "a configured [responses.NAME] (repeatable)"),
)
CLEARABLE = (
    "for",
    "keep_firing_for",
    "channels",
    "labels",
    "annotations",
    "repeat_interval",
    "max_per_hour",
    "escalate_after",
    "escalate_to",
    "escalate_severity",
    "responses",
)


def fail(where: str, message: str, code: int = EXIT_USAGE) -> int:
    """`message` on stderr; values from outside in it are already `visible`
    (or quoted with `repr`), and `say` guards the rest."""
    say(f"r2tui: {where}: {message}", err=True)
    return code


def read_only(what: str) -> int:
    return fail(
        "read-only", f"{what} would change the store or send; run without --read-only to do it"
    )


def account_name(args: argparse.Namespace, config: Config) -> str:
    return "demo" if config.demo else config.account(args.account).name


def scope_text(scope: str) -> str:
    """The scope as shown on a line: a bucket name or glob, made `visible`."""
    return "account" if scope == ACCOUNT else visible(scope)


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "bytes":
        return human_bytes(value)
    return f"{value:g}" if unit == "bool" else f"{value:g} {unit}"


def table(rows: list[tuple[str, ...]]) -> str:
    """Columns padded to the terminal cells their text takes (a wide character
    takes two). The cells must already be `visible`: one line each."""
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    )
