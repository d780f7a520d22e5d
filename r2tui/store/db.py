"""Open a store from a URL: SQLite by default, any Peewee URL (PostgreSQL) for a team.

Every read and write takes the `Store` it works on (its first parameter,
`store`). Raw SQL goes through `store.db`, a select's rows as tuples through
`store.fetch`, a hot read's plain SQL through `store.rows`. Peewee's models (`models.py`) are
bound to one `DatabaseProxy`, `models.database`, for the whole process, not to
a store: peewee binds a model class, not a query, and rebinding a class per
call would race between threads. So `open_store` points that proxy at the
store it opens, there is one open store per process, and a read or write that
queries models first calls `store.bound()` (`store.write()` and
`store.atomic()` do), which checks that the proxy points
at this store's database and raises `StoreError` otherwise (a store opened
since took the models over): a read never silently answers from another store.

Peewee keeps one connection per thread. A worker thread that used the store
gives its connection back when it ends, through `store.thread_done()`;
nothing outside the store closes `store.db`.

A store opened `read_only` cannot write, whatever asks: SQLite opens the file
through a `mode=ro` URI (which also never checkpoints the WAL into the file, as
the last writable connection closing does), PostgreSQL runs `SET SESSION
CHARACTERISTICS AS TRANSACTION READ ONLY` on every new connection (a statement,
not a startup option: PgBouncer refuses unknown startup options). It is never
migrated: one that needs it is refused.

PostgreSQL connections send TCP keepalives (unless the URL says otherwise), so
a connection to a server that vanished behind a partition fails within about
a minute instead of hanging.

`store.clock` is the time stored timestamps come from (`time.time` unless
given): writes and reads that need "now" and are not given one ask it, so a
test gives the store a clock instead of patching `time.time`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlparse

from peewee import (
    SQL,
    Database,
    DatabaseError,
    ImproperlyConfigured,
    InterfaceError,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
)
from playhouse.db_url import connect, schemes

from r2tui.config.secrets import SecretUrl, revealed, scrub, shown_url
from r2tui.store.migrations import LATEST, StoreTooNew, check_version, locked_transaction, migrate
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
# libpq's TCP keepalives on every PostgreSQL connection, unless the URL sets them:
# a dead peer is noticed after about 30 + 3 x 10 s of silence.
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
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


def db_now(store: Store) -> SQL:
    """Now on the database's clock, in seconds since the epoch, as an SQL
    expression: every process judges a lease or a claim by this one clock, so
    two hosts whose clocks disagree still agree on when it runs out (SQLite's
    is the clock of the one machine it is on)."""
    if store.is_sqlite:
        return SQL("((julianday('now') - 2440587.5) * 86400.0)")
    return SQL("CAST(extract(epoch FROM clock_timestamp()) AS double precision)")


def db_until(store: Store, seconds: float) -> Any:
    """`seconds` from now on the database's clock, as an SQL expression giving
    whole seconds (rounded up), for a claim stored in an integer column."""
    return (db_now(store) + (math.ceil(seconds) + 1)).cast("BIGINT")


class Store:
    """An open, migrated store. Models are bound to it for this process."""

    def __init__(
        self,
        db: Database,
        url: str | SecretUrl,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
    ) -> None:
        self.db = db
        self.url = shown_url(url)  # for messages and logs; the whole URL is not kept
        self.clock = clock  # the time stored timestamps come from
        self.read_only = read_only  # opened so that it cannot write (see the module)

    def now(self) -> int:
        """The store's clock in whole seconds, as timestamps are stored."""
        return int(self.clock())

    def bound(self) -> Store:
        """This store, once it is sure peewee's models query it (see the module's
        docstring): raises StoreError if another store took the models over."""
        if database.obj is not self.db:
            raise StoreError(
                f"the store {self.url} is not the one open in this process; "
                "open it again to read or write it"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.db, SqliteDatabase)

    def write(self) -> contextlib.AbstractContextManager[None]:
        """A transaction for read-then-write work, in which writers queue rather
        than race (see `locked_transaction`)."""
        return locked_transaction(self.bound().db, _PG_WRITE_LOCK_KEY)

    def atomic(self) -> contextlib.AbstractContextManager[object]:
        """A plain transaction (or savepoint, inside one) on this store."""
        return cast("contextlib.AbstractContextManager[object]", self.bound().db.atomic())

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    def fetch(self, query: Any) -> list[tuple[Any, ...]]:
        """All rows of a select as plain tuples, straight from this store's
        cursor: peewee's row wrappers cost more than SQLite's work for the
        thousands of rows a pane refresh reads."""
        # A DB-API cursor: its rows are untyped.
        return cast("list[tuple[Any, ...]]", self.db.execute(query).fetchall())

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """All rows of one SELECT written in SQL with `?` placeholders (PostgreSQL's
        `%s` put in for them): for the reads a pane refresh makes dozens of, where
        building the statement through peewee costs more than running it (about
        half a millisecond each). Plain SQL that both back-ends take alike."""
        if self.db.param != "?":
            sql = sql.replace("?", self.db.param)
        return cast("list[tuple[Any, ...]]", self.db.execute_sql(sql, params).fetchall())

    def thread_done(self) -> None:
        """This thread is done with the store: give its connection back (peewee
        keeps one per thread; a worker thread that ends must not hold one)."""
        self.db.close()


