"""Credentials, and URLs that may carry them, held so they cannot show themselves.

A key, a token or a password never appears in a repr, a message, a log line or
on screen. A URL can hold one too: userinfo (`https://user:PASS@host`), a query
(`?token=…`, a PostgreSQL `?password=`) or a fragment. Such a URL is used as
given (`SecretUrl.reveal`, where a connection is made), and shown only as
scheme, host, port and path (`shown_url`). Text a network library wrote about
a URL (an exception's message, a log line) goes through `scrub` before it is
stored or shown.

A secret read from a file (`*_file` settings, `read_secret`) comes from a
regular file of at most 64 KiB: a FIFO, a device or a folder is refused by
name without blocking, and no error ever quotes what the file holds.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from r2tui.config.reader import Reader
from r2tui.config.userfile import FileRefused, FileTooLarge, read_regular

__all__ = [
    "MAX_SECRET_FILE_BYTES",
    "ScrubbingFormatter",
    "Secret",
    "SecretFileError",
    "SecretUrl",
    "read_secret",
    "read_secret_file",
    "revealed",
    "scrub",
    "secret_url",
    "shown_host",
    "shown_url",
]


class Secret:
    """A credential that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(from {self.source})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SecretUrl(Secret):
    """A URL that is used whole (`reveal`) and shown without its credentials:
    `str()` and `repr()` give `shown_url` of it."""

    __slots__ = ()

    def __init__(self, value: str, source: str = "URL") -> None:
        super().__init__(value, source)

    @property
    def shown(self) -> str:
        return shown_url(self._value)

    def __repr__(self) -> str:
        return f"SecretUrl({self.shown!r})"

    def __str__(self) -> str:
        return self.shown


def secret_url(value: str | SecretUrl, source: str = "URL") -> SecretUrl:
    """`value` held as a SecretUrl (settings built in code and tests pass a str)."""
    return value if isinstance(value, SecretUrl) else SecretUrl(value, source)


def revealed(value: str | Secret | None) -> str:
    """The whole text of a setting that may or may not be held as a secret."""
    if value is None:
        return ""
    return value.reveal() if isinstance(value, Secret) else value


HIDDEN = "(URL hidden: it may hold a credential)"


def shown_url(url: str | SecretUrl) -> str:
    """`url` as scheme, host, port and path: no userinfo, query or fragment.
    Text that does not read as a URL but could hold a credential is not shown."""
    url = revealed(url)
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" of an IPv6 host, say
        return HIDDEN
    if not parts.scheme or not (parts.netloc or parts.path.startswith("/")):
        return url if not any(c in url for c in "@?#") else HIDDEN
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def shown_host(url: str | SecretUrl) -> str:
    """The host and port of `url`, without userinfo; "" when it has none."""
    try:
        return urlsplit(revealed(url)).netloc.rpartition("@")[2]
    except ValueError:
        return ""


# ---- scrubbing what libraries wrote --------------------------------------------------

