"""Bounds for alert rules and silences, as `r2tui rules import` and `r2tui
silences add` meet them: every number finite and in a range a person would set,
no boolean or -0.0 taken for a duration or a count, text of bounded length,
and a rules file of bounded size and depth. A refused import changes nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from r2tui.alerts.toml_io import RulesFileError, read_rules
from r2tui.literal import quoted

CliRun = Callable[..., tuple[int, str, str]]
MIB = 1 << 20
RULE = '[[rules]]\nname = "Costly"\nmetric = "monthly_cost_usd"\ncomparison = ">"\n'


@pytest.fixture
def rules_cli(tmp_path: Path, cli: CliRun) -> CliRun:
    """`r2tui ARGS --config C` on a SQLite store holding one rule, with a
    channel and a response the rules may name."""
    config = tmp_path / "r2tui.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "rules.db"}"
[channels.ops]
type = "webhook"
url = "http://127.0.0.1:9/hook"
[responses.page]
command = ["true"]
[accounts.acme]
endpoint_url = "http://127.0.0.1:9"
access_key_id = "k"
secret_access_key = "s"
""",
        encoding="utf-8",
    )
    existing = tmp_path / "existing.toml"
    existing.write_text(RULE.replace("Costly", "Existing") + "threshold = 1\n", encoding="utf-8")

    def run(*args: str) -> tuple[int, str, str]:
        return cli(*args, "--config", str(config))

    assert run("rules", "import", str(existing))[0] == 0
    return run


def stored(tmp_path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(tmp_path / "rules.db")) as conn:
        return sorted(conn.execute("SELECT name, body FROM alert_rule").fetchall())


def refused(tmp_path: Path, run: CliRun, text: str) -> str:
    """Import `text`; it must be refused with exit code 2 and change nothing.
    Gives stderr."""
    path = tmp_path / "import.toml"
    path.write_text(text, encoding="utf-8")
    before = stored(tmp_path)
    for extra in ((), ("--replace",)):
        code, out, err = run("rules", "import", str(path), *extra)
        assert (code, out) == (2, ""), err
        assert "Traceback" not in err and "nothing imported" in err
    assert stored(tmp_path) == before
    return err


BAD_RULES = [
    # The examples.
    pytest.param("threshold = 1\nfor = false\n", "for: expected a duration", id="for-false"),
    pytest.param("threshold = 1\nfor = -0.0\n", "for: expected a duration", id="for-minus-zero"),
    pytest.param(
        "threshold = 1\nfor = 100000000000000000000000000000000\n",
        "for: must be at most 10 years",
        id="for-1e32-seconds",
    ),
    pytest.param(
        'threshold = 1\nannotations = { "' + "k" * 200_000 + '" = "v" }\n',
        "annotations: a name is at most 200 characters",
        id="annotation-key-200000",
    ),
    # More of the same kinds.
    pytest.param(
        "threshold = 1\nkeep_firing_for = true\n",
        "keep_firing_for: expected a duration",
        id="keep-firing-true",
    ),
    pytest.param(
        'threshold = 1\nescalate_after = 0.0\nescalate_severity = "high"\n',
        "escalate_after: expected a duration",
        id="escalate-float-zero",
    ),
    pytest.param(
        'threshold = 1\nrepeat_interval = "' + "1" * 33 + 's"\n',
        "repeat_interval: must be at most 10 years",
        id="repeat-1e32-text",
    ),
    pytest.param(
        "threshold = 1\nmax_per_hour = -0.0\n",
        "max_per_hour: expected a whole number above 0",
        id="count-minus-zero",
    ),
    pytest.param(
        "threshold = 1\nmax_per_hour = true\n",
        "max_per_hour: expected a whole number above 0",
        id="count-true",
    ),
    pytest.param(
        "threshold = 1\nmax_per_hour = 3601\n",
        "max_per_hour: expected a whole number above 0 and at most 3,600 (one a second)",
        id="count-3601",
    ),
    pytest.param(
        "threshold = 1e19\n",
        "threshold: expected a number from -1e+18 to 1e+18",
        id="threshold-1e19",
    ),
    pytest.param("threshold = nan\n", "threshold: expected a finite number", id="threshold-nan"),
    pytest.param("threshold = -inf\n", "threshold: expected a finite number", id="threshold-inf"),
    pytest.param(
        "threshold = " + "9" * 400 + "\n",
        "threshold: expected a finite number",
        id="threshold-400-digits",
    ),
    pytest.param(
        'threshold = 1\nlabels = { team = "' + "x" * 1001 + '" }\n',
        "labels: 'team': expected text of at most 1,000 characters, got 1,001",
        id="label-value-1001",
    ),
    pytest.param(
        'threshold = 1\nannotations = { summary = "' + "é" * 2049 + '" }\n',
        "annotations: 'summary': expected text of at most 4 KiB (4,096 bytes of UTF-8), "
        "got 4,098 bytes",
        id="annotation-4098-bytes",
    ),
    pytest.param(
        "threshold = 1\nlabels = { " + ", ".join(f'l{i} = "v"' for i in range(101)) + " }\n",
        "labels: expected at most 100 entries, got 101",
        id="101-labels",
    ),
    pytest.param(
        "threshold = 1\nchannels = [" + ", ".join(['"ops"'] * 101) + "]\n",
        "channels: expected at most 100 names, got 101",
        id="101-channels",
    ),
]


