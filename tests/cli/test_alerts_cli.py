"""`r2tui rules …` through main(argv), against a config file and a SQLite store
(see alerts_cli_env): list, add/edit/enable/disable/delete round trips,
refusals that print every problem and save nothing, and TOML export and import
(all or nothing, --replace, --dry-run). Silences, alerts, the outbox, `rules
test` and --read-only are in test_alerts_cli_ops.py; import fuzzing in
test_alerts_cli_fuzz.py."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from r2tui.alerts.rules import DEFAULT_RULES
from r2tui.literal import quoted
from tests.support.alerts_cli_env import FULL, Env, Run, errors, open_env, show


@pytest.fixture
def env(tmp_path: Path, cli: Run) -> Iterator[Env]:
    with open_env(tmp_path, cli) as e:
        yield e


# --- rules ------------------------------------------------------------------


def test_list_shows_the_default_rules(env: Env) -> None:
    code, out, err = env.run("rules", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "STATE",
        "CONDITION",
        "SCOPE",
        "FOR",
        "SEVERITY",
        "CHANNELS",
    ]
    assert len(lines) == 1 + len(DEFAULT_RULES) == 9
    assert "High error rate    ok     error_rate_pct > 5 %" in out
    code, out, _ = env.run("rules", "list", "--json")
    doc = json.loads(out)
    assert sorted(r["name"] for r in doc) == sorted(r.name for r in DEFAULT_RULES)
    first = doc[0]
    assert (first["state"], first["firing"], first["pending"]) == ("ok", 0, 0)
    assert first["threshold"] == 50.0 and first["for"] == 0


def test_add_edit_enable_disable_delete_round_trip(env: Env) -> None:
    code, out, err = env.run("rules", "add", *FULL)
    assert (code, err) == (0, "")
    assert out == "added rule 'Costly logs': monthly_cost_usd >= $25.50 (logs-*)\n"
    doc = show(env, "costly LOGS")  # names are found whatever their case
    assert doc == {
        "name": "Costly logs",
        "metric": "monthly_cost_usd",
        "comparison": ">=",
        "threshold": 25.5,
        "scope": "logs-*",
        "for": 300,
        "keep_firing_for": 600,
        "severity": "high",
        "channels": ["hook"],
        "labels": {"team": "storage"},
        "annotations": {"runbook": "https://wiki/costs"},
        "missing_data": "resolve",
        "enabled": False,
        "repeat_interval": 7200,
        "max_per_hour": 3,
        "escalate_after": 1800,
        "escalate_to": ["down"],
        "escalate_severity": "critical",
        "responses": ["page"],
        "condition": "monthly_cost_usd >= 25.5 USD",
        "state": "disabled",
        "firing": 0,
        "pending": 0,
    }
    # Only what is given changes.
    code, out, _ = env.run("rules", "edit", "Costly logs", "--threshold", "40", "--enabled")
    assert (code, out) == (0, "changed rule 'Costly logs': threshold, enabled\n")
    assert show(env, "Costly logs") == {
        **doc,
        "threshold": 40.0,
        "enabled": True,
        "state": "ok",
        "condition": "monthly_cost_usd >= 40 USD",
    }
    code, out, _ = env.run(
        "rules",
        "edit",
        "Costly logs",
        "--clear",
        "escalate_after",
        "--clear",
        "escalate_to",
        "--clear",
        "escalate_severity",
        "--clear",
        "labels",
        "--channel",
        "hook,down",
    )
    assert code == 0
    edited = show(env, "Costly logs")
    assert (
        edited["escalate_after"],
        edited["escalate_to"],
        edited["escalate_severity"],
        edited["labels"],
        edited["channels"],
    ) == (0, [], None, {}, ["hook", "down"])
    assert (
        env.run("rules", "edit", "Costly logs", "--name", "Pricey")[1]
        == "renamed rule 'Costly logs' to 'Pricey': monthly_cost_usd >= $40.00\n"
    )
    assert env.run("rules", "disable", "pricey")[:2] == (0, "disabled rule 'Pricey'\n")
    assert show(env, "Pricey")["state"] == "disabled"
    assert env.run("rules", "enable", "Pricey")[:2] == (0, "enabled rule 'Pricey'\n")
    assert show(env, "Pricey")["enabled"] is True
    assert env.run("rules", "delete", "Pricey")[:2] == (0, "deleted rule 'Pricey' and its alerts\n")
    code, out, err = env.run("rules", "show", "Pricey")
    assert (code, out) == (1, "")
    assert err.startswith("r2tui: rules show: no rule named 'Pricey'; rules: 'Daily cost spike'")
    assert len(env.rules()) == len(DEFAULT_RULES)


@pytest.mark.parametrize("action", ["edit", "enable", "disable", "delete", "test"])
def test_an_unknown_rule_fails_naming_the_rules(env: Env, action: str) -> None:
    code, out, err = env.run("rules", action, "Nope")
    assert (code, out) == (1, "")
    assert err.startswith(f"r2tui: rules {action}: no rule named 'Nope'; rules: ")
    assert "'High error rate'" in err


def test_an_invalid_add_prints_every_problem_and_saves_nothing(env: Env) -> None:
    before = env.rules()
    code, out, err = env.run(
        "rules",
        "add",
        "--name",
        "Bad",
        "--metric",
        "cpu",
        "--comparison",
        "~",
        "--threshold",
        "lots",
        "--for",
        "soon",
        "--severity",
        "urgent",
        "--label",
        "team",
        "--label",
        "9x=y",
        "--max-per-hour",
        "0",
        "--channel",
        "pager",
        "--response",
        "reboot",
    )
    assert (code, out) == (2, "")
    assert errors(err) == [
        "r2tui: rules add: labels: expected KEY=VALUE, got 'team'",
        "r2tui: rules add: metric: unknown metric 'cpu'; valid: "
        + err.split("valid: ")[1].splitlines()[0],
        "r2tui: rules add: comparison: expected one of >, >=, <, <=, ==, !=, falls_by, "
        "rises_by, changes_by, got '~'",
        "r2tui: rules add: threshold: expected a number, got 'lots'",
        'r2tui: rules add: for: expected a duration such as "30s", "5m", "6h", "1d" '
        "or seconds, got 'soon'",
        "r2tui: rules add: severity: expected one of low, medium, high, critical, got 'urgent'",
        "r2tui: rules add: labels: '9x' is not a valid name (letters, digits and _, not "
        "starting with a digit)",
        "r2tui: rules add: max_per_hour: expected a whole number above 0, got 0",
        "r2tui: rules add: channels: no channel 'pager'; configured: down, hook",
        "r2tui: rules add: responses: no response 'reboot'; configured: page",
    ]
    assert env.rules() == before
    code, _, err = env.run(
        "rules",
        "add",
        "--name",
        "high ERROR rate",
        "--metric",
        "error_rate_pct",
        "--comparison",
        ">",
        "--threshold",
        "1",
    )
    assert code == 2
    assert err == ("r2tui: rules add: name: 'high ERROR rate' is taken (by 'High error rate')\n")
    assert env.rules() == before


def test_add_from_json_with_options_winning(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = {
        "name": "Big bucket",
        "metric": "total_bytes",
        "comparison": ">",
        "threshold": "1 GB",
        "scope": "media",
        "labels": {"team": "web"},
    }
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    assert env.run("rules", "add", "--from-json", str(path), "--severity", "low")[0] == 0
    doc = show(env, "Big bucket")
    assert (doc["threshold"], doc["scope"], doc["severity"], doc["labels"]) == (
        1e9,
        "media",
        "low",
        {"team": "web"},
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({**spec, "name": "Other"})))
    assert env.run("rules", "add", "--from-json", "-")[0] == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("[1, 2"))
    code, _, err = env.run("rules", "add", "--from-json", "-")
    assert code == 2 and err.startswith("r2tui: rules add: --from-json: -: not valid JSON")


# --- export and import ------------------------------------------------------


def export(env: Env) -> str:
    code, out, err = env.run("rules", "export")
    assert (code, err) == (0, "")
    return out


def test_export_import_round_trip(env: Env, tmp_path: Path) -> None:
    assert env.run("rules", "add", *FULL)[0] == 0
    assert (
        env.run(
            "rules",
            "edit",
            "Slow responses",
            "--label",
            'quote=say "hi"\\n',
            "--annotation",
            "multi line=a\nb\tc é",
        )[0]
        == 0
    )
    path = tmp_path / "rules.toml"
    code, out, err = env.run("rules", "export", str(path))
    assert (code, out, err) == (0, "", f"wrote 9 rules to {path}\n")
    text = path.read_text(encoding="utf-8")
    assert text == export(env)  # deterministic, and - is stdout
    assert '[[rules]]\nname = "Costly logs"' in text and 'for = "5m"' in text
    assert "repeat_interval" in text and 'escalate_severity = "critical"' in text
    before = env.rules()
    # Lose everything, then get it back from the file.
    for name in [json.loads(b)["name"] for _, b in before]:
        assert env.run("rules", "delete", name)[0] == 0
    assert env.rules() == []
    code, out, err = env.run("rules", "import", str(path))
    assert (code, err) == (0, "")
    assert out.endswith(f"{path}: 9 added, 0 updated, 0 deleted, 0 unchanged\n")
    assert export(env) == text
    assert [json.loads(b) for _, b in env.rules()] == [json.loads(b) for _, b in before]
    code, out, _ = env.run("rules", "import", str(path))
    assert out == f"{path}: 0 added, 0 updated, 0 deleted, 9 unchanged\n"


BAD_FILE = """
[[rules]]
name = "Fine"
metric = "error_rate_pct"
comparison = ">"
threshold = 1.0

