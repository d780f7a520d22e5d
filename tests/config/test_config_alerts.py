"""[alerts], [channels.NAME] and [responses.NAME]: the docs' example loads as
it reads, and every mistake is named with its key."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from r2tui.config import ConfigError, load_config
from r2tui.matchers import matches, parse_matcher

ALERTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"
ACCOUNT = """
[accounts.main]
endpoint_url = "http://127.0.0.1:9"
access_key_id = "k"
secret_access_key = "s"
"""
ENV = {
    "SMTP_PASSWORD": "pw",
    "ALERT_WEBHOOK_URL": "https://hooks.example.com/T0/SECRET",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/SECRET",
}


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.toml"
    path.write_text(ACCOUNT + text)
    return load_config(str(path), env=ENV if env is None else env)


def _readme_example() -> str:
    block = re.search(r"```toml\n(\[alerts\].*?)```", ALERTS_DOC.read_text(), re.S)
    assert block, "docs/alerts.md's alerts example is gone"
    return block.group(1)


def test_the_readme_example_loads(tmp_path: Path) -> None:
    c = _load(tmp_path, _readme_example()).alerts
    assert c.default_channels == ("ops",) and c.repeat_interval == 4 * 3600
    assert c.max_per_hour == 5
    ops, hook, slack = c.channels["ops"], c.channels["hook"], c.channels["slack"]
    assert (ops.type, ops.host, ops.port, ops.security, ops.to) == (
        "email",
        "smtp.example.com",
        587,
        "starttls",
        ("oncall@example.com",),
    )
    assert ops.password is not None and ops.password.reveal() == "pw"
    assert hook.url is not None and hook.url.reveal() == ENV["ALERT_WEBHOOK_URL"]
    assert slack.type == "slack"
    (w,) = c.maintenance
    assert (w.weekdays, w.start, w.end, w.timezone) == (
        (0, 1, 2, 3, 4),
        22 * 60,
        2 * 60,
        "Europe/Berlin",
    )
    assert w.matchers == (("bucket", "=~", "backup-.*"),)
    assert c.responses["restart-proxy"].command[0] == "/usr/local/bin/restart-proxy"
    # Safe to show: never the URL or the password.
    for ch in c.channels.values():
        assert "SECRET" not in ch.describe() and "pw" not in repr(ch)


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ('[alerts]\ndefault_channels = ["nope"]', "alerts.default_channels", "no channel 'nope'"),
        ("[alerts]\nmax_per_hour = 0", "alerts.max_per_hour", "above 0"),
        ('[alerts]\nrepeat_interval = "often"', "alerts.repeat_interval", "duration"),
        ('[channels.x]\ntype = "pager"', "channels.x.type", "email, webhook, slack"),
        ('[channels.x]\ntype = "slack"', "channels.x.url", "required"),
        ('[channels.x]\ntype = "webhook"\nurl = "ftp://h/x"', "channels.x.url", "http"),
        (
            '[channels.x]\ntype = "email"\nhost = "h"\nfrom = "nobody"\nto = ["a@b"]',
            "channels.x.from",
            "e-mail address",
        ),
        (
            '[channels.x]\ntype = "email"\nhost = "h"\nfrom = "a@b"\nto = ["a@b"]\npassword = "p"',
            "channels.x.password",
            "needs a username",
        ),
        (
            '[channels.x]\ntype = "email"\nhost = "h"\nfrom = "a@b"\nto = ["a@b"]\n'
            'security = "ssl"',
            "channels.x.security",
            "starttls, tls, none",
        ),
        ('[channels.Bad]\ntype = "slack"\nurl = "https://h/x"', "channels.Bad", "a-z"),
        ('[responses.r]\ncommand = "rm -rf /"', "responses.r.command", "argument list"),
        ("[responses.r]\ntimeout = 3", "responses.r.command", "exactly one"),
        (
            '[[alerts.maintenance]]\nstart = "25:00"\nend = "01:00"',
            "alerts.maintenance[0].start",
            "local time",
        ),
        (
            '[[alerts.maintenance]]\nstart = "22:00"\nend = "01:00"\nweekdays = ["funday"]',
            "alerts.maintenance[0].weekdays",
            "weekdays",
        ),
        (
            '[[alerts.maintenance]]\nstart = "22:00"\nend = "01:00"\ntimezone = "Mars/Base"',
            "alerts.maintenance[0].timezone",
            "unknown time zone",
        ),
        (
            '[[alerts.maintenance]]\nstart = "22:00"\nend = "01:00"\nmatchers = ["bucket"]',
            "alerts.maintenance[0].matchers",
            "matcher",
        ),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    found = [p for p in err.value.problems if p.key == key]
    assert found, err.value.render()
    assert says in found[0].message


def test_a_bad_secret_url_is_never_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, '[channels.s]\ntype = "slack"\nurl = "hooks.slack.com/SECRET-TOKEN"')
    assert "SECRET-TOKEN" not in err.value.render()


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("bucket=media", {"bucket": "media"}, True),
        ("bucket=media", {"bucket": "media2"}, False),
        ("bucket!=media", {"bucket": "logs"}, True),
        ("bucket=~logs-.*", {"bucket": "logs-eu"}, True),
        ("bucket=~logs", {"bucket": "logs-eu"}, False),  # the whole value
        ("severity!~low|medium", {"severity": "high"}, True),
        ("team=storage", {}, False),  # a label not set is ""
        ("team=", {}, True),
        ("rule=High error rate", {"rule": "High error rate"}, True),
    ],
)
def test_matchers(text: str, labels: dict[str, str], expected: bool) -> None:
    assert matches([parse_matcher(text)], labels) is expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_matcher_parsing_never_crashes(text: str) -> None:
    try:
        m = parse_matcher(text)
    except ValueError as exc:
        assert "matcher" in str(exc) or "regular expression" in str(exc)
        return
    assert m[1] in ("=", "!=", "=~", "!~")
    matches([m], {"bucket": "x"})  # usable


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("bucket=~(?=x)logs", "invalid perl operator"),  # RE2, as Alertmanager: no lookaround
        ("bucket=~(logs", "missing )"),
        ("bucket=~a\ud800", "lone surrogate"),
    ],
)
def test_a_regex_re2_refuses_is_refused_with_its_reason(text: str, says: str) -> None:
    with pytest.raises(ValueError, match="not a valid regular expression") as exc:
        parse_matcher(text)
    assert says in str(exc.value)


def test_a_regex_takes_linear_time_on_a_hostile_label() -> None:
    """A bucket name comes from outside: with a backtracking engine this one
    pattern against it takes about 2**1000 steps (the test would never end)."""
    matcher = parse_matcher("bucket=~(a+)+b")
    done: list[bool] = []
    worker = threading.Thread(
        target=lambda: done.append(matches([matcher], {"bucket": "a" * 1000 + "c"})), daemon=True
    )
    worker.start()
    worker.join(10)
    assert done == [False]
    assert matches([parse_matcher("bucket!~(a+)+b")], {"bucket": "a\ud800"})
