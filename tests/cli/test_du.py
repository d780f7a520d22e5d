"""`r2tui du`: the prefix tree from the store, in text for people and in JSON
with every figure exact; what is not there is named with what is."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from r2tui.store import open_store, writes
from tests.support.prefixes import LONG, T0, fill, inventory

CliRun = Callable[..., tuple[int, str, str]]
HOSTILE = "evil\x1b[2J\u202e/"  # clears a screen, reverses a line


@pytest.fixture(scope="module")
def args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A config and a store holding bucket "b" with growth, and bucket "h" whose
    prefix is made to act on a terminal; once for the module (read only)."""
    tmp_path = tmp_path_factory.mktemp("du")
    db = tmp_path / "du.db"
    config = tmp_path / "r2tui.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{db}"\n[accounts.acc]\n'
        'account_id = "0123456789abcdef0123456789abcdef"\n'
        'access_key_id = "k"\nsecret_access_key = "s"\n',
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{db}")
    try:
        fill(store)
        writes.save_inventory(store, "acc", inventory(T0, {HOSTILE + "x": 7}, bucket="h"))
    finally:
        store.close()
    return ["--config", str(config), "--read-only"]


def test_text_shows_each_prefix_with_share_objects_and_growth(cli: CliRun, args: list[str]) -> None:
    code, out, err = cli("du", "b", *args)
    assert code == 0, err
    head, columns, *rows = out.splitlines()
    assert head.startswith("b/: 4.6 KB in 36 objects, listed ")
    assert head.endswith("(prefixes counted 3 levels deep)")
    assert columns.split() == [
        "SIZE",
        "SHARE",
        "OBJECTS",
        "SINCE",
        "LAST",
        "7",
        "DAYS",
        "30",
        "DAYS",
        "PREFIX",
    ]
    assert rows[0].split() == [
        "4.6",
        "KB",
        "100.0%",
        "36",
        "+142",
        "B",
        "+842",
        "B",
        "+3.0",
        "KB",
        "b/",
    ]
    assert rows[1].split() == [
        "3.1",
        "KB",
        "66.7%",
        "31",
        "+100",
        "B",
        "+800",
        "B",
        "+3.0",
        "KB",
        "logs/",
    ]
    assert rows[2].startswith("   3.1 KB 100.0%") and rows[2].endswith("    2026/")
    tmp = next(r for r in rows if r.endswith("tmp/")).split()
    assert tmp == ["42", "B", "0.9%", "1", "+42", "B", "–", "–", "tmp/"]  # new: no 7 or 30 days
    assert rows[-1].split() == ["5", "B", "0.1%", "1", "(files)"]  # README, at the root


def test_a_prefix_and_a_depth(cli: CliRun, args: list[str]) -> None:
    code, out, _ = cli("du", "b/img", "--depth", "0", *args)
    assert code == 0
    assert [r.split()[-1] for r in out.splitlines()[2:]] == ["b/img/"]
    code, out, _ = cli("du", "b/img/", "--depth", "1", *args)
    assert [r.split()[-1] for r in out.splitlines()[2:]] == ["b/img/", "b/", "(files)"]


def test_json_has_exact_figures_and_whole_names(cli: CliRun, args: list[str]) -> None:
    code, out, _ = cli("du", "b", "--json", *args)
    assert code == 0
    doc = json.loads(out)
    assert (doc["bucket"], doc["prefix"], doc["prefix_depth"], doc["prefixes_left_out"]) == (
        "b",
        "",
        3,
        0,
    )
    tree = doc["tree"]
    assert (tree["bytes"], tree["objects"], tree["share"]) == (4648, 36, 1.0)
    assert tree["files"] == {"bytes": 5, "objects": 1} and tree["other"]["bytes"] == 0
    logs = tree["children"][0]
    assert (logs["prefix"], logs["share"], logs["growth"]) == (
        "logs/",
        3100 / 4648,
        {"since_previous": 100, "7d": 800, "30d": 3000},
    )
    assert tree["children"][-1]["prefix"] == LONG  # the whole name, 301 characters
    assert tree["children"][-1]["growth"]["7d"] is None


def test_outside_text_is_shown_literally(cli: CliRun, args: list[str]) -> None:
    code, out, _ = cli("du", "h", *args)
    assert code == 0 and "\x1b" not in out and "\u202e" not in out
    assert "evil\\x1b[2J\\u202e/" in out
    code, out, _ = cli("du", "h", "--json", *args)
    assert json.loads(out)["tree"]["children"][0]["prefix"] == HOSTILE  # exact in JSON
    assert "\x1b" not in out


def test_what_is_not_there_is_named_with_what_is(
    cli: CliRun, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli("du", "nope", *args)
    assert code == 1
    assert err.strip() == "r2tui: du: no inventory of bucket 'nope'; listed buckets: b, h"
    code, _, err = cli("du", "b/img/x/y/z", *args)
    assert code == 1
    assert err.strip() == (
        "r2tui: du: no prefix 'img/x/y/z/' in bucket 'b'; under 'img/': 'b/' "
        "(prefixes are counted 3 levels deep)"
    )
    for bad, why in (
        (
            ["/x"],
            "BUCKET[/PREFIX]: expected BUCKET or BUCKET/PREFIX such as photos/2026/, got '/x'",
        ),
        (["b", "--depth", "-1"], "--depth: expected a whole number from 0, got '-1'"),
    ):
        with pytest.raises(SystemExit) as refused:
            cli("du", *bad, *args)
        assert refused.value.code == 2 and why in capsys.readouterr().err