def open_store(
    given: str | SecretUrl,
    source: str = "store URL",
    migrate_now: bool = True,
    clock: Callable[[], float] = time.time,
    read_only: bool = False,
) -> Store:
    """The store at `given`, migrated. The URL is used whole (a password in it or
    in its query connects); every message shows it without them.

    `read_only`: opened so that it cannot write (see the module), and not
    migrated: a store that does not exist or needs migrating is refused."""
    url = revealed(given)
    scheme = urlparse(url).scheme
    if scheme not in schemes:
        raise StoreError(
            f"{source}: unsupported database URL scheme {scheme!r} in {shown_url(url)!r}; "
            "use sqlite:////absolute/path.db or postgresql://user@host:5432/dbname"
        )
    if scheme.startswith("sqlite") and not read_only:
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
    if isinstance(db, PostgresqlDatabase):
        for key, value in PG_KEEPALIVES.items():
            db.connect_params.setdefault(key, value)
    if read_only:
        _read_only(db, source, shown_url(url))
    store = Store(db, url, clock, read_only)
    applied: list[int] = []
    version = LATEST  # what a read-only open finds
    try:
        if store.is_sqlite and not read_only:
            enable_wal(db)
        if migrate_now:
            db.connect(reuse_if_open=True)
            if read_only:
                version = check_version(db)
            else:
                applied = migrate(db)
    except (ImproperlyConfigured, StoreTooNew, DatabaseError, InterfaceError) as exc:
        # Let go of the file or server, and leave the models bound to whatever
        # store this process had open: a failed open must change nothing.
        store.close()
        raise StoreError(scrub(_open_failure(source, scheme, store.url, exc), url)) from None
    if version < LATEST:
        store.close()
        raise StoreError(
            f"{source}: the store {store.url} is at schema version {version} and this r2tui "
            f"needs {LATEST}; --read-only never changes it: run r2tui once without "
            "--read-only to upgrade it"
        )
    if applied:
        log.info("store %s migrated to schema %s", store.url, applied[-1])
    database.initialize(db)
    return store


def _read_only(db: Database, source: str, shown: str) -> None:
    """Make `db` (as connect() made it, not yet connected) unable to write, keeping
    every option the URL gave it."""
    if isinstance(db, SqliteDatabase):
        path = str(db.database)
        if path == ":memory:" or not Path(path).is_file():
            raise StoreError(
                f"{source}: {shown}: no store there; --read-only never creates one: "
                "run r2tui once without --read-only to create it"
            )
        # mode=ro: SQLite refuses every write, and never checkpoints on close. An
        # empty authority ("file://" + an absolute path): a path that starts with
        # "//" is not read as a host. Set in place, not by init(), which would
        # reset the URL's timeout.
        db.database = f"file://{quote(os.path.abspath(path))}?mode=ro"
        db.connect_params["uri"] = True
    elif isinstance(db, PostgresqlDatabase):
        # Every transaction of every new connection read-only.
        # peewee's per-connection hook, set on this database alone (mypy refuses
        # an assignment to a method, hence setattr).
        setattr(db, "_initialize_connection", types.MethodType(_read_only_session, db))  # noqa: B010
    else:
        raise StoreError(
            f"{source}: --read-only is for SQLite and PostgreSQL stores; {shown} is neither"
        )


def _read_only_session(_db: Database, conn: Any) -> None:
    """peewee's hook for a new connection (autocommit, as peewee opens them)."""
    cursor = conn.cursor()
    try:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    finally:
        cursor.close()


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
