"""`*_file` settings (keys, the API token, a channel's password, a webhook's or a
response's URL) read regular files only, at most 64 KiB: a FIFO, a device or a
folder is refused by name without blocking, and no message quotes the content.

Real files, FIFOs and /dev/zero on this machine; nothing is mocked."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from r2tui.config import Config, ConfigError, load_config
from r2tui.config.secrets import MAX_SECRET_FILE_BYTES

CONTENT = "T0PSECRET-content-never-shown"
GUARD_S = 5.0  # a read that blocks is a failure, never a hung suite
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def _account(secret_line: str) -> str:
    return (
        '[accounts.main]\nendpoint_url = "http://127.0.0.1:9"\n'
        f'secret_access_key = "s"\n{secret_line}\n'
    )


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "r2tui.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _load(config: str, guard: Path | None = None) -> Config | ConfigError:
    """load_config on a thread, given GUARD_S to finish. If it blocks (the old
    code, on a FIFO), the FIFO is opened for writing to let it go, and the test
    fails."""
    result: list[Config | ConfigError | BaseException] = []

    def run() -> None:
        try:
            result.append(load_config(config, env={}))
        except ConfigError as exc:
            result.append(exc)
        except BaseException as exc:  # reported below, with its type
            result.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(GUARD_S)
    if worker.is_alive():
        if guard is not None:
            os.close(os.open(guard, os.O_WRONLY | os.O_NONBLOCK))  # release the reader
        pytest.fail(f"loading the config blocked for more than {GUARD_S} s")
    if isinstance(result[0], BaseException) and not isinstance(result[0], ConfigError):
        raise result[0]
    return result[0]


def _refused(config: str, key: str, guard: Path | None = None) -> str:
    """The one problem reported for `key`; the content is nowhere in the error."""
    started = time.perf_counter()
    err = _load(config, guard)
    assert time.perf_counter() - started < 2.0
    assert isinstance(err, ConfigError), f"accepted: {err}"
    assert CONTENT not in str(err)
    found = [p for p in err.problems if p.key == key]
    assert found, f"no problem for {key}: {err}"
    return found[0].message


# ---- what works -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        pytest.param(b"AKID-from-file\r\n", id="crlf"),
        pytest.param(b"  AKID-from-file \n\n", id="spaces-and-lines"),
        pytest.param(b"\xef\xbb\xbfAKID-from-file\r\n", id="byte-order-mark"),
    ],
)
def test_a_regular_file_is_read_and_stripped(tmp_path: Path, written: bytes) -> None:
    secret = tmp_path / "key"
    secret.write_bytes(written)
    config = _load(_write(tmp_path, _account(f"access_key_id_file = '{secret}'")))
    assert isinstance(config, Config), config
    key = config.accounts[0].access_key_id
    assert key is not None and key.reveal() == "AKID-from-file"
    assert key.source == f"file {secret}"


def test_a_symlink_to_a_regular_file_works(tmp_path: Path) -> None:
    """Kubernetes and Docker secrets are symlinks into a mounted folder."""
    (tmp_path / "real").write_text("AKID-linked\n")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    config = _load(_write(tmp_path, _account(f"access_key_id_file = '{tmp_path / 'link'}'")))
    assert isinstance(config, Config), config
    assert config.accounts[0].access_key_id.reveal() == "AKID-linked"  # type: ignore[union-attr]


def test_exactly_64_kib_is_accepted(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_bytes(b"k" * MAX_SECRET_FILE_BYTES)
    config = _load(_write(tmp_path, _account(f"access_key_id_file = '{secret}'")))
    assert isinstance(config, Config), config
    assert len(config.accounts[0].access_key_id.reveal()) == 64 * 1024  # type: ignore[union-attr]


# ---- what is refused ------------------------------------------------------------------


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder"
    path.mkdir()
    (path / "key").write_text(CONTENT)
    return path


def _too_large(tmp_path: Path) -> Path:
    path = tmp_path / "large"
    path.write_bytes(CONTENT.encode() + b"k" * MAX_SECRET_FILE_BYTES)
    return path


def _not_utf8(tmp_path: Path) -> Path:
    path = tmp_path / "binary"
    path.write_bytes(CONTENT.encode() + b"\xff\xfe\x00")
    return path


def _dev_zero(_: Path) -> Path:
    return Path("/dev/zero")


REFUSED: list[Any] = [
    pytest.param(
        _fifo, "it is a FIFO (named pipe), not a regular file", marks=needs_fifo, id="fifo"
    ),
    pytest.param(
        _dev_zero,
        "it is a character device, not a regular file",
        marks=pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero"),
        id="dev-zero",
    ),
    pytest.param(_folder, "it is a folder, not a regular file", id="folder"),
    pytest.param(_too_large, "it is larger than 64 KiB", id="over-64-kib"),
    pytest.param(_not_utf8, "it is not UTF-8 text", id="not-utf8"),
]


@pytest.mark.parametrize(("make", "why"), REFUSED)
def test_an_unusable_secret_file_is_refused_by_name(
    tmp_path: Path, make: Callable[[Path], Path], why: str
) -> None:
    path = make(tmp_path)
    config = _write(tmp_path, _account(f"access_key_id_file = '{path}'"))
    message = _refused(config, "accounts.main.access_key_id_file", guard=path)
    assert message.startswith(f"cannot read secret file {path}: {why}")


@needs_fifo
def test_every_file_setting_shares_the_rules(tmp_path: Path) -> None:
    """The API token, a channel's password and URL, and a response's URL: one
    reader for all of them, so a FIFO blocks none."""
    fifo = _fifo(tmp_path)
    folder = _folder(tmp_path)
    config = _write(
        tmp_path,
        _account('access_key_id = "k"')
        + f"""
