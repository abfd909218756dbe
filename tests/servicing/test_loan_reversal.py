"""Cash-loan payment reversal (chargeback) with re-allocation, and platform-outage relief.

Running example as in test_loan.py: 12000.00 at 12% a year, 30/360, annuity over 12 months from
2026-01-15; each installment is 1066.19 (installment 1: 945.19 principal + 120.00 interest,
installment 2: 955.65 + 110.54).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

import creditguard.servicing.loan as L
from creditguard.ledger.chart import GL
from creditguard.ledger.journal import Posting
from creditguard.money import InputError
from creditguard.products.schema import InstallmentProduct
from creditguard.servicing.model import Amounts

START = date(2026, 1, 15)
FEB15, MAR15, APR15 = date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15)
PAYMENT = 106_619


def product() -> InstallmentProduct:
    return InstallmentProduct.model_validate(
        {"name": "cash12", "annual_rate": Decimal("0.12"), "day_count": "30/360", "terms": (12,)}
    )


class Book:
    """Every outcome's postings, checked to balance, summed per GL."""

    def __init__(self) -> None:
        self.gl: dict[GL, int] = defaultdict(int)

    def post(self, outcome: L.Outcome[L.Loan]) -> L.Loan:
        assert sum(p.debit for p in outcome.postings) == sum(p.credit for p in outcome.postings)
        for p in outcome.postings:
            self.gl[p.gl] += p.debit - p.credit
        return outcome.state

    def check(self, loan: L.Loan) -> None:
        image = L.ledger_image(loan)
        for gl in GL:
            assert self.gl.get(gl, 0) == image.get(gl, 0), gl


def legs(postings: tuple[Posting, ...]) -> set[tuple[str, int, int]]:
    return {(p.gl.name, p.debit, p.credit) for p in postings}


def disbursed(book: Book) -> L.Loan:
    return book.post(L.disburse("L1", "B1", product(), 1_200_000, 12, "annuity", START))


def test_reversal_reallocates_a_later_payment_to_the_oldest_installment() -> None:
    book = Book()
    loan = disbursed(book)
    loan = book.post(L.repay(loan, PAYMENT, FEB15))  # P1 pays installment 1
    loan = book.post(L.fall_due(loan, FEB15))
    loan = book.post(L.fall_due(loan, MAR15))
    loan = book.post(L.repay(loan, PAYMENT, MAR15))  # P2 pays installment 2
    assert L.outstanding(loan, MAR15) == Amounts()
    out = L.reverse_payment(loan, "P1", date(2026, 3, 20))
    loan = book.post(out)
    # Without P1, P2's 106619 goes to installment 1 (oldest): 12000 interest + 94619 principal,
    # exactly its total; installment 2 (95565 + 11054) is unpaid again.
    one, two = loan.installments[0], loan.installments[1]
    assert one.paid == Amounts(principal=94_619, interest=12_000)
    assert two.paid == Amounts()
    assert L.outstanding(loan, date(2026, 3, 20)) == Amounts(principal=95_565, interest=11_054)
    # The money goes back (Cr CASH 106619) and installment 2's receivables come back.
    assert legs(out.postings) == {
        ("CASH", 0, 106_619),
        ("PRINCIPAL_CURRENT", 95_565, 0),
        ("INTEREST_RECEIVABLE", 11_054, 0),
    }
    assert [e.type for e in out.events] == ["PaymentReversed"]
    assert out.events[0].payload["payment_id"] == "P1"
    assert [(op.payment_id, done) for op, done in L.payments(loan)] == [("P1", True), ("P2", False)]
    assert L.receivables(loan)[GL.INTEREST_RECEIVABLE] == 11_054
    book.check(loan)
    with pytest.raises(InputError) as err:
        L.reverse_payment(loan, "P1", date(2026, 3, 21))
    assert err.value.field == "payment_id"
    assert "already reversed" in err.value.rule
    with pytest.raises(InputError) as err:
        L.reverse_payment(loan, "P9", date(2026, 3, 21))
    assert err.value.field == "payment_id"


def test_reversing_an_early_repayment_restores_principal_and_schedule() -> None:
    book = Book()
    loan = disbursed(book)
    loan = book.post(L.repay(loan, PAYMENT, FEB15))
    loan = book.post(L.fall_due(loan, FEB15))
    before = loan
    loan = book.post(L.repay(loan, 200_000, date(2026, 3, 1)))  # P2: early repayment
    assert L.principal_balance(loan) == 911_276
    out = L.reverse_payment(loan, "P2", date(2026, 3, 2))
    loan = book.post(out)
    # The re-derived loan is the loan before P2: every installment as scheduled again.
    assert loan.installments == before.installments
    assert loan.level_payment == before.level_payment == PAYMENT
    assert L.principal_balance(loan) == 1_105_381
    # Undoing it: Cr CASH 200000; Dr principal 194105 back; the 5895 of interest recognised
    # when it was paid early is un-recognised (Dr INTEREST_INCOME), as it is no longer paid.
    assert legs(out.postings) == {
        ("CASH", 0, 200_000),
        ("PRINCIPAL_CURRENT", 194_105, 0),
        ("INTEREST_INCOME", 5895, 0),
    }
    book.check(loan)


