"""Open a store from a URL: SQLite by default, any Peewee URL (PostgreSQL) for a team."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from peewee import Database, ImproperlyConfigured, OperationalError, SqliteDatabase
from playhouse.db_url import connect, schemes

from r2tui.store.migrations import StoreTooNew, migrate
from r2tui.store.models import database

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 5000,
    "foreign_keys": 1,
    # With "full", one-row commits cap near 1,500/s; WAL + normal is crash-safe.
    "synchronous": "normal",
}


class StoreError(Exception):
    """The store cannot be opened or used; the message says why and what to do."""


def redact_url(url: str) -> str:
    """The URL without its password, for showing and logging."""
    parts = urlparse(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunparse(parts._replace(netloc=netloc))
    return url


class Store:
    """An open, migrated store. Models are bound to it for this process."""

    def __init__(self, db: Database, url: str) -> None:
        self.db = db
        self.url = redact_url(url)

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.db, SqliteDatabase)

    def write(self):  # type: ignore[no-untyped-def]
        """A transaction for read-then-write work: IMMEDIATE on SQLite, so two
        writers queue on the busy timeout instead of failing with 'locked'."""
        return self.db.atomic("IMMEDIATE") if self.is_sqlite else self.db.atomic()

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()


def open_store(url: str, source: str = "store URL", migrate_now: bool = True) -> Store:
    scheme = urlparse(url).scheme
    if scheme not in schemes:
        raise StoreError(
            f"{source}: unsupported database URL scheme {scheme!r} in {redact_url(url)!r}; "
            "use sqlite:////absolute/path.db or postgresql://user@host:5432/dbname")
    if scheme.startswith("sqlite"):
        path = urlparse(url).path[1:]
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{source}: cannot create the folder for {path}: {exc}") from None
    try:
        kwargs = {"pragmas": SQLITE_PRAGMAS} if scheme.startswith("sqlite") else {}
        db = connect(url, unquote_password=True, unquote_user=True, **kwargs)
    except (ValueError, RuntimeError) as exc:
        raise StoreError(f"{source}: {exc}") from None
    database.initialize(db)
    store = Store(db, url)
    if migrate_now:
        try:
            db.connect(reuse_if_open=True)
            applied = migrate(db)
        except ImproperlyConfigured:
            raise StoreError(
                f"{source}: the driver for {scheme} is not installed; "
                "install it with: pip install 'r2tui[postgres]'") from None
        except StoreTooNew as exc:
            raise StoreError(f"{source}: {exc}") from None
        except OperationalError as exc:
            raise StoreError(f"{source}: cannot open {store.url}: {exc}".strip()) from None
        if applied:
            log.info("store %s migrated to schema %s", store.url, applied[-1])
    return store
