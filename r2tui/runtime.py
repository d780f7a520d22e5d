"""Start-up shared by the CLI commands and the app: logging, the demo account."""

from __future__ import annotations

import dataclasses
import logging
import logging.handlers
from pathlib import Path
from typing import TYPE_CHECKING

from r2tui import paths
from r2tui.config import Config
from r2tui.config.secrets import ScrubbingFormatter
from r2tui.literal import visible

if TYPE_CHECKING:
    from r2tui.sources.demo import DemoAccount

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


def with_demo_account(
    config: Config, scale: float = 1.0, traffic: bool = True
) -> tuple[Config, DemoAccount]:
    """Start the demo account; returns (config pointing at it, the running demo)."""
    from r2tui.sources.demo import DemoAccount  # moto is heavy: loaded for the demo only

    demo = DemoAccount(scale=scale, traffic=traffic)
    account = demo.start()
    return dataclasses.replace(config, accounts=(account,)), demo
