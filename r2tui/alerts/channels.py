"""Sending a `Notice` to one channel: e-mail over SMTP, an Alertmanager-style
webhook, a Slack incoming webhook. A failure raises `DeliveryError`, which
tells the outbox whether trying again later can help.

The webhook URL is a secret (a Slack URL *is* its token) and so is the SMTP
password: neither ever appears in an error, and errors are raised `from None`
so that a traceback does not carry httpx's exception (its request holds the
URL) either.

Webhook and Slack bodies are `json_text`: the exact values, with control and
bidirectional characters as JSON escapes, so no raw one reaches a receiver's
log or a person reading the payload. A server's reply quoted in an error is
shown by the same rule (`visible`)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from typing import Any

import httpx

from r2tui import __version__
from r2tui.alerts.notice import FIRING, REPORT, Notice
from r2tui.alerts.render import alertmanager_payload, email_message, slack_payload
from r2tui.config.alert_model import ChannelConfig
from r2tui.literal import clip, json_text, visible
from r2tui.mail import Mailbox, parse_mailbox

log = logging.getLogger(__name__)

USER_AGENT = f"r2tui/{__version__}"
REPLY_MAX = 120  # characters of a server's reply worth keeping in an error


class DeliveryError(Exception):
    """A notification did not go out. `retryable`: a later attempt may succeed
    (network trouble, 5xx, 429, SMTP 4xx); otherwise the channel or the message
    needs fixing first. `retry_after`: seconds the server asked us to wait."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


def trial_notice(channel: str, now: int) -> Notice:
    """What the per-channel "send a test" action sends."""
    return Notice(
        channel=channel,
        kind="test",
        status=FIRING,
        group_key=f"test:{channel}",
        title="r2tui test notification",
        created_at=now,
    )


def deliver(channel: ChannelConfig, notice: Notice, external_url: str = "") -> None:
    """Send `notice` through `channel`; return on success, raise DeliveryError."""
    if notice.kind == REPORT and channel.type != "email":
        # [reports] channels accepts e-mail channels only; the channel changed since.
        raise DeliveryError(
            f"channel {channel.name}: a report goes by e-mail only, and "
            f"this is a {channel.type} channel",
            False,
        )
    if channel.type == "email":
        _send_email(channel, notice, external_url)
    elif channel.type == "webhook":
        _post(
            channel, alertmanager_payload(notice, channel.name, external_url), dict(channel.headers)
        )
    elif channel.type == "slack":
        _post(channel, slack_payload(notice), {})
    else:
        raise DeliveryError(f"channel {channel.name}: unknown type {channel.type!r}", False)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """A server's reply is shown to help, but a reply that echoes the request
    must not smuggle a secret out with it."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return clip(" ".join(text.split()), REPLY_MAX)


# --- HTTP -----------------------------------------------------------------


def _url_secrets(url: str) -> list[str]:
    parsed = httpx.URL(url)
    tail = parsed.raw_path.decode("ascii", "replace")  # path and query: the token lives there
    return [url] + ([tail] if len(tail) >= 8 else [])


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:  # absent, or an HTTP date: the outbox's own backoff will do
        return None


def _post(channel: ChannelConfig, payload: dict[str, Any], headers: dict[str, str]) -> None:
    name = channel.name
    if channel.url is None:
        raise DeliveryError(f"channel {name}: no URL configured", False)
    url = channel.url.reveal()
    # What httpx's json= would send (compact, NaN refused), with the unsafe
    # characters escaped: the same values for any JSON reader.
    body = json_text(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
    try:
        response = httpx.post(
            url,
            content=body,
            timeout=channel.timeout,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        raise DeliveryError(
            f"channel {name}: the webhook did not answer within {channel.timeout:g}s", True
        ) from None
    except httpx.UnsupportedProtocol:
        raise DeliveryError(f"channel {name}: the webhook URL is not http(s)", False) from None
    except httpx.ConnectError:
        raise DeliveryError(f"channel {name}: could not connect to the webhook", True) from None
    except httpx.TransportError as exc:
        raise DeliveryError(
            f"channel {name}: network error talking to the webhook ({type(exc).__name__})", True
        ) from None
    except httpx.InvalidURL:
        raise DeliveryError(f"channel {name}: the webhook URL is not valid", False) from None
    status = response.status_code
    if 200 <= status < 300:
        return
    reply = _scrub(response.text, _url_secrets(url))
    detail = f": {reply}" if reply else ""
    if 300 <= status < 400:
        # Following a redirect would hand the payload (and headers) to a host
        # nobody configured.
        raise DeliveryError(
            f"channel {name}: HTTP {status} redirect from the webhook (redirects are not followed)",
            False,
        )
    retryable = status >= 500 or status in (408, 429)
    raise DeliveryError(
        f"channel {name}: HTTP {status} from the webhook{detail}", retryable, _retry_after(response)
    )


# --- e-mail ---------------------------------------------------------------
#
# What SMTP's replies mean, for the person reading the error (RFC 5321 4.2,
# RFC 3463's enhanced codes in the reply text). 4xx is temporary by definition
# and retried; 5xx is permanent and dead-letters at once: sending the same
# message again cannot help until someone changes the channel or the message.
_MEANING = {
    421: "is not available now",
    450: "could not use the mailbox now",
    451: "had a local error",
    452: "is short of storage",
    454: "could not log in or start TLS now",
    530: "requires login (or TLS) first: set username and password (and security)",
    534: "wants a stronger login method (some providers need an app password)",
    535: "refused the credentials: check username and password",
    538: "allows this login method only over TLS",
    550: "refused the mailbox (no such user, or refused by policy)",
    551: "does not relay for this address",
    552: "refused the message's size (too large, or the mailbox is full)",
    553: "refused the address (not allowed, or malformed)",
    554: "refused the transaction (often a spam or policy filter)",
}


def _meaning(code: int) -> str:
    if code in _MEANING:
        return _MEANING[code]
    return "refused it for now" if 400 <= code < 500 else "refused it"


class _Step:
    """Where a send got to, so that an error says what failed: smtplib raises
    the same exception for STARTTLS and AUTH missing, for instance."""

    def __init__(self) -> None:
        self.now = "connect"


def _reply(reply: bytes | str, secrets: list[str]) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return _scrub(text, secrets)


def _smtp_error(
    name: str, what: str, code: int, reply: bytes | str, secrets: list[str]
) -> DeliveryError:
    """`what` failed with `code`: its meaning, then the server's own words."""
    text = _reply(reply, secrets)
    detail = f"{code} {text}".rstrip()
    return DeliveryError(
        f"channel {name}: {what}: the server {_meaning(code)} ({detail})", 400 <= code < 500
    )


