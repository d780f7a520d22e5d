"""Start-up shared by the CLI commands and the app: logging, the demo account.

The demo's start is decided on the collector lease: a process starts the demo's
servers only after it took the demo account's lease (`claim_demo`), so two
`r2tui --demo` on one store run one demo, and the second views it."""

from __future__ import annotations

import dataclasses
import logging
import logging.handlers
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from r2tui import paths
from r2tui.config import Config
from r2tui.config.secrets import ScrubbingFormatter
from r2tui.literal import visible
from r2tui.store import Store, lease, state

if TYPE_CHECKING:
    from r2tui.sources.demo import DemoAccount

log = logging.getLogger(__name__)
_configured = False
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class VisibleFormatter(ScrubbingFormatter):  # and URLs without credentials, traceback too
    """One record, one line: the message (which may quote a key, a bucket name or
    a server's reply) shown by the rule of `r2tui.literal.visible`, so an LF or an
    ESC in it can neither forge a log line nor act on a terminal that shows the
    file. A traceback or stack that follows stays as Python wrote it."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))


def setup_logging(level: str = "INFO", path: Path | None = None) -> Path | None:
    """Log to a file, never to the terminal the TUI draws on."""
    global _configured
    if _configured:
        return path
    path = path or paths.log_file()
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()  # a read-only home must not stop the app
    handler.setFormatter(VisibleFormatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # Request-level logs from these are noise; botocore DEBUG would also log signed headers.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "apscheduler", "httpx", "peewee"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True
    return path


@dataclass(frozen=True)
class DemoOptions:
    """What `r2tui --demo` starts: the seeded objects' scale, and the traffic."""

    scale: float = 1.0
    traffic: bool = True


DEMO = DemoOptions()  # tests start a smaller demo by replacing it
DEMO_ACCOUNT = "demo"  # the demo account's name (`DemoAccount.account`)
SEEDED_AT = "demo_seeded_at"  # the store's note of when the demo's objects are dated from


def claim_demo(store: Store, config: Config, holder: lease.Holder | None = None) -> bool:
    """Take the demo account's collector lease, before any demo server starts:
    one demo runs per store. False while another live process holds it: this
    one then views that one's demo, and starts nothing. The collector's
    heartbeat renews what this took (the same process); `release_demo` gives
    it back when the demo does not start after all."""
    taken = lease.acquire(store, DEMO_ACCOUNT, config.collector.lease_seconds, holder=holder)
    return taken is not None


def start_demo(
    config: Config,
    store: Store,
    traffic: bool | None = None,
    holder: lease.Holder | None = None,
) -> tuple[Config, DemoAccount] | None:
    """Claim the demo (`claim_demo`), then start it: (config pointing at it, the
    running demo). None, with nothing started, while another live process runs
    the demo on this store."""
    if not claim_demo(store, config, holder):
        return None
    try:
        return with_demo_account(config, store, traffic)
    except BaseException:
        release_demo(store, holder)
        raise


def release_demo(store: Store, holder: lease.Holder | None = None) -> None:
    try:
        lease.release(store, DEMO_ACCOUNT, holder)
    except Exception as exc:  # it runs out by itself
        log.warning("cannot give the demo's collector lease back: %s", exc)


def demo_seeded_at(store: Store) -> int:
    """When the demo's objects are dated from: the first start's time, kept in
    the store, so that every later start on it seeds the very same objects (a
    restart must not look like growth). A store that cannot keep it gets now."""
    try:
        now = int(store.clock())
        kept = state.get(store, SEEDED_AT)
        if kept is not None:
            return min(kept, now)  # a clock set back: still nothing dated ahead
        state.put(store, SEEDED_AT, now)
        return now
    except Exception as exc:
        log.warning("cannot keep the demo's seeding time in the store: %s", exc)
        return int(time.time())


def with_demo_account(
    config: Config, store: Store | None = None, traffic: bool | None = None
) -> tuple[Config, DemoAccount]:
    """Start the demo account; returns (config pointing at it, the running demo).
    Its objects are dated from the store's `demo_seeded_at` (now without a
    store); its webhook receiver is a channel every rule without channels of
    its own notifies. The caller has claimed the demo: `start_demo` does both."""
    from r2tui.sources.demo import DemoAccount  # moto is heavy: loaded for the demo only

    demo = DemoAccount(
        scale=DEMO.scale,
        traffic=DEMO.traffic if traffic is None else traffic,
        seeded_at=demo_seeded_at(store) if store is not None else None,
    )
    account = demo.start()
    try:
        channel = demo.channel()
    except BaseException:
        demo.stop()
        raise
    alerts = config.alerts
    defaults = alerts.default_channels
    alerts = dataclasses.replace(
        alerts,
        channels={**alerts.channels, channel.name: channel},
        default_channels=defaults if channel.name in defaults else (*defaults, channel.name),
    )
    return dataclasses.replace(config, accounts=(account,), alerts=alerts), demo
