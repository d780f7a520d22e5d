"""Background work in the TUI's process gives way while the UI runs late.

The inventory parses and folds its pages in a thread of the TUI's own process,
and Python runs one thread at a time. A thread that waits for the interpreter
lock and does not get it within the switch interval waits again at the back
of the queue, so the UI thread can lose several turns in a row to the listing
and its request threads: frame gaps of 45 to 60 ms during a 1,000,000-object
inventory, with the CPU not even busy (bench/README.md).

So the UI's event loop is asked, now and then, to run a callback that only
notes it ran. Between two steps of its work a listing calls `give_way()`: with
no question pending it asks one and only yields the lock (`sleep(0)`); with a
question unanswered for LATE_S the UI is late, waiting for the lock or busy
with a layout, and the listing sleeps PAUSE_S, which takes it out of the
queue. One question at a time, only while a listing runs: an idle UI is never
woken for this. With no UI in the process (`r2tui collect`) nothing waits.
"""

from __future__ import annotations

import asyncio
import time

LATE_S = 0.015  # a frame is due every 16.7 ms at Textual's 60 per second
PAUSE_S = 0.002


class Pulse:
    """Whether the UI's event loop answers promptly. Safe from any thread: a race
    between two workers costs at most one more question."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._asked = 0.0  # time.monotonic() of the question pending; 0.0: none

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self._asked = loop, 0.0

    def detach(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            self._loop, self._asked = None, 0.0

    def late(self) -> bool:
        """True when the UI has left a question unanswered for LATE_S; asks one
        when none is pending."""
        loop = self._loop
        if loop is None:
            return False
        asked = self._asked
        now = time.monotonic()
        if asked:
            if loop.is_closed():  # closed without detaching (the app crashed)
                self.detach(loop)
                return False
            return now - asked > LATE_S
        self._asked = now
        try:
            loop.call_soon_threadsafe(self._answered)
        except RuntimeError:  # the loop closed without detaching (the app crashed)
            self.detach(loop)
        return False

    def give_way(self) -> None:
        """Yield the interpreter lock; sleep PAUSE_S while the UI is late. Without a
        UI, nothing: even sleep(0) gives the core away, for milliseconds on a busy
        machine (5 s over the 2,300 pages of a thousand buckets)."""
        if self._loop is None:
            return
        time.sleep(PAUSE_S if self.late() else 0)

    def _answered(self) -> None:
        self._asked = 0.0


UI = Pulse()  # the one UI a process has, if any
