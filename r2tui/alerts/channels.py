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

import smtplib
import ssl
from collections.abc import Iterable
from typing import Any

import httpx

from r2tui import __version__
from r2tui.alerts.notice import FIRING, Notice
from r2tui.alerts.render import alertmanager_payload, email_message, slack_payload
from r2tui.config.alert_model import ChannelConfig
from r2tui.literal import clip, json_text

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


def test_notice(channel: str, now: int) -> Notice:
    """What the per-channel "send a test" action sends."""
    return Notice(channel=channel, kind="test", status=FIRING, group_key=f"test:{channel}",
                  title="r2tui test notification", created_at=now)


test_notice.__test__ = False  # type: ignore[attr-defined]  # not a test for pytest to collect


def deliver(channel: ChannelConfig, notice: Notice, external_url: str = "") -> None:
    """Send `notice` through `channel`; return on success, raise DeliveryError."""
    if channel.type == "email":
        _send_email(channel, notice, external_url)
    elif channel.type == "webhook":
        _post(channel, alertmanager_payload(notice, channel.name, external_url),
              dict(channel.headers))
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
        response = httpx.post(url, content=body, timeout=channel.timeout,
                              headers={"User-Agent": USER_AGENT,
                                       "Content-Type": "application/json", **headers},
                              follow_redirects=False)
    except httpx.TimeoutException:
        raise DeliveryError(f"channel {name}: the webhook did not answer within "
                            f"{channel.timeout:g}s", True) from None
    except httpx.UnsupportedProtocol:
        raise DeliveryError(f"channel {name}: the webhook URL is not http(s)", False) from None
    except httpx.ConnectError:
        raise DeliveryError(f"channel {name}: could not connect to the webhook", True) from None
    except httpx.TransportError as exc:
        raise DeliveryError(f"channel {name}: network error talking to the webhook "
                            f"({type(exc).__name__})", True) from None
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
        raise DeliveryError(f"channel {name}: HTTP {status} redirect from the webhook "
                            "(redirects are not followed)", False)
    retryable = status >= 500 or status in (408, 429)
    raise DeliveryError(f"channel {name}: HTTP {status} from the webhook{detail}", retryable,
                        _retry_after(response))


# --- e-mail ---------------------------------------------------------------

def _smtp_error(name: str, what: str, code: int, reply: bytes | str,
                secrets: list[str]) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = _scrub(text, secrets)
    # SMTP's 4xx replies are temporary by definition; 5xx are permanent.
    return DeliveryError(f"channel {name}: {what} ({code} {text})".rstrip(), 400 <= code < 500)


def _send_email(channel: ChannelConfig, notice: Notice, external_url: str) -> None:
    name, where = channel.name, f"{channel.host}:{channel.port}"
    password = channel.password.reveal() if channel.password else ""
    secrets = [password]
    message = email_message(notice, channel.sender, channel.to, external_url)
    try:
        smtp: smtplib.SMTP
        if channel.security == "tls":
            smtp = smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
        try:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                smtp.login(channel.username, password)
            smtp.send_message(message, from_addr=channel.sender, to_addrs=list(channel.to))
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()  # already sent or already failed: only tidy up
    except smtplib.SMTPAuthenticationError as exc:
        code = exc.smtp_code
        raise DeliveryError(f"channel {name}: SMTP login refused ({code})",
                            400 <= code < 500) from None
    except smtplib.SMTPNotSupportedError:
        what = "STARTTLS" if channel.security == "starttls" else "login (AUTH)"
        raise DeliveryError(f"channel {name}: {where} does not support {what}", False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        refused = ", ".join(sorted(exc.recipients))
        raise DeliveryError(f"channel {name}: every recipient refused ({refused}; "
                            f"codes {', '.join(map(str, codes))})",
                            all(400 <= c < 500 for c in codes)) from None
    except smtplib.SMTPSenderRefused as exc:
        raise _smtp_error(name, f"sender {channel.sender} refused", exc.smtp_code,
                          exc.smtp_error, secrets) from None
    except smtplib.SMTPResponseException as exc:
        raise _smtp_error(name, f"SMTP error from {where}", exc.smtp_code, exc.smtp_error,
                          secrets) from None
    except smtplib.SMTPServerDisconnected:
        raise DeliveryError(f"channel {name}: {where} closed the connection", True) from None
    except smtplib.SMTPException as exc:  # smtplib's own complaints, e.g. no usable AUTH
        raise DeliveryError(f"channel {name}: {_scrub(str(exc), secrets)}", False) from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(f"channel {name}: the TLS certificate of {where} is not trusted "
                            f"({exc.verify_message})", False) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"channel {name}: TLS failed with {where} ({exc.reason})",
                            True) from None
    except TimeoutError:
        raise DeliveryError(f"channel {name}: {where} did not answer within "
                            f"{channel.timeout:g}s", True) from None
    except OSError as exc:  # refused, unreachable, unknown host
        raise DeliveryError(f"channel {name}: could not connect to {where} "
                            f"({exc.strerror or type(exc).__name__})", True) from None