@pytest.mark.parametrize(("fields", "says"), BAD_RULES)
def test_a_rule_out_of_bounds_is_refused_by_field(
    tmp_path: Path, rules_cli: CliRun, fields: str, says: str
) -> None:
    err = refused(tmp_path, rules_cli, RULE + fields)
    assert f"r2tui: rules import: rules[1] (Costly): {says}" in err
    assert len(err) < 2000  # a long value is named, never printed whole


def test_a_rule_at_every_bound_is_imported_as_written(tmp_path: Path, rules_cli: CliRun) -> None:
    path = tmp_path / "bounds.toml"
    path.write_text(
        RULE
        + "\n".join(
            [
                "threshold = 1e18",
                'for = "3650d"',
                "keep_firing_for = 0",
                "max_per_hour = 3600",
                'labels = { team = "' + "x" * 1000 + '" }',
                'annotations = { summary = "' + "é" * 2048 + '", "' + "k" * 200 + '" = "v" }',
                'channels = ["ops"]',
                'responses = ["page"]',
                "",
            ]
        ),
        encoding="utf-8",
    )
    code, _, err = rules_cli("rules", "import", str(path))
    assert code == 0, err
    code, out, err = rules_cli("rules", "show", "Costly", "--json")
    assert code == 0, err
    rule = json.loads(out)
    assert (rule["threshold"], rule["for"], rule["max_per_hour"]) == (1e18, 3650 * 86400, 3600)
    assert rule["labels"]["team"] == "x" * 1000
    assert rule["annotations"] == {"summary": "é" * 2048, "k" * 200: "v"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param(
            "a = " + "[" * 3000 + "]" * 3000 + "\n",
            "nested deeper than 100 levels",
            id="arrays-3000",
        ),
        pytest.param(
            "rules = [" + "{a = " * 3000 + "1" + "}" * 3000 + "]\n",
            "nested deeper than 100 levels",
            id="inline-tables-3000",
        ),
        pytest.param(
            "rules" + ".a" * 5000 + " = 1\n",
            "a dotted key of more than 20 parts",
            id="dotted-key-5000",
        ),
        pytest.param("#" * (MIB + 1) + "\n", "larger than 1,024 KiB (1 MiB)", id="above-1-mib"),
        pytest.param(
            "[[rules]]\n" * 10_001,
            "rules: at most 10,000 rules in a file, got 10,001",
            id="10001-rules",
        ),
    ],
)
def test_a_rules_file_too_large_or_deep_is_refused_whole(
    tmp_path: Path, rules_cli: CliRun, text: str, says: str
) -> None:
    assert says in refused(tmp_path, rules_cli, text)