api_token_file = '{fifo}'
account_id = "0123456789abcdef0123456789abcdef"

[channels.mail]
type = "email"
host = "127.0.0.1"
from = "r2tui@example.com"
to = ["ops@example.com"]
username = "r2tui"
password_file = '{folder}'

[channels.hook]
type = "webhook"
url_file = '{fifo}'

[channels.chat]
type = "slack"
url_file = '/dev/zero'

[responses.pager]
url_file = '{folder}'
""",
    )
    err = _load(config, guard=fifo)
    assert isinstance(err, ConfigError), f"accepted: {err}"
    assert CONTENT not in str(err)
    messages = {p.key: p.message for p in err.problems}
    assert "FIFO" in messages["accounts.main.api_token_file"]
    assert "folder" in messages["channels.mail.password_file"]
    assert "FIFO" in messages["channels.hook.url_file"]
    assert "character device" in messages["channels.chat.url_file"]
    assert "folder" in messages["responses.pager.url_file"]


def test_an_inline_secret_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    config = _write(tmp_path, _account("access_key_id = 271828182845904523536"))
    message = _refused(config, "accounts.main.access_key_id")
    assert "271828182845904523536" not in message
    assert message == "expected a non-empty string, got a number"


def test_config_check_names_the_key_and_the_file(cli: Any, tmp_path: Path) -> None:
    path = _too_large(tmp_path)
    config = _write(tmp_path, _account(f"access_key_id_file = '{path}'"))
    code, out, err = cli("config", "check", "--config", config)
    assert code == 2
    assert f"accounts.main.access_key_id_file: cannot read secret file {path}" in err
    assert "larger than 64 KiB" in err
    assert CONTENT not in out + err


@needs_fifo
def test_the_config_file_itself_may_not_be_a_fifo(tmp_path: Path) -> None:
    """The config file is read the same way: a FIFO named by --config or
    R2TUI_CONFIG made every command wait for a writer."""
    fifo = _fifo(tmp_path)
    err = _load(str(fifo), guard=fifo)
    assert isinstance(err, ConfigError), f"accepted: {err}"
    [problem] = err.problems
    assert problem.key == "(file)"
    assert "it is a FIFO (named pipe), not a regular file" in problem.message
