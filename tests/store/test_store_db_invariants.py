"""The ledger's invariants enforced by the database itself, proved with raw SQL.

Nothing here goes through the ledger code: statements are written by hand, as a careless
script or a buggy module might, and the database must refuse every broken entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from creditguard.store.db import connect
from creditguard.store.migrate import upgrade

INSERT_POSTING = text(
    "INSERT INTO postings (entry_id, line_no, gl, account_ref, debit, credit)"
    " VALUES (:e, :n, :gl, 'L1', :d, :c)"
)
INSERT_HEADER = text(
    "INSERT INTO journal_entries (entry_id, key, business_date, kind, account_ref, actor, memo,"
    " reverses) VALUES (:e, :k, '2026-01-05', 'raw', 'L1', 'sql', '', :r)"
)


def _postings(conn: Any, entry_id: int, lines: list[tuple[int, int]]) -> None:
    for n, (d, c) in enumerate(lines, start=1):
        conn.execute(
            INSERT_POSTING, {"e": entry_id, "n": n, "gl": "1001" if d else "1201", "d": d, "c": c}
        )


def _header(conn: Any, entry_id: int, key: str | None = None, reverses: str | None = None) -> None:
    conn.execute(INSERT_HEADER, {"e": entry_id, "k": key or f"k{entry_id}", "r": reverses})


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_balanced_raw_entry_commits(engine: Engine) -> None:
    with engine.begin() as conn:
        _postings(conn, 1, [(500, 0), (0, 300), (0, 200)])
        _header(conn, 1)
    assert _count(engine, "journal_entries") == 1
    assert _count(engine, "postings") == 3


@pytest.mark.parametrize(
    "lines",
    [
        [(500, 0), (0, 499)],  # debits 5.00, credits 4.99
        [(500, 0)],  # a single posting
        [],  # no postings at all
        [(100, 0), (100, 0)],  # debits only
    ],
    ids=["unbalanced", "one-posting", "no-postings", "debits-only"],
)
def test_broken_header_is_refused(engine: Engine, lines: list[tuple[int, int]]) -> None:
    with pytest.raises(IntegrityError, match="unbalanced journal entry"), engine.begin() as conn:
        _postings(conn, 1, lines)
        _header(conn, 1)
    assert _count(engine, "journal_entries") == 0
    assert _count(engine, "postings") == 0


def test_orphan_postings_fail_at_commit(engine: Engine) -> None:
    conn = engine.connect()
    try:
        tx = conn.begin()
        _postings(conn, 7, [(100, 0), (0, 100)])  # balanced, but no header
        with pytest.raises(IntegrityError):
            tx.commit()
        if tx.is_active:
            tx.rollback()
    finally:
        conn.close()
    assert _count(engine, "postings") == 0


def test_postings_cannot_be_added_after_the_header(engine: Engine) -> None:
    # In the same transaction: header posted, then a third line appended.
    with pytest.raises(IntegrityError, match="already posted"), engine.begin() as conn:
        _postings(conn, 1, [(100, 0), (0, 100)])
        _header(conn, 1)
        conn.execute(INSERT_POSTING, {"e": 1, "n": 3, "gl": "1001", "d": 50, "c": 0})
    # In a later transaction, against a committed entry.
    with engine.begin() as conn:
        _postings(conn, 1, [(100, 0), (0, 100)])
        _header(conn, 1)
    with pytest.raises(IntegrityError, match="already posted"), engine.begin() as conn:
        conn.execute(INSERT_POSTING, {"e": 1, "n": 3, "gl": "1001", "d": 50, "c": 0})
        conn.execute(INSERT_POSTING, {"e": 1, "n": 4, "gl": "1201", "d": 0, "c": 50})
    assert _count(engine, "postings") == 2


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE journal_entries SET memo = 'edited'",
        "DELETE FROM journal_entries",
        "UPDATE postings SET debit = debit + 1 WHERE line_no = 1",
        "UPDATE postings SET account_ref = 'L2'",
        "DELETE FROM postings",
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ],
)
def test_journal_and_audit_are_append_only(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        _postings(conn, 1, [(100, 0), (0, 100)])
        _header(conn, 1)
        conn.execute(
            text(
                "INSERT INTO audit_log (business_date, actor, command) VALUES"
                " ('2026-01-05', 'sql', 'raw')"
            )
        )
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT memo, actor FROM journal_entries")).one() == ("", "sql")
        assert conn.execute(text("SELECT SUM(debit), SUM(credit) FROM postings")).one() == (
            100,
            100,
        )
        assert conn.execute(text("SELECT actor FROM audit_log")).scalar_one() == "sql"


@pytest.mark.postgres
def test_truncate_refused_on_postgres(pg_url: str) -> None:
    engine = connect(pg_url)
    try:
        upgrade(engine)
        for table in ("journal_entries", "postings", "audit_log"):
            with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {table} CASCADE"))
    finally:
        engine.dispose()


@pytest.mark.parametrize(("debit", "credit"), [(0, 0), (5, 5), (-5, 0), (0, -5), (-5, 10)])
def test_posting_needs_exactly_one_positive_side(engine: Engine, debit: int, credit: int) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(INSERT_POSTING, {"e": 1, "n": 1, "gl": "1001", "d": debit, "c": credit})


def test_reversal_link_must_exist_and_is_used_once(engine: Engine) -> None:
    with engine.begin() as conn:
        _postings(conn, 1, [(100, 0), (0, 100)])
        _header(conn, 1, key="orig")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _postings(conn, 2, [(0, 100), (100, 0)])
        _header(conn, 2, key="rev", reverses="no-such-entry")
    with engine.begin() as conn:
        _postings(conn, 2, [(0, 100), (100, 0)])
        _header(conn, 2, key="rev", reverses="orig")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _postings(conn, 3, [(0, 100), (100, 0)])
        _header(conn, 3, key="rev-again", reverses="orig")
    assert _count(engine, "journal_entries") == 2


def test_duplicate_key_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        _postings(conn, 1, [(100, 0), (0, 100)])
        _header(conn, 1, key="same")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _postings(conn, 2, [(100, 0), (0, 100)])
        _header(conn, 2, key="same")


def test_refusals_are_database_errors_not_warnings(engine: Engine) -> None:
    # The refusal aborts the statement; the session can roll back and carry on.
    with engine.connect() as conn:
        tx = conn.begin()
        _postings(conn, 1, [(100, 0), (0, 99)])
        with pytest.raises(DBAPIError):
            _header(conn, 1)
        tx.rollback()
        with conn.begin():
            _postings(conn, 1, [(100, 0), (0, 100)])
            _header(conn, 1)
    assert _count(engine, "journal_entries") == 1
