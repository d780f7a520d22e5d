"""The alert screens under Pilot, on a real SQLite store: the Alerts pane, the
Rules screen and every key of it, the rule form's validation, and --read-only.
Test notifications go to a real HTTP receiver on loopback."""

from __future__ import annotations

import dataclasses
import fnmatch
import sys
import threading
from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from r2tui.alerts import saved
from r2tui.alerts.rules import rule_from
from r2tui.alerts.silences import silences
from r2tui.config import Secret
from r2tui.config.alert_model import ChannelConfig
from r2tui.store import Store, writes
from r2tui.store.models import Event, Notification
from r2tui.store.writes import SampleRow
from r2tui.tui.rule_fields import NOTHING, form_data, form_texts, names_prefixes, scoped_value
from r2tui.tui.screens.dialogs import ConfirmScreen, SilenceScreen
from r2tui.tui.screens.help import HelpScreen
from r2tui.tui.screens.message import MessageScreen
from r2tui.tui.screens.rule_form import RuleForm
from r2tui.tui.screens.rules import RulesScreen
from r2tui.tui.widgets.table import FilterTable
from tests.support.alerts_pilot import (
    ACCOUNT,
    choose,
    config_for,
    make_app,
    notes,
    open_form,
    open_rules,
    problem,
    rows_of,
    seed_firing,
)
from tests.support.peers import closed_port
from tests.support.receivers import Receiver
from tests.support.tui import SIZE, rows, settle, wait_for
from tests.support.tui_data import NOW


# ---- the form's fields, pure ------------------------------------------------------------
def test_form_text_round_trips_a_rule() -> None:
    rule = rule_from(
        {
            "name": "Hot",
            "metric": "total_bytes",
            "comparison": ">=",
            "threshold": "2 GB",
            "scope": "logs-*",
            "for": "5m",
            "channels": ["ops"],
            "labels": {"team": "storage"},
            "repeat_interval": "1h30m",
        }
    )
    texts = form_texts(rule)
    assert texts["threshold"] == "2 GB" and texts["for"] == "5m"
    assert texts["repeat_interval"] == "1h30m" and texts["labels"] == "team=storage"
    raw = {
        **texts,
        "metric": "total_bytes",
        "comparison": ">=",
        "severity": "medium",
        "missing_data": "keep",
        "escalate_severity": NOTHING,
    }
    data, problems = form_data(raw, {})
    assert problems == []
    assert rule_from(data) == rule
    assert (
        form_texts(dataclasses.replace(rule, threshold=2_500_000_001.0))["threshold"]
        == "2500000001"
    )
    assert (
        form_texts(dataclasses.replace(rule, metric="error_rate_pct", threshold=2.5))["threshold"]
        == "2.5"
    )
    _, problems = form_data({"labels": "team"}, {})
    assert problems == [
        (
            "labels",
            "expected name=value pairs separated by commas (a comma in a value as \\,), got 'team'",
        )
    ]
    # Found in review: values with commas, and thresholds past 6 digits, came back changed.
    noted = dataclasses.replace(
        rule,
        threshold=12345.67,
        annotations=(("note", "Slow, check the CDN"), ("runbook", "https://wiki/x?a=1,b=2\\c")),
    )
    data, problems = form_data({**raw, **form_texts(noted), "metric": "total_bytes"}, {})
    assert problems == [] and rule_from(data) == noted
    values = {
        "*": {"total_bytes": 9.0},
        "logs-a": {"total_bytes": 3.0},
        "logs-b": {"total_bytes": 5.0},
        "web": {"total_bytes": 7.0},
    }
    assert scoped_value(values, "total_bytes", "*") == (9.0, 1)
    assert scoped_value(values, "total_bytes", "logs-*") == (5.0, 2)
    assert scoped_value(values, "total_bytes", "nope") == (None, 1)


def test_which_scopes_may_name_a_prefix_series() -> None:
    named = ["media/photos/", "media/*", "med*", "b/photos [[]2019]/", "*[/]", "?"]
    plain = ["*", "media", "*-logs", "media/pho", "logs-?a"]
    assert [s for s in named + plain if names_prefixes(s)] == named
    # Each named one matches a prefix series ("bucket/prefix/"), as the engine matches.
    assert all(
        fnmatch.fnmatchcase(n, s)
        for s, n in zip(
            named,
            ["media/photos/", "media/x/", "media/x/", "b/photos [2019]/", "a/b/", "/"],
            strict=True,
        )
    )


