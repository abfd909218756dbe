"""Payments after write-off are recoveries; outage relief takes back the penalties it caused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from creditguard.ledger.chart import GL
from creditguard.products.schema import InstallmentProduct
from creditguard.servicing import loan as L
from creditguard.servicing.model import Component

START = date(2026, 1, 15)


def _loan() -> L.Loan:
    product = InstallmentProduct.model_validate(
        {"name": "cash12", "annual_rate": Decimal("0.12"), "day_count": "30/360", "terms": (3,)}
    )
    return L.disburse("L1", "B1", product, 300_000, 3, "annuity", START).state


def test_a_payment_after_write_off_is_booked_as_a_recovery() -> None:
    loan = _loan()
    loan = L.fall_due(loan, date(2026, 2, 15)).state
    # The overdue engine wrote it off (status only: its receivables left the books then).
    loan = replace(loan, status="written-off")
    out = L.repay(loan, 50_000, date(2026, 9, 1))
    # Allocated by the same waterfall: installment 1's interest 30.00 (3000 × 12% / 12),
    # then 470.00 of its principal.
    first = out.state.installments[0]
    assert first.paid.interest == 3_000 and first.paid.principal == 47_000
    assert out.state.status == "written-off"
    # Booked as income and the off-balance memo shrinks by as much; no receivable is touched.
    assert {(p.gl, p.debit, p.credit) for p in out.postings} == {
        (GL.CASH, 50_000, 0),
        (GL.RECOVERIES, 0, 50_000),
        (GL.OFF_BALANCE_CONTRA, 50_000, 0),
        (GL.OFF_BALANCE, 0, 50_000),
    }
    assert out.result["recovery"] is True


def test_drop_penalties_takes_back_only_the_named_installments() -> None:
    loan = L.fall_due(_loan(), date(2026, 2, 15)).state
    loan = L.charge_penalty(loan, "1", 474, date(2026, 2, 17)).state
    assert loan.installments[0].due.penalty == 474
    out = L.drop_penalties(loan, ["1"], date(2026, 2, 18))
    assert out.state.installments[0].due.get(Component.PENALTY) == 0
    # Penalty income and receivable both go back by 4.74, with a new posting.
    assert {(p.gl, p.debit, p.credit) for p in out.postings} == {
        (GL.PENALTY_INCOME, 474, 0),
        (GL.PENALTY_RECEIVABLE, 0, 474),
    }
    assert [e.type for e in out.events] == ["PenaltiesReversed"]
    # Nothing charged on other installments: nothing to take back, nothing posted.
    assert L.drop_penalties(out.state, ["2"], date(2026, 2, 18)).postings == ()
