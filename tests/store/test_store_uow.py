"""The unit of work: posting, stored balances, reversals, business date, audit, outbox, rollback."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from creditguard.ledger import GL, JournalEntry, Posting, UnbalancedEntry, entry_key, reversal_of
from creditguard.money import InputError
from creditguard.store.uow import (
    BusinessDateNotSet,
    DuplicateEntry,
    UnitOfWork,
    transact,
)
from creditguard.store.verify import verify_ledger

D1 = date(2026, 1, 5)
D2 = date(2026, 1, 6)

TABLES = (
    "journal_entries",
    "postings",
    "gl_balances",
    "audit_log",
    "outbox_events",
    "idempotency_keys",
    "system_state",
)


def _disburse(key: str = "L1|2026-01-05|disburse", amount: int = 100_000) -> JournalEntry:
    return JournalEntry(
        key,
        D1,
        "disburse",
        "L1",
        (Posting.dr(GL.PRINCIPAL_CURRENT, "L1", amount), Posting.cr(GL.CASH, "L1", amount)),
        "cli",
    )


def _repay(key: str, principal: int, interest: int) -> JournalEntry:
    return JournalEntry(
        key,
        D2,
        "repay",
        "L1",
        (
            Posting.dr(GL.CASH, "L1", principal + interest),
            Posting.cr(GL.INTEREST_INCOME, "L1", interest),
            Posting.cr(GL.PRINCIPAL_CURRENT, "L1", principal),
        ),
        "cli",
    )


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TABLES
        }


def test_post_updates_stored_balances(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        first = uow.post(_disburse())
        second = uow.post(_repay("r1", principal=30_000, interest=1_500))
        assert second > first
        # Inside the transaction the balances are already visible.
        assert uow.balance(GL.PRINCIPAL_CURRENT, "L1") == 100_000 - 30_000
    with UnitOfWork(engine) as uow:
        # By hand: cash -1000.00 + 315.00 = -685.00; principal 700.00; interest income 15.00.
        assert uow.balances("L1") == {
            GL.CASH: -68_500,
            GL.PRINCIPAL_CURRENT: 70_000,
            GL.INTEREST_INCOME: 1_500,
        }
        assert uow.balance(GL.FEE_INCOME, "L1") == 0
        assert uow.entry("r1") == _repay("r1", principal=30_000, interest=1_500)
        assert [e.key for e in uow.entries("L1")] == ["L1|2026-01-05|disburse", "r1"]
        assert uow.entries("nobody") == []
        assert uow.entry("missing") is None
    assert verify_ledger(engine) == []


def test_replaying_an_entry_posts_nothing(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        entry_id = uow.post(_disburse())
    before = _counts(engine)
    with UnitOfWork(engine) as uow:
        assert uow.post(_disburse()) == entry_id
        # A replay by another actor, with another memo, is still the same entry.
        replay = dataclasses.replace(_disburse(), actor="eod-rerun", memo="after crash")
        assert uow.post(replay) == entry_id
        assert uow.balance(GL.PRINCIPAL_CURRENT, "L1") == 100_000
    assert _counts(engine) == before


def test_same_key_other_content_is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.post(_disburse())
    with (
        pytest.raises(DuplicateEntry, match="already posted with other content"),
        UnitOfWork(engine) as uow,
    ):
        uow.post(_disburse(amount=100_001))
    with UnitOfWork(engine) as uow:
        assert uow.balance(GL.PRINCIPAL_CURRENT, "L1") == 100_000


def test_unbalanced_entry_refused_in_code_before_the_database(engine: Engine) -> None:
    bad = JournalEntry(
        "bad",
        D1,
        "x",
        "L1",
        (Posting.dr(GL.CASH, "L1", 100), Posting.cr(GL.FEE_INCOME, "L1", 99)),
        "cli",
    )
    with (
        pytest.raises(UnbalancedEntry, match=re.escape("debits 1.00 ≠ credits 0.99")),
        UnitOfWork(engine) as uow,
    ):
        uow.post(bad)
    assert _counts(engine)["postings"] == 0


def test_reversal_restores_balances(engine: Engine) -> None:
    repay = _repay("r1", principal=30_000, interest=1_500)
    with UnitOfWork(engine) as uow:
        uow.post(_disburse())
        uow.post(repay)
    with UnitOfWork(engine) as uow:
        uow.post(reversal_of(repay, "r1-rev", D2, "ops", "chargeback"))
        assert uow.balances("L1") == {
            GL.CASH: -100_000,
            GL.PRINCIPAL_CURRENT: 100_000,
            GL.INTEREST_INCOME: 0,
        }
        # The original entry is untouched: corrections are new postings.
        assert uow.entry("r1") == repay
    assert verify_ledger(engine) == []


def test_reversal_rules(engine: Engine) -> None:
    repay = _repay("r1", principal=30_000, interest=1_500)
    with UnitOfWork(engine) as uow:
        uow.post(_disburse())
        uow.post(repay)
        uow.post(reversal_of(repay, "rev-1", D2, "ops"))
    with pytest.raises(InputError, match="already reversed by 'rev-1'"), UnitOfWork(engine) as uow:
        uow.post(reversal_of(repay, "rev-2", D2, "ops"))
    with pytest.raises(InputError, match="does not exist"), UnitOfWork(engine) as uow:
        uow.post(reversal_of(_repay("ghost", 1, 1), "rev-3", D2, "ops"))
    partial = JournalEntry(
        "rev-4",
        D2,
        "reversal:disburse",
        "L1",
        (Posting.cr(GL.PRINCIPAL_CURRENT, "L1", 50_000), Posting.dr(GL.CASH, "L1", 50_000)),
        "ops",
        reverses="L1|2026-01-05|disburse",
    )
    with pytest.raises(InputError, match="does not exactly reverse"), UnitOfWork(engine) as uow:
        uow.post(partial)


def test_failed_command_leaves_no_trace(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.set_business_date(D1)
    before = _counts(engine)
    with pytest.raises(RuntimeError, match="boom"), UnitOfWork(engine) as uow:
        uow.post(_disburse())
        uow.audit("disburse", actor="cli", account_ref="L1", details={"amount": 100_000})
        uow.emit("LoanDisbursed", "L1", {"amount": 100_000})
        uow.remember("idem-1", "disburse", {"amount": 100_000}, {"ok": True})
        uow.set_business_date(D2)
        raise RuntimeError("boom")
    assert _counts(engine) == before
    with UnitOfWork(engine) as uow:
        assert uow.business_date() == D1
        assert uow.balances("L1") == {}
        assert uow.idempotent("idem-1", "disburse", {"amount": 100_000}) is None


def test_a_commit_refused_by_the_database_rolls_back_everything(engine: Engine) -> None:
    # An orphan posting written behind the ledger's back makes the COMMIT fail (deferred FK);
    # the entry posted properly in the same command must not survive either.
    with pytest.raises(IntegrityError), UnitOfWork(engine) as uow:
        uow.post(_disburse())
        uow.connection.execute(
            text(
                "INSERT INTO postings (entry_id, line_no, gl, account_ref, debit, credit)"
                " VALUES (999, 1, '1001', 'L1', 5, 0)"
            )
        )
    assert _counts(engine)["postings"] == 0
    assert _counts(engine)["gl_balances"] == 0
    # The engine is still usable afterwards.
    with UnitOfWork(engine) as uow:
        uow.post(_disburse())
    assert _counts(engine)["journal_entries"] == 1


def test_business_date(engine: Engine) -> None:
    with (
        pytest.raises(BusinessDateNotSet, match="no business date is set"),
        UnitOfWork(engine) as uow,
    ):
        uow.business_date()
    with UnitOfWork(engine) as uow:
        uow.set_business_date(D2)
    with (
        pytest.raises(InputError, match="2026-01-05 is before the current business date"),
        UnitOfWork(engine) as uow,
    ):
        uow.set_business_date(D1)
    with UnitOfWork(engine) as uow:
        assert uow.business_date() == D2
        uow.set_business_date(D1, allow_backwards=True)
    with UnitOfWork(engine) as uow:
        assert uow.business_date() == D1


def test_audit_and_outbox(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.set_business_date(D1)
        a1 = uow.audit("repay", actor="alice", account_ref="L1", details={"amount": 500, "on": D1})
        a2 = uow.audit("eod", actor="system", business_date=D2)
        assert a2 > a1
        e1 = uow.emit("PaymentReceived", "L1", {"amount": 500})
        e2 = uow.emit("PastDue", "L2", business_date=D2)
        with pytest.raises(InputError, match="actor"):
            uow.audit("repay", actor=" ")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT business_date, actor, command, account_ref FROM audit_log ORDER BY seq")
        ).all()
    assert [(str(r[0]), r[1], r[2], r[3]) for r in rows] == [
        ("2026-01-05", "alice", "repay", "L1"),
        ("2026-01-06", "system", "eod", None),
    ]
    with UnitOfWork(engine) as uow:
        pending = uow.pending_events()
        assert [(e.seq, e.type, e.account_ref, e.business_date, e.payload) for e in pending] == [
            (e1, "PaymentReceived", "L1", D1, {"amount": 500}),
            (e2, "PastDue", "L2", D2, None),
        ]
        uow.mark_dispatched([e1])
    with UnitOfWork(engine) as uow:
        assert [e.seq for e in uow.pending_events()] == [e2]


def test_entry_keys_from_entry_key_work_end_to_end(engine: Engine) -> None:
    key = entry_key("L|1", D1, "accrual:interest", 2)
    entry = JournalEntry(
        key,
        D1,
        "accrual:interest",
        "L|1",
        (Posting.dr(GL.INTEREST_RECEIVABLE, "L|1", 37), Posting.cr(GL.INTEREST_INCOME, "L|1", 37)),
        "eod",
    )
    with UnitOfWork(engine) as uow:
        uow.post_all([entry, entry])
    with UnitOfWork(engine) as uow:
        assert uow.entry(key) == entry
        assert uow.balance(GL.INTEREST_RECEIVABLE, "L|1") == 37


def test_uow_outside_with_block_is_an_error(engine: Engine) -> None:
    uow = UnitOfWork(engine)
    with pytest.raises(RuntimeError, match="not active"):
        uow.post(_disburse())


def test_transact_retries_transient_conflicts(engine: Engine) -> None:
    calls: list[int] = []

    def command(uow: UnitOfWork) -> int:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
        return uow.post(_disburse())

    assert transact(engine, command) >= 1
    assert len(calls) == 3
    assert _counts(engine)["journal_entries"] == 1


def test_transact_does_not_retry_other_errors(engine: Engine) -> None:
    calls: list[int] = []

    def command(uow: UnitOfWork) -> None:
        calls.append(1)
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    with pytest.raises(OperationalError):
        transact(engine, command)
    assert len(calls) == 1
