"""Cash-loan servicing: disbursement, the repayment waterfall, early repayment, payoff, waivers.

Golden values are worked by hand in the comments (exact fractions, rounded once, half-up).
The running example is 12000.00 at 12% a year, 30/360, annuity over 12 months, lent on
2026-01-15: r = 1% a month, payment = 1200000·0.01/(1 − 1.01^−12) = 106618.546 → 1066.19.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

import creditguard.servicing.loan as L
from creditguard.ledger.chart import GL
from creditguard.ledger.journal import Posting
from creditguard.money import InputError
from creditguard.pricing import LoanTerms, build_schedule
from creditguard.products.schema import InstallmentProduct
from creditguard.servicing.model import Amounts, Component

START = date(2026, 1, 15)


def product(**kw: object) -> InstallmentProduct:
    base: dict[str, object] = {
        "name": "cash12",
        "annual_rate": Decimal("0.12"),
        "day_count": "30/360",
        "methods": ("annuity", "equal-principal", "interest-first", "bullet"),
        "terms": (1, 3, 6, 12),
    }
    base.update(kw)
    return InstallmentProduct.model_validate(base)


class Book:
    """A tiny ledger: every outcome's postings, checked to balance, summed per GL."""

    def __init__(self) -> None:
        self.gl: dict[GL, int] = defaultdict(int)

    def post(self, outcome: L.Outcome[L.Loan]) -> L.Loan:
        debits = sum(p.debit for p in outcome.postings)
        credits = sum(p.credit for p in outcome.postings)
        assert debits == credits
        for p in outcome.postings:
            self.gl[p.gl] += p.debit - p.credit
        return outcome.state

    def check(self, loan: L.Loan) -> None:
        """The ledger holds exactly what the loan says it should (every GL it touched)."""
        image = L.ledger_image(loan)
        for gl in GL:
            assert self.gl.get(gl, 0) == image.get(gl, 0), gl


def new_loan(book: Book, amount: int = 1_200_000, **kw: object) -> L.Loan:
    method = str(kw.pop("method", "annuity"))
    term = int(str(kw.pop("term", 12)))
    return book.post(L.disburse("L1", "B1", product(**kw), amount, term, method, START))


def legs(postings: tuple[Posting, ...]) -> set[tuple[str, int, int]]:
    return {(p.gl.name, p.debit, p.credit) for p in postings}


# --- disbursement --------------------------------------------------------------------------


