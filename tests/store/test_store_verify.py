"""verify_ledger, the trial balance by business date, and the ledger digest."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text

from creditguard.ledger import GL, JournalEntry, Posting, reversal_of
from creditguard.store.db import connect
from creditguard.store.digest import ledger_digest
from creditguard.store.migrate import upgrade
from creditguard.store.uow import UnitOfWork
from creditguard.store.verify import Mismatch, trial_balance, verify_ledger

D1, D2, D3 = date(2026, 1, 1), date(2026, 1, 15), date(2026, 2, 1)


def _entries() -> list[JournalEntry]:
    disb = JournalEntry(
        "L1|disburse",
        D1,
        "disburse",
        "L1",
        (Posting.dr(GL.PRINCIPAL_CURRENT, "L1", 300_000), Posting.cr(GL.CASH, "L1", 300_000)),
        "cli",
    )
    accrue = JournalEntry(
        "L1|accrue",
        D2,
        "accrual:interest",
        "L1",
        (
            Posting.dr(GL.INTEREST_RECEIVABLE, "L1", 4_500),
            Posting.cr(GL.INTEREST_INCOME, "L1", 4_500),
        ),
        "eod",
    )
    repay = JournalEntry(
        "L1|repay",
        D3,
        "repay",
        "L1",
        (
            Posting.dr(GL.CASH, "L1", 104_500),
            Posting.cr(GL.INTEREST_RECEIVABLE, "L1", 4_500),
            Posting.cr(GL.PRINCIPAL_CURRENT, "L1", 100_000),
        ),
        "cli",
    )
    fee = JournalEntry(
        "A|fee",
        D2,
        "fee",
        "A",
        (Posting.dr(GL.FEE_RECEIVABLE, "A", 2_500), Posting.cr(GL.FEE_INCOME, "A", 2_500)),
        "eod",
    )
    return [disb, accrue, fee, repay]


def _load(engine: Engine, entries: list[JournalEntry] | None = None) -> None:
    with UnitOfWork(engine) as uow:
        uow.post_all(entries if entries is not None else _entries())


def test_clean_ledger_verifies(engine: Engine) -> None:
    _load(engine)
    assert verify_ledger(engine) == []


def test_tampered_stored_balance_is_named(engine: Engine) -> None:
    _load(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE gl_balances SET balance = balance + 1"
                " WHERE gl = '1201' AND account_ref = 'L1'"
            )
        )
    mismatches = verify_ledger(engine)
    # Principal: 3000.00 disbursed - 1000.00 repaid = 2000.00 derived; stored was bumped by 0.01.
    assert mismatches == [Mismatch("balance", "1201", "L1", 200_001, 200_000)]
    assert str(mismatches[0]) == (
        "GL 1201 account 'L1': stored 2000.01, derived from postings 2000.00"
    )


def test_missing_and_extra_balance_rows_are_named(engine: Engine) -> None:
    _load(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM gl_balances WHERE gl = '4002' AND account_ref = 'A'"))
        conn.execute(text("INSERT INTO gl_balances VALUES ('1001', 'ghost', 77)"))
        conn.execute(text("INSERT INTO gl_balances VALUES ('8888', 'A', 1)"))
    assert verify_ledger(engine) == [
        Mismatch("unknown-gl", "8888", "A", 1, 0),
        Mismatch("balance", "1001", "ghost", 77, 0),
        Mismatch("balance", "4002", "A", 0, 2_500),
    ]


def _drop_balance_trigger(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("ALTER TABLE journal_entries DISABLE TRIGGER trg_journal_entries_balanced")
            )
        else:
            conn.execute(text("DROP TRIGGER trg_journal_entries_balanced"))


def test_unbalanced_entry_found_when_the_database_guard_was_removed(engine: Engine) -> None:
    # verify_ledger is an independent check: with the trigger gone, a bad entry gets in, and
    # verify names it.
    _drop_balance_trigger(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO postings VALUES"
                " (1, 1, '1001', 'X', 500, 0), (1, 2, '4002', 'X', 0, 400)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO journal_entries VALUES"
                " (1, 'bad', '2026-01-01', 'raw', 'X', 'sql', '', NULL)"
            )
        )
        conn.execute(text("INSERT INTO gl_balances VALUES ('1001', 'X', 500), ('4002', 'X', 400)"))
    assert verify_ledger(engine) == [Mismatch("unbalanced-entry", "", "X", 500, 400, "bad")]


def test_trial_balance_by_business_date(engine: Engine) -> None:
    _load(engine)
    before = trial_balance(engine, date(2025, 12, 31))
    assert before.lines == () and before.balanced
    tb1 = trial_balance(engine, D1)
    assert (tb1.debits, tb1.credits) == (300_000, 300_000)
    assert tb1.balance(GL.CASH) == -300_000
    tb2 = trial_balance(engine, D2)
    # D2 adds the 45.00 accrual and the 25.00 fee: 3000.00 + 45.00 + 25.00 = 3070.00 each side.
    assert (tb2.debits, tb2.credits, tb2.balanced) == (307_000, 307_000, True)
    assert tb2.balance(GL.INTEREST_RECEIVABLE) == 4_500
    tb3 = trial_balance(engine, D3)
    # D3 adds the repayment 1045.00: 3070.00 + 1045.00 = 4115.00.
    assert (tb3.debits, tb3.credits) == (411_500, 411_500)
    assert tb3.balance(GL.INTEREST_RECEIVABLE) == 0
    assert tb3.balance(GL.PRINCIPAL_CURRENT) == 200_000
    assert tb3.balance(GL.CASH) == -300_000 + 104_500
    assert [line.gl for line in tb3.lines] == [
        GL.CASH,
        GL.PRINCIPAL_CURRENT,
        GL.INTEREST_RECEIVABLE,
        GL.FEE_RECEIVABLE,
        GL.INTEREST_INCOME,
        GL.FEE_INCOME,
    ]


def test_digest_is_stable_and_backend_independent(engine: Engine, tmp_path: object) -> None:
    _load(engine)
    digest = ledger_digest(engine)
    assert digest == ledger_digest(engine)
    assert len(digest) == 64
    # The same journal built in a separate SQLite file gives the same digest, whichever backend
    # `engine` is.
    other = connect(f"sqlite:///{tmp_path}/other.sqlite")
    try:
        upgrade(other)
        _load(other)
        assert ledger_digest(other) == digest
        # Posting order is part of the default digest, not of the key-ordered one.
        third = connect(f"sqlite:///{tmp_path}/third.sqlite")
        upgrade(third)
        _load(third, list(reversed(_entries())))
        assert ledger_digest(third) != digest
        assert ledger_digest(third, order="key") == ledger_digest(engine, order="key")
        third.dispose()
    finally:
        other.dispose()


def test_digest_changes_with_any_new_entry(engine: Engine) -> None:
    empty = ledger_digest(engine)
    _load(engine)
    loaded = ledger_digest(engine)
    assert loaded != empty
    with UnitOfWork(engine) as uow:
        uow.post(reversal_of(_entries()[2], "A|fee|rev", D3, "ops"))
    assert ledger_digest(engine) not in (empty, loaded)


@pytest.mark.parametrize("memo", ["a", "b"])
def test_digest_covers_the_memo(engine: Engine, memo: str, tmp_path: object) -> None:
    entry = JournalEntry(
        "k",
        D1,
        "x",
        "A",
        (Posting.dr(GL.CASH, "A", 1), Posting.cr(GL.FEE_INCOME, "A", 1)),
        "t",
        memo=memo,
    )
    _load(engine, [entry])
    plain = connect(f"sqlite:///{tmp_path}/plain.sqlite")
    try:
        upgrade(plain)
        _load(plain, [JournalEntry("k", D1, "x", "A", entry.postings, "t", memo="")])
        assert ledger_digest(plain) != ledger_digest(engine)
    finally:
        plain.dispose()


def test_orphan_postings_written_with_constraints_off_are_named(engine: Engine) -> None:
    # Foreign keys can be switched off by a careless client (SQLite: per connection;
    # PostgreSQL: session_replication_role as superuser). verify_ledger still sees the lines.
    if engine.dialect.name == "sqlite":
        import sqlite3

        raw = sqlite3.connect(engine.url.database or "", isolation_level=None)
        try:
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("INSERT INTO postings VALUES (42, 1, '1001', 'X', 300, 0)")
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("INSERT INTO postings VALUES (42, 1, '1001', 'X', 300, 0)"))
    assert verify_ledger(engine) == [
        Mismatch("balance", "1001", "X", 0, 300),
        Mismatch("unbalanced-entry", "", "X", 300, 0, "(no header: entry_id 42)"),
    ]
