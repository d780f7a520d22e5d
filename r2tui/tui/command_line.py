"""The command line (`:`): the palette's commands typed by name, and three that
take arguments.

    :rules                          any palette command by name (`:help`, `:zoom`)
    :history METRIC [RANGE] [BUCKET]  chart a metric: `:history error_rate_pct 7d`
    :account NAME                   show another configured account
    :quit                           quit (also `:q`)

A line is resolved before it runs: an unknown command, metric, range, bucket or
account is an error naming what is valid, and the line stays open to fix."""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from r2tui.literal import quoted
from r2tui.metrics import CATALOG, RANGES
from r2tui.tui.palette import Command

Run = Callable[[], object]
WITH_ARGUMENTS = {
    "history": "history METRIC [RANGE] [BUCKET]",
    "account": "account NAME",
    "quit": "quit",
}
QUIT = ("quit", "q")


@dataclass(frozen=True)
class LineContext:
    """What a line can reach, as the screen under the command line has it."""

    commands: Mapping[str, Command]  # the palette's, by name (palette.named)
    allowed: Callable[[str], bool]  # whether an action works on that screen
    chart: Callable[[str, str | None, str | None], object] | None  # None: not from here
    buckets: Sequence[str]
    accounts: Sequence[str]
    account: str  # the account shown
    switch_account: Callable[[str], object] | None  # None: this r2tui cannot switch
    quit: Run


def names(ctx: LineContext) -> list[str]:
    """Every command the line takes, for completion and the error's list."""
    return sorted({*ctx.commands, *WITH_ARGUMENTS})


def resolve(line: str, ctx: LineContext) -> Run | str:
    """What the line does, to call; else the error, naming what is valid."""
    try:
        words = shlex.split(line.strip().removeprefix(":"))
    except ValueError as exc:
        return f"cannot read the line: {exc}"
    if not words:
        return "type a command (tab completes): rules, history METRIC [RANGE], account NAME, help"
    verb, args = words[0].lower(), words[1:]
    if verb == "history" and args:
        return _history(args, ctx)
    if verb == "account":
        return _account(args, ctx)
    if verb in QUIT:
        return _no_arguments(verb, args) or ctx.quit
    command = ctx.commands.get(verb)
    if command is None:
        return _unknown("command", verb, names(ctx))
    refused = _no_arguments(verb, args)
    if refused:
        return refused
    if not ctx.allowed(command.binding.action):
        return f"{verb} works from the main screen: close this screen first (escape)"
    return command.run


def _no_arguments(verb: str, args: list[str]) -> str:
    if not args:
        return ""
    return f"{verb} takes no arguments (got {quoted(' '.join(args))})"


# A list of valid names longer than this is left to completion.
LISTED = 8


def _unknown(what: str, given: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(given, valid, n=3)
    text = f"unknown {what} {quoted(given)}"
    if close:
        text += f": did you mean {' or '.join(close)}?"
    if len(valid) <= LISTED:
        return f"{text} Valid: {', '.join(valid) or 'none'}"
    return f"{text} ({len(valid)} {what}s: tab completes)"


def _history(args: list[str], ctx: LineContext) -> Run | str:
    if len(args) > 3:
        return f"too many arguments: {WITH_ARGUMENTS['history']}"
    metric = args[0]
    if metric not in CATALOG:
        return _unknown("metric", metric, sorted(CATALOG))
    range_ = args[1] if len(args) > 1 else None
    if range_ is not None and range_ not in RANGES:
        return f"unknown range {quoted(range_)}: valid are {', '.join(RANGES)}"
    bucket = args[2] if len(args) > 2 else None
    if bucket is not None and bucket not in ("*", *ctx.buckets):
        return _unknown("bucket", bucket, ["*", *ctx.buckets])
    chart = ctx.chart
    if chart is None:
        return "history works from the main screen: close this screen first (escape)"
    return lambda: chart(metric, range_, None if bucket == "*" else bucket)


def _account(args: list[str], ctx: LineContext) -> Run | str:
    if len(args) != 1:
        return f"{WITH_ARGUMENTS['account']}: one account, of {', '.join(ctx.accounts) or 'none'}"
    name = args[0]
    if name not in ctx.accounts:
        return _unknown("account", name, ctx.accounts)
    if name == ctx.account:
        return f"{quoted(name)} is the account shown"
    switch = ctx.switch_account
    if switch is None:
        return (
            f"switching accounts is not available in this r2tui: "
            f"restart with `r2tui --account {name}`"
        )
    return lambda: switch(name)


def complete(line: str, ctx: LineContext) -> str | None:
    """The whole line with its last word completed (the first name that starts
    with it), or None: a command, then a metric, a range and a bucket for
    history, an account for account."""
    words = line.split(" ")
    before, last = words[:-1], words[-1]
    if not last:
        return None
    if not before:
        choices: Sequence[str] = names(ctx)
    elif before[0] == "history":
        choices = (sorted(CATALOG), list(RANGES), ["*", *ctx.buckets], [])[min(len(before) - 1, 3)]
    elif before[0] == "account" and len(before) == 1:
        choices = ctx.accounts
    else:
        return None
    match = next((c for c in choices if c.startswith(last) and c != last), None)
    return None if match is None else " ".join([*before, match])
