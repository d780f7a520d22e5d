"""Alert rules on a prefix (scope "bucket/prefix/"): its bytes, or its growth as a
change rule, evaluated by the engine and replayed by the backtest on the prefix
series the inventory stores, on SQLite and PostgreSQL; a prefix scope only with
a prefix metric."""

from __future__ import annotations

import pytest

from r2tui.alerts.engine import check_alerts, scope_candidates, targets
from r2tui.alerts.replay import backtest
from r2tui.alerts.rules import Rule, RuleError, rule_from
from r2tui.alerts.states import FIRING
from r2tui.metrics import DAY, PREFIX_BYTES
from r2tui.store import Store
from r2tui.store.models import AlertInstance
from tests.support.configs import account_for, make_config
from tests.support.prefixes import T0, fill

NOW = T0 + 30 * DAY + 3600  # an hour after the last listing (fill's)


def _rule(**fields: object) -> Rule:
    return rule_from({"name": "r", "comparison": ">", "threshold": 0, **fields})


@pytest.mark.parametrize("scope", ["photos/2026/", "photos/*", "logs-*/tmp/", "b/é 日/", "b//"])
def test_a_prefix_scope_with_a_prefix_metric(scope: str) -> None:
    assert _rule(metric=PREFIX_BYTES, scope=scope).scope == scope


@pytest.mark.parametrize(
    ("metric", "scope", "said"),
    [
        (PREFIX_BYTES, "photos", "prefix_bytes is per prefix: expected a bucket, / and a prefix"),
        (PREFIX_BYTES, "*", "prefix_bytes is per prefix"),
        (
            "total_bytes",
            "photos/2026/",
            "a prefix is a scope for prefix_bytes, prefix_objects only",
        ),
        (PREFIX_BYTES, "photos/2026", 'ending in / such as "photos/2026/"'),
        (PREFIX_BYTES, "Photos/x/", 'ending in / such as "photos/2026/"'),  # no such bucket name
        (PREFIX_BYTES, "p/" + "x" * 300 + "/", "at most 255 characters"),
        (PREFIX_BYTES, "p/a\x1b/", 'ending in / such as "photos/2026/"'),
    ],
)
def test_a_scope_that_does_not_fit_its_metric_is_named(metric: str, scope: str, said: str) -> None:
    with pytest.raises(RuleError) as refused:
        _rule(metric=metric, scope=scope)
    assert [f for f, _ in refused.value.problems] == ["scope"]
    assert said in str(refused.value)


def test_the_engine_and_the_backtest_watch_a_prefix(st: Store) -> None:
    fill(st, account="acme")
    config = make_config((account_for("http://127.0.0.1:9", name="acme"),))
    big = _rule(name="big logs", metric=PREFIX_BYTES, scope="b/logs/", threshold=3000)
    grew = _rule(
        name="grew",
        metric=PREFIX_BYTES,
        scope="b/*",
        comparison="rises_by",
        threshold=500,
        change_in="absolute",
        window="7d",
    )
    check_alerts(st, config, "acme", now=NOW, rules=[big, grew])
    firing = {(a.rule, a.bucket) for a in AlertInstance.select() if a.state == FIRING}
    # logs/ and logs/2026/ gained 800 bytes in 7 days; img/ none; tmp/ was not there.
    assert firing == {("big logs", "b/logs/"), ("grew", "b/logs/"), ("grew", "b/logs/2026/")}

    watched = targets(grew, scope_candidates(st, "acme", grew))
    assert watched == ["b/img/", "b/img/b/", "b/logs/", "b/logs/2026/", "b/tmp/"]
    replayed = backtest(st, grew, "acme", watched, NOW - 7 * DAY, NOW, every=3600)
    fired = {r.bucket for r in replayed if r.firings}
    assert fired == {"b/logs/", "b/logs/2026/"}
