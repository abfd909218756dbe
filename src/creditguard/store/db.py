"""Engines for SQLite (the embedded default) and PostgreSQL (by URL).

SQLite is configured for a ledger: WAL journal (readers never block the writer), foreign keys
on (the journal's balance rule relies on a deferred foreign key), a busy timeout, and every
transaction begins ``IMMEDIATE`` — it takes the write lock at ``BEGIN``, so two commands never
both read a balance and then fail to upgrade their lock, which is the classic SQLite deadlock.
This is SQLAlchemy's documented pysqlite recipe: switch off pysqlite's own transaction handling
and emit ``BEGIN`` ourselves. A read-only connection may ask for a deferred ``BEGIN`` with the
execution option ``sqlite_begin="DEFERRED"`` (see :func:`read_only`).

PostgreSQL uses psycopg 3 at READ COMMITTED; balance updates are atomic upserts and per-account
commands take an advisory lock (see :class:`creditguard.store.uow.UnitOfWork`).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from creditguard.money import InputError
from creditguard.store.jsonutil import canonical_json

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "connect",
    "is_postgres",
    "is_retryable",
    "is_sqlite",
    "read_only",
    "resolve_url",
    "retry",
]

ENV_VAR = "CREDITGUARD_DB"
DEFAULT_URL = "sqlite:///creditguard.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = -65_536  # negative: a size in KiB, not in pages (SQLite's convention)
SQLITE_CHECKPOINT_PAGES = 40_000  # ~160 MB of WAL between automatic checkpoints (D13)
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})

T = TypeVar("T")


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: ``url``, else ``$CREDITGUARD_DB``, else the default SQLite file.

    A bare path (no ``://``) means a SQLite file; ``postgresql://`` and ``postgres://`` mean
    psycopg 3 (``postgresql+psycopg://``). Anything else is refused with an ``InputError``.
    """
    raw = url if url is not None else os.environ.get(ENV_VAR) or DEFAULT_URL
    raw = raw.strip()
    if not raw:
        raise InputError("db", "the database URL is empty")
    if "://" not in raw:
        return f"sqlite:///{raw}"
    scheme, _, rest = raw.partition("://")
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        return raw
    raise InputError(
        "db", f"unsupported database URL scheme {scheme!r}: use sqlite:///PATH or postgresql://…"
    )


def connect(url: str | None = None, *, echo: bool = False, durable: bool = True) -> Engine:
    """An engine for ``url`` (see :func:`resolve_url`), configured as the module docstring says.

    ``durable=False`` (SQLite only) skips the fsync at commit: for throwaway databases — a
    replay's, a test's — where losing the last commits on a power cut costs nothing.
    """
    resolved = resolve_url(url)
    backend = make_url(resolved).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(resolved, echo=echo, json_serializer=canonical_json)
        _configure_sqlite(engine, durable=durable)
        return engine
    if backend == "postgresql":
        return create_engine(resolved, echo=echo, json_serializer=canonical_json)
    raise InputError("db", f"unsupported database backend {backend!r}")  # pragma: no cover


def _configure_sqlite(engine: Engine, *, durable: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Disable pysqlite's implicit BEGIN; _on_begin emits our own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # SQLite's default page cache is 2 MB; a book's accounts, obligations and indexes
            # are read every day, so keep up to 64 MB of pages per connection (docs/decisions.md).
            cursor.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
            # A batch rewrites the same account pages again and again; checkpointing less often
            # copies each page back to the database once instead of once per 1,000 WAL pages.
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
            if not durable:
                cursor.execute("PRAGMA synchronous=OFF")
        finally:
            cursor.close()

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy sees these connections as autocommit and skips its rollback-on-return;
        # a COMMIT refused by a deferred foreign key would leave the transaction open.
        if dbapi_connection is not None and dbapi_connection.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = str(conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"sqlite_begin must be one of {sorted(_BEGIN_MODES)}, not {mode}")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(bind: Engine | Connection) -> bool:
    """Whether ``bind`` talks to SQLite."""
    return bind.dialect.name == "sqlite"


def is_postgres(bind: Engine | Connection) -> bool:
    """Whether ``bind`` talks to PostgreSQL."""
    return bind.dialect.name == "postgresql"


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection in one consistent read transaction that takes no write lock.

    SQLite: ``BEGIN DEFERRED`` (a WAL snapshot from the first read). PostgreSQL: a
    ``REPEATABLE READ READ ONLY`` transaction, so several queries see one snapshot.
    """
    with engine.connect() as conn:
        if is_sqlite(conn):
            conn = conn.execution_options(sqlite_begin="DEFERRED")
        else:
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with conn.begin():
            yield conn


_PG_RETRYABLE = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is a transient conflict worth retrying the whole transaction for.

    SQLite "database is locked"/"busy" (the busy timeout ran out) and PostgreSQL serialization
    failures and deadlocks.
    """
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_RETRYABLE:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text


def retry(
    fn: Callable[[], T],
    *,
    attempts: int = 8,
    base_delay: float = 0.01,
    max_delay: float = 0.5,
) -> T:
    """Call ``fn`` (one whole transaction) again on transient conflicts, with jittered backoff.

    ``fn`` must open and commit its own transaction so a retry starts from scratch; anything
    but a retryable error (see :func:`is_retryable`) propagates at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            # Jitter spreads out writers that collided, so they do not collide again.
            time.sleep(delay * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
