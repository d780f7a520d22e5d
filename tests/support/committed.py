"""What another connection sees of a store: only what was committed."""

from __future__ import annotations

import threading

from r2tui.store import Store
from r2tui.store.models import BaseModel


def committed_rows(store: Store, model: type[BaseModel]) -> int:
    """The rows of `model` a connection of another thread sees (peewee gives each
    thread its own): the committed ones."""
    seen: list[int] = []

    def read() -> None:
        try:
            seen.append(model.select().count())
        finally:
            store.thread_done()

    t = threading.Thread(target=read)
    t.start()
    t.join()
    return seen[0]