# ---- the Alerts pane --------------------------------------------------------------------
async def test_alerts_pane_shows_a_firing_alert_and_its_detail(store: Store) -> None:
    config = config_for()
    seed_firing(store, config)
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(rows(app, "table-alerts")))
        row = rows(app, "table-alerts")[0]
        assert row[:3] == ["●", "$500.00", "High monthly cost"]
        assert row[3] == "> $100.00" and row[5] == "high"
        assert str(app.query_one("#alerts-summary").render()) == "● 1 firing · 8 rules"
        assert not app.query_one("#alerts-outbox").display
        await pilot.press("5", "enter")
        assert isinstance(app.screen, MessageScreen)
        assert "value: $500.00 (threshold > $100.00)" in app.screen.message
        assert app.screen.title_text == "FIRING · High monthly cost · account"


async def test_alerts_pane_empty_state_and_outbox_trouble(store: Store) -> None:
    from r2tui.alerts.channels import trial_notice
    from r2tui.alerts.outbox import enqueue

    with store.write():
        ids = enqueue(store, [trial_notice("ops", int(NOW))], int(NOW))
    Notification.update(state="dead", last_error="channel ops: HTTP 500 from the webhook").where(
        Notification.id.in_(ids)
    ).execute()
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        await pilot.pause()
        summary = str(app.query_one("#alerts-summary").render())
        assert summary.startswith("8 rules watching, nothing firing")
        assert "Nothing fired in the last 24 hours" in summary
        assert not app.query_one("#table-alerts").display
        await pilot.press("5")  # the pane still takes the focus
        assert app.focused is app.query_one("#alerts-summary")
        outbox = app.query_one("#alerts-outbox")
        assert outbox.display
        assert "1 dead letter" in str(outbox.render())
        assert "HTTP 500 from the webhook" in str(outbox.render())


# ---- the Rules screen ---------------------------------------------------------------------
async def test_rules_screen_lists_rules_with_state_filter_and_sort(store: Store) -> None:
    config = config_for()
    seed_firing(store, config)
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        table = screen.query_one(FilterTable)
        names = [r[1] for r in rows_of(table)]
        assert names == sorted(names, key=str.casefold) and len(names) == 8
        states = {r[1]: r[0] for r in rows_of(table)}
        assert states["High monthly cost"] == "● firing"
        assert states["High error rate"] == "· ok"
        assert "monthly_cost_usd > $100.00" in [r[2] for r in rows_of(table)]
        await pilot.press("o", "o", "o", "o")  # name → severity (s silences here)
        assert table.sort_column == 5
        assert rows_of(table)[0][5] == "high"
        await pilot.press("slash", *"slow", "enter")
        assert [r[1] for r in rows_of(table)] == ["Slow responses"]
        await pilot.press("escape")  # clears the filter first
        assert len(rows_of(table)) == 8 and isinstance(app.screen, RulesScreen)
        # Typed text is shown, never parsed as markup (found in review: "[/]" crashed).
        await pilot.press("slash", *"[/]", "enter")
        await pilot.pause()
        assert rows_of(table) == [] and app.is_running
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {r[3] for r in app.screen.rows}
        assert {
            "app.rules",
            "app.alert_history",
            "rules.add",
            "rules.silence",
            "rule_form.save",
            "confirm.yes",
            "alert_history.search",
        } <= ids
        await pilot.press("escape", "escape")
        assert app.screen is app.default_screen


async def test_add_a_rule_with_the_keyboard_alone(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        form = await open_form(pilot, "a")
        await pilot.press(*"Big bill", "tab")  # name; then the metric picker
        await pilot.press("enter", *"monthly", "enter")
        assert form.query_one("#field-metric").value == "monthly_cost_usd"  # type: ignore[attr-defined]
        assert "USD" in str(form.query_one("#threshold-unit").render())
        await pilot.press("tab", "tab", *"250", "tab", *"media")  # comparison stays >
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen is screen)
        rule = saved.get_rule(store, "Big bill")
        assert rule is not None
        assert (rule.metric, rule.comparison, rule.threshold, rule.scope) == (
            "monthly_cost_usd",
            ">",
            250.0,
            "media",
        )
        await wait_for(pilot, lambda: "Big bill" in (screen.states or {}))


