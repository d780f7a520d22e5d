"""Open a store from a URL: SQLite by default, any Peewee URL (PostgreSQL) for a team."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from urllib.parse import urlparse

from peewee import (
    Database,
    DatabaseError,
    ImproperlyConfigured,
    InterfaceError,
    OperationalError,
    SqliteDatabase,
)
from playhouse.db_url import connect, schemes

from r2tui.config.secrets import SecretUrl, revealed, scrub, shown_url
from r2tui.store.migrations import StoreTooNew, locked_transaction, migrate
from r2tui.store.models import database

log = logging.getLogger(__name__)

# r2tui's read-then-write transactions on PostgreSQL hold this advisory lock
# (the migrations hold their own).
_PG_WRITE_LOCK_KEY = 0x72327477  # "r2tw"
# Set on every connection. WAL is not among them: see enable_wal().
SQLITE_PRAGMAS = {
    "busy_timeout": 5000,
    "foreign_keys": 1,
    # With "full", one-row commits cap near 1,500/s; WAL + normal is crash-safe.
    "synchronous": "normal",
}


class StoreError(Exception):
    """The store cannot be opened or used; the message says why and what to do."""


# What to install when peewee finds no driver for a scheme (without "+pool").
_DRIVER_HINTS = {
    "postgres": "pip install 'r2tui[postgres]'",
    "postgresql": "pip install 'r2tui[postgres]'",
    "postgresext": "pip install 'r2tui[postgres]'",
    "postgresqlext": "pip install 'r2tui[postgres]'",
    "cockroachdb": "pip install 'r2tui[postgres]'",
    "crdb": "pip install 'r2tui[postgres]'",
    "psycopg3": "pip install 'psycopg[binary]'",
    "mysql": "pip install pymysql",
    "mysqlconnector": "pip install mysql-connector-python",
    "mariadbconnector": "pip install mariadb",
}


class Store:
    """An open, migrated store. Models are bound to it for this process."""

    def __init__(self, db: Database, url: str | SecretUrl) -> None:
        self.db = db
        self.url = shown_url(url)  # for messages and logs; the whole URL is not kept

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.db, SqliteDatabase)

    def write(self) -> contextlib.AbstractContextManager[None]:
        """A transaction for read-then-write work, in which writers queue rather
        than race (see `locked_transaction`)."""
        return locked_transaction(self.db, _PG_WRITE_LOCK_KEY)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()


def open_store(
    given: str | SecretUrl, source: str = "store URL", migrate_now: bool = True
) -> Store:
    """The store at `given`, migrated. The URL is used whole (a password in it or
    in its query connects); every message shows it without them."""
    url = revealed(given)
    scheme = urlparse(url).scheme
    if scheme not in schemes:
        raise StoreError(
            f"{source}: unsupported database URL scheme {scheme!r} in {shown_url(url)!r}; "
            "use sqlite:////absolute/path.db or postgresql://user@host:5432/dbname"
        )
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
        raise StoreError(f"{source}: {scrub(str(exc), url)}") from None
    store = Store(db, url)
    applied: list[int] = []
    try:
        if store.is_sqlite:
            enable_wal(db)
        if migrate_now:
            db.connect(reuse_if_open=True)
            applied = migrate(db)
    except (ImproperlyConfigured, StoreTooNew, DatabaseError, InterfaceError) as exc:
        # Let go of the file or server, and leave the models bound to whatever
        # store this process had open: a failed open must change nothing.
        store.close()
        raise StoreError(scrub(_open_failure(source, scheme, store.url, exc), url)) from None
    if applied:
        log.info("store %s migrated to schema %s", store.url, applied[-1])
    database.initialize(db)
    return store


def enable_wal(db: Database, wait_s: float = 5.0) -> str:
    """Put the SQLite file in WAL mode; returns the journal mode now in effect.

    Converting a file to WAL takes an exclusive lock, and SQLite answers a
    concurrent `PRAGMA journal_mode=wal` with "database is locked" at once,
    without waiting on the busy timeout; so two processes creating the same
    store together could fail. WAL is stored in the file, so it is set here
    once, retrying, rather than in the pragmas of every connection."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return str(db.execute_sql("PRAGMA journal_mode=wal").fetchone()[0])
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _open_failure(source: str, scheme: str, shown_url: str, exc: Exception) -> str:
    if isinstance(exc, ImproperlyConfigured):
        base = scheme.split("+", 1)[0]
        hint = _DRIVER_HINTS.get(base, f"install the Python driver for {base}")
        if hint.startswith("pip "):
            hint = f"install it with: {hint}"
        return f"{source}: the driver for {base} is not installed; {hint}"
    if isinstance(exc, StoreTooNew):
        return f"{source}: {exc}"
    return f"{source}: cannot open {shown_url}: {str(exc).strip()}"
