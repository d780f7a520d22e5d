"""What the config tests share: an account id, credentials in the environment,
and helpers that write a file and expect it refused."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from r2tui.config import (
    ConfigError,
    Problem,
    load_config,
)

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
KEY_ID = "AKID-from-env-1234"
SECRET = "s3cr3t-value-that-must-never-print"
CREDS = {"R2_ACCESS_KEY_ID": KEY_ID, "R2_SECRET_ACCESS_KEY": SECRET}
MAIN = f'[accounts.main]\naccount_id = "{ACCOUNT_ID}"\n'


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fail(
    path: Path | str | None, env: Mapping[str, str] | None = None, **kwargs: object
) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(str(path) if path else None, env=dict(CREDS if env is None else env), **kwargs)  # type: ignore[arg-type]
    return info.value


def problem(err: ConfigError, key: str) -> Problem:
    matches = [p for p in err.problems if p.key == key]
    assert matches, f"no problem for {key!r} in:\n{err}"
    return matches[0]