def test_reversal_of_a_settling_payment_reopens_the_loan() -> None:
    book = Book()
    loan = disbursed(book)
    loan = book.post(L.repay(loan, L.payoff_amount(loan, date(2026, 1, 20)), date(2026, 1, 20)))
    assert loan.status == "settled"
    assert len(loan.installments) == 1
    loan = book.post(L.reverse_payment(loan, "P1", date(2026, 1, 25)))
    assert loan.status == "active"
    assert loan.installments == loan.initial
    assert book.gl[GL.CASH] == -1_200_000
    book.check(loan)


def test_reversal_keeps_later_waivers_and_penalties() -> None:
    book = Book()
    loan = disbursed(book)
    loan = book.post(L.fall_due(loan, FEB15))
    loan = book.post(
        L.repay(loan, 50_000, date(2026, 2, 20))
    )  # P1: interest 12000, principal 38000
    loan = book.post(L.charge_penalty(loan, "1", 400, date(2026, 2, 25)))
    loan = book.post(L.waive(loan, "penalty", 100, "r", "a", date(2026, 2, 26)))
    out = L.reverse_payment(loan, "P1", date(2026, 2, 27))
    loan = book.post(out)
    one = loan.installments[0]
    assert one.paid == Amounts()
    assert one.due.penalty == 400
    assert one.waived.penalty == 100
    assert L.outstanding(loan, date(2026, 2, 27)) == Amounts(
        principal=94_619, interest=12_000, penalty=300
    )
    assert legs(out.postings) == {
        ("CASH", 0, 50_000),
        ("PRINCIPAL_CURRENT", 38_000, 0),
        ("INTEREST_RECEIVABLE", 12_000, 0),
    }
    book.check(loan)


# --- platform outage relief ----------------------------------------------------------------


def test_outage_relief_moves_due_dates_without_adding_interest() -> None:
    book = Book()
    loan = disbursed(book)
    loan = book.post(L.repay(loan, PAYMENT, FEB15))
    loan = book.post(L.fall_due(loan, FEB15))
    # Outage 2026-03-14 … 03-16, declared on 03-14, relief 3 days: installment 2 (due 03-15)
    # moves to 03-16 + 3 = 03-19; nothing else is in the window.
    out = L.move_due_dates(loan, date(2026, 3, 14), date(2026, 3, 16), 3, date(2026, 3, 14))
    loan = book.post(out)
    assert out.postings == ()
    assert out.events[0].type == "DueDateRelief"
    assert out.events[0].payload["moved"] == [
        {"installment": "2", "from": "2026-03-15", "to": "2026-03-19"}
    ]
    two = loan.installments[1]
    assert (two.due_date, two.original_due_date) == (date(2026, 3, 19), MAR15)
    assert two.due == Amounts(principal=95_565, interest=11_054)  # interest unchanged
    assert loan.installments[2].due_date == APR15
    on = date(2026, 3, 17)
    # Not overdue on 03-17: nothing has fallen due.
    assert L.outstanding(loan, on) == Amounts()
    # Accrued and not yet due on 03-17: installment 2's whole interest 11054 (its period ended
    # 03-15) + period 3 from 03-15: balance 1200000 − 94619 − 95565 = 1009816, 2 days:
    # 1009816 × 0.12 × 2/360 = 673.21 → 673.
    assert L.accrued_interest(loan, on) == 11_054 + 673
    loan = book.post(L.fall_due(loan, MAR15))
    # Paying installment 2 during the relief window clears it like a due installment.
    out = L.repay(loan, PAYMENT, on)
    loan = book.post(out)
    assert loan.installments[1].unpaid == Amounts()
    assert out.result["early_principal"] == 0
    assert loan.installments[2].due == Amounts(principal=96_521, interest=10_098)
    book.check(loan)


def test_outage_relief_validation() -> None:
    book = Book()
    loan = disbursed(book)
    for args, field in [
        ((date(2026, 3, 16), date(2026, 3, 14), 3, date(2026, 3, 1)), "end"),
        ((date(2026, 3, 14), date(2026, 3, 16), -1, date(2026, 3, 1)), "relief_days"),
        ((date(2026, 3, 14), date(2026, 3, 16), 3, date(2026, 1, 1)), "on"),
    ]:
        with pytest.raises(InputError) as err:
            L.move_due_dates(loan, *args)
        assert err.value.field == field


def test_a_loan_round_trips_through_the_store_codec() -> None:
    import json

    from creditguard.store.codec import decode, encode

    book = Book()
    loan = disbursed(book)
    loan = book.post(L.fall_due(loan, FEB15))
    loan = book.post(L.charge_penalty(loan, "1", 7, date(2026, 2, 20)))
    loan = book.post(L.repay(loan, 300_000, date(2026, 3, 1)))  # P1: past due + early principal
    loan = book.post(L.repay(loan, 5_000, date(2026, 3, 2)))  # P2: accrued interest only
    loan = book.post(L.move_due_dates(loan, MAR15, MAR15, 3, date(2026, 3, 2)))
    loan = book.post(L.reverse_payment(loan, "P1", date(2026, 3, 3)))
    assert loan.history and loan.reversed_payments == ("P1",)
    stored = json.loads(json.dumps(encode(loan)))
    assert decode(L.Loan, stored) == loan
