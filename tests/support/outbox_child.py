"""A separate r2tui process for the outbox's crash tests, and the test sender.

    python outbox_child.py deliver STORE_URL RECEIVER_URL [TIMEOUT]
        runs deliver_due once (a test kills it mid-send with SIGKILL, or lets it
        finish and reads the report it prints as JSON).
    python outbox_child.py enqueue STORE_URL RECEIVER_URL
        enqueues one notice, prints "enqueued ID" and waits to be killed.

The sender here POSTs the notice's JSON with httpx, as a webhook channel would;
the real channels module is written separately, so the tests use this one.
"""

from __future__ import annotations

import json
import ssl
import sys
import time

import httpx

from r2tui.alerts.notice import AlertNotice, Notice
from r2tui.config.alert_model import AlertSettings, ChannelConfig
from r2tui.config.model import Secret

CHANNEL = "hook"
# One TLS context for every send: httpx builds a new one per call otherwise,
# which costs ~50 ms and would dominate the tests' hundreds of sends.
_TLS = ssl.create_default_context()


class SendError(Exception):
    """What channels.DeliveryError will look like to the outbox: a message
    without secrets and whether trying again may help."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def http_sender(channel: ChannelConfig, notice: Notice) -> None:
    assert channel.url is not None
    try:
        r = httpx.post(
            channel.url.reveal(),
            content=notice.to_json(),
            headers={"Content-Type": "application/json"},
            timeout=channel.timeout,
            verify=_TLS,
        )
    except httpx.TransportError as exc:
        # The URL may hold a token: name the failure, never the address.
        raise SendError(f"{type(exc).__name__}: cannot reach the receiver", True) from None
    if r.status_code >= 500:
        raise SendError(f"HTTP {r.status_code} from the receiver", True)
    if r.status_code >= 400:
        raise SendError(f"HTTP {r.status_code} from the receiver", False)


def hook(url: str, timeout: float = 2.0, name: str = CHANNEL) -> ChannelConfig:
    return ChannelConfig(name=name, type="webhook", url=Secret(url, "test"), timeout=timeout)


def settings_for(*channels: ChannelConfig, **kwargs: object) -> AlertSettings:
    return AlertSettings(channels={c.name: c for c in channels}, **kwargs)  # type: ignore[arg-type]


def make_notice(key: str, channel: str = CHANNEL, account: str = "acct", now: int = 0) -> Notice:
    alert = AlertNotice(
        fingerprint=f"fp-{key}",
        rule="High error rate",
        account=account,
        bucket="media",
        metric="error_rate_pct",
        severity="warning",
        status="firing",
        value=7.5,
        threshold=5.0,
        comparison=">",
        unit="%",
        starts_at=now,
    )
    return Notice(
        channel=channel,
        kind="alert",
        status="firing",
        group_key=key,
        title="High error rate",
        alerts=(alert,),
        created_at=now,
    )


def main(argv: list[str]) -> int:
    from r2tui.alerts import outbox
    from r2tui.store import open_store

    mode, store_url, receiver = argv[:3]
    timeout = float(argv[3]) if len(argv) > 3 else 2.0
    store = open_store(store_url)
    try:
        if mode == "enqueue":
            with store.write():
                (row_id,) = outbox.enqueue(store, [make_notice("from-child")], now=int(time.time()))
            print(f"enqueued {row_id}", flush=True)
            time.sleep(600)  # the test kills us long before
            return 1
        report = outbox.deliver_due(store, settings_for(hook(receiver, timeout)), http_sender)
        print(
            json.dumps(
                {
                    "sent": report.sent,
                    "retried": report.retried,
                    "dead": report.dead,
                    "errors": report.errors,
                }
            ),
            flush=True,
        )
        return 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
