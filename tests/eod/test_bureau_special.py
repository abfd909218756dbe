"""PBOC special transactions (SPEC §9) from what happened to the account, through the end of day
and the bureau export, on SQLite and PostgreSQL.

Three cash loans of the same borrower, disbursed 2026-01-05 over 3 months (due 02-05, 03-05,
04-05): P pays its first installment plus 50,000 fen more on 02-05 (principal not yet due: a
prepayment, code 4); W leaves the first installment unpaid and has 100 fen of its interest
waived on 02-20 (debt relief, 11); on 03-01 an outage 03-04 … 03-06 is declared, moving the
03-05 due dates of all three to 03-09 (relief deferral, 16); S pays everything off on 03-02
(early settlement, 5). January has nothing special.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import Engine

from creditguard.reporting.bureau_pboc import special_codes
from creditguard.servicing.bureau import export_month
from creditguard.servicing.loan_model import payoff_amount
from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher


def _through(svc: Servicing, last: date) -> None:
    day = svc.business_date()
    while day <= last:
        svc.end_of_day(day)
        day = svc.business_date()


def _special(engine: Engine, month: str, out: Path) -> dict[str, list[int]]:
    path = Path(export_month(engine, month, "pboc", out)["file"])
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {r["account"]: sorted(s["code"] for s in r["special"]) for r in records}


def test_special_transactions_reach_the_pboc_file(engine: Engine, tmp_path: Path) -> None:
    svc = Servicing(engine, actor="test", cipher=DataCipher(Fernet.generate_key()))
    svc.set_business_date(date(2026, 1, 5))
    svc.add_borrower("B1", "张三", "110101199003071233", "13800138000")
    for account in ("P", "S", "W"):
        svc.disburse(account, "cash-loan", 300_000, 3, borrower="B1")
    _through(svc, date(2026, 2, 4))
    due = svc.show("P").installments[0]
    assert due.due_date == date(2026, 2, 5)
    svc.repay("P", due.due.principal + due.due.interest + 50_000)
    svc.repay("S", due.due.principal + due.due.interest)  # exactly what is due: nothing special
    _through(svc, date(2026, 2, 19))
    svc.waive("W", "interest", 100, "hardship", "supervisor")
    _through(svc, date(2026, 2, 28))
    svc.declare_outage(date(2026, 3, 4), date(2026, 3, 6), 3)
    _through(svc, date(2026, 3, 1))
    svc.repay("S", payoff_amount(svc.show("S"), date(2026, 3, 2)))
    assert svc.show("S").status == "settled"
    _through(svc, date(2026, 3, 31))

    assert _special(engine, "2026-01", tmp_path) == {"P": [], "S": [], "W": []}
    assert _special(engine, "2026-02", tmp_path) == {"P": [4], "S": [], "W": [11]}
    assert _special(engine, "2026-03", tmp_path) == {"P": [16], "S": [5, 16], "W": [16]}


def test_event_to_code_mapping() -> None:
    assert special_codes("PaymentReceived", {"early_principal": 1, "settled": False}) == [4]
    assert special_codes("PaymentReceived", {"early_principal": 1, "settled": True}) == [5]
    # Settling on the last due date repays nothing early: not an early settlement.
    assert special_codes("PaymentReceived", {"early_principal": 0, "settled": True}) == []
    assert special_codes("PaymentReceived", {"amount": 5}) == []  # a line's payment
    assert special_codes("WaiverApplied", {"amount": 1}) == [11]
    assert special_codes("Waived", {"amount": 1}) == [11]
    assert special_codes("DueDateRelief", {"moved": []}) == []
    assert special_codes("DueDatesMoved", {"moved": [{"ref": "S1"}]}) == [16]
    assert special_codes("PastDue", None) == []
