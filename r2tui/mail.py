"""E-mail addresses and the headers every message needs, so that mail arrives.

- An address is `local@domain` or `Display Name <local@domain>`. A non-ASCII
  domain is sent as IDNA (punycode: every server takes it); a non-ASCII local
  part needs the server's SMTPUTF8 extension (`needs_smtputf8`); a non-ASCII
  display name is RFC 2047-encoded by `email.policy` when the message is not
  sent as SMTPUTF8.
- `Date` (RFC 5322 requires it) and `Message-ID` (Gmail refuses mail without
  one, and relays do not add it for a remote client) are on every message.
  The Message-ID's domain is the sender's; its left part is a token the outbox
  derives from the row (`outbox.message_token`), so every attempt at one
  notification sends the same Message-ID and a receiver drops the copy that an
  at-least-once retry may deliver twice.

Pure: no I/O but the host name, asked only for a sender without a domain."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.utils import format_datetime, make_msgid

import idna

from r2tui.literal import quoted, visible

LOCAL_MAX = 64  # octets of a local part (RFC 5321 4.5.3.1.1)
DOMAIN_MAX = 253
# RFC 5322's atext, plus any non-ASCII character (RFC 6531's UTF8-non-ascii).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_LOCAL_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_ASCII_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_LITERAL_RE = re.compile(r"\[(?:IPv6:)?[0-9A-Fa-f:.]+\]")  # [192.0.2.1], [IPv6:2001:db8::1]
_ANGLE_RE = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<addr>[^<>]*)>", re.S)
_HOST_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


@dataclass(frozen=True)
class Mailbox:
    """One address as configured: `domain` as written (maybe Unicode)."""

    display_name: str
    local: str
    domain: str

    @property
    def ascii_domain(self) -> str:
        return ascii_domain(self.domain) if self.domain else ""

    @property
    def envelope(self) -> str:
        """What MAIL FROM and RCPT TO carry: the domain as IDNA."""
        return f"{self.local}@{self.ascii_domain}" if self.domain else self.local

    @property
    def needs_smtputf8(self) -> bool:
        """A non-ASCII local part has no ASCII form: only SMTPUTF8 carries it."""
        return not self.local.isascii()

    def header(self) -> Address:
        return Address(self.display_name, self.local, self.ascii_domain)

    def __str__(self) -> str:
        """The address as configured, for messages (shown by `visible` there)."""
        return f"{self.local}@{self.domain}" if self.domain else self.local


def ascii_domain(domain: str) -> str:
    """`domain` as IDNA (UTS 46 mapping, IDNA 2008), or ValueError saying why."""
    if _LITERAL_RE.fullmatch(domain):
        return domain
    if domain.isascii():
        labels = domain.split(".")
        if len(domain) > DOMAIN_MAX or not all(_ASCII_LABEL_RE.fullmatch(x) for x in labels):
            raise ValueError(f"{quoted(domain)} is not a domain name")
        return domain
    try:
        out = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"the domain {quoted(domain)} has no IDNA form ({exc})") from None
    if len(out) > DOMAIN_MAX:
        raise ValueError(
            f"the domain {quoted(domain)} is longer than {DOMAIN_MAX} characters as IDNA"
        )
    return out


def _display_name(text: str) -> str:
    name = text.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def parse_mailbox(text: object) -> Mailbox:
    """`local@domain` or `Display Name <local@domain>`, checked; ValueError
    saying what is wrong. Stricter than a mail reader: no comments, groups or
    quoted local parts, which no relay needs and many mangle."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(
            'expected an e-mail address such as "r2tui@example.com" or '
            f'"r2tui <r2tui@example.com>", got {quoted(text)}'
        )
    if visible(text) != text:
        raise ValueError(f"{quoted(text)} holds control or invisible characters")
    match = _ANGLE_RE.fullmatch(text.strip())
    name, addr = (
        (_display_name(match["name"]), match["addr"].strip()) if match else ("", text.strip())
    )
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{quoted(addr)} is not an address of the form local@domain")
    if not _LOCAL_RE.fullmatch(local) or len(local.encode("utf-8")) > LOCAL_MAX:
        raise ValueError(
            f"the local part {quoted(local)} is not one a relay takes (letters, "
            "digits, dots between them and !#$%&'*+/=?^_`{|}~-, at most "
            f"{LOCAL_MAX} bytes)"
        )
    ascii_domain(domain)
    box = Mailbox(name, local, domain)
    try:
        box.header()  # what the message will carry: refused here, not at send time
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{quoted(text)}: {exc}") from None
    return box


def local_host() -> str:
    """The host name, for a Message-ID when the sender has no domain: never
    a DNS lookup (socket.getfqdn may wait for one), never an invalid one."""
    name = socket.gethostname()
    return name if _HOST_RE.fullmatch(name or "") else "localhost"


def sender_domain(sender: Mailbox | None) -> str:
    """The Message-ID's domain: the sender's, else this host's."""
    if sender is None or not sender.domain:
        return local_host()
    try:
        return sender.ascii_domain
    except ValueError:  # a Mailbox built in code, unchecked
        return local_host()


def message_id(token: str, sender: Mailbox | None) -> str:
    """`<token@sender-domain>`; a fresh random one when there is no token (a
    message sent straight, not through the outbox)."""
    domain = sender_domain(sender)
    if not token:
        return make_msgid("r2tui", domain=domain)
    return f"<{token}@{domain}>"


def date_header(ts: float) -> str:
    """RFC 5322's date, in UTC (`+0000`)."""
    return format_datetime(datetime.fromtimestamp(ts, UTC))
