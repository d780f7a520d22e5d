"""[reports] channels, and the e-mail channels' addresses: what `r2tui config
check` accepts, and each mistake named with its key and what would be valid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from r2tui.config import ConfigError, load_config
from r2tui.config.template import STARTER

CliRun = Callable[..., tuple[int, str, str]]
ACCOUNT = """
[accounts.main]
endpoint_url = "http://127.0.0.1:9"
access_key_id = "k"
secret_access_key = "s"
"""
CHANNELS = """
[channels.ops-mail]
type = "email"
host = "smtp.example.com"
from = "Zoë Ops <r2tui@bücher.de>"
to = ["oncall@example.com", "Team <team@example.com>"]

[channels.archive]
type = "email"
host = "smtp.example.com"
from = "r2tui@example.com"
to = ["archive@example.com"]

[channels.hook]
type = "webhook"
url = "https://hooks.example.com/T0/SECRET"
"""


def _path(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(ACCOUNT + CHANNELS + text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as err:
        load_config(str(_path(tmp_path, text)), env={})
    return {p.key: p.message for p in err.value.problems}


def test_reports_go_to_the_named_email_channels(tmp_path: Path, cli: CliRun) -> None:
    path = _path(tmp_path, '[reports]\nchannels = ["ops-mail", "archive", "ops-mail"]\n')
    config = load_config(str(path), env={})
    assert config.reports.channels == ("ops-mail", "archive")
    assert config.alerts.channels["ops-mail"].sender == "Zoë Ops <r2tui@bücher.de>"
    code, _, err = cli("config", "check", "--config", str(path))
    assert code == 0, err


def test_by_default_no_report_is_mailed(tmp_path: Path) -> None:
    assert load_config(str(_path(tmp_path, "")), env={}).reports.channels == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('channels = ["nope"]', "no channel 'nope'; e-mail channels: archive, ops-mail"),
        (
            'channels = ["hook"]',
            "channel 'hook' is a webhook channel: reports go by e-mail only; "
            "e-mail channels: archive, ops-mail",
        ),
        ('channels = "ops-mail"', "expected a list"),
        ('channels = ["Ops Mail"]', "channel names"),
    ],
)
def test_a_wrong_channel_is_named(tmp_path: Path, text: str, says: str) -> None:
    problems = _problems(tmp_path, f"[reports]\n{text}\n")
    assert says in problems["reports.channels"], problems


def test_without_email_channels_it_says_how_to_add_one(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(ACCOUNT + '[reports]\nchannels = ["ops"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(str(path), env={})
    (problem,) = err.value.problems
    assert problem.key == "reports.channels"
    assert "no e-mail channel is configured" in problem.message
    assert 'type = "email"' in problem.message


def test_an_unknown_key_in_reports_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, '[reports]\nchanels = ["ops-mail"]\n')
    assert "did you mean 'channels'?" in problems["reports.chanels"]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("from", '"Ops <ops@exa mple.com>"', "not a domain name"),
        ("from", '"ops@example.com, x@example.com"', "local part"),
        ("to", '["oncall@example.com", "nobody"]', "address 2 is not an e-mail address"),
        ("to", '["a\\r\\nBcc: x@y.org"]', "control or invisible characters"),
        ("to", "[]", "empty list"),
    ],
)
def test_a_bad_address_is_named_with_why(tmp_path: Path, field: str, value: str, says: str) -> None:
    text = (
        '[channels.x]\ntype = "email"\nhost = "h"\nfrom = "a@example.com"\nto = ["b@example.com"]\n'
    ).replace(f"{field} = ", f"{field}_old = ")
    text = text.replace(f"{field}_old = ", "#") + f"{field} = {value}\n"
    problems = _problems(tmp_path, text)
    assert says in problems[f"channels.x.{field}"], problems


def test_the_starter_file_documents_reports() -> None:
    assert "[reports]" in STARTER and "# channels = [" in STARTER
    section = STARTER.split("[reports]", 1)[1].split("\n[", 1)[0]
    assert "rate limit" in section and "silence" in section and "outbox" in section
