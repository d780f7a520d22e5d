"""Credentials, and URLs that may carry them, held so they cannot show themselves.

A key, a token or a password never appears in a repr, a message, a log line or
on screen. A URL can hold one too: userinfo (`https://user:PASS@host`), a query
(`?token=…`, a PostgreSQL `?password=`) or a fragment. Such a URL is used as
given, and shown only as scheme, host, port and path (`shown_url`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["Secret", "SecretUrl", "shown_url"]


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

    @property
    def shown(self) -> str:
        return shown_url(self._value)

    def __repr__(self) -> str:
        return f"SecretUrl({self.shown!r})"

    def __str__(self) -> str:
        return self.shown


HIDDEN = "(URL hidden: it may hold a credential)"


def shown_url(url: str) -> str:
    """`url` as scheme, host, port and path: no userinfo, query or fragment.
    Text that does not read as a URL but could hold a credential is not shown."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" of an IPv6 host, say
        return HIDDEN
    if not parts.scheme or not (parts.netloc or parts.path.startswith("/")):
        return url if not any(c in url for c in "@?#") else HIDDEN
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"
