"""The journal repository: writes entries (postings, header, stored balances) and reads them back.

Functions take a :class:`sqlalchemy.Connection` inside the caller's transaction; the
:class:`~creditguard.store.uow.UnitOfWork` is the usual caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from creditguard.ledger.chart import GL, gl_from_code
from creditguard.ledger.journal import JournalEntry, Posting, mirrors, validate
from creditguard.money import InputError
from creditguard.store.db import is_postgres
from creditguard.store.fastsql import Fast
from creditguard.store.tables import ENTRY_ID_SEQUENCE, gl_balances, journal_entries, postings

__all__ = [
    "DuplicateEntry",
    "account_balances",
    "insert_entries",
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


def _entry_ids(conn: Connection, n: int) -> list[int]:
    """``n`` fresh entry ids in ascending order (one statement for all of them)."""
    if n == 0:
        return []
    if is_postgres(conn):
        rows = _PG_ID_BLOCK.rows(conn, {"n": n})
        return sorted(int(r[0]) for r in rows)
    # SQLite writers are serialised (BEGIN IMMEDIATE), so the next numbers are free. Every
    # header has its postings (trigger), so the postings' maximum covers the headers, and it
    # also covers lines a failed post may have left in this very transaction.
    top = _SQLITE_MAX_ID.scalar(conn)
    first = int(top) + 1
    return list(range(first, first + n))


_PG_ID_BLOCK = Fast(text(f"SELECT nextval('{ENTRY_ID_SEQUENCE}') FROM generate_series(1, :n)"))
_SQLITE_MAX_ID = Fast(
    select(
        func.max(
            func.coalesce(select(func.max(journal_entries.c.entry_id)).scalar_subquery(), 0),
            func.coalesce(select(func.max(postings.c.entry_id)).scalar_subquery(), 0),
        )
    )
)


def _same(a: JournalEntry, b: JournalEntry) -> bool:
    return (
        a.business_date == b.business_date
        and a.kind == b.kind
        and a.account_ref == b.account_ref
        and a.reverses == b.reverses
        and a.postings == b.postings
    )


def _balance_stmt(conn: Connection) -> Any:
    insert = postgresql.insert if is_postgres(conn) else sqlite.insert
    stmt = insert(gl_balances).values(
        gl=bindparam("gl"), account_ref=bindparam("account_ref"), balance=bindparam("balance")
    )
    return Fast(
        stmt.on_conflict_do_update(
            index_elements=[gl_balances.c.gl, gl_balances.c.account_ref],
            set_={"balance": gl_balances.c.balance + stmt.excluded.balance},
        )
    )


_BALANCE_UPSERT: dict[str, Fast] = {}


def _upsert_balances(conn: Connection, entries: Sequence[JournalEntry]) -> None:
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        for p in entry.postings:
            deltas[(p.gl.value, p.account_ref)] += p.gl.signed(p.debit, p.credit)
    if not deltas:
        return
    # A fixed order keeps two transactions touching the same rows from deadlocking. Summing
    # the deltas per row first gives the same balances as one upsert per entry and posting
    # (a row touched with a net zero is still created, as it would be one entry at a time).
    rows = [{"gl": g, "account_ref": a, "balance": d} for (g, a), d in sorted(deltas.items())]
    name = conn.dialect.name
    stmt = _BALANCE_UPSERT.get(name)
    if stmt is None:
        stmt = _BALANCE_UPSERT[name] = _balance_stmt(conn)
    stmt.executemany(conn, rows)


def _stored_entries(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, JournalEntry]]:
    """Posted entries by key (with their ids), for those of ``keys`` that exist."""
    found: dict[str, tuple[int, JournalEntry]] = {}
    unique = sorted(set(keys))
    for chunk in _chunks(unique):
        headers = conn.execute(_SELECT_HEADERS, {"keys": list(chunk)}).all()
        if not headers:
            continue
        ids = [h.entry_id for h in headers]
        lines = conn.execute(_SELECT_LINES, {"ids": ids}).all()
        for h, entry in zip(headers, _build(headers, lines), strict=True):
            found[entry.key] = (int(h.entry_id), entry)
    return found


def _reversed_by(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    """For those of ``keys`` already reversed: the key of the reversing entry."""
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(set(keys))):
        rows = conn.execute(_SELECT_REVERSED, {"keys": list(chunk)}).all()
        out.update({str(r.reverses): str(r.key) for r in rows})
    return out


_SELECT_HEADERS = select(journal_entries).where(
    journal_entries.c.key.in_(bindparam("keys", expanding=True))
)
_SELECT_LINES = (
    select(postings)
    .where(postings.c.entry_id.in_(bindparam("ids", expanding=True)))
    .order_by(postings.c.entry_id, postings.c.line_no)
)
_SELECT_REVERSED = select(journal_entries.c.reverses, journal_entries.c.key).where(
    journal_entries.c.reverses.in_(bindparam("keys", expanding=True))
)
_SELECT_KEY_ID = Fast(
    select(journal_entries.c.entry_id).where(journal_entries.c.key == bindparam("key"))
)
_SELECT_KEY_IDS = select(journal_entries.c.key, journal_entries.c.entry_id).where(
    journal_entries.c.key.in_(bindparam("keys", expanding=True))
)
_IN_CHUNK = 500  # bound parameters per IN list (SQLite allows 32766; keeps statements small)


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _IN_CHUNK] for i in range(0, len(items), _IN_CHUNK)]


def _key_ids(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    """Entry ids of those of ``keys`` already posted."""
    unique = sorted(set(keys))
    if len(unique) == 1:  # one command's entry: a plain equality, no IN list to expand
        found = _SELECT_KEY_ID.scalar(conn, {"key": unique[0]})
        return {} if found is None else {unique[0]: int(found)}
    out: dict[str, int] = {}
    for chunk in _chunks(unique):
        rows = conn.execute(_SELECT_KEY_IDS, {"keys": list(chunk)}).all()
        out.update({str(r.key): int(r.entry_id) for r in rows})
    return out


def _reversal_error(
    entry: JournalEntry, original: JournalEntry | None, already: str | None
) -> InputError | None:
    """The error :func:`insert_entry` raises for this reversal, or ``None`` if it is valid."""
    if original is None:
        return InputError("reverses", f"entry {entry.reverses!r} to reverse does not exist")
    if not mirrors(entry, original):
        return InputError(
            "reverses", f"entry {entry.key!r} does not exactly reverse {entry.reverses!r}"
        )
    if entry.business_date < original.business_date:
        return InputError("business_date", "a reversal cannot be dated before the original")
    if already is not None:
        return InputError(
            "reverses", f"entry {entry.reverses!r} was already reversed by {already!r}"
        )
    return None


def insert_entry(conn: Connection, entry: JournalEntry) -> tuple[int, bool]:
    """Post ``entry``: postings, then header, then stored balances. Return (entry_id, created).

    An entry whose key is already posted with identical content is not posted again
    (``created`` is False): replays add nothing (SPEC §7). Identical means same date, kind,
    account, reversal link and postings in order; actor and memo are not compared, so a
    replay by another actor is still a replay. Same key, other content →
    :class:`DuplicateEntry`. A reversal must mirror an existing, not yet reversed entry.
    """
    return insert_entries(conn, [entry])[0]


def insert_entries(conn: Connection, entries: Sequence[JournalEntry]) -> list[tuple[int, bool]]:
    """Post ``entries`` in order, exactly as :func:`insert_entry` one by one, in few statements.

    Per entry the result is (entry_id, created), with :func:`insert_entry`'s rules: a key
    already posted (before, or earlier in ``entries``) with identical content is a replay
    (not created, the existing id); with other content :class:`DuplicateEntry`; a reversal
    must mirror an existing entry (posted before or earlier in ``entries``) not yet reversed.
    If entry *i* is refused, entries before it are posted and the error propagates, as a loop
    of :func:`insert_entry` calls would leave them.

    Statements: one key lookup, one entry-id block (PostgreSQL: ``nextval`` over
    ``generate_series``; SQLite: the next free numbers), then one batch each for postings,
    headers and balance upserts; replays and reversals add one or two lookups.
    """
    entries = list(entries)
    if not entries:
        return []
    keys = [e.key for e in entries]
    existing = _key_ids(conn, keys)
    reversed_keys = [e.reverses for e in entries if e.reverses is not None]
    stored: dict[str, tuple[int, JournalEntry]] = {}
    if existing or reversed_keys:
        stored = _stored_entries(conn, [*existing, *reversed_keys])
    already = _reversed_by(conn, reversed_keys) if reversed_keys else {}
    fresh: dict[str, int] = {}  # key → index in ``entries`` of the entries this call creates
    # Per entry: (id of an entry posted before this call, or None: one created by it; created)
    plan: list[tuple[int | None, bool]] = []
    error: BaseException | None = None
    for i, entry in enumerate(entries):
        try:
            validate(entry)
            if entry.key in fresh:
                if not _same(entries[fresh[entry.key]], entry):
                    raise DuplicateEntry(entry.key)
                plan.append((None, False))  # a replay of an entry created just before
                continue
            if entry.key in existing:
                if not _same(stored[entry.key][1], entry):
                    raise DuplicateEntry(entry.key)
                plan.append((existing[entry.key], False))
                continue
            if entry.reverses is not None:
                target = entry.reverses
                original: JournalEntry | None = None
                if target in fresh:
                    original = entries[fresh[target]]
                elif target in stored:
                    original = stored[target][1]
                problem = _reversal_error(entry, original, already.get(target))
                if problem is not None:
                    raise problem
                already[target] = entry.key
            fresh[entry.key] = i
            plan.append((None, True))
        except Exception as exc:  # posted what came before, as one-by-one would
            error = exc
            break
    new = [entries[i] for i in fresh.values()]
    ids = _entry_ids(conn, len(new))
    id_of = {e.key: n for e, n in zip(new, ids, strict=True)}
    if new:
        _INSERT_POSTINGS.executemany(
            conn,
            [
                {
                    "entry_id": id_of[e.key],
                    "line_no": n,
                    "gl": p.gl.value,
                    "account_ref": p.account_ref,
                    "debit": p.debit,
                    "credit": p.credit,
                }
                for e in new
                for n, p in enumerate(e.postings, start=1)
            ],
        )
        _INSERT_HEADERS.executemany(
            conn,
            [
                {
                    "entry_id": id_of[e.key],
                    "key": e.key,
                    "business_date": e.business_date,
                    "kind": e.kind,
                    "account_ref": e.account_ref,
                    "actor": e.actor,
                    "memo": e.memo,
                    "reverses": e.reverses,
                }
                for e in new
            ],
        )
        _upsert_balances(conn, new)
    if error is not None:
        raise error
    return [
        (id_of[entry.key] if known is None else known, created)
        for (known, created), entry in zip(plan, entries, strict=True)
    ]


_POSTING_COLUMNS = ("entry_id", "line_no", "gl", "account_ref", "debit", "credit")
_HEADER_COLUMNS = (
    "entry_id", "key", "business_date", "kind", "account_ref", "actor", "memo", "reverses",
)  # fmt: skip
_INSERT_POSTINGS = Fast(postings.insert().values({c: bindparam(c) for c in _POSTING_COLUMNS}))
_INSERT_HEADERS = Fast(journal_entries.insert().values({c: bindparam(c) for c in _HEADER_COLUMNS}))


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
