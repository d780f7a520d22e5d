"""What the alert screens ask of the store and the channels, in one place.

Every method here runs on a worker thread (never the event loop) and gives the
thread's database connection back when it is done, as the app's own reads do.
The screens stay thin: they turn keys into calls to these, and results into
rows and notifications."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from r2tui.alerts import saved
from r2tui.alerts.replay import backtest
from r2tui.alerts.rules import Rule
from r2tui.alerts.silences import add_silence
from r2tui.alerts.states import Firing
from r2tui.alerts.views import RuleState, rule_states
from r2tui.config import Config
from r2tui.config.triggers import cadence
from r2tui.metrics import ACCOUNT, CATALOG, HOUR
from r2tui.store import Store
from r2tui.store.readings import readings
from r2tui.tui.rule_fields import names_prefixes

P = ParamSpec("P")
T = TypeVar("T")
BACKTEST_SECONDS = 7 * 86400


class Host(Protocol):
    """The app, as these operations see it. The config is read at each call:
    the demo account replaces it once it has started."""

    config: Config
    store: Store
    account_name: str
    clock: Callable[[], float]


@dataclass(frozen=True)
class Backtest:
    fired: int
    seconds: int
    buckets: int  # series looked at (a glob spans several)
    points: int  # stored samples (or rollup hours) read in all
    firings: tuple[tuple[str, Firing], ...] = ()  # (bucket, firing), by time

    def text(self) -> str:
        if not self.points:
            return "backtest: no stored history for this metric and scope in the last 7 days"
        times = "once" if self.fired == 1 else f"{self.fired} times"
        hours = f" (for {self.seconds / 3600:.1f} h in all)" if self.fired else ""
        over = f" across {self.buckets} buckets" if self.buckets > 1 else ""
        return f"over the last 7 days{over} this rule would have fired {times}{hours}"


def _closing(
    method: Callable[Concatenate[AlertOps, P], T],
) -> Callable[Concatenate[AlertOps, P], T]:
    """Give the worker thread's connection back however the call ends."""

    @functools.wraps(method)
    def run(ops: AlertOps, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(ops, *args, **kwargs)
        finally:
            ops.host.store.thread_done()

    return run


class AlertOps:
    def __init__(self, host: Host) -> None:
        self.host = host

    @property
    def read_only(self) -> bool:
        return self.host.config.read_only

    @property
    def channel_names(self) -> list[str]:
        return sorted(self.host.config.alerts.channels)

    @property
    def response_names(self) -> list[str]:
        return sorted(self.host.config.alerts.responses)

    def response_notes(self) -> dict[str, str]:
        """What each configured response does, safe to show: the program a
        command runs (never its arguments), or that a URL is POSTed to (never
        the URL, which may hold a token)."""
        return {
            name: (f"runs {r.command[0]}" if r.command else "POSTs the alert to a URL")
            for name, r in sorted(self.host.config.alerts.responses.items())
        }

    # ---- rules ----------------------------------------------------------------------------
    @_closing
    def rule_states(self) -> list[RuleState]:
        return rule_states(self.host.store, self.host.clock())

    @_closing
    def save(self, rule: Rule, replacing: str | None = None) -> None:
        saved.save_rule(self.host.store, rule, replacing=replacing, now=self.host.clock())

    @_closing
    def set_enabled(self, name: str, enabled: bool) -> Rule:
        return saved.set_enabled(self.host.store, name, enabled)

    @_closing
    def delete(self, name: str) -> bool:
        return saved.delete_rule(self.host.store, name)

    @_closing
    def silence(self, name: str, seconds: int, comment: str, until_resolved: bool = False) -> int:
        # A parsed matcher, not "rule=NAME" text: a name may itself hold "=" or "~".
        return add_silence(
            self.host.store,
            [("rule", "=", name)],
            seconds,
            comment,
            expire_on_resolve=until_resolved,
            now=self.host.clock(),
        )

    @_closing
    def check_now(self) -> str:
        # Deferred for start-up time (here and below): the engine and the channels
        # (httpx, e-mail) load on first use, not before the first paint.
        from r2tui.alerts.engine import check_alerts

        result = check_alerts(
            self.host.store, self.host.config, self.host.account_name, now=self.host.clock()
        )
        problems = f"; {'; '.join(result.problems)}" if result.problems else ""
        return result.summary() + problems

    def test_channels(self, rule: Rule) -> list[tuple[str, str | None]]:
        """(channel, None when sent else why not) for each channel the rule
        notifies; [] when neither the rule nor [alerts] names any. The CLI's
        `rules test` sends the same way: one failing channel never stops the rest."""
        from r2tui.alerts.trial import send_tests

        names = list(rule.channels or self.host.config.alerts.default_channels)
        results = send_tests(
            f"r2tui test of rule {rule.name}", self.host.config, names, int(self.host.clock())
        )
        return [(r["channel"], r["error"]) for r in results]

    # ---- what the form shows --------------------------------------------------------------
    @_closing
    def current_values(
        self, scope: str = ACCOUNT, prefixes_only: bool = False
    ) -> dict[str, dict[str, float | None]]:
        """bucket ("*": the account) → metric → its value now: the account's and
        every bucket's, and of the series kept per prefix ("bucket/prefix/") only
        those `scope` may name, not the account's thousands. `prefixes_only`:
        just those (a scope typed in the form)."""
        named = names_prefixes(scope)
        metrics = [name for name, m in CATALOG.items() if m.per_prefix or not prefixes_only]
        got = readings(
            self.host.store,
            self.host.account_name,
            metrics,
            self.host.clock(),
            self.host.config.timezone,
            prefix_scopes=[scope] if named else [],
        )
        return {bucket: {m: r.value for m, r in values.items()} for bucket, values in got.items()}

    @_closing
    def backtest(self, rule: Rule) -> Backtest:
        """How often `rule` would have fired over the stored last 7 days, stepped
        as check_alerts steps it (at its cadence: `r2tui.alerts.replay`); a glob
        scope adds up its matching buckets."""
        from r2tui.alerts.engine import scope_candidates, targets

        config, store = self.host.config, self.host.store
        account = self.host.account_name
        end = int(self.host.clock())
        buckets = (
            targets(rule, scope_candidates(store, account, rule))
            if rule.scope != ACCOUNT
            else [ACCOUNT]
        )
        start = end - BACKTEST_SECONDS
        schedules, tz = config.schedules, config.timezone
        # check_alerts at its schedule (a cron line: its times), and the analytics
        # as collect_metrics stored them, from before the first check's past.
        checks = (
            cadence(schedules["check_alerts"], tz, start, end)
            if "check_alerts" in schedules
            else 60
        )
        collects = (
            cadence(schedules["collect_metrics"], tz, start - rule.window - 2 * HOUR, end)
            if "collect_metrics" in schedules
            else 300
        )
        got = backtest(store, rule, account, buckets, start, end, checks, config.timezone, collects)
        firings = sorted(
            ((b.bucket, f) for b in got for f in b.firings), key=lambda bf: bf[1].fired_at
        )
        seconds = sum((f.resolved_at or end) - f.fired_at for _, f in firings)
        return Backtest(
            len(firings), seconds, len(buckets), sum(b.entries for b in got), tuple(firings)
        )

    # ---- history ----------------------------------------------------------------------------
    @_closing
    def history(self, search: str = "", limit: int = 500) -> list[dict[str, Any]]:
        """Alert transitions, newest first, each with its rule's unit when the
        rule still exists (a value reads "$500.00", not "500")."""
        from r2tui.alerts.engine import history

        units = {r.name: r.unit for r in saved.list_rules(self.host.store)}
        return [
            {**row, "unit": units.get(str(row.get("rule")), "")}
            for row in history(self.host.store, self.host.account_name, search, limit)
        ]
