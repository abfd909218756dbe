"""The journal repository: writes entries (postings, header, stored balances) and reads them back.

Functions take a :class:`sqlalchemy.Connection` inside the caller's transaction; the
:class:`~creditguard.store.uow.UnitOfWork` is the usual caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from creditguard.ledger.chart import GL, gl_from_code
from creditguard.ledger.journal import JournalEntry, Posting, mirrors, validate
from creditguard.money import InputError
from creditguard.store.db import is_postgres
from creditguard.store.tables import ENTRY_ID_SEQUENCE, gl_balances, journal_entries, postings

__all__ = [
    "DuplicateEntry",
    "account_balances",
    "insert_entry",
    "load_entries",
    "load_entry",
    "stored_balance",
]


class DuplicateEntry(InputError):
    """An entry key already posted with different content."""

    def __init__(self, key: str) -> None:
        super().__init__("key", f"journal entry {key!r} was already posted with other content")
        self.key = key


def _next_entry_id(conn: Connection) -> int:
    if is_postgres(conn):
        return int(conn.execute(text(f"SELECT nextval('{ENTRY_ID_SEQUENCE}')")).scalar_one())
    # SQLite writers are serialised (BEGIN IMMEDIATE), so the next number is free; postings
    # are included in case a failed post left lines in this very transaction.
    top = conn.execute(
        select(
            func.max(
                func.coalesce(select(func.max(journal_entries.c.entry_id)).scalar_subquery(), 0),
                func.coalesce(select(func.max(postings.c.entry_id)).scalar_subquery(), 0),
            )
        )
    ).scalar_one()
    return int(top) + 1


def _same(a: JournalEntry, b: JournalEntry) -> bool:
    return (
        a.business_date == b.business_date
        and a.kind == b.kind
        and a.account_ref == b.account_ref
        and a.reverses == b.reverses
        and a.postings == b.postings
    )


def _check_reversal(conn: Connection, entry: JournalEntry) -> None:
    assert entry.reverses is not None
    original = load_entry(conn, entry.reverses)
    if original is None:
        raise InputError("reverses", f"entry {entry.reverses!r} to reverse does not exist")
    if not mirrors(entry, original):
        raise InputError(
            "reverses", f"entry {entry.key!r} does not exactly reverse {entry.reverses!r}"
        )
    if entry.business_date < original.business_date:
        raise InputError("business_date", "a reversal cannot be dated before the original")
    already = conn.execute(
        select(journal_entries.c.key).where(journal_entries.c.reverses == entry.reverses)
    ).scalar_one_or_none()
    if already is not None:
        raise InputError(
            "reverses", f"entry {entry.reverses!r} was already reversed by {already!r}"
        )


def _upsert_balances(conn: Connection, entry: JournalEntry) -> None:
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for p in entry.postings:
        deltas[(p.gl.value, p.account_ref)] += p.gl.signed(p.debit, p.credit)
    # A fixed order keeps two transactions touching the same rows from deadlocking.
    rows = [{"gl": g, "account_ref": a, "balance": d} for (g, a), d in sorted(deltas.items())]
    insert = postgresql.insert if is_postgres(conn) else sqlite.insert
    stmt = insert(gl_balances)
    stmt = stmt.on_conflict_do_update(
        index_elements=[gl_balances.c.gl, gl_balances.c.account_ref],
        set_={"balance": gl_balances.c.balance + stmt.excluded.balance},
    )
    for row in rows:
        conn.execute(stmt, row)


def insert_entry(conn: Connection, entry: JournalEntry) -> tuple[int, bool]:
    """Post ``entry``: postings, then header, then stored balances. Return (entry_id, created).

    An entry whose key is already posted with identical content is not posted again
    (``created`` is False): replays add nothing (SPEC §7). Identical means same date, kind,
    account, reversal link and postings in order; actor and memo are not compared, so a
    replay by another actor is still a replay. Same key, other content →
    :class:`DuplicateEntry`. A reversal must mirror an existing, not yet reversed entry.
    """
    validate(entry)
    existing = conn.execute(
        select(journal_entries.c.entry_id).where(journal_entries.c.key == entry.key)
    ).scalar_one_or_none()
    if existing is not None:
        stored = load_entry(conn, entry.key)
        assert stored is not None
        if not _same(stored, entry):
            raise DuplicateEntry(entry.key)
        return int(existing), False
    if entry.reverses is not None:
        _check_reversal(conn, entry)
    entry_id = _next_entry_id(conn)
    conn.execute(
        postings.insert(),
        [
            {
                "entry_id": entry_id,
                "line_no": n,
                "gl": p.gl.value,
                "account_ref": p.account_ref,
                "debit": p.debit,
                "credit": p.credit,
            }
            for n, p in enumerate(entry.postings, start=1)
        ],
    )
    conn.execute(
        journal_entries.insert().values(
            entry_id=entry_id,
            key=entry.key,
            business_date=entry.business_date,
            kind=entry.kind,
            account_ref=entry.account_ref,
            actor=entry.actor,
            memo=entry.memo,
            reverses=entry.reverses,
        )
    )
    _upsert_balances(conn, entry)
    return entry_id, True


def _build(headers: Sequence[Any], lines: Sequence[Any]) -> list[JournalEntry]:
    by_entry: dict[int, list[Posting]] = defaultdict(list)
    for r in lines:
        by_entry[r.entry_id].append(
            Posting(gl_from_code(r.gl), r.account_ref, int(r.debit), int(r.credit))
        )
    return [
        JournalEntry(
            key=h.key,
            business_date=h.business_date,
            kind=h.kind,
            account_ref=h.account_ref,
            postings=tuple(by_entry[h.entry_id]),
            actor=h.actor,
            memo=h.memo,
            reverses=h.reverses,
        )
        for h in headers
    ]


def load_entry(conn: Connection, key: str) -> JournalEntry | None:
    """The posted entry with ``key``, or ``None``."""
    header = conn.execute(select(journal_entries).where(journal_entries.c.key == key)).first()
    if header is None:
        return None
    lines = conn.execute(
        select(postings).where(postings.c.entry_id == header.entry_id).order_by(postings.c.line_no)
    ).all()
    return _build([header], lines)[0]


def load_entries(conn: Connection, account_ref: str | None = None) -> list[JournalEntry]:
    """Posted entries in posting order, all or those about ``account_ref``."""
    hq = select(journal_entries).order_by(journal_entries.c.entry_id)
    pq = select(postings).order_by(postings.c.entry_id, postings.c.line_no)
    if account_ref is not None:
        hq = hq.where(journal_entries.c.account_ref == account_ref)
        ids = select(journal_entries.c.entry_id).where(journal_entries.c.account_ref == account_ref)
        pq = pq.where(postings.c.entry_id.in_(ids))
    return _build(conn.execute(hq).all(), conn.execute(pq).all())


def stored_balance(conn: Connection, gl: GL, account_ref: str) -> int:
    """The stored balance of (gl, account_ref); 0 if nothing was ever posted to it."""
    value = conn.execute(
        select(gl_balances.c.balance).where(
            gl_balances.c.gl == gl.value, gl_balances.c.account_ref == account_ref
        )
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def account_balances(conn: Connection, account_ref: str) -> dict[GL, int]:
    """Every stored GL balance of ``account_ref`` (zeros included once touched)."""
    rows = conn.execute(
        select(gl_balances.c.gl, gl_balances.c.balance).where(
            gl_balances.c.account_ref == account_ref
        )
    ).all()
    return {gl_from_code(r.gl): int(r.balance) for r in rows}