[[rules]]
name = "Broken"
metric = "error_rate_pct"
comparison = "about"
threshold = "high"
channels = ["nowhere"]
colour = "red"

[[rules]]
name = "FINE"
metric = "avg_response_ms"
comparison = "<"
threshold = 1

[[rules]]
metric = "total_bytes"
comparison = ">"
threshold = "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999 GB"
"""  # noqa: E501


def test_one_bad_rule_among_good_ones_changes_nothing(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FILE, encoding="utf-8")
    before = env.rules()
    for extra in ((), ("--replace",)):
        code, out, err = env.run("rules", "import", str(path), *extra)
        assert (code, out) == (2, "")
        assert errors(err) == [
            "r2tui: rules import: rules[2] (Broken): colour: unknown field; valid: "
            + err.split("valid: ")[1].splitlines()[0],
            "r2tui: rules import: rules[2] (Broken): comparison: expected one of >, >=, <, "
            "<=, ==, !=, falls_by, rises_by, changes_by, got 'about'",
            "r2tui: rules import: rules[2] (Broken): threshold: expected a number, got 'high'",
            "r2tui: rules import: rules[2] (Broken): channels: no channel 'nowhere'; "
            "configured: down, hook",
            "r2tui: rules import: rules[3] (FINE): name: 'FINE' is taken (by rules[1]); "
            "names are unique whatever their case",
            "r2tui: rules import: rules[4]: name: required",
            'r2tui: rules import: rules[4]: threshold: expected a size such as "500 GB", '
            '"1.5 TiB" or a number of bytes, got ' + quoted("9" * 307 + " GB"),
            f"r2tui: rules import: nothing imported: 7 problem(s) in {path}",
        ]
        assert env.rules() == before


def test_import_replace_and_dry_run(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        """
[[rules]]
name = "High error rate"
metric = "error_rate_pct"
comparison = ">"
threshold = 7.5
channels = "hook"