async def test_invalid_input_shows_its_message_and_saves_nothing(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await open_rules(pilot)
        form = await open_form(pilot, "a")
        # A new form does not shout "required" at fields nobody has touched yet.
        assert problem(form, "name") == "" and problem(form, "threshold") == ""
        await pilot.press(*"Bad one", "tab", "tab", "tab", *"lots")
        await wait_for(pilot, lambda: "expected a number, got 'lots'" in problem(form, "threshold"))
        assert problem(form, "metric") == ""  # untouched
        await pilot.press("f2")
        assert isinstance(app.screen, RuleForm)  # refused: still open
        assert "required" in problem(form, "metric")
        assert any("fix the fields" in n for n in notes(app))
        await pilot.press("escape")
        assert saved.get_rule(store, "Bad one") is None
        # A taken name: the store refuses it, and the form says so under the name.
        form = await open_form(pilot, "a")
        await pilot.press(
            *"high error rate", "tab", "enter", *"error_r", "enter", "tab", "tab", *"9", "f2"
        )
        await wait_for(pilot, lambda: "is taken" in problem(form, "name"))
        assert isinstance(app.screen, RuleForm)
        assert saved.get_rule(store, "High error rate").threshold == 5.0  # type: ignore[union-attr]
        assert len(saved.list_rules(store)) == 8


async def test_edit_changes_the_threshold(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "High error rate")
        form = await open_form(pilot, "e")
        assert form.query_one("#field-name", Input).value == "High error rate"
        await pilot.press("tab", "tab", "tab", *"7.5")  # name → metric → comparison → threshold
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen is screen)
        assert saved.get_rule(store, "High error rate").threshold == 7.5  # type: ignore[union-attr]
        # enter edits too
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RuleForm))
        await pilot.press("escape")


async def test_space_toggles_and_clone_copies(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "Slow responses")
        await pilot.press("space")
        await settle(pilot)
        assert saved.get_rule(store, "Slow responses").enabled is False  # type: ignore[union-attr]
        await wait_for(
            pilot, lambda: screen.current() is not None and screen.current().state == "disabled"
        )  # type: ignore[union-attr]
        await pilot.press("space")
        await settle(pilot)
        assert saved.get_rule(store, "Slow responses").enabled is True  # type: ignore[union-attr]
        form = await open_form(pilot, "c")
        assert form.query_one("#field-name", Input).value == "Slow responses (copy)"
        copy = saved.get_rule(store, "Slow responses (copy)")
        assert copy is not None and copy.threshold == 2000.0
        await pilot.press("tab", "tab", "tab", *"3000", "f2")
        await wait_for(pilot, lambda: app.screen is screen)
        assert saved.get_rule(store, "Slow responses (copy)").threshold == 3000.0  # type: ignore[union-attr]
        assert saved.get_rule(store, "Slow responses").threshold == 2000.0  # type: ignore[union-attr]


async def test_s_silences_for_the_chosen_duration(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "High error rate")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SilenceScreen))
        await pilot.press("enter")  # "1 hour", the highlighted preset... no comment yet
        await pilot.press("enter")  # an empty comment is refused
        assert isinstance(app.screen, SilenceScreen)
        assert "comment: required" in str(app.screen.query_one("#silence-problem").render())
        await pilot.press("shift+tab", "shift+tab")  # back to the presets
        await pilot.press("down", "enter", *"deploying", "enter")  # 4 hours
        await settle(pilot)
        [s] = silences(store, NOW)
        assert s.matchers == (("rule", "=", "High error rate"),)
        assert s.ends_at - s.starts_at == 4 * 3600 and s.comment == "deploying"
        assert any("silenced High error rate for 4h 00m" in n for n in notes(app))


async def test_d_deletes_only_after_confirming(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "Large upload")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        assert app.screen is screen
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert saved.get_rule(store, "Large upload") is not None
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")
        await settle(pilot)
        assert saved.get_rule(store, "Large upload") is None
        await wait_for(pilot, lambda: "Large upload" not in (screen.states or {}))