# A URL inside a message: botocore quotes it in double quotes, httpx in single ones.
_URL_IN_TEXT = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>`]+""")
# key=value credentials outside a URL: a libpq connection string, a query quoted alone.
_KEY_VALUE = re.compile(
    r"(?i)\b(password|passwd|pwd|token|access_token|api_key|apikey|secret)(\s*=\s*)"
    r"""([^\s&;,"']+)"""
)
# Query parameters of a known URL whose values are replaced wherever they appear.
_CREDENTIAL_PARAM = re.compile(r"(?i)pass|pwd|token|secret|key|sig|auth|credential|session|access")
# Shorter values are not replaced as bare text (an "ab" would garble every word
# holding it); a URL that quotes them is still shown without them.
_MIN_BARE = 4
_RANDOM_LOOKING = 16  # a query value this long is treated as a credential whatever its name


def scrub(text: str, *urls: str | Secret | None) -> str:
    """`text` (an exception's message, a log line) with every URL in it shown
    by `shown_url`, `password=…`-style values hidden, and the credentials of
    `urls` (passwords, credential query values) replaced by "***" wherever they
    appear."""
    for url in urls:
        whole = revealed(url)
        if whole and any(c in whole for c in "@?#"):
            text = text.replace(whole, shown_url(whole))
        for part in _credentials(whole):
            text = text.replace(part, "***")
    text = _URL_IN_TEXT.sub(_shown_match, text)
    return _KEY_VALUE.sub(r"\1\2***", text)


def _shown_match(match: re.Match[str]) -> str:
    token = match.group()
    return token if not any(c in token for c in "@?#") else shown_url(token)


def _credentials(url: str) -> list[str]:
    """The parts of `url` that may be credentials, longest first."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        password = parts.password
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:
        return [url]
    found = set()
    if password:
        found |= {password, unquote(password)}
    for name, value in query:
        if _CREDENTIAL_PARAM.search(name) or len(value) >= _RANDOM_LOOKING:
            found.add(value)
    if parts.fragment:
        found.add(parts.fragment)
    return sorted((p for p in found if len(p) >= _MIN_BARE), key=len, reverse=True)


class ScrubbingFormatter(logging.Formatter):
    """A log line, traceback included, with the URLs in it shown without their
    credentials: a library's exception can quote the URL it was given whole."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


# ---- secrets from the config ---------------------------------------------------------

MAX_SECRET_FILE_BYTES = 64 * 1024


class SecretFileError(ValueError):
    """A secret file that cannot be used; the message says why, never what it holds."""


def read_secret_file(path: Path, limit: int = MAX_SECRET_FILE_BYTES) -> str:
    """The text of a regular file of at most `limit` bytes (`read_regular`: a
    FIFO or a device is refused without blocking), stripped of the whitespace
    around it (a file ending in CRLF works)."""
    try:
        data = read_regular(path, limit)
    except FileTooLarge:
        raise SecretFileError(
            f"it is larger than {limit // 1024} KiB; a key, token, password or URL is far shorter"
        ) from None
    except FileRefused as exc:
        raise SecretFileError(str(exc)) from None
    try:
        # utf-8-sig: a file saved by an editor that writes a byte order mark works too.
        return data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise SecretFileError("it is not UTF-8 text") from None


def _kind(value: object) -> str:
    """What a TOML value is, in words, without the value."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return f"a {type(value).__name__}"


def read_secret(
    r: Reader, field: str, env: Mapping[str, str], default_var: str | None
) -> Secret | None:
    """`field` inline, `field_env = "VAR"` or `field_file = "PATH"`; else the
    variable `default_var` when set; else None. A problem names the key (and the
    variable or file), never the value."""
    given = [k for k in (field, f"{field}_env", f"{field}_file") if r.has(k)]
    if len(given) > 1:
        r.fail(given[1], f"give only one of {', '.join(given)}")
        return None
    if not given:
        var = default_var
        if var is None or not env.get(var, "").strip():
            return None
        return Secret(env[var].strip(), f"env {var}")
    key = given[0]
    value = r.table[key]
    if not isinstance(value, str) or not value.strip():
        # An inline value is a credential, however mistyped: name its type only.
        shown = (
            repr(value)
            if key.endswith(("_env", "_file"))
            else "an empty string"
            if isinstance(value, str)
            else _kind(value)
        )
        r.fail(key, f"expected a non-empty string, got {shown}")
        return None
    if key == field:
        return Secret(value.strip(), "config file")
    if key.endswith("_env"):
        if not env.get(value, "").strip():
            r.fail(key, f"environment variable {value} is not set or empty")
            return None
        return Secret(env[value].strip(), f"env {value}")
    path = Path(value).expanduser()
    try:
        text = read_secret_file(path)
    except SecretFileError as exc:
        r.fail(key, f"cannot read secret file {path}: {exc}")
        return None
    if not text:
        r.fail(key, f"secret file {path} is empty")
        return None
    return Secret(text, f"file {path}")