[[rules]]
name = "New one"
metric = "probe_ok"
comparison = "<"
threshold = 1
for = "10m"
""",
        encoding="utf-8",
    )
    before = env.rules()
    code, out, _ = env.run("rules", "import", str(path), "--replace", "--dry-run")
    assert code == 0 and env.rules() == before
    assert out.splitlines()[:3] == [
        "  add     New one",
        "  update  High error rate",
        "  delete  Daily cost spike",
    ]
    assert out.endswith("dry run: would add 1, update 1, delete 7 (0 unchanged); nothing changed\n")
    code, out, _ = env.run("rules", "import", str(path), "--replace", "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["added"], doc["updated"], doc["deleted"], doc["dry_run"]) == (1, 1, 7, False)
    assert sorted(n for n, _ in env.rules()) == ["High error rate", "New one"]
    assert show(env, "High error rate")["threshold"] == 7.5
    assert show(env, "New one")["for"] == 600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[rules]]\nname = "x"\nthreshold = = 3\n',
            "not valid TOML: Invalid value (at line 3, column 13)",
        ),
        ("rules = 3\n", "rules: expected [[rules]] tables, got int"),
        ("[alerts]\nx = 1\n", "alerts: unknown top-level key; a rules file holds [[rules]] tables"),
    ],
)
def test_a_broken_file_names_itself_and_where(
    env: Env, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = env.run("rules", "import", str(path))
    assert (code, out) == (2, "")
    assert f"r2tui: rules import: {path}: {message}\n" in err
    assert env.run("rules", "import", str(tmp_path / "missing.toml"))[0] == 2


def test_an_unreadable_stored_rule_is_skipped_and_can_be_deleted(env: Env) -> None:
    # As a newer r2tui (or a hand edit in the database) could leave it.
    with closing(sqlite3.connect(env.db)) as conn, conn:
        conn.execute(
            'UPDATE alert_rule SET body = \'{"name": "Slow responses", '
            '"metric": "warp_speed"}\' WHERE name = \'Slow responses\''
        )
    code, out, err = env.run("rules", "list")
    assert code == 0 and "Slow responses" not in out
    assert err.startswith("r2tui: rules list: skipped: rule 'Slow responses': body: ")
    code, _, err = env.run("rules", "show", "Slow responses")
    assert code == 1 and "stored rule cannot be read" in err
    assert env.run("rules", "delete", "slow responses")[:2] == (
        0,
        "deleted rule 'Slow responses' and its alerts\n",
    )
    assert len(env.rules()) == len(DEFAULT_RULES) - 1


def test_a_change_rule_through_add_show_test_export_and_import(env: Env, tmp_path: Path) -> None:
    code, out, err = env.run(
        "rules", "add", "--name", "Shrinking", "--metric", "total_bytes",
        "--comparison", "falls_by", "--threshold", "1 GB", "--change-in", "absolute",
        "--window", "2h", "--scope", "media",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert (
        out == "added rule 'Shrinking': total_bytes falls by more than 1.0 GB in 2 hours (media)\n"
    )
    code, out, _ = env.run("rules", "show", "Shrinking")
    assert "\nwindow             2h\n" in out and "\nchange_in          absolute\n" in out
    code, out, _ = env.run("rules", "test", "Shrinking", "--no-send")
    assert code == 0 and "media  no data (from no data to no data in 2 hours)" in out
    code, out, err = env.run("rules", "edit", "Shrinking", "--comparison", ">")
    assert code == 2 and "window: only for the change comparisons" in err
    path = tmp_path / "rules.toml"
    assert env.run("rules", "export", str(path))[0] == 0
    text = path.read_text(encoding="utf-8")
    assert 'comparison = "falls_by"\nthreshold = 1000000000.0\nwindow = "2h"\n' in text
    assert env.run("rules", "import", str(path))[1].endswith(
        "0 added, 0 updated, 0 deleted, 9 unchanged\n"
    )
