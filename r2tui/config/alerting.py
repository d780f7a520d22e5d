"""[alerts], [channels.NAME] and [responses.NAME] from the config file, every
field checked and named.

    [alerts]
    repeat_interval = "4h"
    max_per_hour = 5
    default_channels = ["ops"]
    [[alerts.maintenance]]
    name = "nightly backup"
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    start = "22:00"
    end = "02:00"
    timezone = "Europe/Berlin"
    matchers = ["bucket=~backup-.*"]

    [channels.ops]
    type = "email"            # or "webhook", "slack"
    host = "smtp.example.com"
    ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from r2tui.config.alert_model import (
    CHANNEL_TYPES,
    SMTP_SECURITY,
    WEEKDAYS,
    AlertSettings,
    ChannelConfig,
    MaintenanceWindow,
    ResponseConfig,
)
from r2tui.config.reader import Reader
from r2tui.config.secrets import Secret, read_secret  # the accounts' secret rules, shared
from r2tui.config.values import DAY, HOUR, MAX_NAME, parse_duration, parse_url
from r2tui.literal import quoted
from r2tui.mail import parse_mailbox
from r2tui.matchers import parse_matcher

T = TypeVar("T")
ALERT_KEYS = {
    "repeat_interval",
    "max_per_hour",
    "default_channels",
    "max_attempts",
    "backoff",
    "backoff_max",
    "maintenance",
}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # as rules name channels
_ADDRESS_MAX = 254  # characters of an e-mail address (RFC 5321's path limit)
_ADDRESS_EXAMPLE = '"r2tui@example.com" or "r2tui <r2tui@example.com>"'
_MOST_ITEMS = 100  # addresses, headers, arguments, windows, matchers
_TEXT_MAX = 4096  # characters of a header value or a command argument
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_KEYS = {
    "email": {
        "type",
        "host",
        "port",
        "security",
        "username",
        "password",
        "password_env",
        "password_file",
        "from",
        "to",
        "timeout",
    },
    "webhook": {"type", "url", "url_env", "url_file", "headers", "timeout"},
    "slack": {"type", "url", "url_env", "url_file", "timeout"},
}


def alerting(root: Reader, env: Mapping[str, str]) -> AlertSettings:
    r = root.sub("alerts")
    r.check_known(ALERT_KEYS)
    d = AlertSettings()
    channels = _named(root.sub("channels"), lambda n, s: _channel(n, s, env))
    responses = _named(root.sub("responses"), lambda n, s: _response(n, s, env))
    defaults = r.parse("default_channels", channel_names, ())
    for name in defaults:
        if name not in channels:
            r.fail(
                "default_channels",
                f"no channel {name!r}; configured: "
                f"{', '.join(channels) or 'none (add a [channels.NAME] table)'}",
            )
    return AlertSettings(
        repeat_interval=r.parse("repeat_interval", parse_duration, d.repeat_interval),
        max_per_hour=r.positive_int(
            "max_per_hour", d.max_per_hour, most=HOUR, unit=" (one a second)"
        ),
        default_channels=defaults,
        max_attempts=r.positive_int("max_attempts", d.max_attempts, most=100),
        backoff_seconds=float(
            r.parse("backoff", lambda v: parse_duration(v, most=DAY), int(d.backoff_seconds))
        ),
        backoff_max_seconds=float(
            r.parse(
                "backoff_max", lambda v: parse_duration(v, most=7 * DAY), int(d.backoff_max_seconds)
            )
        ),
        maintenance=_windows(r),
        channels=channels,
        responses=responses,
    )


def _named(table: Reader, make: Callable[[str, Reader], T | None]) -> dict[str, T]:
    out: dict[str, T] = {}
    if len(table.table) > _MOST_ITEMS:
        table.fail_table(f"at most {_MOST_ITEMS} tables, got {len(table.table):,}")
        return out
    for name, body in table.table.items():
        if not _NAME_RE.fullmatch(name):
            table.fail(name, "names are 1 to 40 of a-z, 0-9, _ and -")
            continue
        if not isinstance(body, Mapping):
            table.fail(name, f"expected a table [{table.key(name)}]")
            continue
        item = make(name, table.sub(name))
        if item is not None:
            out[name] = item
    return out


def _channel(name: str, r: Reader, env: Mapping[str, str]) -> ChannelConfig | None:
    kind = r.get("type", str, "", f"one of {', '.join(CHANNEL_TYPES)}")
    if kind not in CHANNEL_TYPES:
        r.fail("type", f"expected one of {', '.join(CHANNEL_TYPES)}, got {quoted(kind)}")
        return None
    r.check_known(_KEYS[kind])
    timeout = r.positive_float("timeout", 10.0, most=HOUR, unit=" s (1 hour)")
    if kind == "email":
        host = r.text("host", "", "the SMTP server's host name", most=253)
        if not host:
            r.fail("host", "required: the SMTP server's host name")
        security = r.get("security", str, "starttls", f"one of {', '.join(SMTP_SECURITY)}")
        if security not in SMTP_SECURITY:
            r.fail(
                "security", f"expected one of {', '.join(SMTP_SECURITY)}, got {quoted(security)}"
            )
            security = "starttls"
        port = r.get("port", int, 465 if security == "tls" else 587, "a port number")
        if not 0 < port < 65536:
            r.fail("port", f"expected a port from 1 to 65535, got {quoted(port)}")
        sender = r.text("from", "", "an e-mail address", most=_ADDRESS_MAX)
        try:
            parse_mailbox(sender)
        except ValueError as exc:
            r.fail("from", f"expected an e-mail address such as {_ADDRESS_EXAMPLE}: {exc}")
        to = r.parse("to", _addresses, ())
        if not to and not r.has("to"):
            r.fail("to", "required: a list of e-mail addresses")
        username = r.text("username", None, "a login name")
        password = read_secret(r, "password", env, None)
        if password is not None and username is None:
            r.fail("password", "a password needs a username")
        return ChannelConfig(
            name,
            kind,
            host=host,
            port=port,
            security=security,
            username=username,
            password=password,
            sender=sender,
            to=to,
            timeout=timeout,
        )
    url = _url_secret(r, env)
    headers = r.parse("headers", _headers, ()) if kind == "webhook" else ()
    return ChannelConfig(name, kind, url=url, headers=headers, timeout=timeout)


def _response(name: str, r: Reader, env: Mapping[str, str]) -> ResponseConfig | None:
    r.check_known({"command", "url", "url_env", "url_file", "timeout"})
    command = r.parse("command", _command, ())
    url = read_secret(r, "url", env, None)
    if url is not None:
        _check_url(r, url)
    if bool(command) == (url is not None):
        r.fail("command", 'give exactly one of command = ["program", "arg", ...] or url')
        return None
    return ResponseConfig(
        name,
        command=command,
        url=url,
        timeout=r.positive_float("timeout", 30.0, most=HOUR, unit=" s (1 hour)"),
    )


def _url_secret(r: Reader, env: Mapping[str, str]) -> Secret | None:
    url = read_secret(r, "url", env, None)
    if url is None:
        if not any(r.has(k) for k in ("url", "url_env", "url_file")):
            r.fail("url", 'required: the webhook URL (url, url_env = "VAR" or url_file)')
        return None
    return url if _check_url(r, url) else None


def _check_url(r: Reader, url: Secret) -> bool:
    try:
        parse_url(url.reveal())
    except ValueError:
        # Never echo it: the URL is the token.
        r.fail("url", f"the value from {url.source} is not an http:// or https:// URL")
        return False
    return True


def _windows(r: Reader) -> tuple[MaintenanceWindow, ...]:
    items = r.table.get("maintenance", [])
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        r.fail("maintenance", "expected [[alerts.maintenance]] tables")
        return ()
    if len(items) > _MOST_ITEMS:
        r.fail("maintenance", f"at most {_MOST_ITEMS} windows, got {len(items):,}")
        return ()
    out = []
    for i, item in enumerate(items):
        w = Reader(r.source, item, r.key(f"maintenance[{i}]"), r.problems)
        w.check_known({"name", "weekdays", "start", "end", "timezone", "matchers"})
        tz = w.timezone()
        start, end = w.parse("start", _clock, None), w.parse("end", _clock, None)
        for key, value in (("start", start), ("end", end)):
            if value is None and not w.has(key):
                w.fail(key, 'required: a local time such as "22:00"')
        out.append(
            MaintenanceWindow(
                name=w.text("name", f"window {i + 1}", "a name"),
                weekdays=w.parse("weekdays", _weekdays, tuple(range(7))),
                start=start or 0,
                end=end or 0,
                timezone=tz,
                matchers=w.parse(
                    "matchers", lambda v: tuple(parse_matcher(m) for m in _list(v)), ()
                ),
            )
        )
    return tuple(out)


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {quoted(value)}")
    if len(value) > _MOST_ITEMS:
        raise ValueError(f"expected a list of at most {_MOST_ITEMS} items, got {len(value):,}")
    return value


def channel_names(value: object) -> tuple[str, ...]:
    """A list of channel names, as rules and [reports] name them."""
    items = _list(value)
    names = [v for v in items if isinstance(v, str) and _NAME_RE.fullmatch(v)]
    if len(names) < len(items):
        raise ValueError(f"expected a list of channel names, got {quoted(value)}")
    return tuple(names)


def _addresses(value: object) -> tuple[str, ...]:
    items = _list(value)
    if not items:
        raise ValueError(
            f"expected a list of e-mail addresses such as {_ADDRESS_EXAMPLE}, got an empty list"
        )
    addresses: list[str] = []
    for i, item in enumerate(items):
        if isinstance(item, str) and len(item) > _ADDRESS_MAX:
            raise ValueError(f"address {i + 1} is longer than {_ADDRESS_MAX} characters")
        try:
            parse_mailbox(item)
        except ValueError as exc:
            raise ValueError(
                f"address {i + 1} is not an e-mail address such as {_ADDRESS_EXAMPLE}: {exc}"
            ) from None
        addresses.append(str(item))  # a str: parse_mailbox refuses anything else
    return tuple(addresses)


def _headers(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and "\n" not in k + v for k, v in value.items()
    ):
        raise ValueError("expected a table of header names to text values")
    if len(value) > _MOST_ITEMS or any(
        len(k) > MAX_NAME or len(v) > _TEXT_MAX for k, v in value.items()
    ):
        raise ValueError(
            f"expected at most {_MOST_ITEMS} headers, names of at most {MAX_NAME} "
            f"characters and values of at most {_TEXT_MAX:,}"
        )
    return tuple(sorted(value.items()))


def _command(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    if not items or not all(isinstance(v, str) and v for v in items):
        raise ValueError(
            'expected an argument list such as ["/usr/local/bin/page", '
            '"--team", "storage"] (never a shell string)'
        )
    if len(items) > _MOST_ITEMS or any(len(v) > _TEXT_MAX for v in items):
        raise ValueError(
            f"expected at most {_MOST_ITEMS} arguments of at most {_TEXT_MAX:,} characters each"
        )
    return tuple(items)


def _clock(value: object) -> int:
    m = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f'expected a local time such as "22:00", got {quoted(value)}')
    return int(m.group(1)) * 60 + int(m.group(2))


def _weekdays(value: object) -> tuple[int, ...]:
    items = _list(value)
    days = [str(v).strip().lower()[:3] for v in items]
    bad = [v for v, d in zip(items, days, strict=True) if d not in WEEKDAYS]
    if bad or not items:
        raise ValueError(f"expected weekdays among {', '.join(WEEKDAYS)}, got {quoted(value)}")
    return tuple(sorted({WEEKDAYS.index(d) for d in days}))