def test_an_endless_device_is_refused_unread(tmp_path: Path, rules_cli: CliRun) -> None:
    before = stored(tmp_path)
    code, _, err = rules_cli("rules", "import", "/dev/zero")
    assert code == 2 and "it is a character device, not a regular file" in err
    assert stored(tmp_path) == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path, rules_cli: CliRun) -> None:
    fifo = tmp_path / "rules.fifo"
    os.mkfifo(fifo)
    before = stored(tmp_path)
    done: list[tuple[int, str, str]] = []
    worker = threading.Thread(
        target=lambda: done.append(rules_cli("rules", "import", str(fifo))), daemon=True
    )
    worker.start()
    worker.join(5)
    if worker.is_alive():  # the old import opened it and waited for a writer
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("rules import waited on a FIFO")
    code, _, err = done[0]
    assert code == 2 and "it is a FIFO (named pipe), not a regular file" in err
    assert stored(tmp_path) == before


def test_problems_beyond_100_are_counted_not_listed(tmp_path: Path, rules_cli: CliRun) -> None:
    err = refused(tmp_path, rules_cli, "[[rules]]\n" * 300)  # four problems each
    lines = err.strip().splitlines()
    assert len(lines) == 102
    assert lines[-2] == "r2tui: rules import: … and 1,100 more problems"
    assert lines[-1].startswith("r2tui: rules import: nothing imported: 1200 problem(s) in ")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(
            ("bucket=a", "--comment", "c" * 1001),
            "comment: at most 1,000 characters",
            id="comment-1001",
        ),
        pytest.param(
            ("bucket=" + "b" * 1001, "--comment", "why"),
            "matchers: a matcher's value is at most 1,000 characters",
            id="matcher-1001",
        ),
        pytest.param(
            ("bucket=" + "b" * 5000, "--comment", "why"),
            "matchers: a matcher is at most 1,000 characters of value",
            id="matcher-5000",
        ),
        pytest.param(
            (*(f"l{i}=v" for i in range(101)), "--comment", "why"),
            "matchers: at most 100, got 101",
            id="101-matchers",
        ),
        pytest.param(
            ("bucket=a", "--comment", "why", "--duration", "3651d"),
            "--duration: must be at most 10 years",
            id="duration-3651d",
        ),
    ],
)
def test_a_silence_out_of_bounds_is_refused(
    tmp_path: Path, rules_cli: CliRun, args: tuple[str, ...], says: str
) -> None:
    if "--duration" not in args:
        args = (*args, "--duration", "1h")
    code, out, err = rules_cli("silences", "add", *args)
    assert (code, out) == (2, ""), err
    assert err.startswith(f"r2tui: silences add: {says}"), err[:300]
    assert len(err) < 1000
    with closing(sqlite3.connect(tmp_path / "rules.db")) as conn:
        assert conn.execute("SELECT count(*) FROM silence").fetchone() == (0,)


def test_a_silence_at_its_bounds_is_kept(tmp_path: Path, rules_cli: CliRun) -> None:
    code, _, err = rules_cli(
        "silences", "add", "bucket=" + "b" * 1000, "--comment", "c" * 1000, "--duration", "3650d"
    )
    assert code == 0, err
    code, out, _ = rules_cli("silences", "list", "--json")
    [silence] = json.loads(out)
    assert silence["comment"] == "c" * 1000


def test_a_long_name_in_a_problem_is_cut(tmp_path: Path, rules_cli: CliRun) -> None:
    name = "n" * 5000
    err = refused(tmp_path, rules_cli, RULE.replace("Costly", name) + "threshold = 1\n")
    assert f"name: 1 to 80 printable characters, got {quoted(name)}" in err
    assert len(err) < 1000


def test_rules_text_above_1_mib_is_refused_before_parsing() -> None:
    """Text handed over whole (not read through the capped reader) meets the
    same limit, counted in bytes of UTF-8."""
    with pytest.raises(RulesFileError, match=r"larger than 1,024 KiB \(1 MiB\)"):
        read_rules("#" + "é" * (MIB // 2) + "\n", "text", (), ())
