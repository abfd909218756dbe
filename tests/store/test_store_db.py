"""Engine factory: URL resolution, SQLite settings (WAL, foreign keys, BEGIN IMMEDIATE)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from creditguard.money import InputError
from creditguard.store.db import (
    DEFAULT_URL,
    connect,
    is_retryable,
    read_only,
    resolve_url,
    retry,
)


def test_resolve_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDITGUARD_DB", raising=False)
    assert resolve_url(None) == DEFAULT_URL == "sqlite:///creditguard.sqlite"
    monkeypatch.setenv("CREDITGUARD_DB", "sqlite:////tmp/x.sqlite")
    assert resolve_url(None) == "sqlite:////tmp/x.sqlite"
    assert resolve_url("/var/lib/cg.sqlite") == "sqlite:////var/lib/cg.sqlite"
    assert resolve_url("rel/cg.sqlite") == "sqlite:///rel/cg.sqlite"
    assert resolve_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(InputError, match="unsupported database URL scheme 'mysql'"):
        resolve_url("mysql://u@h/db")
    with pytest.raises(InputError, match="empty"):
        resolve_url("  ")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = connect(str(tmp_path / "p.sqlite"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30_000
            # A page cache of 64 MiB (a negative size is KiB) and a checkpoint every 40,000 pages.
            assert conn.execute(text("PRAGMA cache_size")).scalar_one() == -65_536
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 40_000
            assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL: durable
    finally:
        engine.dispose()


def test_sqlite_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    path = tmp_path / "lock.sqlite"
    engine = connect(str(path))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.begin() as conn:
            # The transaction has only read; with BEGIN IMMEDIATE it already holds the write
            # lock, so an outside writer is refused at once (timeout 0).
            conn.execute(text("SELECT COUNT(*) FROM t")).scalar_one()
            outsider = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                    outsider.execute("BEGIN IMMEDIATE")
            finally:
                outsider.close()
        # A read-only connection begins DEFERRED and does not block writers.
        with read_only(engine) as ro:
            assert ro.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == 0
            outsider = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                outsider.execute("BEGIN IMMEDIATE")
                outsider.execute("INSERT INTO t VALUES (1)")
                outsider.execute("COMMIT")
            finally:
                outsider.close()
    finally:
        engine.dispose()


def test_sqlite_writers_wait_for_each_other(tmp_path: Path) -> None:
    engine = connect(str(tmp_path / "wait.sqlite"))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        order: list[str] = []
        holding = threading.Event()

        def slow_writer() -> None:
            with engine.begin() as conn:
                order.append("slow begins")
                holding.set()
                time.sleep(0.3)
                conn.execute(text("INSERT INTO t VALUES (1)"))
                order.append("slow commits")

        t = threading.Thread(target=slow_writer)
        t.start()
        assert holding.wait(timeout=30)
        with engine.begin() as conn:
            # Blocked in BEGIN IMMEDIATE until the slow writer committed (busy timeout).
            order.append("second begins")
            assert conn.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == 1
        t.join()
        assert order == ["slow begins", "slow commits", "second begins"]
    finally:
        engine.dispose()


def test_engine_works_on_both_backends(engine: Engine) -> None:
    assert engine.dialect.name in ("sqlite", "postgresql")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_is_retryable_and_retry() -> None:
    locked = OperationalError("x", {}, sqlite3.OperationalError("database is locked"))
    other = OperationalError("x", {}, sqlite3.OperationalError("no such table: t"))
    assert is_retryable(locked)
    assert not is_retryable(other)
    assert not is_retryable(ValueError("database is locked"))

    class _PgError(Exception):
        sqlstate = "40001"

    assert is_retryable(OperationalError("x", {}, _PgError("could not serialize access")))
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise locked
        return "done"

    assert retry(flaky, base_delay=0.001) == "done"
    assert len(attempts) == 4
    attempts.clear()

    def always_locked() -> str:
        attempts.append(1)
        raise locked

    with pytest.raises(OperationalError):
        retry(always_locked, attempts=3, base_delay=0.001)
    assert len(attempts) == 3
