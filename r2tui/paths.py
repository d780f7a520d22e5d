"""Where r2tui keeps its files, by the platform's conventions (XDG on Linux)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "r2tui"


def config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def default_store_path(demo: bool = False) -> Path:
    return data_dir() / ("demo.db" if demo else "r2tui.db")


def default_store_url(demo: bool = False) -> str:
    # Four slashes: peewee's db_url reads three as a relative path.
    return f"sqlite:///{default_store_path(demo)}"


def log_file() -> Path:
    return Path(platformdirs.user_log_dir(APP)) / "r2tui.log"


def reports_dir(demo: bool = False) -> Path:
    return data_dir() / ("demo-reports" if demo else "reports")