def _refused_list(refused: dict[str, tuple[int, bytes]], secrets: list[str]) -> str:
    """`a@x.org (550 5.1.1 no such user), ...`: each address by the text rule."""
    return ", ".join(
        f"{visible(addr)} ({code} {_reply(reply, secrets)})".rstrip()
        for addr, (code, reply) in sorted(refused.items())
    )


def _refused_recipients(
    name: str, refused: dict[str, tuple[int, bytes]], secrets: list[str]
) -> DeliveryError:
    codes = [code for code, _ in refused.values()]
    meaning = "; ".join(sorted({_meaning(c) for c in codes}))
    return DeliveryError(
        f"channel {name}: every recipient refused: "
        f"{_refused_list(refused, secrets)}: the server {meaning}",
        all(400 <= c < 500 for c in codes),
    )


def _connect(channel: ChannelConfig) -> smtplib.SMTP:
    if channel.security == "tls":
        return smtplib.SMTP_SSL(
            channel.host,
            channel.port,
            timeout=channel.timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)


def _mailboxes(channel: ChannelConfig) -> tuple[Mailbox, list[Mailbox]]:
    """The channel's addresses, parsed; the config checked them, so a bad one
    here came from code or a hand-built channel, and is the channel's fault."""
    try:
        return parse_mailbox(channel.sender), [parse_mailbox(t) for t in channel.to]
    except ValueError as exc:
        raise DeliveryError(f"channel {channel.name}: {exc}", False) from None


def _check_smtputf8(
    smtp: smtplib.SMTP, channel: ChannelConfig, where: str, boxes: list[Mailbox]
) -> None:
    """A non-ASCII local part has no ASCII form: refuse before MAIL FROM rather
    than let the server mangle it or smtplib say something vaguer."""
    wide = [b for b in boxes if b.needs_smtputf8]
    if not wide:
        return
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("smtputf8"):
        names = ", ".join(visible(str(b)) for b in wide)
        raise DeliveryError(
            f"channel {channel.name}: {names} has a non-ASCII local part, which needs "
            f"SMTPUTF8, and {where} lacks SMTPUTF8 (use an ASCII address or a server "
            "that offers SMTPUTF8)",
            False,
        )


