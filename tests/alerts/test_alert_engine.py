"""The engine through a real store (SQLite and PostgreSQL), time frozen by
passing `now`: transitions and their history, notifications queued in the
outbox (grouped, repeated, rate limited, silenced, windowed, escalated) and
never a resolved without a firing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from r2tui.alerts import saved
from r2tui.alerts.engine import check_alerts, history
from r2tui.alerts.notice import Notice
from r2tui.alerts.rules import Rule
from r2tui.alerts.silences import add_silence, expire
from r2tui.config import Config, Secret
from r2tui.config.alert_model import AlertSettings, ChannelConfig, MaintenanceWindow
from r2tui.store import Store, writes
from r2tui.store.models import AlertInstance, Event, Notification
from r2tui.store.writes import SampleRow
from tests.support.configs import account_for, make_config

ACC = "acme"
# A Wednesday, 12:00 UTC.
T0 = int(datetime(2026, 11, 11, 12, 0, tzinfo=UTC).timestamp())
M = 60


def _channel(name: str) -> ChannelConfig:
    return ChannelConfig(name, "webhook", url=Secret(f"http://127.0.0.1:9/{name}", "test"))


def config(**alerts: object) -> Config:
    settings = AlertSettings(
        channels={n: _channel(n) for n in ("ops", "pager", "chat")}, default_channels=("ops",)
    )
    return make_config(
        (account_for("http://127.0.0.1:9", name=ACC),), alerts=replace(settings, **alerts)
    )


def cost(store: Store, ts: int, **buckets: float) -> None:
    writes.add_samples(
        store, ACC, [SampleRow("monthly_cost_usd", v, b) for b, v in buckets.items()], ts=ts
    )


def only(store: Store, *rules: Rule) -> None:
    saved.import_rules(store, list(rules), replace_all=True)


def notices(state: str | None = None) -> list[tuple[str, Notice]]:
    q = Notification.select().order_by(Notification.id)
    if state is not None:
        q = q.where(Notification.state == state)
    return [(n.state, Notice.from_json(n.body)) for n in q]


def run(store: Store, cfg: Config, at: int) -> None:
    check_alerts(store, cfg, ACC, now=at)


def states() -> dict[str, str]:
    return {a.bucket: a.state for a in AlertInstance.select()}


GLOB = Rule("Costly", "monthly_cost_usd", ">", 10.0, scope="logs-*", severity="high")


def test_a_glob_rule_fires_per_bucket_and_notifies_once_per_channel(st: Store) -> None:
    only(st, replace(GLOB, channels=("ops", "chat")))
    cost(st, T0, **{"logs-a": 20, "logs-b": 30, "logs-c": 1, "media": 99})
    run(st, config(), T0)
    assert states() == {"logs-a": "firing", "logs-b": "firing", "logs-c": "inactive"}
    sent = notices()
    assert [n.channel for _, n in sent] == ["chat", "ops"]
    for _, n in sent:
        assert n.subject() == "[FIRING:2] Costly"
        assert sorted(a.bucket for a in n.alerts) == ["logs-a", "logs-b"]
        assert {a.value for a in n.alerts} == {20, 30}
    fired = history(st, ACC)
    assert sorted(h["bucket"] for h in fired) == ["logs-a", "logs-b"]
    assert all(h["to"] == "firing" and h["from"] == "inactive" for h in fired)
    # The reports count firing transitions: kind "alert".
    assert Event.select().where(Event.kind == "alert").count() == 2
    # Evaluated again unchanged: nothing new.
    run(st, config(), T0 + M)
    assert len(notices()) == 2 and len(history(st, ACC)) == 2


def test_resolved_follows_firing_on_the_same_channels(st: Store) -> None:
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0))
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    cost(st, T0 + M, **{"*": 5})
    run(st, config(), T0 + M)
    sent = [n for _, n in notices()]
    assert [(n.channel, n.status) for n in sent] == [("ops", "firing"), ("ops", "resolved")]
    resolved = sent[1].alerts[0]
    assert (resolved.status, resolved.ends_at, resolved.starts_at) == ("resolved", T0 + M, T0)
    assert sent[1].subject() == "[RESOLVED:1] Costly"


def test_still_firing_repeats_every_repeat_interval(st: Store) -> None:
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0, repeat_interval=3600))
    for minute in range(0, 181, 10):
        cost(st, T0 + minute * M, **{"*": 20})
        run(st, config(), T0 + minute * M)
    # At 0, 60, 120 and 180 minutes.
    assert [n.created_at for _, n in notices()] == [T0, T0 + 3600, T0 + 7200, T0 + 10800]


def test_the_rate_limit_holds_back_then_summarises(st: Store) -> None:
    only(st, Rule("Flappy", "monthly_cost_usd", ">", 10.0, max_per_hour=2))
    # Flaps every minute: fire, resolve, fire, ... 10 notifications' worth.
    for minute in range(10):
        cost(st, T0 + minute * M, **{"*": 20 if minute % 2 == 0 else 1})
        run(st, config(), T0 + minute * M)
    pending = notices("pending")
    assert [n.status for _, n in pending] == ["firing", "resolved"]
    assert len(notices("held")) == 8
    # An hour after the first: room again, and one summary of the eight.
    cost(st, T0 + 61 * M, **{"*": 1})
    run(st, config(), T0 + 61 * M)
    summary = [n for _, n in notices("pending") if n.kind == "summary"]
    assert len(summary) == 1 and summary[0].held == 8
    assert summary[0].alerts[0].status == "resolved"  # its latest state
    assert "held back" in summary[0].alerts[0].annotations["held_back"]
    assert notices("held") == []
    assert summary[0].subject().startswith("[HELD:8] Flappy")


def test_an_all_clear_is_not_held_by_the_rate_limit(st: Store) -> None:
    """The hour's one notification went to the firing: its resolution still goes
    at once, not an hour later in a summary."""
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0, max_per_hour=1))
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    cost(st, T0 + M, **{"*": 1})
    run(st, config(), T0 + M)
    assert [n.status for _, n in notices("pending")] == ["firing", "resolved"]
    assert notices("held") == []


def test_a_silence_keeps_a_firing_quiet_and_its_end_lets_it_through(st: Store) -> None:
    only(st, replace(GLOB, channels=("ops",)))
    sid = add_silence(st, ["bucket=logs-a"], 3600, "deploying", now=T0)
    cost(st, T0, **{"logs-a": 20, "logs-b": 20})
    run(st, config(), T0)
    ((_, first),) = notices()
    assert [a.bucket for a in first.alerts] == ["logs-b"]
    assert states()["logs-a"] == "firing"  # silenced, not stopped
    expire(st, sid, now=T0 + 5 * M)
    run(st, config(), T0 + 6 * M)
    assert [a.bucket for _, n in notices() for a in n.alerts] == ["logs-b", "logs-a"]


def test_no_resolved_without_a_firing(st: Store) -> None:
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0))
    add_silence(st, ["rule=Costly"], 3600, "known", now=T0)
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    cost(st, T0 + M, **{"*": 1})
    run(st, config(), T0 + M)
    assert states() == {"*": "resolved"}
    assert notices() == []


def test_a_silence_can_expire_when_its_alerts_resolve(st: Store) -> None:
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0))
    add_silence(st, ["rule=Costly"], 86400, "until fixed", expire_on_resolve=True, now=T0)
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    cost(st, T0 + M, **{"*": 1})
    run(st, config(), T0 + M)
    cost(st, T0 + 2 * M, **{"*": 20})
    run(st, config(), T0 + 2 * M)
    # The silence ended with the resolution: the next firing is heard.
    assert [n.status for _, n in notices()] == ["firing"]


def test_a_maintenance_window_mutes_matching_alerts() -> None:
    # Weekdays 22:00 to 02:00 Berlin time (UTC+1 in November).
    w = MaintenanceWindow(
        "backup", (0, 1, 2, 3, 4), 22 * 60, 2 * 60, "Europe/Berlin", (("bucket", "=~", "logs-.*"),)
    )
    wed = datetime(2026, 11, 11, tzinfo=UTC).timestamp()
    assert w.active(wed + 21 * 3600 + 30 * M)  # 22:30 Berlin, Wednesday
    assert w.active(wed + 24 * 3600 + 30 * M)  # 01:30 Thursday: Wednesday's night
    assert not w.active(wed + 20 * 3600 + 59 * M)  # 21:59 Berlin
    sat = datetime(2026, 11, 14, tzinfo=UTC).timestamp()
    assert w.active(sat + 0 * 3600 + 30 * M)  # 01:30 Saturday: Friday's night
    assert not w.active(sat + 21 * 3600 + 30 * M)  # Saturday 22:30: not a weekday


def test_the_engine_honours_maintenance_windows(st: Store) -> None:
    only(st, replace(GLOB, channels=("ops",)))
    # Wednesday 12:00 UTC is inside a 11:00–14:00 UTC window on Wednesdays.
    w = MaintenanceWindow("noon", (2,), 11 * 60, 14 * 60, "UTC", (("bucket", "=", "logs-a"),))
    cost(st, T0, **{"logs-a": 20, "logs-b": 20})
    run(st, config(maintenance=(w,)), T0)
    assert [a.bucket for _, n in notices() for a in n.alerts] == ["logs-b"]
    after = T0 + 2 * 3600 + M  # 14:01: the window is over
    cost(st, after, **{"logs-a": 20, "logs-b": 20})
    run(st, config(maintenance=(w,)), after)
    assert [a.bucket for _, n in notices() for a in n.alerts] == ["logs-b", "logs-a"]


def test_escalation_adds_channels_and_raises_the_severity(st: Store) -> None:
    only(
        st,
        Rule(
            "Costly",
            "monthly_cost_usd",
            ">",
            10.0,
            severity="medium",
            escalate_after=30 * M,
            escalate_to=("pager",),
            escalate_severity="critical",
        ),
    )
    for minute in (0, 10, 29, 30, 40):
        cost(st, T0 + minute * M, **{"*": 20})
        run(st, config(), T0 + minute * M)
    sent = [n for _, n in notices()]
    assert [(n.channel, n.created_at, n.escalated) for n in sent] == [
        ("ops", T0, False),
        ("ops", T0 + 30 * M, True),
        ("pager", T0 + 30 * M, True),
    ]
    assert sent[2].alerts[0].severity == "critical"
    assert AlertInstance.get().severity == "critical"
    assert any("escalated" in h["message"] for h in history(st, ACC))
    # Resolved: both channels hear it, and the next episode starts at medium again.
    cost(st, T0 + 50 * M, **{"*": 1})
    run(st, config(), T0 + 50 * M)
    assert {n.channel for _, n in notices()[-2:]} == {"ops", "pager"}
    assert AlertInstance.get().severity == "medium"


def test_a_disabled_rule_resolves_its_alerts(st: Store) -> None:
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0))
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    saved.set_enabled(st, "Costly", False)
    run(st, config(), T0 + M)
    assert states() == {"*": "resolved"}
    assert [n.status for _, n in notices()] == ["firing", "resolved"]


def test_an_unconfigured_channel_is_a_problem_not_a_crash(st: Store) -> None:
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0, channels=("gone",)))
    cost(st, T0, **{"*": 20})
    result = check_alerts(st, config(), ACC, now=T0)
    assert result.problems == ["rule 'Costly': channel 'gone' is not configured"]
    assert states() == {"*": "firing"} and notices() == []


@pytest.mark.parametrize(
    ("missing", "expected"), [("keep", "inactive"), ("alert", "firing"), ("resolve", "inactive")]
)
def test_missing_data_for_a_named_bucket(st: Store, missing: str, expected: str) -> None:
    only(st, Rule("Ghost", "monthly_cost_usd", ">", 10.0, scope="ghost", missing_data=missing))
    run(st, config(), T0)
    assert states() == {"ghost": expected}


def test_transitions_are_searchable_history(st: Store) -> None:
    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0, for_seconds=5 * M))
    for minute, value in ((0, 20), (5, 20), (6, 1)):
        cost(st, T0 + minute * M, **{"*": value})
        run(st, config(), T0 + minute * M)
    steps = [(h["from"], h["to"]) for h in reversed(history(st, ACC))]
    assert steps == [("inactive", "pending"), ("pending", "firing"), ("firing", "resolved")]
    assert [h["to"] for h in history(st, ACC, search="resolved")] == ["resolved"]
    data: Sequence[dict] = [
        json.loads(e.data) for e in Event.select().where(Event.kind.in_(("alert", "alert_state")))
    ]
    assert all(d["rule"] == "Costly" and d["threshold"] == 10.0 for d in data)


def test_two_evaluators_at_once_notify_once(st: Store) -> None:
    # A TUI and a headless collector on one store, both at the minute.
    import threading

    only(st, Rule("Costly", "monthly_cost_usd", ">", 10.0))
    cost(st, T0, **{"*": 20})
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            barrier.wait()
            run(st, config(), T0)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            st.db.close()

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert [(n.channel, n.status) for _, n in notices()] == [("ops", "firing")]
    assert Event.select().where(Event.kind == "alert").count() == 1


# ---- found in review: each failed before its fix ------------------------------------

R = Rule("Costly", "monthly_cost_usd", ">", 10.0, channels=("ops",))


def sent_list() -> list[tuple[str, str]]:
    return [(n.channel, n.status) for _, n in notices()]


def test_the_resolved_goes_where_the_firing_went(st: Store) -> None:
    only(st, R)
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    saved.save_rule(st, replace(R, channels=("chat",)), replacing="Costly")
    cost(st, T0 + M, **{"*": 1})
    run(st, config(), T0 + M)
    assert sent_list() == [("ops", "firing"), ("ops", "resolved")]


def test_an_escalation_waits_out_a_silence(st: Store) -> None:
    only(st, replace(R, escalate_after=30 * M, escalate_to=("pager",)))
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    sid = add_silence(st, ["rule=Costly"], 3600, "known", now=T0 + M)
    for minute in (10, 30, 40):
        cost(st, T0 + minute * M, **{"*": 20})
        run(st, config(), T0 + minute * M)
    assert sent_list() == [("ops", "firing")]
    expire(st, sid, now=T0 + 45 * M)
    cost(st, T0 + 50 * M, **{"*": 20})
    run(st, config(), T0 + 50 * M)  # escalates now, on both channels
    cost(st, T0 + 60 * M, **{"*": 1})
    run(st, config(), T0 + 60 * M)
    assert sent_list() == [
        ("ops", "firing"),
        ("ops", "firing"),
        ("pager", "firing"),
        ("ops", "resolved"),
        ("pager", "resolved"),
    ]


@pytest.mark.parametrize("how", ["rename", "delete", "import --replace"])
def test_a_rule_that_goes_resolves_its_alerts(st: Store, how: str) -> None:
    only(st, R, replace(R, name="Other", threshold=1000.0))
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    if how == "rename":
        saved.save_rule(
            st, replace(R, name="Pricey", threshold=1000.0), replacing="Costly", now=T0 + M
        )
    elif how == "delete":
        saved.delete_rule(st, "Costly", now=T0 + M)
    else:
        saved.import_rules(
            st, [replace(R, name="Other", threshold=1000.0)], replace_all=True, now=T0 + M
        )
    run(st, config(), T0 + 2 * M)
    assert sent_list() == [("ops", "firing"), ("ops", "resolved")]
    assert "Costly" not in {a.rule for a in AlertInstance.select()}


def test_an_unreadable_rule_does_not_stop_the_others(st: Store) -> None:
    from r2tui.store.models import AlertRule

    only(st, R, replace(R, name="Other", threshold=15.0))
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    # As a newer r2tui sharing the store might write it.
    AlertRule.update(
        body='{"name": "Costly", "metric": "monthly_cost_usd", '
        '"comparison": ">", "threshold": 10, "new_field": 1}'
    ).where(AlertRule.name == "Costly").execute()
    cost(st, T0 + M, **{"*": 1})
    run(st, config(), T0 + M)
    assert {a.rule: a.state for a in AlertInstance.select()}["Other"] == "resolved"


def test_a_deleted_bucket_resolves(st: Store) -> None:
    only(st, replace(GLOB, channels=("ops",)))
    writes.sync_buckets(st, ACC, ["logs-a", "logs-b"], ts=T0)
    cost(st, T0, **{"logs-a": 20, "logs-b": 20})
    run(st, config(), T0)
    writes.sync_buckets(st, ACC, ["logs-b"], ts=T0 + M)
    cost(st, T0 + 2 * M, **{"logs-b": 20})
    run(st, config(), T0 + 2 * M)
    assert states() == {"logs-a": "resolved", "logs-b": "firing"}


def test_expire_on_resolve_waits_for_every_account(st: Store) -> None:
    only(st, R)
    add_silence(st, ["rule=Costly"], 86400, "until fixed", expire_on_resolve=True, now=T0)
    for acc in (ACC, "other"):
        writes.add_samples(st, acc, [SampleRow("monthly_cost_usd", 20.0)], ts=T0)
        check_alerts(st, config(), acc, now=T0)
    writes.add_samples(st, ACC, [SampleRow("monthly_cost_usd", 1.0)], ts=T0 + M)
    check_alerts(st, config(), ACC, now=T0 + M)  # "other" still fires: the silence holds
    check_alerts(st, config(), "other", now=T0 + 2 * M)
    assert notices() == []


def test_a_clock_set_back_does_not_stall_the_rate_limit(st: Store) -> None:
    only(st, replace(R, max_per_hour=2))
    for minute in range(4):  # notifications dated "in the future" of the next runs
        cost(st, T0 + 6 * 3600 + minute * M, **{"*": 20 if minute % 2 == 0 else 1})
        run(st, config(), T0 + 6 * 3600 + minute * M)
    cost(st, T0, **{"*": 1})
    cost(st, T0 + M, **{"*": 20})  # back at T0, the alert fires again
    run(st, config(), T0 + M)
    assert notices()[-1][0] == "pending"


def test_a_resolved_waits_behind_its_firing(st: Store) -> None:
    from r2tui.alerts import outbox

    got: list[str] = []
    down = [True]

    def send(channel: ChannelConfig, notice: Notice) -> None:
        if down[0]:
            raise ConnectionError("webhook down")
        got.append(notice.status)

    only(st, R)
    cost(st, T0, **{"*": 20})
    run(st, config(), T0)
    outbox.deliver_due(st, config(backoff_seconds=600.0).alerts, send, now=T0)  # fails: backoff
    cost(st, T0 + M, **{"*": 1})
    run(st, config(), T0 + M)
    down[0] = False
    # The firing is not due again yet, and the resolved may not overtake it.
    outbox.deliver_due(st, config(backoff_seconds=600.0).alerts, send, now=T0 + M)
    assert got == []
    outbox.deliver_due(st, config(backoff_seconds=600.0).alerts, send, now=T0 + 3600)
    assert got == ["firing", "resolved"]
