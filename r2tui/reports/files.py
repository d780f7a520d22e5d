"""Writing report files atomically: a reader (a mail script, a web server)
never sees half a report, and a full disk never leaves a truncated one behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from r2tui.reports.model import Report
from r2tui.reports.render import EXTENSIONS, FORMATS, render


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over
    `path` (atomic within one file system); the temporary file goes on failure."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from a web server
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_all(report: Report, folder: Path) -> list[Path]:
    """Every format of `report` into `folder` (made if missing); OSError as is."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        path = folder / f"{report.file_stem()}.{EXTENSIONS[fmt]}"
        write_atomic(path, render(report, fmt))
        written.append(path)
    return written
