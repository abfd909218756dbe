"""Credit-pay line (SPEC §3, §5): converting a statement or a purchase into a fee-installment
plan, and refunds of an installment purchase.

Fee table (default product): 3 → 2.5%, 6 → 4.5%, 9 → 6.5%, 12 → 8.8%. Fee = round(P × rate),
principal and fee each split over the periods: every part round(total / n), the last takes the
rest. Figures are worked out by hand in the comments (fen). ``Book`` checks the balance of the
postings and the receivable invariant after every command.
"""

from __future__ import annotations

from datetime import date

import pytest
from line_book import Book, lines_of

from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing import line as L
from creditguard.servicing.model import Amounts


def parts(plan: L.InstallmentPlan) -> list[tuple[int, int]]:
    return [(i.principal, i.fee) for i in plan.installments]


def test_convert_statement_first_installment_on_its_due_date() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 4))  # S1: 1000.00, minimum 100.00
    out = book.do(L.convert_to_installments, 3, date(2026, 2, 5))  # the latest statement
    # Fee round(100000 × 2.5%) = 2500 → 833, 833, 834; principal 33333, 33333, 33334.
    plan = book.line.plans[0]
    assert (plan.principal, plan.fee, plan.source, plan.source_ref) == (
        100_000,
        2_500,
        "statement",
        "S2026-02-01",
    )
    assert parts(plan) == [(33_333, 833), (33_333, 833), (33_334, 834)]
    assert [i.due_date for i in plan.installments] == [
        date(2026, 2, 10),
        date(2026, 3, 10),
        date(2026, 4, 10),
    ]
    # The converted 1000.00 leaves S1's minimum; installment 1 enters it at 100%.
    s1 = book.line.statements[0]
    assert s1.due == Amounts(33_333, 0, 833, 0) and s1.minimum == 34_166
    # Installment 1's fee is billed now: Dr FEE_RECEIVABLE / Cr FEE_INCOME 8.33.
    assert lines_of(out) == {(GL.FEE_RECEIVABLE, 833, 0), (GL.FEE_INCOME, 0, 833)}
    assert out.events[0].type == "InstallmentPlanCreated"
    assert L.available(book.line) == 400_000  # the plan's principal still uses the limit
    book.do(L.repay, 34_166, date(2026, 2, 10))
    book.eod(date(2026, 3, 1))
    # Paid in full by the due date: no interest. S2 bills installment 2 only, 100% minimum.
    s2 = book.line.statements[1]
    assert s2.due == Amounts(33_333, 0, 833, 0) and s2.minimum == 34_166
    book.do(L.repay, 34_166, date(2026, 3, 10))
    book.eod(date(2026, 4, 1))
    assert book.line.statements[2].due == Amounts(33_334, 0, 834, 0)
    book.do(L.repay, 34_168, date(2026, 4, 10))
    assert book.gl[GL.FEE_INCOME] == -2_500 and L.unpaid_principal(book.line) == 0
    assert book.gl.get(GL.INTEREST_INCOME, 0) == 0


@pytest.mark.parametrize(
    ("periods", "fee", "first", "last"),
    [
        (3, 2_500, (33_333, 833), (33_334, 834)),  # 100000 × 2.5%; 2500 / 3 = 833.3
        (6, 4_500, (16_667, 750), (16_665, 750)),  # 4.5%; 100000 / 6 = 16666.7 → 16667
        (9, 6_500, (11_111, 722), (11_112, 724)),  # 6.5%; 6500 / 9 = 722.2; 6500 − 8 × 722
        (12, 8_800, (8_333, 733), (8_337, 737)),  # 8.8%; 8800 / 12 = 733.3; 8800 − 11 × 733
    ],
)
def test_fee_table(periods: int, fee: int, first: tuple[int, int], last: tuple[int, int]) -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.do(L.convert_to_installments, periods, date(2026, 1, 6), purchase_id="P1")
    plan = book.line.plans[0]
    assert plan.fee == fee and len(plan.installments) == periods
    assert parts(plan)[0] == first and parts(plan)[-1] == last
    assert sum(p for p, _ in parts(plan)) == 100_000 and sum(f for _, f in parts(plan)) == fee


def test_conversion_refusals() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    with pytest.raises(InputError) as err:
        book.do(L.convert_to_installments, 5, date(2026, 1, 6), purchase_id="P1")
    assert err.value.field == "periods" and "3, 6, 9, 12" in err.value.rule
    with pytest.raises(InputError) as err:
        book.do(L.convert_to_installments, 3, date(2026, 1, 6))
    assert err.value.field == "statement"  # no statement yet
    book.eod(date(2026, 2, 10))
    with pytest.raises(InputError) as err:
        book.do(L.convert_to_installments, 3, date(2026, 2, 10))  # on the due date: too late
    assert err.value.field == "on"
    with pytest.raises(InputError) as err:
        book.do(
            L.convert_to_installments,
            3,
            date(2026, 2, 10),
            statement="S2026-02-01",
            purchase_id="P1",
        )
    assert err.value.field == "purchase"


