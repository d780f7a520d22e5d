"""Messages: results from worker threads to the event loop, and news between the
app and its screens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from r2tui.config import Config
from r2tui.store.lease import Lease
from r2tui.store.views import Dashboard

if TYPE_CHECKING:
    from r2tui.jobs import JobResult
    from r2tui.scheduler import Collector
    from r2tui.sources.demo import DemoAccount


class CollectorPlanned(Message):
    def __init__(self, collector: Collector, plan: dict[str, datetime | None]) -> None:
        super().__init__()
        self.collector = collector
        self.plan = plan


class JobStarted(Message):
    def __init__(self, job: str) -> None:
        super().__init__()
        self.job = job


class JobFinished(Message):
    def __init__(self, result: JobResult) -> None:
        super().__init__()
        self.result = result


class SnapshotReady(Message):
    def __init__(
        self, dashboard: Dashboard, read_ms: float, seq: int = 0, lease: Lease | None = None
    ) -> None:
        super().__init__()
        self.dashboard = dashboard
        self.read_ms = read_ms
        self.seq = seq
        self.lease = lease  # the account's collector lease, whoever holds it


class StoreFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class DemoReady(Message):
    def __init__(self, config: Config, demo: DemoAccount) -> None:
        super().__init__()
        self.config = config
        self.demo = demo


class DemoElsewhere(Message):
    """Another live process runs the demo on this store: this app views it and
    starts no demo of its own."""


class DemoFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class Stopped(Message):
    """The collector and the demo have stopped; the app may exit."""


class StoreChanged(Message):
    """The app has read the store again (its refresh tick, a job done): a screen
    that shows live state reads its own part again. Posted to each screen."""

    bubble = False


class ReadStore(Message):
    """A screen changed the store (a rule saved, an alert silenced): the app
    should read it again now, not at its next tick. Bubbles up to the app."""


class ShowFolders(Message):
    """The Storage pane asks for a bucket's folders (None: every bucket, to choose
    from): the main screen opens the folders screen. `buckets` are (name,
    objects, bytes) as the pane shows them."""

    def __init__(self, bucket: str | None, buckets: tuple[tuple[str, int, int], ...]) -> None:
        super().__init__()
        self.bucket = bucket
        self.buckets = buckets


class ShowDetail(Message):
    """A pane asks for one entry in full (an object, an event, an alert): the main
    screen shows it in a message screen. Panes do not import screens."""

    def __init__(self, title: str, message: str, error: bool = False) -> None:
        super().__init__()
        self.title = title
        self.message = message
        self.error = error
