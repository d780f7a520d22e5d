"""The daily_report and monthly_report jobs: every format written atomically to
the reports folder, the JSON kept in the store, a refusing disk failing the run
with the path while the store copy stays, and a re-run replacing both."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.support.report_data as d
from r2tui import paths
from r2tui.jobs import JOBS, JobContext, run_job
from r2tui.jobs.reports import daily_report
from r2tui.reports import files, stored
from r2tui.reports.render import FORMATS, render
from r2tui.store import Store, queries
from r2tui.store.models import JobRun, Notification
from tests.support.configs import account_for, make_config


@pytest.fixture
def rs(tmp_path: Path) -> Iterator[Store]:
    yield from d.store_copy(tmp_path)


def _ctx(store: Store, at: float = d.REPORT_NOW, demo: bool = False) -> JobContext:
    config = make_config((account_for("http://127.0.0.1:9", name=d.ACCOUNT),), demo=demo)
    return JobContext(config=config, store=store, clock=lambda: float(at))


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_registered() -> None:
    assert JOBS["daily_report"].run is daily_report
    assert JOBS["monthly_report"].implemented


@pytest.mark.parametrize(
    ("job", "stem", "kind", "start"),
    [
        ("daily_report", "daily-test-2026-11-28", "daily", d.NOV28),
        ("monthly_report", "monthly-test-2026-10", "monthly", d.OCT1),
    ],
)
def test_writes_every_format_and_the_store(
    rs: Store, job: str, stem: str, kind: str, start: int
) -> None:
    result = run_job(job, _ctx(rs))
    folder = paths.reports_dir()
    assert result.ok, result.error
    assert result.summary == (
        f"{kind} report for {stem.rsplit('-test-', 1)[1]} written to "
        f"{folder} (md, json, csv, html) and the store"
    )
    # Every format, nothing else: no temporary file left behind.
    assert _files(folder) == sorted(f"{stem}.{ext}" for ext in ("md", "json", "csv", "html"))
    kept = stored.find(rs, d.ACCOUNT, kind, start)
    assert kept is not None and kept.generated_at == d.REPORT_NOW
    for fmt in FORMATS:
        assert (folder / f"{stem}.{fmt}").read_text(encoding="utf-8") == render(kept, fmt)
    # The golden files are the same report: the job adds nothing of its own.
    golden = d.GOLDEN / f"{kind}.md"
    assert (folder / f"{stem}.md").read_text(encoding="utf-8") == golden.read_text(encoding="utf-8")
    # No [reports] channels: nothing is queued for e-mail (test_report_mail has the rest).
    assert Notification.select().count() == 0


def test_demo_reports_have_their_own_folder(rs: Store) -> None:
    assert run_job("daily_report", _ctx(rs, demo=True)).ok
    assert paths.reports_dir(demo=True).is_dir() and not paths.reports_dir().exists()


def test_rerun_replaces_files_and_store_copy(rs: Store) -> None:
    assert run_job("daily_report", _ctx(rs)).ok
    later = d.REPORT_NOW + 3600
    assert run_job("daily_report", _ctx(rs, at=later)).ok
    rows = stored.listing(rs, d.ACCOUNT)
    assert [(r.kind, r.period_start, r.generated_at) for r in rows] == [("daily", d.NOV28, later)]
    text = (paths.reports_dir() / "daily-test-2026-11-28.json").read_text(encoding="utf-8")
    assert '"generated_at_utc": "2026-11-29T01:00:30Z"' in text
    assert len(_files(paths.reports_dir())) == 4


def test_unwritable_folder_keeps_the_store_copy(rs: Store) -> None:
    # A file where the folder should be: refused even to root, unlike a chmod.
    folder = paths.reports_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    result = run_job("daily_report", _ctx(rs))
    assert not result.ok
    assert result.error is not None and str(folder) in result.error
    assert result.error.startswith("cannot write the daily report for 2026-11-28 to ")
    assert "kept in the store" in result.error
    assert stored.find(rs, d.ACCOUNT, "daily", d.NOV28) is not None
    run = JobRun.get(JobRun.job == "daily_report")
    assert run.ok is False and str(folder) in run.error
    feed = queries.activity(rs, d.ACCOUNT, kinds=["job"])
    assert feed[0].level == "error" and str(folder) in feed[0].message


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "daily-test-2026-11-28.md"
    target.write_text("the report as it was")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        files.write_atomic(target, "a new report")
    assert target.read_text() == "the report as it was"
    assert _files(folder) == [target.name]


def test_written_file_is_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    files.write_atomic(target, "x")
    assert target.stat().st_mode & 0o777 == 0o644 and target.read_text() == "x"


def test_file_names_are_safe_for_any_account_name(rs: Store) -> None:
    from r2tui.reports.build import build

    report = build(rs, "../team/a b", "daily", d.NOV28, d.REPORT_NOW)
    assert report.file_stem() == "daily-team_a_b-2026-11-28"
    written = files.write_all(report, paths.reports_dir())
    assert all(p.parent == paths.reports_dir() for p in written)