def test_convert_unbilled_purchase_billed_from_next_statement() -> None:
    book = Book()
    book.do(L.purchase, 60_000, date(2026, 1, 10))
    out = book.do(L.convert_to_installments, 6, date(2026, 1, 12), purchase_id="P1")
    assert out.postings == ()  # fees are booked when billed
    book.do(L.purchase, 20_000, date(2026, 1, 15))
    # Fee round(60000 × 4.5%) = 2700 → 450 × 6; principal 10000 × 6, billed 02-01 … 07-01.
    plan = book.line.plans[0]
    assert parts(plan) == [(10_000, 450)] * 6
    assert [i.bill_on for i in plan.installments][::5] == [date(2026, 2, 1), date(2026, 7, 1)]
    book.eod(date(2026, 2, 1))
    st = book.line.bills[0]
    # Minimum: 10% × 20000 + 100% × (10000 + 450) = 12450; amount 20000 + 10450 = 30450.
    assert (st.minimum, st.amount) == (12_450, 30_450)


def test_convert_billed_purchase_leaves_statement_minimum() -> None:
    book = Book()
    book.do(L.purchase, 60_000, date(2026, 1, 10))
    book.do(L.purchase, 40_000, date(2026, 1, 11))
    book.eod(date(2026, 2, 2))  # S1: 1000.00, minimum 100.00
    book.do(L.convert_to_installments, 3, date(2026, 2, 3), purchase_id="P1")
    # 600.00 leaves S1 (and 10% of it, 60.00, leaves the minimum): due 400.00, minimum 40.00.
    s1 = book.line.statements[0]
    assert s1.due == Amounts(40_000, 0, 0, 0) and s1.minimum == 4_000
    # Fee round(60000 × 2.5%) = 1500 → 500 × 3; billed from the next statement (03-01).
    plan = book.line.plans[0]
    assert parts(plan) == [(20_000, 500)] * 3
    assert plan.installments[0].bill_on == date(2026, 3, 1)
    book.do(L.repay, 40_000, date(2026, 2, 10))
    book.eod(date(2026, 3, 1))
    assert book.line.statements[1].due == Amounts(20_000, 0, 500, 0)
    assert book.line.statements[1].minimum == 20_500


def test_refund_of_installment_purchase_cancels_unbilled_fees() -> None:
    book = Book()
    book.do(L.purchase, 90_000, date(2026, 1, 5))
    book.do(L.convert_to_installments, 3, date(2026, 1, 6), purchase_id="P1")
    # Fee round(90000 × 2.5%) = 2250 → 750 × 3; principal 30000 × 3.
    book.eod(date(2026, 2, 2))  # S1 bills installment 1: 30750
    out = book.do(L.refund, "P1", 30_000, date(2026, 2, 3))
    # Unbilled principal 60000 → 30000; unbilled fee 1500 → round(1500 × 30000/60000) = 750;
    # re-split over installments 2 and 3: (15000, 375) each. 750 of fee cancelled.
    plan = book.line.plans[0]
    assert parts(plan) == [(30_000, 750), (15_000, 375), (15_000, 375)]
    assert out.result["cancelled_fee"] == 750 and plan.cancelled_fee == 750
    assert lines_of(out) == {(GL.CASH, 30_000, 0), (GL.PRINCIPAL_CURRENT, 0, 30_000)}
    out = book.do(L.refund, "P1", 60_000, date(2026, 2, 4))
    # The rest of the purchase: the unbilled 30000 and its 750 fee go; the other 30000 is
    # applied to S1 like a payment (fee 750 first, then 29250 of principal).
    assert parts(book.line.plans[0]) == [(30_000, 750)]
    assert book.line.plans[0].cancelled_fee == 1_500
    assert lines_of(out) == {
        (GL.CASH, 60_000, 0),
        (GL.PRINCIPAL_CURRENT, 0, 59_250),
        (GL.FEE_RECEIVABLE, 0, 750),
    }
    assert book.line.statements[0].unpaid == Amounts(750, 0, 0, 0)
    book.do(L.repay, 750, date(2026, 2, 5))
    book.eod(date(2026, 4, 2))
    # Nothing more is ever billed: the plan's fee income is installment 1's 750 only.
    assert book.gl[GL.FEE_INCOME] == -750 and L.unpaid_principal(book.line) == 0
    assert len(book.line.statements) == 1


def test_convert_partly_paid_statement_puts_first_installment_in_the_minimum() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 2))
    book.do(L.repay, 30_000, date(2026, 2, 3))  # more than the 100.00 minimum
    book.do(L.convert_to_installments, 3, date(2026, 2, 5))
    # The unpaid 700.00 is converted: fee round(70000 × 2.5%) = 1750 → 583, 583, 584;
    # principal 23333, 23333, 23334. S1 now owes installment 1 in full (23333 + 583 = 23916)
    # and its minimum asks exactly that on top of the 300.00 already settled.
    assert parts(book.line.plans[0]) == [(23_333, 583), (23_333, 583), (23_334, 584)]
    s1 = book.line.statements[0]
    assert s1.unpaid == Amounts(23_333, 0, 583, 0)
    assert s1.minimum == 30_000 + 23_916 and s1.minimum_unpaid == 23_916
