"""The scenario replayer on both databases: same scenario, identical output and ledger."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy_financial as npf
from sqlalchemy import Engine

from creditguard.servicing.replay import replay, replay_on
from creditguard.servicing.scenario import load_scenario
from creditguard.store.db import connect
from creditguard.store.digest import ledger_digest
from creditguard.store.verify import verify_ledger

SCENARIO = """
products:
  cl: cash-loan
  cp: credit-pay
events:
  - {date: 2026-01-28, op: open-line, account: A, product: cp, limit: "5000.00"}
  - {date: 2026-01-28, op: purchase, account: A, amount: "1000.00"}
  - {date: 2026-01-29, op: refund, account: A, amount: "200.00", purchase: 1}
  - {date: 2026-01-31, op: disburse, account: L1, product: cl, principal: "12000.00", term: 3}
  - {date: 2026-02-05, op: repay, account: A, amount: "800.00"}
  - {date: 2026-02-28, op: repay, account: L1, amount: "4097.73"}
until: 2026-02-28
"""

# Hand figures.
# Line A: 1000.00 bought, 200.00 refunded before billing → the 2026-02-01 statement bills 800.00,
# due 2026-02-10, minimum 10% = 80.00; repaid in full on 02-05 → no interest, 5000.00 available.
# Loan L1: 12000.00 at 0.04%/day (14.6% a year), 3 months annuity from 2026-01-31; the first
# due date is 2026-02-28 (the 31st clamped to February's end), 28 days: interest =
# 12000.00 × 0.0004 × 28 = 134.40. Payment = pmt(0.146 / 12, 3, 12000) (numpy-financial,
# below) = 4097.73, so principal 1 is 4097.73 − 134.40 = 3963.33, and 12000.00 − 3963.33 =
# 8036.67 remains.
EXPECTED_PAYMENT = Decimal("4097.73")


def test_payment_matches_numpy_financial() -> None:
    assert round(Decimal(str(-npf.pmt(0.146 / 12, 3, 12000))), 2) == EXPECTED_PAYMENT


def check_figures(out: dict[str, object]) -> None:
    accounts = out["accounts"]
    assert isinstance(accounts, dict)
    line, loan = accounts["A"], accounts["L1"]
    assert line["statements"] == [
        {
            "date": "2026-02-01",
            "due_date": "2026-02-10",
            "amount": "800.00",
            "minimum": "80.00",
            "paid": "800.00",
        }
    ]
    assert line["available"] == "5000.00"
    assert line["principal_balance"] == "0.00"
    assert line["outstanding"]["interest"] == "0.00"
    first = loan["installments"][0]
    assert first["due_date"] == "2026-02-28"
    assert first["due"]["interest"] == "134.40"
    assert first["due"]["principal"] == "3963.33"
    assert first["paid"] == first["due"]
    assert loan["principal_balance"] == "8036.67"
    assert loan["outstanding"] == {
        "principal": "0.00",
        "interest": "0.00",
        "fee": "0.00",
        "penalty": "0.00",
    }
    assert loan["paid"]["principal"] == "3963.33"
    ledger = out["ledger"]
    assert isinstance(ledger, dict)
    assert ledger["balanced"] is True
    assert ledger["debits"] == ledger["credits"]


def test_replay_is_identical_on_both_databases(engine: Engine, tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO, "inline")
    out = replay_on(engine, scenario)
    check_figures(out)
    assert verify_ledger(engine) == []
    # The reference run: a fresh SQLite file.
    reference_engine = connect(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    try:
        reference = replay_on(reference_engine, scenario)
        assert out == reference
        assert ledger_digest(engine) == ledger_digest(reference_engine)
    finally:
        reference_engine.dispose()
    types = [e["type"] for e in out["events"]]
    assert "StatementIssued" in types and "LoanDisbursed" in types


def test_replay_by_url_on_both_databases(db_url: str) -> None:
    scenario = load_scenario(SCENARIO, "inline")
    by_url = replay(scenario, db_url=db_url)
    check_figures(by_url)
    assert by_url["as_of"] == "2026-02-28"
