"""A declared platform outage through the service: every account's due dates inside the window
move to end + relief days — also for accounts opened after the declaration — atomically and
idempotently, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from creditguard.money import InputError
from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher
from creditguard.store.verify import verify_ledger


def book(engine: Engine) -> Servicing:
    """A line billed on 2026-02-01 (due 02-10) and a loan first due 02-28; business date 02-02."""
    svc = Servicing(engine, actor="test", cipher=DataCipher(Fernet.generate_key()))
    svc.set_business_date(date(2026, 1, 31))
    svc.add_borrower("B1", "张三", "110101199003071233", "13800138000")
    svc.open_line("A", "credit-pay", 500_000, "B1")
    svc.purchase("A", 100_000)
    svc.disburse("L", "cash-loan", 300_000, 3, borrower="B1")  # first due 2026-02-28
    svc.end_of_day(date(2026, 1, 31))
    svc.end_of_day(date(2026, 2, 1))  # statement S2026-02-01, due 2026-02-10
    assert svc.show("A").statements[0].due_date == date(2026, 2, 10)
    return svc


def past_due_events_through_march_5(svc: Servicing) -> int:
    day = svc.business_date()
    while day <= date(2026, 3, 5):
        svc.end_of_day(day)
        day = svc.business_date()
    with svc.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM outbox_events WHERE type = 'PastDue'")
            ).scalar_one()
        )


def test_without_an_outage_the_unpaid_accounts_fall_past_due(engine: Engine) -> None:
    """The control: the same book without the outage is past due by 03-05."""
    svc = book(engine)
    assert past_due_events_through_march_5(svc) >= 2  # the line (02-10) and the loan (02-28)


def test_outage_moves_due_dates_of_existing_and_later_accounts(engine: Engine) -> None:
    svc = book(engine)
    # Outage 02-09 … 03-03, relief 3 days: due dates inside move to 03-06.
    first = svc.declare_outage(date(2026, 2, 9), date(2026, 3, 3), 3, key="outage-1")
    assert first["accounts"] == 2
    with engine.connect() as conn:
        rows = int(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())
    assert svc.declare_outage(date(2026, 2, 9), date(2026, 3, 3), 3, key="outage-1") == first
    with engine.connect() as conn:
        assert int(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()) == rows

    line, loan = svc.show("A"), svc.show("L")
    assert line.statements[0].due_date == date(2026, 3, 6)
    assert loan.installments[0].due_date == date(2026, 3, 6)
    assert loan.installments[0].original_due_date == date(2026, 2, 28)
    assert loan.installments[1].due_date == date(2026, 3, 31)  # outside the window: kept

    # Opened after the declaration, first due 2026-03-02 (inside the window): moved as well.
    svc.disburse("L2", "cash-loan", 300_000, 3, borrower="B1")
    assert svc.show("L2").installments[0].due_date == date(2026, 3, 6)

    # Nothing the outage caused shows as overdue: run the end of day through 03-05.
    assert past_due_events_through_march_5(svc) == 0
    assert verify_ledger(engine) == []


def test_a_bad_outage_window_is_refused_and_writes_nothing(engine: Engine) -> None:
    """The declaration refuses a window ending before it starts and relief days that are not a
    whole number ≥ 0, naming the field; the ledger, the audit log and the due dates are as they
    were."""
    svc = book(engine)

    def counts() -> tuple[int, int, int]:
        with engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in ("journal_entries", "audit_log", "outbox_events")
            )

    before = counts()
    bad = [
        ((date(2026, 3, 3), date(2026, 2, 9), 3), "end"),
        ((date(2026, 2, 9), date(2026, 3, 3), -1), "relief_days"),
        ((date(2026, 2, 9), date(2026, 3, 3), True), "relief_days"),
    ]
    for args, field in bad:
        with pytest.raises(InputError) as caught:
            svc.declare_outage(*args)  # type: ignore[arg-type]
        assert caught.value.field == field
    assert counts() == before
    assert svc.show("A").statements[0].due_date == date(2026, 2, 10)
