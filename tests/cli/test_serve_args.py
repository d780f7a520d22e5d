"""`r2tui serve`'s arguments, and what it hands each browser session: a shell
command of constant words, the user's values in the environment."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from r2tui.cli import serve
from r2tui.cli.main import build_parser
from r2tui.config import load_config

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "a b'; touch /tmp/pwned #$(id)`x`\"\n"
VIEWER = shlex.join([sys.executable, "-m", "r2tui", "--viewer"])


def write_config(tmp_path: Path, name: str = "test") -> Path:
    folder = tmp_path / HOSTILE.replace("\n", "").replace("/", "_")
    folder.mkdir()
    path = folder / "r2tui.toml"
    path.write_text(
        f"""
[accounts.{name!r}]
endpoint_url = "http://127.0.0.1:9"
access_key_id = "k"
secret_access_key = "s"
""".replace("'", '"'),
        encoding="utf-8",
    )
    return path


def parsed(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:8000", ("::1", 8000)),
        ("localhost:65535", ("localhost", 65535)),
    ],
)
def test_listen_address(text: str, address: tuple[str, int]) -> None:
    assert serve.listen_address(text) == address


@pytest.mark.parametrize("text", ["8000", ":8000", "host:", "host:0", "host:65536", "h:x1"])
def test_listen_address_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        serve.listen_address(text)


def test_defaults_to_loopback_and_viewing() -> None:
    args = parsed()
    assert args.listen == ("127.0.0.1", 8000)
    assert args.collect is False and args.public_url is None


def test_session_command_holds_no_value_from_the_user(tmp_path: Path) -> None:
    """The config path, a store URL with its password, the account: all in the
    environment; the command is the same whatever they are."""
    path = write_config(tmp_path)
    db = f"sqlite:///{tmp_path}/s.db?password=hunter2"
    args = parsed("--config", str(path), "--db", db, "--account", "test")
    config = load_config(str(path), db)
    command = serve.session_command(args, config)
    assert command == VIEWER
    assert "hunter2" not in command and str(path) not in command
    assert serve.session_environment(args, config) == {
        "R2TUI_CONFIG": str(path.resolve()),
        "R2TUI_DB": db,
        "R2TUI_ACCOUNT": "test",
    }


def test_session_command_words(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    base = [sys.executable, "-m", "r2tui"]
    config = load_config(str(path))
    assert serve.session_command(parsed("--collect"), config) == shlex.join(base)
    read_only = dataclasses.replace(config, read_only=True)
    assert serve.session_command(parsed(), read_only) == shlex.join(
        [*base, "--read-only", "--viewer"]
    )
    demo = load_config(None, demo=True, require_accounts=False)
    assert serve.session_command(parsed("--demo"), demo) == shlex.join(
        [*base, "--demo", "--viewer"]
    )


def test_the_account_comes_from_the_environment_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., tuple[int, str, str]]
) -> None:
    """What a session does with R2TUI_ACCOUNT: the same as --account."""
    path = write_config(tmp_path, name="other")
    monkeypatch.setenv("R2TUI_ACCOUNT", "nosuch")
    code, _, err = cli("--config", str(path), "status")
    assert code == 2 and "no account named 'nosuch'; configured: other" in err


def test_serve_refuses_a_demo_with_another_store(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    code, _, err = cli("serve", "--demo", "--db", f"sqlite:///{tmp_path}/x.db")
    assert code == 2 and "--db with --demo" in err


def test_only_the_cli_imports_textual_serve() -> None:
    for path in (REPO / "r2tui").rglob("*.py"):
        if "cli" not in path.relative_to(REPO / "r2tui").parts[:1]:
            assert "textual_serve" not in path.read_text(encoding="utf-8"), path