def test_disburse_builds_the_pricing_schedule_and_books_principal() -> None:
    book = Book()
    out = L.disburse("L1", "B1", product(), 1_200_000, 12, "annuity", START, line="C1")
    loan = book.post(out)
    schedule = build_schedule(
        LoanTerms(1_200_000, 12, START, "annuity", Decimal("0.12"), "30/360")  # type: ignore[arg-type]
    )
    assert [ob.due.principal for ob in loan.installments] == [
        i.principal for i in schedule.installments
    ]
    assert [ob.due_date for ob in loan.installments] == [i.due_date for i in schedule.installments]
    assert [ob.ref for ob in loan.installments] == [str(k) for k in range(1, 13)]
    # Period 1: interest 1200000 × 1% = 12000; principal 106619 − 12000 = 94619.
    first = loan.installments[0]
    assert (first.due_date, first.due, first.minimum) == (
        date(2026, 2, 15),
        Amounts(principal=94619, interest=12000),
        106619,
    )
    assert sum(ob.due.principal for ob in loan.installments) == 1_200_000
    assert loan.level_payment == 106619
    assert legs(out.postings) == {("PRINCIPAL_CURRENT", 1_200_000, 0), ("CASH", 0, 1_200_000)}
    assert [e.type for e in out.events] == ["LoanDisbursed"]
    assert out.events[0].payload["line"] == "C1"
    assert loan.status == "active"
    assert L.principal_balance(loan) == 1_200_000
    assert L.outstanding(loan, START) == Amounts()
    book.check(loan)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"term": 24}, "term"),
        ({"method": "fee-installment"}, "method"),
        ({"method": "balloon"}, "method"),
        ({"principal": 0}, "principal"),
        ({"account": ""}, "account"),
        ({"borrower": " "}, "borrower"),
    ],
)
def test_disburse_refuses_bad_input_naming_the_field(kw: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "account": "L1",
        "borrower": "B1",
        "product": product(),
        "principal": 1_200_000,
        "term": 12,
        "method": "annuity",
        "on": START,
    }
    args.update(kw)
    with pytest.raises(InputError) as err:
        L.disburse(**args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_disburse_without_method_takes_the_products_first() -> None:
    loan = L.disburse("L1", "B1", product(methods=("equal-principal",)), 300_000, 3, None, START)
    # Equal principal: 300000 / 3 = 100000 each.
    assert [ob.due.principal for ob in loan.state.installments] == [100_000] * 3


# --- on-time payments ----------------------------------------------------------------------


def test_on_time_payments_settle_the_loan_with_the_scheduled_interest() -> None:
    book = Book()
    loan = new_loan(book)
    total_interest = sum(ob.due.interest for ob in loan.installments)
    for ob in loan.initial:
        due_total = ob.due.total
        loan = book.post(L.repay(loan, due_total, ob.due_date))
        loan = book.post(L.fall_due(loan, ob.due_date))
        assert L.outstanding(loan, ob.due_date) == Amounts()
        book.check(loan)
    assert loan.status == "settled"
    assert L.paid_total(loan) == Amounts(principal=1_200_000, interest=total_interest)
    assert L.principal_balance(loan) == 0
    assert all(v == 0 for v in L.receivables(loan).values())
    # Interest recognised equals interest paid: 12 periods of the schedule, nothing more.
    assert book.gl[GL.INTEREST_INCOME] == -total_interest
    assert book.gl[GL.CASH] == total_interest


def test_fall_due_books_interest_once_and_on_the_due_date() -> None:
    book = Book()
    loan = new_loan(book)
    out = L.fall_due(loan, date(2026, 2, 14))
    assert out.postings == ()
    loan = book.post(L.fall_due(out.state, date(2026, 2, 15)))
    # Installment 1's 12000 of interest is booked: Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME.
    assert book.gl[GL.INTEREST_RECEIVABLE] == 12000
    assert book.gl[GL.INTEREST_INCOME] == -12000
    again = L.fall_due(loan, date(2026, 2, 15))
    assert again.postings == ()
    assert (
        L.receivables(loan)[GL.INTEREST_RECEIVABLE]
        == L.outstanding(loan, date(2026, 2, 15)).interest
    )
    book.check(loan)


# --- partial payment: the vertical waterfall -----------------------------------------------


def test_partial_payment_is_vertical_penalty_fee_interest_principal() -> None:
    book = Book()
    loan = new_loan(book)
    loan = book.post(L.fall_due(loan, date(2026, 2, 15)))
    loan = book.post(L.charge_penalty(loan, "1", 500, date(2026, 3, 10)))
    loan = book.post(L.fall_due(loan, date(2026, 3, 15)))
    loan = book.post(L.charge_penalty(loan, "2", 300, date(2026, 3, 20)))
    # On 2026-03-20 both installments are past due. Paying 108419:
    #   installment 1 (oldest): penalty 500, interest 12000, principal 94619 = 107119;
    #   installment 2: penalty 300, then 1000 of its 11054 interest; its principal untouched.
    out = L.repay(loan, 108_419, date(2026, 3, 20))
    loan = book.post(out)
    assert out.result["allocations"] == [
        {"obligation": "1", "component": "penalty", "amount": 500},
        {"obligation": "1", "component": "interest", "amount": 12000},
        {"obligation": "1", "component": "principal", "amount": 94619},
        {"obligation": "2", "component": "penalty", "amount": 300},
        {"obligation": "2", "component": "interest", "amount": 1000},
    ]
    assert out.result["early_principal"] == 0
    assert out.result["accrued_interest_paid"] == 0
    assert L.outstanding(loan, date(2026, 3, 20)) == Amounts(principal=95565, interest=10054)
    assert legs(out.postings) == {
        ("CASH", 108_419, 0),
        ("PENALTY_RECEIVABLE", 0, 800),
        ("INTEREST_RECEIVABLE", 0, 13000),
        ("PRINCIPAL_CURRENT", 0, 94619),
    }
    assert [e.type for e in out.events] == ["PaymentReceived"]
    book.check(loan)


def test_payment_due_today_before_end_of_day_recognises_the_interest_it_pays() -> None:
    book = Book()
    loan = new_loan(book)
    out = L.repay(loan, 106_619, date(2026, 2, 15))
    # The EOD has not booked installment 1's interest yet, so the payment books it first.
    assert legs(out.postings) == {
        ("INTEREST_RECEIVABLE", 12000, 0),
        ("INTEREST_INCOME", 0, 12000),
        ("CASH", 106_619, 0),
        ("INTEREST_RECEIVABLE", 0, 12000),
        ("PRINCIPAL_CURRENT", 0, 94619),
    }
    loan = book.post(out)
    assert book.post(L.fall_due(loan, date(2026, 2, 15))) is not None
    assert book.gl[GL.INTEREST_INCOME] == -12000
    book.check(loan)


# --- early repayment -----------------------------------------------------------------------


def test_overpayment_reduce_installment_charges_interest_only_for_days_held() -> None:
    book = Book()
    loan = new_loan(book)
    loan = book.post(L.repay(loan, 106_619, date(2026, 2, 15)))
    loan = book.post(L.fall_due(loan, date(2026, 2, 15)))
    out = L.repay(loan, 200_000, date(2026, 3, 1))
    loan = book.post(out)
    # Balance after installment 1: 1200000 − 94619 = 1105381.
    # Held 2026-02-15 → 03-01: 30E/360 days = 30·1 + (1 − 15) = 16;
    #   accrued = 1105381 × 0.12 × 16/360 = 5895.365 → 5895.
    # Early principal = 200000 − 5895 = 194105; remaining 1105381 − 194105 = 911276.
    # New schedule from 03-01 over the 11 dates left (reduce-installment):
    #   first period 03-01 → 03-15 = 14 days: 911276 × 0.12 × 14/360 = 4252.62 → 4253;
    #   payment = 911276·0.01/(1 − 1.01^−11) = 87896.28 → 87896 (checked below exactly).
    rem = 911_276
    r = Fraction(1, 100)
    payment = round(rem * r * (1 + r) ** 11 / ((1 + r) ** 11 - 1))
    assert payment == 87896
    assert out.result["accrued_interest_paid"] == 5895
    assert out.result["early_principal"] == 194_105
    two, three = loan.installments[1], loan.installments[2]
    # Installment 2: interest 5895 (days before 03-01) + 4253 (03-01 → 03-15) = 10148;
    #   principal 194105 early + 87896 − 4253 = 83643 scheduled = 277748.
    assert two.due == Amounts(principal=277_748, interest=10_148)
    assert two.paid == Amounts(principal=194_105, interest=5895)
    assert two.unpaid.total == payment
    # Installment 3: a regular month on 911276 − 83643 = 827633: interest 8276.33 → 8276,
    #   principal 87896 − 8276 = 79620.
    assert three.due == Amounts(principal=79_620, interest=8276)
    assert len(loan.installments) == 12
    assert all(ob.unpaid.total == payment for ob in loan.installments[1:-1])
    assert sum(ob.due.principal for ob in loan.installments) == 1_200_000
    assert L.principal_balance(loan) == rem
    assert legs(out.postings) == {
        ("INTEREST_RECEIVABLE", 5895, 0),
        ("INTEREST_INCOME", 0, 5895),
        ("CASH", 200_000, 0),
        ("INTEREST_RECEIVABLE", 0, 5895),
        ("PRINCIPAL_CURRENT", 0, 194_105),
    }
    assert L.accrued_interest(loan, date(2026, 3, 1)) == 0
    # Five days later the reduced balance has accrued 911276 × 0.12 × 5/360 = 1518.79 → 1519.
    assert L.accrued_interest(loan, date(2026, 3, 6)) == 1519
    book.check(loan)


def test_overpayment_reduce_term_keeps_the_payment_and_shortens_the_schedule() -> None:
    # A daily-rate product: 0.04% a day over 365 days (14.6% a year), act/365, 10000.00 over
    # 6 months from 2026-01-10; payment = 1000000·r/(1 − (1+r)^−6), r = 0.146/12.
    book = Book()
    prod = product(
        annual_rate=None,
        daily_rate=Decimal("0.0004"),
        day_count="act/365",
        prepayment="reduce-term",
        terms=(6,),
    )
    start = date(2026, 1, 10)
    loan = book.post(L.disburse("L2", "B1", prod, 1_000_000, 6, "annuity", start))
    r = Fraction(146, 12000)
    payment = round(1_000_000 * r * (1 + r) ** 6 / ((1 + r) ** 6 - 1))
    # r = 0.146/12; 1000000·r·(1+r)^6/((1+r)^6 − 1) = 173835.4 → 173835.
    assert loan.level_payment == payment == 173_835
    # Period 1: 31 days, 1000000 × 0.146 × 31/365 = 12400 exactly; principal 161435.
    assert loan.installments[0].due == Amounts(principal=161_435, interest=12_400)
    loan = book.post(L.repay(loan, payment, date(2026, 2, 10)))
    loan = book.post(L.fall_due(loan, date(2026, 2, 10)))
    # Balance 838565, held 02-10 → 03-01 = 19 days: 838565 × 0.146 × 19/365 = 6373.09 → 6373.
    out = L.repay(loan, 400_000, date(2026, 3, 1))
    loan = book.post(out)
    assert out.result["accrued_interest_paid"] == 6373
    assert out.result["early_principal"] == 393_627
    # Remaining 838565 − 393627 = 444938, payment 173835 kept:
    #   03-01 → 03-10 (9 days): 444938 × 0.146 × 9/365 = 1601.78 → 1602; principal 172233;
    #   left 272705; 03-10 → 04-10 (31 days): 272705 × 0.146 × 31/365 = 3381.54 → 3382,
    #   principal 170453; left 102252; 04-10 → 05-10 (30 days): 102252 × 0.146 × 30/365
    #   = 1227.02 → 1227, and 102252 repays the rest. The 06-10 and 07-10 installments go.
    dues = [ob.due for ob in loan.installments]
    assert dues[1] == Amounts(principal=393_627 + 172_233, interest=6373 + 1602)
    assert dues[2] == Amounts(principal=170_453, interest=3382)
    assert dues[3] == Amounts(principal=102_252, interest=1227)
    assert len(loan.installments) == 4
    assert [ob.due_date for ob in loan.installments][-1] == date(2026, 5, 10)
    assert loan.level_payment == payment
    assert sum(ob.due.principal for ob in loan.installments) == 1_000_000
    book.check(loan)


def test_early_repayment_on_the_disbursement_day_reamortizes_like_a_smaller_loan() -> None:
    book = Book()
    loan = new_loan(book)
    loan = book.post(L.repay(loan, 600_000, START))
    # No day held, no interest: the rest is a 600000 loan from the same date (a cross-check
    # against pricing's own schedule of that loan).
    fresh = build_schedule(
        LoanTerms(600_000, 12, START, "annuity", Decimal("0.12"), "30/360")  # type: ignore[arg-type]
    )
    assert [ob.unpaid.total for ob in loan.installments] == [i.payment for i in fresh.installments]
    assert loan.installments[0].paid == Amounts(principal=600_000)
    book.check(loan)


# --- payoff --------------------------------------------------------------------------------


def test_payoff_in_full_settles_and_more_is_refused_naming_the_payoff() -> None:
    book = Book()
    loan = new_loan(book)
    loan = book.post(L.repay(loan, 106_619, date(2026, 2, 15)))
    on = date(2026, 3, 1)
    # Payoff on 03-01: principal 1105381 + interest for 16 days 5895 = 1111276.
    assert L.payoff_amount(loan, on) == 1_111_276
    with pytest.raises(InputError) as err:
        L.repay(loan, 1_111_277, on)
    assert err.value.field == "amount"
    assert "11112.76" in err.value.rule
    out = L.repay(loan, 1_111_276, on)
    loan = book.post(out)
    assert loan.status == "settled"
    assert loan.settled_on == on
    assert out.result["settled"] is True
    # Settled: installment 2 shows what was paid (5895 interest, all 1105381 principal); the
    # later installments are dropped.
    assert len(loan.installments) == 2
    assert (
        loan.installments[1].due
        == loan.installments[1].paid
        == Amounts(principal=1_105_381, interest=5895)
    )
    assert L.paid_total(loan) == Amounts(principal=1_200_000, interest=12000 + 5895)
    assert all(v == 0 for v in L.receivables(loan).values())
    with pytest.raises(InputError):
        L.repay(loan, 1, on)
    book.check(loan)


def test_repay_validation() -> None:
    book = Book()
    loan = new_loan(book)
    loan = book.post(L.repay(loan, 1000, date(2026, 2, 1)))
    for amount, on, field in [
        (0, date(2026, 2, 1), "amount"),
        (-5, date(2026, 2, 1), "amount"),
        (100, date(2026, 1, 31), "on"),
    ]:
        with pytest.raises(InputError) as err:
            L.repay(loan, amount, on)
        assert err.value.field == field
    with pytest.raises(InputError) as err:
        L.repay(loan, 100, date(2026, 2, 2), payment_id="P1")
    assert err.value.field == "payment_id"


# --- waivers -------------------------------------------------------------------------------


def test_waive_oldest_first_and_its_refusals() -> None:
    book = Book()
    loan = new_loan(book)
    loan = book.post(L.fall_due(loan, date(2026, 2, 15)))
    loan = book.post(L.charge_penalty(loan, "1", 500, date(2026, 3, 10)))
    loan = book.post(L.fall_due(loan, date(2026, 3, 15)))
    loan = book.post(L.charge_penalty(loan, "2", 300, date(2026, 3, 20)))
    on = date(2026, 3, 21)
    # Waive 600 of penalty: 500 from installment 1 (oldest), then 100 from installment 2.
    out = L.waive(loan, "penalty", 600, "hardship", "ops-lead", on)
    loan = book.post(out)
    assert out.result["allocations"] == [
        {"obligation": "1", "component": "penalty", "amount": 500},
        {"obligation": "2", "component": "penalty", "amount": 100},
    ]
    assert legs(out.postings) == {("WAIVER_EXPENSE", 600, 0), ("PENALTY_RECEIVABLE", 0, 600)}
    assert out.events[0].type == "Waived"
    assert out.events[0].payload["approver"] == "ops-lead"
    assert L.outstanding(loan, on).penalty == 200
    # Interest: 12000 of installment 1, then 11054 of installment 2; 13000 spans both.
    out = L.waive(loan, Component.INTEREST, 13000, "complaint", "ops-lead", on)
    loan = book.post(out)
    assert [ob.waived.interest for ob in loan.installments[:2]] == [12000, 1000]
    for args, field in [
        (("principal", 100, "r", "a"), "component"),
        (("penalty", 100, "", "a"), "reason"),
        (("penalty", 100, "r", " "), "approver"),
        (("penalty", 201, "r", "a"), "amount"),
        (("fee", 1, "r", "a"), "amount"),
        (("nonsense", 1, "r", "a"), "component"),
    ]:
        with pytest.raises(InputError) as err:
            L.waive(loan, args[0], args[1], args[2], args[3], on)
        assert err.value.field == field
    book.check(loan)


def test_waived_interest_is_not_part_of_the_payoff() -> None:
    book = Book()
    loan = new_loan(book, amount=300_000, term=1)
    # One month at 1%: 300000 + 3000 interest due 2026-02-15.
    loan = book.post(L.fall_due(loan, date(2026, 2, 15)))
    loan = book.post(L.waive(loan, "interest", 3000, "goodwill", "boss", date(2026, 2, 16)))
    assert loan.status == "active"
    assert L.payoff_amount(loan, date(2026, 2, 16)) == 300_000
    loan = book.post(L.repay(loan, 300_000, date(2026, 2, 16)))
    assert loan.status == "settled"
    assert L.waived_total(loan) == Amounts(interest=3000)
    assert book.gl[GL.WAIVER_EXPENSE] == 3000
    book.check(loan)


# --- other methods, edge cases, hooks --------------------------------------------------------


@pytest.mark.parametrize("mode", ["reduce-installment", "reduce-term"])
def test_equal_principal_early_repayment(mode: str) -> None:
    # 3000.00 over 3 months, equal principal: 100000 a month; interest 3000, 2000, 1000.
    book = Book()
    loan = new_loan(book, amount=300_000, term=3, method="equal-principal", prepayment=mode)
    assert [ob.due for ob in loan.installments] == [
        Amounts(principal=100_000, interest=i) for i in (3000, 2000, 1000)
    ]
    loan = book.post(L.repay(loan, 103_000, date(2026, 2, 15)))
    out = L.repay(loan, 120_000, date(2026, 2, 25))
    loan = book.post(out)
    # Held 200000 from 02-15 to 02-25 (10 days): 200000 × 0.12 × 10/360 = 666.67 → 667;
    # early principal 119333; remaining 80667. New first period 02-25 → 03-15, 30E/360:
    # 30 + 15 − 25 = 20 days: 80667 × 0.12 × 20/360 = 537.78 → 538.
    assert (out.result["accrued_interest_paid"], out.result["early_principal"]) == (667, 119_333)
    two = loan.installments[1]
    if mode == "reduce-installment":
        # 80667 split over the 2 dates left: round(40333.5) = 40334, the last takes 40333;
        # period 3 regular: 40333 × 1% = 403.33 → 403.
        assert two.due == Amounts(principal=119_333 + 40_334, interest=667 + 538)
        assert loan.installments[2].due == Amounts(principal=40_333, interest=403)
        assert loan.level_payment == 40_334
    else:
        # The 100000 principal part is kept: 80667 < 100000 repays everything in period 2.
        assert two.due == Amounts(principal=119_333 + 80_667, interest=667 + 538)
        assert len(loan.installments) == 2
        assert loan.level_payment == 100_000
    book.check(loan)


@pytest.mark.parametrize("mode", ["reduce-installment", "reduce-term"])
def test_interest_first_early_repayment_keeps_its_dates(mode: str) -> None:
    # Interest-first 3000.00 over 3 months: 3000 interest a month, all principal at the end.
    book = Book()
    loan = new_loan(book, amount=300_000, term=3, method="interest-first", prepayment=mode)
    loan = book.post(L.repay(loan, 3000, date(2026, 2, 15)))
    loan = book.post(L.repay(loan, 100_667, date(2026, 2, 25)))
    # Accrued 300000 × 0.12 × 10/360 = 1000; early principal 99667; remaining 200333.
    # 02-25 → 03-15 (20 days): 200333 × 0.12 × 20/360 = 1335.55 → 1336; then a regular month:
    # 2003.33 → 2003 with all 200333 of principal (reduce-term has no level amount to keep).
    assert loan.installments[1].due == Amounts(principal=99_667, interest=1000 + 1336)
    assert loan.installments[2].due == Amounts(principal=200_333, interest=2003)
    book.check(loan)


def test_month_end_partial_period_never_accrues_more_than_the_schedule() -> None:
    # Lent 2026-01-31 (30/360): due 02-28, 03-31. Period 2 (02-28 → 03-31) is a whole month,
    # 30 days; but 02-28 → 03-30 counted 30E/360 is 30 + 30 − 28 = 32 days. The accrual is
    # capped at the installment's scheduled interest.
    book = Book()
    loan = book.post(L.disburse("L1", "B1", product(), 1_200_000, 3, "annuity", date(2026, 1, 31)))
    assert [ob.due_date for ob in loan.installments] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    loan = book.post(L.repay(loan, loan.installments[0].due.total, date(2026, 2, 28)))
    # Balance 1200000 − 396027 = 803973; period 2's interest 803973 × 1% = 8039.73 → 8040,
    # while 32 days would give 803973 × 0.12 × 32/360 = 8575.71.
    assert L.principal_balance(loan) == 803_973
    assert loan.installments[1].due.interest == 8040
    assert L.accrued_interest(loan, date(2026, 3, 30)) == 8040
    # Mid-period it is the plain 30E/360 accrual: 02-28 → 03-10 = 30 + 10 − 28 = 12 days:
    # 803973 × 0.12 × 12/360 = 3215.89 → 3216.
    assert L.accrued_interest(loan, date(2026, 3, 10)) == 3216


def test_repayment_credits_overdue_principal_when_the_overdue_engine_moved_it() -> None:
    from dataclasses import replace

    loan = new_loan(Book())
    loan = replace(loan, overdue_principal=("1",))
    out = L.repay(loan, 106_619, date(2026, 2, 20))
    assert ("PRINCIPAL_OVERDUE", 0, 94_619) in legs(out.postings)
    assert L.receivables(out.state)[GL.PRINCIPAL_OVERDUE] == 0
    assert L.receivables(out.state)[GL.PRINCIPAL_CURRENT] == 1_200_000 - 94_619


def test_charge_penalty_needs_a_past_due_installment() -> None:
    loan = new_loan(Book())
    paid = L.repay(loan, 106_619, date(2026, 2, 15)).state
    for state, ref, on in [
        (loan, "1", date(2026, 2, 15)),  # due today: not past due yet
        (loan, "13", date(2026, 3, 1)),  # no such installment
        (paid, "1", date(2026, 3, 1)),  # fully paid: nothing accrues
    ]:
        with pytest.raises(InputError) as err:
            L.charge_penalty(state, ref, 100, on)
        assert err.value.field == "ref"
