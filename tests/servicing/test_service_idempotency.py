"""Idempotency through the service layer (issue 3 item 2), on SQLite and PostgreSQL.

Same key + same request → the first result and nothing new in the journal, the outbox, the
audit trail or the key table; same key + another request → ``IdempotencyConflict`` naming the
key; no key → a fresh key per call, so two calls are two effects.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from creditguard.servicing.line import available
from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher
from creditguard.store.idempotency import IdempotencyConflict

COUNTED = ("journal_entries", "postings", "outbox_events", "audit_log", "idempotency_keys")
START = date(2026, 1, 1)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in COUNTED
        }


def service(engine: Engine) -> Servicing:
    svc = Servicing(engine, actor="test", cipher=DataCipher(Fernet.generate_key()))
    svc.set_business_date(START)
    svc.add_borrower("B1", "张三", "110101199003071233", "13800138000", key="b1")
    return svc


def account_version(engine: Engine, account: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT version FROM accounts WHERE account_id = :a"), {"a": account}
            ).scalar_one()
        )


def test_same_key_same_request_returns_the_first_result_and_posts_nothing(engine: Engine) -> None:
    svc = service(engine)
    calls: list[tuple[str, Any]] = [
        ("line", lambda: svc.open_line("A", "credit-pay", 500_000, "B1", key="k-open")),
        ("purchase", lambda: svc.purchase("A", 12_345, purchase_id="p1", key="k-buy")),
        ("loan", lambda: svc.disburse("L", "cash-loan", 300_000, 3, borrower="B1", key="k-loan")),
        ("repay-loan", lambda: svc.repay("L", 10_000, key="k-repay-L")),
        ("repay-line", lambda: svc.repay("A", 2_345, key="k-repay-A")),
        ("limit", lambda: svc.change_limit("A", 600_000, key="k-limit")),
    ]
    for name, call in calls:
        before = counts(engine)
        first = call()
        after_first = counts(engine)
        # The first call did something: one audit row and one key, at least.
        assert after_first["audit_log"] == before["audit_log"] + 1, name
        assert after_first["idempotency_keys"] == before["idempotency_keys"] + 1, name
        versions = {a: account_version(engine, a) for a in ("A", "L") if _exists(engine, a)}
        again = call()
        assert again == first, name
        assert counts(engine) == after_first, name
        assert {a: account_version(engine, a) for a in versions} == versions, name
    # Nothing was applied twice: one purchase of 123.45, one repayment of 23.45, so with the
    # limit raised to 6000.00 the available amount is 6000.00 − 100.00 = 5900.00.
    line = svc.show("A")
    assert line.limit == 600_000
    assert [p.amount for p in line.purchases] == [12_345]
    assert available(line) == 590_000


def _exists(engine: Engine, account: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT 1 FROM accounts WHERE account_id = :a"), {"a": account}
            ).first()
            is not None
        )


def test_replayed_borrower_returns_the_masked_result(engine: Engine) -> None:
    svc = service(engine)
    before = counts(engine)
    again = svc.add_borrower("B1", "张三", "110101199003071233", "13800138000", key="b1")
    assert again == {
        "borrower_id": "B1",
        "name": "张三",
        "national_id": "110101********1233",
        "phone": "138****8000",
    }
    assert counts(engine) == before


def test_same_key_other_request_is_a_conflict_naming_the_key(engine: Engine) -> None:
    svc = service(engine)
    svc.open_line("A", "credit-pay", 500_000, "B1", key="k-open")
    svc.purchase("A", 10_000, key="k-buy")
    before = counts(engine)
    with pytest.raises(IdempotencyConflict) as conflict:
        svc.purchase("A", 10_001, key="k-buy")  # another amount
    assert conflict.value.key == "k-buy"
    assert "k-buy" in str(conflict.value)
    assert conflict.value.field == "idempotency_key"
    with pytest.raises(IdempotencyConflict, match="k-buy"):
        svc.repay("A", 10_000, key="k-buy")  # another command
    with pytest.raises(IdempotencyConflict, match="k-open"):
        svc.open_line("A2", "credit-pay", 500_000, "B1", key="k-open")  # another account
    assert counts(engine) == before
    assert svc.show("A").purchases[0].amount == 10_000
    assert not _exists(engine, "A2")


def test_without_a_key_every_call_is_a_new_command(engine: Engine) -> None:
    svc = service(engine)
    svc.disburse("L", "cash-loan", 300_000, 3, borrower="B1")
    before = counts(engine)
    first = svc.repay("L", 10_000)
    second = svc.repay("L", 10_000)
    after = counts(engine)
    assert after["journal_entries"] == before["journal_entries"] + 2
    assert after["idempotency_keys"] == before["idempotency_keys"] + 2
    assert after["audit_log"] == before["audit_log"] + 2
    assert first["payment_id"] != second["payment_id"]
    # Repaid on the day of disbursement: no interest has accrued, all of it is early principal.
    assert first["early_principal"] == second["early_principal"] == 10_000
    with engine.connect() as conn:
        keys = (
            conn.execute(text("SELECT key FROM idempotency_keys WHERE command = 'repay'"))
            .scalars()
            .all()
        )
    assert len(set(keys)) == 2
    assert all(len(k) == 36 for k in keys)  # generated uuid4 text


def test_same_borrower_key_with_another_phone_is_a_conflict(engine: Engine) -> None:
    svc = service(engine)
    before = counts(engine)
    with pytest.raises(IdempotencyConflict, match="'b1'"):
        svc.add_borrower("B1", "张三", "110101199003071233", "13900139000", key="b1")
    assert counts(engine) == before