async def test_t_sends_a_test_to_each_channel(store: Store) -> None:
    with Receiver() as receiver:
        hook = ChannelConfig("hook", "webhook", url=Secret(receiver.url("/hook"), "test"))
        dead = ChannelConfig(
            "dead", "webhook", url=Secret(f"http://127.0.0.1:{closed_port()}/x", "test"), timeout=2
        )
        config = config_for(channels={"hook": hook, "dead": dead}, default_channels=("hook",))
        app = make_app(store, config)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_rules(pilot)
            await choose(pilot, screen, "High error rate")  # no channels: the default
            await pilot.press("t")
            await settle(pilot)
            assert [r.path for r in receiver.requests] == ["/hook"]
            assert receiver.requests[0].json()["groupKey"] == "test:hook"
            assert "test sent to hook" in notes(app)
            # A rule naming both: one goes out, the other fails and says why.
            rule = saved.get_rule(store, "High error rate")
            saved.save_rule(
                store,
                dataclasses.replace(rule, channels=("hook", "dead")),  # type: ignore[arg-type]
                replacing="High error rate",
            )
            await pilot.press("escape")  # clear the filter, then re-read the rules
            screen.reload()
            await choose(pilot, screen, "High error rate")
            await pilot.press("t")
            await settle(pilot)
            assert len(receiver.requests) == 2
            assert any(
                n.startswith("test to dead failed: channel dead: could not connect")
                for n in notes(app)
            )
    app = make_app(store)  # no channels anywhere
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "Slow responses")
        await pilot.press("t")
        await settle(pilot)
        assert any("no channels configured" in n for n in notes(app))


async def test_x_evaluates_and_the_pane_follows(store: Store) -> None:
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", 500.0)], ts=NOW - 60)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        assert screen.states["High monthly cost"].state == "ok"  # type: ignore[index]
        await pilot.press("x")
        await settle(pilot)
        assert any(n.startswith("evaluated: ") and "1 fired" in n for n in notes(app))
        await wait_for(
            pilot,
            lambda: (
                screen.states is not None and screen.states["High monthly cost"].state == "firing"
            ),
        )
        await wait_for(
            pilot, lambda: any("High monthly cost" in r[2] for r in rows(app, "table-alerts"))
        )


async def test_x_queues_the_responses_and_the_collector_runs_them_once(
    store: Store, tmp_path: Path
) -> None:
    """ "Evaluate now" fires the alert in the viewer; its response is queued with
    the firing, and the collector's next check_alerts runs it, once."""
    from r2tui.config.alert_model import ResponseConfig
    from r2tui.jobs import JobContext
    from r2tui.jobs.alerts import check_alerts as check_alerts_job

    out = tmp_path / "ran.txt"
    script = "import sys, pathlib; p = pathlib.Path(sys.argv[1]); p.open('a').write('ran\\n')"
    config = config_for(
        responses={"record": ResponseConfig("record", (sys.executable, "-c", script, str(out)))}
    )
    rule = saved.get_rule(store, "High monthly cost")
    assert rule is not None
    saved.save_rule(store, dataclasses.replace(rule, responses=("record",)), replacing=rule.name)
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", 500.0)], ts=NOW - 60)
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        await open_rules(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: any(n.startswith("evaluated: ") for n in notes(app)))
        assert any("1 fired" in n and "1 response queued" in n for n in notes(app))
    assert not out.exists()  # the viewer only queued it
    ctx = JobContext(config=config, store=store, clock=lambda: NOW)
    for _ in range(2):
        check_alerts_job(ctx, config.accounts[0])
    assert out.read_text() == "ran\n"
    [event] = Event.select().where(Event.message.contains(": response record "))
    assert (
        event.message == f"High monthly cost: response record ran: {sys.executable} exited with 0"
    )


