"""Each service command is one transaction: a failed command leaves no trace but its error.

Compared: a dump of every table before and after (journal, postings, balances, keys, audit,
outbox, system state, borrowers, products, accounts, obligations), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from creditguard.money import InputError
from creditguard.servicing import end_of_day
from creditguard.servicing.line import LineRefused
from creditguard.servicing.service import Servicing
from creditguard.store.account_repo import AccountRepository, UnknownAccount
from creditguard.store.crypto import DataCipher
from creditguard.store.uow import UnitOfWork
from creditguard.store.verify import verify_ledger

TABLES = (
    "journal_entries",
    "postings",
    "gl_balances",
    "idempotency_keys",
    "audit_log",
    "outbox_events",
    "system_state",
    "borrowers",
    "products",
    "accounts",
    "obligations",
)


def dump(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, order-independent."""
    with engine.connect() as conn:
        return {
            t: sorted(repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {t}")))
            for t in TABLES
        }


@pytest.fixture
def svc(engine: Engine) -> Servicing:
    """A book with a line (a purchase on it, a statement issued) and a loan."""
    s = Servicing(engine, actor="test", cipher=DataCipher(Fernet.generate_key()))
    s.set_business_date(date(2026, 1, 29))
    s.add_borrower("B1", "张三", "110101199003071233", "13800138000")
    s.open_line("A", "credit-pay", 100_000, "B1")
    s.purchase("A", 60_000, purchase_id="p1")
    s.disburse("L", "cash-loan", 300_000, 3, borrower="B1")
    for _ in range(4):  # EOD through 2026-02-01: the line's first statement
        s.end_of_day(s.business_date())
    assert s.business_date() == date(2026, 2, 2)
    assert len(s.show("A").statements) == 1
    return s


FAILURES: dict[str, tuple[Callable[[Servicing], Any], type[Exception], str]] = {
    # 1000.00 limit − 600.00 unpaid = 400.00 available; 400.01 is refused.
    "purchase over available": (lambda s: s.purchase("A", 40_001), LineRefused, "amount"),
    "repay unknown account": (lambda s: s.repay("NOPE", 1_000), UnknownAccount, "account"),
    # Nothing of the loan has fallen due and nothing is penalty on the line.
    "waive more than owed": (
        lambda s: s.waive("L", "interest", 1, "goodwill", "boss"),
        InputError,
        "amount",
    ),
    "waive on line more than owed": (
        lambda s: s.waive("A", "penalty", 100, "goodwill", "boss"),
        InputError,
        "amount",
    ),
    "line on an installment product": (
        lambda s: s.open_line("A2", "cash-loan", 100_000, "B1"),
        InputError,
        "product",
    ),
    "loan on a revolving product": (
        lambda s: s.disburse("L2", "credit-pay", 100_000, 3, borrower="B1"),
        InputError,
        "product",
    ),
    # cash-loan offers 3, 6 and 12 months.
    "term not offered": (
        lambda s: s.disburse("L2", "cash-loan", 100_000, 24, borrower="B1"),
        InputError,
        "term",
    ),
    "unknown borrower": (
        lambda s: s.disburse("L2", "cash-loan", 100_000, 3, borrower="B9"),
        InputError,
        "borrower",
    ),
    "duplicate account": (
        lambda s: s.disburse("A", "cash-loan", 100_000, 3, borrower="B1"),
        InputError,
        "account",
    ),
    "purchase on a loan": (lambda s: s.purchase("L", 100), InputError, "account"),
    "repay more than the loan payoff": (
        lambda s: s.repay("L", 10_000_000),
        InputError,
        "amount",
    ),
    "reverse an unknown payment": (lambda s: s.reverse("L", "P99"), InputError, "payment"),
    "convert with periods not offered": (
        lambda s: s.convert_to_installments("A", 5),
        InputError,
        "periods",
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_a_refused_command_leaves_no_trace(svc: Servicing, case: str) -> None:
    call, error, field = FAILURES[case]
    before = dump(svc.engine)
    with pytest.raises(error) as raised:
        call(svc)
    assert field in getattr(raised.value, "field", ""), raised.value
    assert dump(svc.engine) == before


def _count(conn: Any, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


class Boom(RuntimeError):
    """Raised on purpose inside the transaction."""


def test_a_failure_after_the_postings_rolls_everything_back(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(svc.engine)
    seen: dict[str, int] = {}
    real_write = UnitOfWork.write_event_rows

    def failing_events(self: UnitOfWork, rows: Any) -> None:
        # Inside the command's transaction the repayment's entry and the new state are there
        # (a command's writes go in bulk at its end: account, journal, audit, then outbox).
        seen["entries"] = _count(self.connection, "journal_entries")
        seen["version"] = int(
            self.connection.execute(
                text("SELECT version FROM accounts WHERE account_id = 'L'")
            ).scalar_one()
        )
        real_write(self, rows)
        raise Boom("outbox down")

    monkeypatch.setattr(UnitOfWork, "write_event_rows", failing_events)
    with pytest.raises(Boom):
        svc.repay("L", 50_000, key="k1")
    assert seen["entries"] == len(before["journal_entries"]) + 1
    assert seen["version"] >= 2
    assert dump(svc.engine) == before
    # The key was not consumed: the same command succeeds once the outbox is back.
    monkeypatch.setattr(UnitOfWork, "write_event_rows", real_write)
    result = svc.repay("L", 50_000, key="k1")
    assert result["amount"] == 50_000
    assert verify_ledger(svc.engine) == []


def test_a_failure_in_the_audit_rolls_back_a_purchase(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(svc.engine)

    def failing_audit(self: UnitOfWork, rows: Any) -> None:
        assert _count(self.connection, "journal_entries") > len(before["journal_entries"])
        raise Boom("audit down")

    monkeypatch.setattr(UnitOfWork, "write_audit_rows", failing_audit)
    with pytest.raises(Boom):
        svc.purchase("A", 10_000)
    assert dump(svc.engine) == before


def test_a_failed_save_rolls_back_a_disbursement(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dump(svc.engine)
    real_add = AccountRepository.add

    def failing_add(self: AccountRepository, *args: Any, **kwargs: Any) -> None:
        real_add(self, *args, **kwargs)
        raise Boom("disk full")

    monkeypatch.setattr(AccountRepository, "add", failing_add)
    with pytest.raises(Boom):
        svc.disburse("L2", "cash-loan", 100_000, 3, borrower="B1")
    assert dump(svc.engine) == before


def test_a_failed_end_of_day_account_is_redone_exactly_once(
    svc: Servicing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash in the middle of an end of day: the chunk rolls back whole, the rerun finishes."""
    day = svc.business_date()  # 2026-02-02
    real_record = Servicing._record
    calls = {"n": 0}

    def crash_on_second_account(self: Servicing, ctx: Any, outcome: Any, *a: Any) -> None:
        real_record(self, ctx, outcome, *a)
        if outcome.state.account == "L":  # "A" comes first in id order
            calls["n"] += 1
            raise Boom("power cut")

    monkeypatch.setattr(Servicing, "_record", crash_on_second_account)
    # Both accounts get a servicing step today, whatever their schedules say.
    monkeypatch.setattr(end_of_day, "_servicing_due", lambda _conn, _on: ["A", "L"])
    with pytest.raises(Boom):
        svc.end_of_day(day)
    assert svc.business_date() == day
    monkeypatch.setattr(Servicing, "_record", real_record)
    partial = dump(svc.engine)
    svc.end_of_day(day)
    assert svc.business_date() == day.replace(day=3)
    after = dump(svc.engine)
    # Accounts are serviced in chunks, one transaction each: the crash on "L" rolled back the
    # whole chunk (with "A"), so the rerun added exactly that chunk's key, once.
    new_keys = set(after["idempotency_keys"]) - set(partial["idempotency_keys"])
    assert len(new_keys) == 1 and "eod|2026-02-02|servicing|A" in next(iter(new_keys))
    assert verify_ledger(svc.engine) == []
