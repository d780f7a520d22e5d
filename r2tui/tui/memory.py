"""Keeping the garbage collector off what lives as long as the app, and its full
collections off the frames the user watches."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def freeze_long_lived() -> None:
    """Move what exists now (modules, widgets, botocore's models) out of the
    garbage collector's reach. A full collection otherwise walks all of it
    again and again while an inventory allocates pages: a pause of 150 ms on
    the UI thread, measured during a 1,000,000-object listing. (No collection
    first: that would be the very pause this avoids.)"""
    gc.freeze()


class QuietCollections:
    """Full collections while nobody is scrolling or typing.

    Python runs a full collection when enough objects have outlived the young
    generations, wherever the program is; in the app that is often the frame
    after a store read, whose thousand-row views each read replaces. A full
    collection takes 10 to 35 ms here, and one landing beside a read's screen
    update is what made the frame gaps over 50 ms in a table of 1,000 rows
    (bench/README.md, "The gaps after a store read"). So while the app runs,
    Python's own full collections are off (the young generations, where most
    garbage dies, are collected as before) and the app runs one itself, from a
    timer: when no key or mouse came for `idle` seconds and `every` seconds
    passed since the last; or after `at_most` seconds whatever the input, so
    memory held only by cycles never waits long. `stop` gives Python its own
    rule back."""

    def __init__(
        self,
        idle: float = 2.0,
        every: float = 10.0,
        at_most: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle, self.every, self.at_most, self.clock = idle, every, at_most, clock
        self.input_at = self.last = clock()
        self.runs = 0  # full collections run by `tick`
        self._started = False

    def start(self) -> None:
        """Python's full collections off, for as long as any started one is."""
        if not self._started:
            self._started = True
            if not _ACTIVE:
                _SAVED[:] = gc.get_threshold()
                gc.set_threshold(_SAVED[0], _SAVED[1], _NEVER)
            _ACTIVE.add(id(self))

    def stop(self) -> None:
        """Python's rule back once no started one is left (apps in one process may
        overlap: the first saves the thresholds, the last puts them back)."""
        if self._started:
            self._started = False
            _ACTIVE.discard(id(self))
            if not _ACTIVE:
                gc.set_threshold(*_SAVED)

    def input(self) -> None:
        """A key or the mouse: the user is there."""
        self.input_at = self.clock()

    def tick(self) -> None:
        now = self.clock()
        since = now - self.last
        if (since >= self.every and now - self.input_at >= self.idle) or since >= self.at_most:
            gc.collect()
            self.last = self.clock()
            self.runs += 1


# gc's third threshold counts collections of the middle generation: this many
# never come (one each 700 x 10 allocations).
_NEVER = 2**31 - 1
# The started ones of this process, and Python's thresholds from before the first.
_ACTIVE: set[int] = set()
_SAVED: list[int] = []
