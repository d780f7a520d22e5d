"""The store: the single source of truth every view reads."""

from r2tui.store.db import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