def _send_email(channel: ChannelConfig, notice: Notice, external_url: str) -> None:
    name, where = channel.name, f"{channel.host}:{channel.port}"
    password = channel.password.reveal() if channel.password else ""
    secrets = [password]
    sender, rcpts = _mailboxes(channel)
    message = email_message(notice, sender, rcpts, external_url)
    step = _Step()
    try:
        smtp = _connect(channel)
        try:
            if channel.security == "starttls":
                step.now = "starttls"
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                step.now = "login"
                smtp.login(channel.username, password)
            step.now = "send"
            _check_smtputf8(smtp, channel, where, [sender, *rcpts])
            # send_message asks for SMTPUTF8 (and BODY=8BITMIME) itself when an
            # envelope address is not ASCII, and serialises the message as UTF-8.
            refused = smtp.send_message(
                message, from_addr=sender.envelope, to_addrs=[r.envelope for r in rcpts]
            )
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()  # already sent or already failed: only tidy up
    except DeliveryError:
        raise
    except (smtplib.SMTPException, OSError, UnicodeError) as exc:
        raise _email_failure(exc, channel, step.now, where, sender, secrets) from None
    if refused:
        # Delivered to the others: a retry would send them a second copy.
        log.warning(
            "channel %s: sent, but some recipients refused: %s",
            visible(name),
            visible(_refused_list(refused, secrets)),
        )


def _email_failure(
    exc: smtplib.SMTPException | OSError | UnicodeError,
    channel: ChannelConfig,
    step: str,
    where: str,
    sender: Mailbox,
    secrets: list[str],
) -> DeliveryError:
    """`exc`, raised while at `step`, as a DeliveryError that says what failed,
    whether trying again can help, and never the password."""
    name = channel.name
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        user = visible(channel.username or "")
        return _smtp_error(
            name, f"SMTP login as {user} refused", exc.smtp_code, exc.smtp_error, secrets
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        what = {"starttls": "STARTTLS", "login": "login (AUTH)"}.get(step, "what was asked")
        return DeliveryError(f"channel {name}: {where} does not support {what}", False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _refused_recipients(name, exc.recipients, secrets)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        what = "the message" if exc.smtp_code == 552 else f"sender {visible(str(sender))}"
        return _smtp_error(
            name, f"{what} refused at MAIL FROM", exc.smtp_code, exc.smtp_error, secrets
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return _smtp_error(
            name, "the message refused after DATA", exc.smtp_code, exc.smtp_error, secrets
        )
    if isinstance(exc, smtplib.SMTPConnectError):
        return _smtp_error(
            name, f"{where} refused the connection", exc.smtp_code, exc.smtp_error, secrets
        )
    if isinstance(exc, smtplib.SMTPHeloError):
        return _smtp_error(
            name,
            f"{where} refused our greeting (EHLO/HELO)",
            exc.smtp_code,
            exc.smtp_error,
            secrets,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _smtp_error(
            name, f"SMTP error from {where} at {step}", exc.smtp_code, exc.smtp_error, secrets
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):
        exc = exc.__context__  # smtplib turns a read that timed out into a disconnect
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(
            f"channel {name}: {where} closed the connection unexpectedly (at {step})", True
        )
    if isinstance(exc, smtplib.SMTPException):
        # smtplib's own complaints, e.g. no AUTH method it can use.
        what = "login" if step == "login" else step
        return DeliveryError(
            f"channel {name}: {what} with {where} failed: {_scrub(str(exc), secrets)}", False
        )
    if isinstance(exc, UnicodeError) and step == "login":
        # smtplib's AUTH encodes as ASCII; its error would quote the password.
        return DeliveryError(
            f"channel {name}: the username or password holds characters "
            "SMTP login cannot send (only ASCII)",
            False,
        )
    if isinstance(exc, UnicodeError):
        return DeliveryError(
            f"channel {name}: the message could not be encoded for SMTP "
            f"at {step} ({type(exc).__name__})",
            False,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            f"channel {name}: the TLS certificate of {where} is not trusted ({exc.verify_message})",
            False,
        )
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(f"channel {name}: TLS failed with {where} ({exc.reason})", True)
    if isinstance(exc, TimeoutError):
        return DeliveryError(
            f"channel {name}: {where} did not answer within {channel.timeout:g}s (at {step})", True
        )
    # OSError: refused, unreachable, unknown host; or the network failed mid-way.
    what = (
        f"could not connect to {where}"
        if step == "connect"
        else f"network error with {where} at {step}"
    )
    return DeliveryError(f"channel {name}: {what} ({exc.strerror or type(exc).__name__})", True)
