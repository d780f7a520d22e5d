"""`collect --once` and the collector lease: a store it cannot reach to take the
lease is a failure (exit 1, saying why), never "held elsewhere" (exit 0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from peewee import OperationalError

from r2tui.store import lease
from r2tui.store.models import JobRun
from tests.support.peers import closed_port


def _config(tmp_path: Path) -> str:
    path = tmp_path / "r2tui.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "store.db"}"

[accounts.test]
endpoint_url = "http://127.0.0.1:{closed_port()}"
region = "us-east-1"
access_key_id = "k"
secret_access_key = "s"
""",
        encoding="utf-8",
    )
    return str(path)


def test_collect_once_fails_when_the_store_refuses_the_lease(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)

    def locked(*_args: object, **_kw: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(lease, "acquire", locked)
    code, out, err = cli("collect", "--once", "--job", "check_alerts", "--config", config)
    assert code == 1, err
    assert "cannot take the collector lease: store: database is locked; nothing run" in err
    assert "held by" not in err and out == ""
    assert not JobRun.select().exists()
