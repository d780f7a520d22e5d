"""`r2tui silences list|add|expire`, `r2tui alerts` and `r2tui notify
flush|list|retry`: the day-to-day side of alerting, for scripts and cron.
Rule names, buckets, matchers, comments, subjects and server errors go into
their lines through `visible`; JSON through `say_json` (exact values)."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from r2tui.alerts.cli_base import (
    EXIT_FAILED,
    EXIT_OK,
    account_name,
    fail,
    scope_text,
    table,
    value_text,
)
from r2tui.literal import visible
from r2tui.output import say, say_json
from r2tui.status import iso

if TYPE_CHECKING:
    from r2tui.alerts.silences import SilenceRow
    from r2tui.alerts.views import AlertRow
    from r2tui.config import Config
    from r2tui.store import Store


def run(args: argparse.Namespace, config: Config, store: Store) -> int:
    if args.command == "alerts":
        return _history(args, config) if args.history else _alerts(args, config)
    action = args.alert_action
    if args.command == "silences":
        return {"list": _silences, "add": _silence_add, "expire": _expire}[action](args, store)
    if action == "flush":
        return _flush(args, config, store)
    if action == "list":
        return _outbox(args)
    if action == "test":
        return _test(args, config)
    return _retry(args, store)


def local(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


# --- silences ---------------------------------------------------------------


def _silence_doc(s: SilenceRow, now: float) -> dict[str, Any]:
    return {
        "id": s.id,
        "matchers": s.describe().split(", "),
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "comment": s.comment,
        "created_by": s.created_by,
        "created_at": iso(s.created_at),
        "expire_on_resolve": s.expire_on_resolve,
        "state": _silence_state(s, now),
    }


def _silence_state(s: SilenceRow, now: float) -> str:
    return "active" if s.active(now) else "pending" if s.starts_at > now else "expired"


def _silences(args: argparse.Namespace, store: Store) -> int:
    from r2tui.alerts.silences import silences

    now = time.time()
    rows = silences(now, include_ended=args.all)
    if args.json:
        say_json([_silence_doc(s, now) for s in rows])
        return EXIT_OK
    if not rows:
        say("no silences" if args.all else "no active or future silences")
        return EXIT_OK
    lines = [("ID", "STATE", "MATCHERS", "STARTS", "ENDS", "BY", "COMMENT")]
    lines += [
        (
            str(s.id),
            _silence_state(s, now) + (" (until resolved)" if s.expire_on_resolve else ""),
            visible(s.describe()),
            local(s.starts_at),
            local(s.ends_at),
            visible(s.created_by),
            visible(s.comment),
        )
        for s in rows
    ]
    say(table(lines))
    return EXIT_OK


def _silence_add(args: argparse.Namespace, store: Store) -> int:
    from r2tui.alerts.silences import add_silence
    from r2tui.config.values import parse_duration
    from r2tui.matchers import parse_matcher

    where = "silences add"
    try:
        matchers = [parse_matcher(m) for m in args.matchers]
    except ValueError as exc:
        return fail(where, f"matchers: {exc}")
    try:
        duration = parse_duration(args.duration)  # at most ten years, as a silence
    except ValueError as exc:
        return fail(
            where,
            f"--duration: {exc}; for a lasting quiet, disable the rule or add a maintenance window",
        )
    start = None
    if args.start:
        try:
            # A time without a zone is the user's local time, as everywhere in the UI.
            start = datetime.fromisoformat(args.start).astimezone().timestamp()
        except ValueError:
            return fail(
                where,
                f"--start: expected an ISO time such as 2026-11-11T22:00 or "
                f"2026-11-11T21:00Z, got {args.start!r}",
            )
    try:
        sid = add_silence(
            store,
            matchers,
            duration,
            args.comment,
            starts_at=start,
            expire_on_resolve=args.expire_on_resolve,
        )
    except ValueError as exc:  # already "field: what is wrong"
        return fail(where, str(exc))
    begins = start if start is not None else time.time()
    say(
        f"silence {sid}: {visible(', '.join(a + o + v for a, o, v in matchers))} from "
        f"{local(begins)} until {local(int(begins) + duration)}"
    )
    return EXIT_OK


def _expire(args: argparse.Namespace, store: Store) -> int:
    from r2tui.alerts.silences import expire

    if not expire(store, args.id):
        return fail(
            "silences expire",
            f"no active or future silence {args.id} (`r2tui silences list --all` shows them all)",
            EXIT_FAILED,
        )
    say(f"expired silence {args.id}")
    return EXIT_OK


# --- alerts -----------------------------------------------------------------


def _alerts(args: argparse.Namespace, config: Config) -> int:
    from r2tui.alerts.views import alerts_view
    from r2tui.status import alerts_doc

    account = account_name(args, config)
    view = alerts_view(account, windows=config.alerts.maintenance)
    if args.search:
        text = args.search.casefold()

        def keep(rows: list[AlertRow]) -> list[AlertRow]:
            return [r for r in rows if text in f"{r.rule}\n{r.bucket}\n{r.severity}".casefold()]

        view.firing[:], view.pending[:], view.recent[:] = (
            keep(view.firing),
            keep(view.pending),
            keep(view.recent),
        )
    if args.json:
        say_json({"account": account, **alerts_doc(view)})
        return EXIT_OK
    say(
        f"account {visible(account)}: {len(view.firing)} firing, {len(view.pending)} pending, "
        f"{len(view.recent)} resolved in the last 24 h ({view.rules} rules)"
    )
    for title, rows in (
        ("FIRING", view.firing),
        ("PENDING", view.pending),
        ("RESOLVED", view.recent),
    ):
        if rows:
            say(f"\n{title}")
            say(
                table(
                    [("SEVERITY", "RULE", "SCOPE", "VALUE", "THRESHOLD", "SINCE", "QUIET")]
                    + [
                        (
                            r.severity,
                            visible(r.rule),
                            scope_text(r.bucket),
                            value_text(r.value, r.unit),
                            f"{r.comparison} {value_text(r.threshold, r.unit)}",
                            local(r.since),
                            visible(r.silenced or ""),
                        )
                        for r in rows
                    ]
                )
            )
    trouble = {k: v for k, v in view.outbox.items() if k in ("pending", "dead") and v}
    if trouble:
        say(
            "\noutbox: "
            + ", ".join(f"{n} {k}" for k, n in sorted(trouble.items()))
            + (f"; last error: {visible(view.last_error)}" if view.last_error else "")
        )
    return EXIT_OK


def _history(args: argparse.Namespace, config: Config) -> int:
    from r2tui.alerts.engine import history

    rows = history(account_name(args, config), search=args.search)
    if args.json:
        say_json([{**r, "ts": iso(r["ts"])} for r in rows])
        return EXIT_OK
    if not rows:
        say("no alert history" + (f" matching {args.search!r}" if args.search else ""))
    for r in rows:
        say(f"{local(r['ts'])}  {visible(r['level']):<7}  {visible(r['message'])}")
    return EXIT_OK


# --- notify -----------------------------------------------------------------


def _flush(args: argparse.Namespace, config: Config, store: Store) -> int:
    from r2tui.alerts import outbox
    from r2tui.alerts.channels import deliver

    report = outbox.flush(store, config.alerts, deliver)
    if args.json:
        say_json(asdict(report))
    else:
        say(f"{report.sent} sent, {report.retried} to retry, {report.dead} dead")
        for error in report.errors:
            say(f"  {visible(error)}")
    return EXIT_FAILED if report.errors else EXIT_OK


def _test(args: argparse.Namespace, config: Config) -> int:
    """A test notification straight to each channel (not through the outbox: the
    point is to see now whether the channel works)."""
    from r2tui.alerts.rules_test import send_tests

    names = args.channels or sorted(config.alerts.channels)
    if not names:
        say("no channels configured: add a [channels.NAME] table", err=True)
        return EXIT_FAILED
    results = send_tests("r2tui test notification", config, names, int(time.time()))
    if args.json:
        say_json(results)
    else:
        for r in results:
            say(
                f"{visible(r['channel']):<16} {'ok' if r['ok'] else 'FAILED':<7} "
                f"{visible(r['describe'] or '')}"
                f"{'' if r['ok'] else '  ' + visible(r['error'])}"
            )
    return EXIT_OK if all(r["ok"] for r in results) else EXIT_FAILED


def _outbox(args: argparse.Namespace) -> int:
    from r2tui.alerts import outbox

    rows = outbox.pending_view()
    if args.json:
        say_json(
            {
                "counts": outbox.counts(),
                "notifications": [
                    {
                        **asdict(r),
                        "created_at": iso(r.created_at),
                        "next_attempt_at": iso(r.next_attempt_at),
                    }
                    for r in rows
                ],
            }
        )
        return EXIT_OK
    if not rows:
        say("outbox: nothing pending or dead")
        return EXIT_OK
    lines = [("ID", "STATE", "CHANNEL", "TRIES", "CREATED", "NEXT", "SUBJECT")]
    for r in rows:
        lines.append(
            (
                str(r.id),
                r.state,
                visible(r.channel),
                str(r.attempts),
                local(r.created_at),
                local(r.next_attempt_at) if r.state == "pending" else "-",
                visible(r.subject),
            )
        )
    say(table(lines))
    for r in rows:
        if r.last_error:
            say(f"  {r.id}: {visible(r.last_error)}")
    return EXIT_OK


def _retry(args: argparse.Namespace, store: Store) -> int:
    from r2tui.alerts import outbox

    wanted = list(dict.fromkeys(args.ids))
    with store.write():
        n = outbox.retry(wanted)
    say(f"{n} of {len(wanted)} notifications queued again")
    if n < len(wanted):
        return fail(
            "notify retry",
            "only dead notifications are retried (`r2tui notify list` shows them)",
            EXIT_FAILED if n == 0 else EXIT_OK,
        )
    return EXIT_OK
