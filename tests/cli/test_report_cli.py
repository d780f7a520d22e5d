"""`r2tui report daily|monthly` through main(argv): every format to stdout or a
file, the default periods, a bad --date as a usage error, and a report built
from the store as it is now rather than from the stored copy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tests.support.report_data as d
from r2tui.cli import report as report_cli
from r2tui.reports import stored
from r2tui.reports.build import build
from r2tui.reports.render import FORMATS
from r2tui.store import Store, open_store, writes
from r2tui.store.writes import EventRow

Run = Callable[..., tuple[int, str, str]]
SECRET = "cli-secret-key-never-shown"


@pytest.fixture
def rs(tmp_path: Path) -> Iterator[Store]:
    yield from d.store_copy(tmp_path)


@pytest.fixture
def report(rs: Store, tmp_path: Path, cli: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`r2tui report …` against the filled store, at the time the golden files were made."""
    monkeypatch.setattr(report_cli, "clock", lambda: float(d.REPORT_NOW))
    config = tmp_path / "r2tui.toml"
    config.write_text(
        f"""
[accounts.{d.ACCOUNT}]
endpoint_url = "http://127.0.0.1:9"
region = "us-east-1"
access_key_id = "cli-access-key"
secret_access_key = "{SECRET}"
""",
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'reports.db'}"

    def run(*args: str) -> tuple[int, str, str]:
        return cli("report", *args, "--config", str(config), "--db", db)

    return run


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_to_stdout(report: Run, fmt: str) -> None:
    code, out, err = report("daily", "--date", "2026-11-28", "--format", fmt)
    assert (code, err) == (0, "")
    assert out == (d.GOLDEN / f"daily.{fmt}").read_text(encoding="utf-8")
    assert SECRET not in out and "cli-access-key" not in out


def test_defaults_are_yesterday_and_last_month(report: Run) -> None:
    assert report("daily")[1] == (d.GOLDEN / "daily.md").read_text(encoding="utf-8")
    code, out, _ = report("monthly", "--format", "csv")
    assert code == 0 and out == (d.GOLDEN / "monthly.csv").read_text(encoding="utf-8")


def test_output_file_takes_its_format_from_the_name(report: Run, tmp_path: Path) -> None:
    target = tmp_path / "out" / "october.html"
    target.parent.mkdir()
    code, out, err = report("monthly", "--date", "2026-10", "--output", str(target))
    assert (code, out) == (0, "")
    assert err.strip() == f"wrote {target}"
    assert target.read_text(encoding="utf-8") == (d.GOLDEN / "monthly.html").read_text(
        encoding="utf-8"
    )
    # --format wins over the extension.
    code, _, _ = report("monthly", "--format", "json", "--output", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("{")
    assert [p.name for p in target.parent.iterdir()] == ["october.html"]  # no temporary left


def test_unwritable_output_fails_with_the_path(report: Run, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "r.md"
    code, out, err = report("daily", "--output", str(target))
    assert (code, out) == (1, "")
    assert f"cannot write {target}" in err


@pytest.mark.parametrize(
    ("kind", "date", "form"),
    [
        ("daily", "2026-11", "YYYY-MM-DD"),
        ("daily", "yesterday", "YYYY-MM-DD"),
        ("daily", "2026-02-30", "YYYY-MM-DD"),
        ("monthly", "2026-11-28", "YYYY-MM"),
        ("monthly", "2026-13", "YYYY-MM"),
    ],
)
def test_bad_date_is_a_usage_error(report: Run, kind: str, date: str, form: str) -> None:
    code, out, err = report(kind, "--date", date)
    assert (code, out) == (2, "")
    assert f"use {form} for a {kind} report" in err and repr(date) in err


def test_future_date_is_a_usage_error(report: Run) -> None:
    code, _, err = report("daily", "--date", "2026-11-30")
    assert code == 2 and "in the future" in err
    # Today is not over, and allowed: the report says so.
    code, out, _ = report("daily", "--date", "2026-11-29")
    assert code == 0 and "the period is not over yet" in out


def test_unknown_kind_format_or_account(report: Run) -> None:
    for args in (("weekly",), ("daily", "--format", "pdf")):
        with pytest.raises(SystemExit) as exit_:  # argparse's own usage error
            report(*args)
        assert exit_.value.code == 2
    code, _, err = report("daily", "--account", "nobody")
    assert code == 2 and "no account named 'nobody'" in err


def test_built_from_the_store_not_the_stored_copy(report: Run, rs: Store) -> None:
    stored.save(rs, build(rs, d.ACCOUNT, "daily", d.NOV28, d.REPORT_NOW))
    writes.add_events(
        rs, d.ACCOUNT, [EventRow("upload", "warning", "a late upload")], ts=d.NOV28 + 20 * 3600
    )
    out = report("daily")[1]
    assert "a late upload" in out and "5 events." in out
    # The command opened the store itself, which took the models over (one open
    # store per process): read the stored copy through the store opened again.
    again = open_store(rs.url)
    try:
        kept = stored.find(again, d.ACCOUNT, "daily", d.NOV28)
    finally:
        again.close()
    assert kept is not None and kept.events_total == 4
