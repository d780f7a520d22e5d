"""Mistakes a user makes on the command line or in the environment end with a
clear message and exit code 2: never a traceback, never a half-started app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "r2tui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def _config(tmp_path: Path, keymap: str) -> Path:
    path = tmp_path / "keys.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "never.db"}"

[keymap]
{keymap}

[accounts.main]
endpoint_url = "http://127.0.0.1:9"
access_key_id = "k"
secret_access_key = "s"
""",
        encoding="utf-8",
    )
    return path


def test_a_swallowed_key_in_the_keymap_is_refused_before_anything_starts(tmp_path: Path) -> None:
    config = _config(tmp_path, '"app.refresh" = "ctrl+s"')
    for args in (["--config", str(config)], ["config", "check", "--config", str(config)]):
        out = _run(*args)
        assert out.returncode == 2, out.stderr
        assert "Traceback" not in out.stderr
        assert f"{config}: keymap.app.refresh: ctrl+s is XOFF flow control" in out.stderr
    assert not (tmp_path / "never.db").exists()  # the store was never opened


def test_an_unknown_binding_id_lists_the_valid_ones(tmp_path: Path) -> None:
    out = _run("--config", str(_config(tmp_path, '"app.refersh" = "r"')))
    assert out.returncode == 2
    assert "keymap.app.refersh: unknown binding id; valid: " in out.stderr
    assert "app.refresh" in out.stderr


def test_a_bad_log_level_is_named(tmp_path: Path) -> None:
    out = _run("locate", env={"R2TUI_LOG_LEVEL": "verbose"})
    assert out.returncode == 2
    assert "R2TUI_LOG_LEVEL: unknown level 'VERBOSE'; use one of DEBUG, INFO" in out.stderr
    assert "Traceback" not in out.stderr


def test_locate_names_r2tui_db_even_with_a_broken_config(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("this is [not toml", encoding="utf-8")
    out = _run(
        "locate",
        "--config",
        str(broken),
        env={"R2TUI_DB": "postgresql://u:secret@db.example/r2tui"},
    )
    assert out.returncode == 0, out.stderr
    assert "store    postgresql://db.example/r2tui" in out.stdout and "u:secret" not in out.stdout
    assert "secret" not in out.stdout


def test_a_key_two_bindings_would_share_is_refused_naming_both(tmp_path: Path) -> None:
    config = _config(tmp_path, '"app.quit" = "r"')
    out = _run("config", "check", "--config", str(config))
    assert out.returncode == 2, out.stderr
    assert (
        f"{config}: keymap.app.quit: r would be both app.quit (everywhere) and "
        "app.rules (everywhere)"
    ) in out.stderr
    assert "Traceback" not in out.stderr


def test_the_keymap_example_in_the_docs_passes_config_check(tmp_path: Path) -> None:
    """docs/keys.md's [keymap] block, word for word: it works and clashes with nothing."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "keys.md").read_text("utf-8")
    block = docs.split("```toml\n[keymap]\n", 1)[1].split("```", 1)[0]
    assert '"app.refresh"' in block  # the example is where the test looks
    config = _config(tmp_path, block)
    out = _run("config", "check", "--config", str(config))
    assert out.returncode == 0, out.stderr