async def test_read_only_refuses_every_change(store: Store) -> None:
    config = config_for(read_only=True)
    seed_firing(store, config_for())
    before = saved.list_rules(store)
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "High monthly cost")
        for key in ("a", "space", "d", "c", "t", "s", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key
        said = [n for n in notes(app) if n.startswith("read-only: ")]
        assert len(said) == 7
        form = await open_form(pilot, "e")  # opens to look at
        assert form.query_one("#rule-save").disabled
        await pilot.press("tab", "tab", "tab", *"1", "f2")
        assert isinstance(app.screen, RuleForm)
        assert "read-only: saving rules is off" in notes(app)
        await pilot.press("escape")
    assert saved.list_rules(store) == before
    assert silences(store, NOW) == []


async def test_the_form_reads_prefix_series_only_for_a_scope_that_names_them(
    store: Store,
) -> None:
    """An account's prefixes run to thousands of series: the form opened on an
    account rule reads none of them, and a typed scope reads the ones it names,
    so the picker shows their values as before."""
    writes.add_samples(store, ACCOUNT, [SampleRow("monthly_cost_usd", 50.0)], ts=NOW - 60)
    prefixes = [
        SampleRow("prefix_bytes", 2000.0, "media/photos/"),
        SampleRow("prefix_bytes", 3000.0, "media/logs/"),
        *(SampleRow("prefix_objects", float(i), f"archive/p{i}/") for i in range(200)),
    ]
    writes.add_samples(store, ACCOUNT, prefixes, ts=NOW - 60)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(pilot)
        await choose(pilot, screen, "High monthly cost")
        form = await open_form(pilot, "e")
        await wait_for(pilot, lambda: bool(form.values))
        help_box = form.query_one("#metric-help")
        assert "now $50.00 for the account" in str(help_box.render())
        assert [b for b in form.values if "/" in b] == []
        form.query_one("#field-metric", Select).value = "prefix_bytes"
        # The scope's own read held back: meanwhile the form says it is reading,
        # never "no value now" for what it has not read yet.
        gate, asked = threading.Event(), threading.Event()
        read = form.ops.current_values

        def held(*args: Any, **kwargs: Any) -> dict[str, dict[str, float | None]]:
            asked.set()
            gate.wait(10)
            return read(*args, **kwargs)

        form.ops.current_values = held  # type: ignore[method-assign]
        form.query_one("#field-scope", Input).value = "media/photos/"
        await wait_for(pilot, asked.is_set)  # not `settle`: it waits for the held read
        await pilot.pause()
        assert "reading…" in str(help_box.render())
        gate.set()
        await wait_for(pilot, lambda: "now 2.0 KB for media/photos/" in str(help_box.render()))
        form.query_one("#field-scope", Input).value = "media/*"
        await wait_for(pilot, lambda: "matching buckets" in str(help_box.render()))
        assert "now 3.0 KB for the highest of 2 matching buckets" in str(help_box.render())
        assert sorted(b for b in form.values if "/" in b) == ["media/logs/", "media/photos/"]


async def test_the_form_shows_a_rules_responses_and_a_change_rules_fields(store: Store) -> None:
    from r2tui.alerts.rules import DEFAULT_RULES
    from r2tui.config.alert_model import ResponseConfig
    from r2tui.tui.alert_ops import AlertOps

    config = config_for(
        responses={
            "restart-proxy": ResponseConfig("restart-proxy", ("/usr/bin/restart-proxy", "-q")),
            "page": ResponseConfig("page", url=Secret("https://hooks.example/t0ken", "test")),
        }
    )
    drop = next(r for r in DEFAULT_RULES if r.is_change)
    rule = dataclasses.replace(drop, responses=("restart-proxy", "page"))
    app = make_app(store, config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.dashboard is not None)
        form = RuleForm(AlertOps(app), rule, replacing=rule.name)  # type: ignore[arg-type]
        app.push_screen(form)
        await wait_for(pilot, lambda: bool(form.initial))
        assert form.query_one("#field-responses", Input).value == "restart-proxy, page"
        note = str(form.query_one("#responses-note").render())
        assert note == (
            "restart-proxy: runs /usr/bin/restart-proxy; page: POSTs the alert to a URL"
        )
        assert "t0ken" not in note and form.query_one("#row-window").display
        assert form.query_one("#field-window", Input).value == "1h"
        assert str(form.query_one("#threshold-unit").render()) == "%"
        assert form.valid == rule
        form.query_one("#field-responses", Input).value = "page"
        await settle(pilot)
        assert form.valid is not None and form.valid.responses == ("page",)
        form.query_one("#field-comparison", Select).value = ">"
        await settle(pilot)
        assert not form.query_one("#row-window").display
        assert form.valid is not None and form.valid.window == 0
