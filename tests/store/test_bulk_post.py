"""Bulk journal posting: ``insert_entries`` / ``UnitOfWork.post_all`` behave exactly like posting
the entries one at a time with the original per-entry algorithm, in a few statements.

The oracle is the per-entry ``insert_entry`` as it was before bulk posting (copied below,
unchanged apart from names): same ids, created flags, errors, rows and balances.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from creditguard.ledger import GL, JournalEntry, Posting, reversal_of
from creditguard.ledger.journal import mirrors, validate
from creditguard.money import InputError
from creditguard.store import ledger_repo
from creditguard.store.db import is_postgres
from creditguard.store.ledger_repo import DuplicateEntry, insert_entries, load_entry
from creditguard.store.tables import ENTRY_ID_SEQUENCE, gl_balances, journal_entries, postings
from creditguard.store.uow import UnitOfWork

D = date(2026, 3, 2)


# -- the oracle: the per-entry algorithm as it was before bulk posting ---------------------------


def _ref_next_id(conn: Connection) -> int:
    if is_postgres(conn):
        return int(conn.execute(text(f"SELECT nextval('{ENTRY_ID_SEQUENCE}')")).scalar_one())
    top = conn.execute(
        select(
            func.max(
                func.coalesce(select(func.max(journal_entries.c.entry_id)).scalar_subquery(), 0),
                func.coalesce(select(func.max(postings.c.entry_id)).scalar_subquery(), 0),
            )
        )
    ).scalar_one()
    return int(top) + 1


def _ref_same(a: JournalEntry, b: JournalEntry) -> bool:
    return (a.business_date, a.kind, a.account_ref, a.reverses, a.postings) == (
        b.business_date,
        b.kind,
        b.account_ref,
        b.reverses,
        b.postings,
    )


def _ref_insert(conn: Connection, entry: JournalEntry) -> tuple[int, bool]:
    validate(entry)
    existing = conn.execute(
        select(journal_entries.c.entry_id).where(journal_entries.c.key == entry.key)
    ).scalar_one_or_none()
    if existing is not None:
        stored = load_entry(conn, entry.key)
        assert stored is not None
        if not _ref_same(stored, entry):
            raise DuplicateEntry(entry.key)
        return int(existing), False
    if entry.reverses is not None:
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
    entry_id = _ref_next_id(conn)
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
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for p in entry.postings:
        deltas[(p.gl.value, p.account_ref)] += p.gl.signed(p.debit, p.credit)
    ins = postgresql.insert if is_postgres(conn) else sqlite.insert
    stmt = ins(gl_balances)
    stmt = stmt.on_conflict_do_update(
        index_elements=[gl_balances.c.gl, gl_balances.c.account_ref],
        set_={"balance": gl_balances.c.balance + stmt.excluded.balance},
    )
    for (g, a), d in sorted(deltas.items()):
        conn.execute(stmt, {"gl": g, "account_ref": a, "balance": d})
    return entry_id, True


def _ref_insert_all(conn: Connection, entries: Sequence[JournalEntry]) -> list[tuple[int, bool]]:
    return [_ref_insert(conn, e) for e in entries]


# -- helpers -------------------------------------------------------------------------------------


def _entry(key: str, account: str, amount: int, *, day: date = D, actor: str = "t") -> JournalEntry:
    return JournalEntry(
        key,
        day,
        "test",
        account,
        (Posting.dr(GL.PRINCIPAL_CURRENT, account, amount), Posting.cr(GL.CASH, account, amount)),
        actor,
    )


def _snapshot(conn: Connection) -> dict[str, Any]:
    """Journal rows, postings and balances, with entry ids replaced by their rank.

    PostgreSQL sequences are not rolled back, so two runs get different ids; the ranks must
    agree (consecutive ids within one bulk post are checked by hand in a test below).
    """
    headers = conn.execute(select(journal_entries).order_by(journal_entries.c.entry_id)).all()
    rank = {h.entry_id: n for n, h in enumerate(headers)}
    lines = conn.execute(select(postings).order_by(postings.c.entry_id, postings.c.line_no)).all()
    balances = conn.execute(
        select(gl_balances).order_by(gl_balances.c.gl, gl_balances.c.account_ref)
    ).all()
    return {
        "headers": [(rank[h.entry_id], *tuple(h)[1:]) for h in headers],
        "lines": [(rank[r.entry_id], *tuple(r)[1:]) for r in lines],
        "balances": [tuple(b) for b in balances],
        "rank": rank,
    }


def _run(
    engine: Engine,
    fn: Callable[[Connection, Sequence[JournalEntry]], list[tuple[int, bool]]],
    entries: Sequence[JournalEntry],
) -> tuple[Any, Any, dict[str, Any]]:
    """Run ``fn`` in a transaction that is rolled back; return (result, error, snapshot)."""
    with engine.connect() as conn, conn.begin() as tx:
        result: Any = None
        error: Any = None
        try:
            result = fn(conn, entries)
        except InputError as exc:
            error = (type(exc), str(exc))
        snap = _snapshot(conn)
        if result is not None:
            result = [(snap["rank"][i], created) for i, created in result]
        tx.rollback()
    return result, error, snap


def _compare(engine: Engine, entries: Sequence[JournalEntry]) -> tuple[Any, Any, dict[str, Any]]:
    want = _run(engine, _ref_insert_all, entries)
    got = _run(engine, insert_entries, entries)
    assert got[0] == want[0]
    assert got[1] == want[1]
    del got[2]["rank"], want[2]["rank"]
    assert got[2] == want[2]
    return got


@contextmanager
def _count_statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _seed(engine: Engine) -> list[JournalEntry]:
    stored = [_entry("s1", "A1", 500), _entry("s2", "A2", 700), _entry("s3", "A1", 900)]
    with UnitOfWork(engine) as uow:
        uow.post_all(stored)
        uow.post(reversal_of(stored[2], "s3-rev", D, "t"))
    return stored


# -- tests ---------------------------------------------------------------------------------------


def test_bulk_posts_and_balances_by_hand(engine: Engine) -> None:
    entries = [_entry("b1", "A1", 1_000), _entry("b2", "A1", 250), _entry("b3", "A2", 40)]
    with UnitOfWork(engine) as uow:
        ids = uow.post_all(entries)
        # Stored balances: A1 principal 1,000 + 250 = 1,250 (debit normal); cash 1,290 out.
        assert uow.balance(GL.PRINCIPAL_CURRENT, "A1") == 1_250
        assert uow.balance(GL.PRINCIPAL_CURRENT, "A2") == 40
        assert uow.balance(GL.CASH, "A1") == -1_250
        assert [uow.entry(e.key) for e in entries] == entries
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert ids[2] - ids[0] == 2  # one block of consecutive ids


def test_bulk_uses_few_statements_for_many_entries(engine: Engine) -> None:
    entries = [_entry(f"k{i}", f"A{i % 7}", 100 + i) for i in range(200)]
    with _count_statements(engine) as seen, UnitOfWork(engine) as uow:
        uow.post_all(entries)
    writes = [s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]
    # key lookup, id block, postings, headers, balance upserts. The driver may split an
    # executemany into pages, so allow a few extra, but nowhere near one per entry.
    assert len(writes) <= 10, writes
    with UnitOfWork(engine) as uow:
        assert uow.balance(GL.PRINCIPAL_CURRENT, "A3") == sum(
            100 + i for i in range(200) if i % 7 == 3
        )


def test_replays_inside_and_across_batches(engine: Engine) -> None:
    stored = _seed(engine)
    with engine.connect() as conn:
        s1_id = conn.execute(
            select(journal_entries.c.entry_id).where(journal_entries.c.key == "s1")
        ).scalar_one()
    fresh = _entry("n1", "A3", 60)
    # A replay by another actor is still a replay.
    result, error, _ = _compare(engine, [replace_actor(stored[0]), fresh, fresh, stored[1]])
    assert error is None
    assert [created for _i, created in result] == [False, True, False, False]
    assert result[1][0] == result[2][0]
    with UnitOfWork(engine) as uow:
        ids = uow.post_all([stored[0], fresh, fresh])
    assert ids[0] == s1_id and ids[1] == ids[2]


def replace_actor(entry: JournalEntry) -> JournalEntry:
    return JournalEntry(
        entry.key,
        entry.business_date,
        entry.kind,
        entry.account_ref,
        entry.postings,
        "someone-else",
        "other memo",
        entry.reverses,
    )


@pytest.mark.parametrize(
    "case",
    [
        "dup-stored",
        "dup-in-batch",
        "unbalanced",
        "reverse-missing",
        "reverse-twice-stored",
        "reverse-twice-in-batch",
        "reverse-not-mirror",
        "reverse-before-original",
    ],
)
def test_refusals_match_one_by_one(engine: Engine, case: str) -> None:
    stored = _seed(engine)
    ok = _entry("ok1", "A5", 10)
    new = _entry("new1", "A6", 33, day=D + timedelta(days=5))
    bad: list[JournalEntry] = {
        "dup-stored": [_entry("s1", "A1", 501)],
        "dup-in-batch": [new, _entry("new1", "A6", 34)],
        "unbalanced": [
            JournalEntry(
                "u1",
                D,
                "test",
                "A1",
                (Posting.dr(GL.CASH, "A1", 5), Posting.cr(GL.CASH, "A1", 4)),
                "t",
            )
        ],
        "reverse-missing": [reversal_of(_entry("ghost", "A1", 5), "g-rev", D, "t")],
        "reverse-twice-stored": [reversal_of(stored[2], "s3-rev2", D, "t")],
        "reverse-twice-in-batch": [
            reversal_of(stored[0], "s1-rev", D, "t"),
            reversal_of(stored[0], "s1-rev2", D, "t"),
        ],
        "reverse-not-mirror": [
            JournalEntry(
                "bad-rev",
                D,
                "reversal",
                "A1",
                (Posting.cr(GL.PRINCIPAL_CURRENT, "A1", 1), Posting.dr(GL.CASH, "A1", 1)),
                "t",
                reverses="s1",
            )
        ],
        "reverse-before-original": [
            new,
            JournalEntry(
                "new1-rev",
                D,  # five days before the entry it mirrors
                "reversal:test",
                "A6",
                tuple(p.swapped() for p in new.postings),
                "t",
                reverses="new1",
            ),
        ],
    }[case]
    _result, error, snap = _compare(engine, [ok, *bad, _entry("after", "A7", 1)])
    assert error is not None
    # What came before the refused entry is posted (in the still-open transaction).
    keys = {h[1] for h in snap["headers"]}
    assert "ok1" in keys and "after" not in keys


def test_reversal_of_an_entry_in_the_same_batch(engine: Engine) -> None:
    _seed(engine)
    new = _entry("x1", "A9", 77)
    result, error, snap = _compare(
        engine,
        [
            new,
            reversal_of(new, "x1-rev", D, "t"),
            reversal_of(_entry("s1", "A1", 500), "s1-rev", D, "t"),
        ],
    )
    assert error is None and all(created for _i, created in result)
    by_key = {(b[0], b[1]): b[2] for b in snap["balances"]}
    # 77 posted and reversed: the rows exist with a zero balance; s1's 500 reversed too.
    assert by_key[(GL.PRINCIPAL_CURRENT.value, "A9")] == 0
    assert by_key[(GL.PRINCIPAL_CURRENT.value, "A1")] == 0  # s1 500 + s3 900 − 900 − 500


def test_post_all_empty_is_a_no_op(engine: Engine) -> None:
    with _count_statements(engine) as seen, UnitOfWork(engine) as uow:
        assert uow.post_all([]) == []
    assert not [s for s in seen if "journal" in s or "postings" in s]


_accounts = st.sampled_from(["A1", "A2", "A3"])


@st.composite
def _ops(draw: st.DrawFn) -> list[JournalEntry]:
    """A mix of new entries, replays, conflicting keys and reversals (valid or not)."""
    pool: list[JournalEntry] = [_entry("s1", "A1", 500), _entry("s2", "A2", 700)]
    out: list[JournalEntry] = []
    for n in range(draw(st.integers(1, 8))):
        choice = draw(st.sampled_from(["new", "new", "replay", "conflict", "reverse"]))
        if choice == "new" or not pool:
            e = _entry(f"h{n}", draw(_accounts), draw(st.integers(1, 10_000)))
            pool.append(e)
        elif choice == "replay":
            e = draw(st.sampled_from(pool))
        elif choice == "conflict":
            base = draw(st.sampled_from(pool))
            e = _entry(base.key, base.account_ref, base.postings[0].debit + 1)
        else:
            base = draw(st.sampled_from(pool))
            e = reversal_of(base, f"{base.key}-r{n % 2}", D, "t")
        out.append(e)
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_ops())
def test_bulk_equals_one_by_one_property(engine: Engine, entries: list[JournalEntry]) -> None:
    with engine.connect() as conn:
        seeded = conn.execute(select(func.count()).select_from(journal_entries)).scalar_one()
    if not seeded:
        _seed(engine)
    _compare(engine, entries)


def test_single_insert_entry_still_works(engine: Engine) -> None:
    with engine.connect() as conn, conn.begin():
        first = ledger_repo.insert_entry(conn, _entry("one", "A1", 5))
        again = ledger_repo.insert_entry(conn, _entry("one", "A1", 5))
        assert first[1] is True and again == (first[0], False)
        with pytest.raises(DuplicateEntry):
            ledger_repo.insert_entry(conn, _entry("one", "A1", 6))
