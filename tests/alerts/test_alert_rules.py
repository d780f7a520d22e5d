"""Alert rules: every field checked with a message that names it, a rule
accepted whole or not at all, round trips, the default rules, and fuzzing
that nothing but a RuleError ever comes out of bad input."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.alerts import saved
from r2tui.alerts.notice import AlertNotice, Notice
from r2tui.alerts.rules import (
    COMPARISONS,
    DEFAULT_RULES,
    FIELDS,
    MISSING_DATA,
    SEVERITIES,
    THRESHOLD_MAX,
    Rule,
    RuleError,
    check_unique,
    rule_from,
    rule_to_dict,
)
from r2tui.metrics import ACCOUNT, CATALOG
from r2tui.store import Store
from r2tui.store.migrations import v5_rule_bodies, v8_rule_bodies
from tests.support.committed import behind_a_write
from tests.support.store_files import sqlite_path

GOOD: dict[str, Any] = {
    "name": "High error rate",
    "metric": "error_rate_pct",
    "comparison": ">",
    "threshold": 5,
}


def fields_of(err: RuleError) -> list[str]:
    return [f for f, _ in err.problems]


def test_a_minimal_rule_takes_the_defaults() -> None:
    r = rule_from(GOOD)
    assert (r.scope, r.for_seconds, r.severity, r.missing_data, r.enabled) == (
        ACCOUNT,
        0,
        "medium",
        "keep",
        True,
    )
    assert r.unit == "%" and r.condition() == "error_rate_pct > 5 %"
    assert r.holds(5.1) and not r.holds(5.0)


def test_every_field_read() -> None:
    r = rule_from(
        {
            **GOOD,
            "scope": "logs-*",
            "for": "5m",
            "keep_firing_for": "1h",
            "severity": "High",
            "channels": ["ops", "ops", "pager"],
            "labels": {"team": "storage"},
            "annotations": {"runbook": "https://x/y"},
            "missing_data": "resolve",
            "enabled": False,
        }
    )
    assert (r.scope, r.for_seconds, r.keep_firing_seconds, r.severity) == (
        "logs-*",
        300,
        3600,
        "high",
    )
    assert r.channels == ("ops", "pager")  # duplicates dropped, order kept
    assert r.labels == (("team", "storage"),) and r.missing_data == "resolve"
    assert r.enabled is False


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", "", "required"),
        ("name", "x" * 81, "1 to 80 printable"),
        ("name", "bad\nname", "printable"),
        ("metric", "error_rate", "unknown metric 'error_rate'; valid:"),
        ("comparison", "=>", "expected one of >, >=, <, <=, ==, !="),
        ("threshold", "five", "expected a number"),
        ("threshold", True, "expected a number"),
        ("threshold", float("nan"), "finite"),
        ("scope", "Logs", 'expected "*" for the account'),
        ("for", "5 minutes", "expected a duration"),
        ("keep_firing_for", -1, "expected a duration"),
        ("severity", "urgent", "expected one of low, medium, high, critical"),
        ("channels", "Ops!", "channel names"),
        ("labels", {"9x": "a"}, "not a valid name"),
        ("annotations", {"summary": 3}, "expected text"),
        ("missing_data", "ignore", "expected one of keep, alert, resolve"),
        ("enabled", "yes", "expected true or false"),
        ("colour", "red", "unknown field; valid: name, metric"),
    ],
)
def test_a_bad_field_is_named_with_what_is_valid(field: str, value: object, says: str) -> None:
    with pytest.raises(RuleError) as info:
        rule_from({**GOOD, field: value})
    assert field in fields_of(info.value)
    message = dict(info.value.problems)[field]
    assert says in message or says in str(info.value), message


def test_all_problems_at_once_and_nothing_built() -> None:
    with pytest.raises(RuleError) as info:
        rule_from({"name": "x", "metric": "nope", "severity": "urgent"})
    assert sorted(fields_of(info.value)) == ["comparison", "metric", "severity", "threshold"]
    assert str(info.value).startswith("rule 'x': ")


def test_a_byte_threshold_takes_a_size() -> None:
    r = rule_from({**GOOD, "metric": "total_bytes", "threshold": "1.5 TB"})
    assert r.threshold == 1.5e12 and r.unit == "bytes"


def test_scope_account_bucket_and_glob() -> None:
    account = rule_from(GOOD)
    bucket = rule_from({**GOOD, "scope": "media"})
    glob = rule_from({**GOOD, "scope": "logs-*"})
    assert account.applies_to(ACCOUNT) and not account.applies_to("media")
    assert bucket.applies_to("media") and not bucket.applies_to("media2")
    assert glob.applies_to("logs-eu") and not glob.applies_to(ACCOUNT)


def test_names_are_unique_whatever_their_case() -> None:
    check_unique([rule_from(GOOD), rule_from({**GOOD, "name": "Other"})])
    with pytest.raises(RuleError, match="'high ERROR rate' is taken"):
        check_unique([rule_from(GOOD), rule_from({**GOOD, "name": "high ERROR rate"})])


def test_the_first_start_installs_todays_defaults() -> None:
    """Migration 5 writes its rules as literals (the store knows nothing of the
    alerts' code): they are today's defaults, field for field. A change to the
    defaults must decide whether existing stores get it (a new migration)."""
    assert v5_rule_bodies() + v8_rule_bodies() == [rule_to_dict(r) for r in DEFAULT_RULES]


def test_the_default_rules() -> None:
    check_unique(DEFAULT_RULES)
    by_metric = {r.metric: r for r in DEFAULT_RULES}
    expected = {
        "monthly_cost_usd": (100, "high"),
        "daily_cost_increase_pct": (50, "medium"),
        "error_rate_pct": (5, "high"),
        "avg_response_ms": (2000, "medium"),
        "quota_usage_pct": (80, "medium"),
        "new_large_objects": (0, "low"),
        "failed_access": (10, "high"),
        "total_files": (20, "high"),
    }
    assert {m: (r.threshold, r.severity) for m, r in by_metric.items()} == expected
    for r in DEFAULT_RULES:
        assert r.metric in CATALOG and r.comparison == (
            ">" if r.metric != "total_files" else "falls_by"
        )
        assert rule_from(rule_to_dict(r)) == r
    drop = by_metric["total_files"]
    assert (drop.window, drop.change_in, drop.scope) == (3600, "percent", "?*")
    assert drop.condition() == "total_files falls by more than 20 % in 1 hour"


names = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters="\x7f"),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip() == s and bool(s))
rules = st.builds(
    Rule,
    name=names,
    metric=st.sampled_from(sorted(CATALOG)),
    comparison=st.sampled_from(list(COMPARISONS)),
    threshold=st.floats(min_value=-THRESHOLD_MAX, max_value=THRESHOLD_MAX, width=64),
    scope=st.sampled_from([ACCOUNT, "media", "logs-*", "a?c", "[ab]x", "media/2026/", "m*/x/*"]),
    for_seconds=st.integers(0, 10**6),
    keep_firing_seconds=st.integers(0, 10**6),
    severity=st.sampled_from(SEVERITIES),
    channels=st.lists(st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,10}\Z"), unique=True, max_size=3).map(
        tuple
    ),
    labels=st.dictionaries(
        st.from_regex(r"\A[a-z_][a-z0-9_]{0,8}\Z"), st.text(max_size=20), max_size=3
    ).map(lambda d: tuple(sorted(d.items()))),
    annotations=st.dictionaries(
        st.text(min_size=1, max_size=8), st.text(max_size=40), max_size=3
    ).map(lambda d: tuple(sorted(d.items()))),
    missing_data=st.sampled_from(MISSING_DATA),
    enabled=st.booleans(),
).filter(lambda r: CATALOG[r.metric].per_prefix == ("/" in r.scope))  # a prefix: its metrics


@settings(max_examples=200, deadline=None)
@given(rules)
def test_a_rule_round_trips_through_plain_data(rule: Rule) -> None:
    assert rule_from(rule_to_dict(rule)) == rule


anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*FIELDS, "extra"]), anything, max_size=len(FIELDS)))
def test_any_input_gives_a_rule_or_a_rule_error(data: dict[str, object]) -> None:
    try:
        r = rule_from(data)
    except RuleError as exc:
        assert exc.problems and all(f and m for f, m in exc.problems)
    else:
        assert isinstance(r, Rule) and r.metric in CATALOG


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("threshold", 10**400),  # beyond any float: a RuleError, not an OverflowError
        ("threshold", "9" * 400 + " GB"),
        ("scope", "media\n"),  # a trailing newline is no bucket name
        ("channels", ["ops\n"]),
        ("labels", {"team\n": "storage"}),
        ("name", "a\ud800"),  # a lone surrogate would crash a UTF-8 terminal
    ],
)
def test_fuzzing_finds_are_refused_by_field(field: str, value: object) -> None:
    data = {"name": "r", "metric": "total_bytes", "comparison": ">", "threshold": 1, field: value}
    with pytest.raises(RuleError) as err:
        rule_from(data)
    assert [f for f, _ in err.value.problems] == [field]


def test_a_change_rule_is_checked_and_round_trips() -> None:
    drop = rule_from(
        {
            "name": "Drop",
            "metric": "total_files",
            "comparison": "falls by",
            "threshold": 5,
            "window": "1h",
        }
    )
    assert (drop.comparison, drop.window, drop.change_in, drop.unit) == (
        "falls_by",
        3600,
        "percent",
        "%",
    )
    assert rule_from(rule_to_dict(drop)) == drop
    assert drop.holds(drop.change_of(5_900, 10_000) or 0) and not drop.holds(-5.0)
    assert drop.change_of(5, 0) is None and drop.change_of(None, 3) is None
    moved = rule_from({**rule_to_dict(drop), "comparison": "changes_by", "change_in": "absolute"})
    assert moved.unit == "objects" and moved.change_of(90, 100) == -10 and moved.holds(-10)
    with pytest.raises(RuleError) as err:
        rule_from({**GOOD, "comparison": "rises_by", "threshold": -1, "change_in": "some"})
    assert err.value.problems == [
        ("change_in", "expected one of percent, absolute, got 'some'"),
        (
            "window",
            'required with rises_by: how far back to compare, such as "1h" (1 minute to 30 days)',
        ),
        ("threshold", "rises_by takes how much the metric changes: 0 or more, got -1"),
    ]
    with pytest.raises(RuleError, match="window: only for the change comparisons falls_by"):
        rule_from({**GOOD, "window": "1h"})
    with pytest.raises(RuleError, match="window: expected a duration from 1 minute to 30 days"):
        rule_from({**rule_to_dict(drop), "window": "90d"})


def notice(**kw: object) -> AlertNotice:
    base: dict[str, object] = dict(
        fingerprint="f",
        rule="r",
        account="a",
        bucket="*",
        metric="failed_access",
        severity="high",
        status="resolved",
        value=63.0,
        threshold=70.0,
        comparison=">",
        unit="requests",
        starts_at=0,
    )
    return AlertNotice(**{**base, **kw})  # type: ignore[arg-type]


def test_messages_are_worded_for_each_direction() -> None:
    assert notice().summary() == "failed_access 63 requests, back under 70 requests (the account)"
    assert notice(value=83.0).summary() == "failed_access 83 requests > 70 requests (the account)"
    assert (
        notice(comparison="<", value=80.0)
        .summary()
        .endswith("80 requests, back above 70 requests (the account)")
    )
    assert notice(comparison=">=", value=None).summary() == (
        "failed_access: no data (threshold >= 70 requests) (the account)"
    )
    fell = notice(
        metric="total_files",
        comparison="falls_by",
        value=-41.0,
        threshold=20.0,
        unit="%",
        window=3600,
        change_in="percent",
        current=5_900.0,
        previous=10_000.0,
        bucket="media",
    )
    assert fell.summary() == (
        "total_files fell by 41 % in 1 hour (from 10,000 to 5,900 objects) (bucket media)"
    )
    assert fell.threshold_text() == "falls by more than 20 % in 1 hour"
    back = replace(fell, value=-3.0, current=9_700.0)
    assert back.summary() == (
        "total_files fell by 3 % in 1 hour (from 10,000 to 9,700 objects), "
        "no fall of more than 20 % (bucket media)"
    )
    rose = replace(fell, comparison="rises_by", value=12.5, current=11_250.0)
    assert rose.summary().startswith("total_files rose by 12.5 % in 1 hour (from 10,000 to 11,250")
    assert Notice.from_json(Notice("c", "alert", "firing", "g", "t", (fell,)).to_json()).alerts == (
        fell,
    )
    assert "window" not in Notice("c", "alert", "firing", "g", "t", (notice(),)).to_json()


@pytest.mark.parametrize(
    ("metric", "window", "field", "words"),
    [
        ("requests_per_hour", "30m", "window", "requests_per_hour counts whole hours: expected"),
        ("error_rate_pct", "90m", "window", 'whole hours from 1h to 30 days, such as "1h"'),
        ("uploads_today", "1h", "comparison", "watch an hourly metric instead (requests_per_hour"),
    ],
)
def test_a_change_rule_refuses_what_would_flap(
    metric: str, window: str, field: str, words: str
) -> None:
    """Hourly counts: a window of whole hours, or now and then read the same
    hour half the time. Today so far: never across midnight, so never at all."""
    data = {**GOOD, "metric": metric, "comparison": "falls_by", "window": window}
    with pytest.raises(RuleError) as err:
        rule_from(data)
    ((got, message),) = err.value.problems
    assert got == field and words in message
    assert rule_from({**data, "metric": "total_files"}).window > 0  # a gauge: any window
    if field == "window":
        assert rule_from({**data, "window": "2h"}).window == 7200


def test_a_stored_change_rule_saved_before_the_check_loads_and_says_what_to_fix(
    store: Store,
) -> None:
    """Saved by the release that let it by: it still loads and runs (a rule does
    not vanish), `outdated_rules` names the fix, and saving it again is refused."""
    old = Rule("Nightly", "uploads_today", "falls_by", 50.0, window=3600)
    saved.import_rules(store, [old], replace_all=True)  # as that release saved it
    assert saved.list_rules(store) == [old]
    assert saved.outdated_rules(store) == [
        "rule 'Nightly': comparison: falls_by cannot watch uploads_today: today's figure "
        "starts again at midnight, so a change across it compares part of a day with a "
        "whole one; watch an hourly metric instead (requests_per_hour, class_a_ops, "
        "class_b_ops, failed_access)"
    ]
    assert not saved.set_enabled(store, "Nightly", False).enabled  # turning it off works
    with pytest.raises(RuleError, match="comparison: falls_by cannot watch"):
        rule_from(rule_to_dict(old))


def test_turning_a_rule_off_keeps_an_edit_another_process_saved_meanwhile(
    store: Store, sqlite_url: str
) -> None:
    """`set_enabled` reads the rule it writes back inside its write: an edit
    another process commits while it waits for the write lock is kept."""
    saved.save_rule(store, Rule("Egress", "class_b_ops", ">", 50.0))

    def edit(other: sqlite3.Connection) -> None:
        (body,) = other.execute("SELECT body FROM alert_rule WHERE name = 'Egress'").fetchone()
        other.execute(
            "UPDATE alert_rule SET body = ? WHERE name = 'Egress'",
            (json.dumps({**json.loads(body), "threshold": 500.0}),),
        )

    off = behind_a_write(
        store, str(sqlite_path(sqlite_url)), edit, lambda: saved.set_enabled(store, "Egress", False)
    )
    assert (off.enabled, off.threshold) == (False, 500.0)
    stored = saved.get_rule(store, "Egress")
    assert stored is not None and (stored.enabled, stored.threshold) == (False, 500.0)
