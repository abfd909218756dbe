"""Schedules against numpy-financial and against hand calculations written out below."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest

from creditguard.calendar import DayCount
from creditguard.money import Rounding
from creditguard.pricing import LoanTerms, Method, amortize, build_schedule


def rows(terms: LoanTerms) -> list[tuple[date, int, int, int, int, int]]:
    return [
        (i.due_date, i.principal, i.interest, i.fee, i.payment, i.balance)
        for i in build_schedule(terms).installments
    ]


@pytest.mark.parametrize(
    ("principal", "rate", "term"),
    [
        (1_000_000, "0.12", 12),
        (5_000_000, "0.0875", 36),
        (123_456, "0.18", 6),
        (99_999_999, "0.2399", 24),
        (30_000_000, "0.049", 360),
    ],
)
def test_thirty_360_annuity_matches_numpy_financial(principal: int, rate: str, term: int) -> None:
    terms = LoanTerms(
        principal=principal,
        term=term,
        start=date(2026, 1, 15),
        method=Method.ANNUITY,
        annual_rate=Decimal(rate),
        day_count=DayCount.THIRTY_360,
    )
    r = float(rate) / 12
    schedule = build_schedule(terms)
    items = schedule.installments
    payment = float(npf.pmt(r, term, -principal))
    # The regular payment is numpy-financial's, rounded once to the fen.
    assert all(i.payment == round(payment) for i in items[:-1])
    # The first period's interest has no earlier rounding in it: exact agreement.
    assert items[0].interest == round(float(npf.ipmt(r, 1, term, -principal)))
    # Later periods run on our rounded payment; numpy-financial's float balance drifts from
    # ours by under a fen per period, so each interest agrees to within a fen.
    ipmt = npf.ipmt(r, range(1, term + 1), term, -principal)
    assert all(abs(i.interest - float(x)) <= 1 for i, x in zip(items, ipmt, strict=True))
    assert schedule.total_principal == principal
    assert items[-1].balance == 0
    assert len(items) == term


def test_annuity_ten_thousand_at_twelve_percent_by_hand() -> None:
    # 10000.00 at 12% over 12 months, 30/360: r = 0.01,
    # payment = 1000000 × 0.01 / (1 − 1.01^−12) = 88848.79 → 88849 fen.
    # P1: interest 1000000 × 0.01 = 10000, principal 78849, balance 921151.
    # P2: interest 921151 × 0.01 = 9211.51 → 9212, principal 79637, balance 841514.
    # P3: interest 841514 × 0.01 = 8415.14 → 8415, principal 80434, balance 761080.
    terms = LoanTerms(
        principal=1_000_000, term=12, start=date(2026, 1, 1), method="annuity", annual_rate="0.12"
    )
    got = rows(terms)[:3]
    assert got == [
        (date(2026, 2, 1), 78849, 10000, 0, 88849, 921151),
        (date(2026, 3, 1), 79637, 9212, 0, 88849, 841514),
        (date(2026, 4, 1), 80434, 8415, 0, 88849, 761080),
    ]


def test_act_365_annuity_by_hand() -> None:
    # 12000.00 at 14.6% over 3 months from 2026-01-15, act/365. Daily rate 0.146/365 = 0.0004.
    # r = 0.146/12 = 0.01216667; (1+r)^3 = 1.03694588;
    # payment = 1200000 × r / (1 − (1+r)^−3) = 409772.57 → 409773.
    # P1 01-15 → 02-15, 31 days: 1200000 × 0.0004 × 31 = 14880; principal 394893; bal 805107.
    # P2 02-15 → 03-15, 28 days: 805107 × 0.0004 × 28 = 9017.1984 → 9017; principal 400756;
    #    bal 404351.
    # P3 03-15 → 04-15, 31 days: 404351 × 0.0004 × 31 = 5013.9524 → 5014; the last period pays
    #    the whole balance 404351 + 5014 = 409365.
    terms = LoanTerms(
        principal=1_200_000,
        term=3,
        start=date(2026, 1, 15),
        method=Method.ANNUITY,
        annual_rate=Decimal("0.146"),
        day_count=DayCount.ACT_365,
    )
    assert rows(terms) == [
        (date(2026, 2, 15), 394893, 14880, 0, 409773, 805107),
        (date(2026, 3, 15), 400756, 9017, 0, 409773, 404351),
        (date(2026, 4, 15), 404351, 5014, 0, 409365, 0),
    ]


def test_act_365_equal_principal_by_hand() -> None:
    # Same loan, equal principal: 1200000 / 3 = 400000 each.
    # P1 31 days: 1200000 × 0.0004 × 31 = 14880.   P2 28 days: 800000 × 0.0004 × 28 = 8960.
    # P3 31 days: 400000 × 0.0004 × 31 = 4960.
    terms = LoanTerms(
        principal=1_200_000,
        term=3,
        start=date(2026, 1, 15),
        method=Method.EQUAL_PRINCIPAL,
        annual_rate=Decimal("0.146"),
        day_count=DayCount.ACT_365,
    )
    assert rows(terms) == [
        (date(2026, 2, 15), 400000, 14880, 0, 414880, 800000),
        (date(2026, 3, 15), 400000, 8960, 0, 408960, 400000),
        (date(2026, 4, 15), 400000, 4960, 0, 404960, 0),
    ]


def test_equal_principal_split_last_takes_the_remainder() -> None:
    # 1000.00 over 3: round(100000/3) = 33333, 33333, and the last 100000 − 66666 = 33334.
    terms = LoanTerms(principal=100_000, term=3, start=date(2026, 1, 1), method="equal-principal")
    assert [r[1] for r in rows(terms)] == [33333, 33333, 33334]


def test_month_end_rolling_without_cascade() -> None:
    # Start 2023-01-31: due 02-28, 03-31, 04-30 (clamped, no cascade). act/365 at 14.6%
    # (0.0004/day), equal principal 3000.00:
    # 01-31 → 02-28 = 28 days: 300000 × 0.0004 × 28 = 3360
    # 02-28 → 03-31 = 31 days: 200000 × 0.0004 × 31 = 2480
    # 03-31 → 04-30 = 30 days: 100000 × 0.0004 × 30 = 1200
    terms = LoanTerms(
        principal=300_000,
        term=3,
        start=date(2023, 1, 31),
        method="equal-principal",
        annual_rate="0.146",
        day_count="act/365",
    )
    assert [(r[0], r[2]) for r in rows(terms)] == [
        (date(2023, 2, 28), 3360),
        (date(2023, 3, 31), 2480),
        (date(2023, 4, 30), 1200),
    ]
    # Under 30/360 every one of those months is a full month: 1/12 of 12% each.
    thirty = LoanTerms(
        principal=300_000,
        term=3,
        start=date(2023, 1, 31),
        method="equal-principal",
        annual_rate="0.12",
    )
    assert [r[2] for r in rows(thirty)] == [3000, 2000, 1000]


def test_daily_rate_cash_loan_by_hand() -> None:
    # 借呗-style: 10000.00 at 0.0004 per day, days_in_year 365 → annual 0.146, act/365,
    # annuity over 3 months from 2026-03-10.
    # payment = 1000000 × r / (1 − (1+r)^−3), r = 0.146/12 → 341477.14 → 341477.
    # P1 03-10 → 04-10, 31 days: 1000000 × 0.0004 × 31 = 12400; principal 329077; bal 670923.
    # P2 04-10 → 05-10, 30 days: 670923 × 0.0004 × 30 = 8051.076 → 8051; principal 333426;
    #    bal 337497.
    # P3 05-10 → 06-10, 31 days: 337497 × 0.0004 × 31 = 4184.9628 → 4185; pays 337497 + 4185.
    terms = LoanTerms.from_daily_rate(
        daily_rate=Decimal("0.0004"),
        days_in_year=365,
        principal=1_000_000,
        term=3,
        start=date(2026, 3, 10),
        method=Method.ANNUITY,
    )
    assert terms.annual_rate == Decimal("0.146")
    assert terms.day_count is DayCount.ACT_365
    assert rows(terms) == [
        (date(2026, 4, 10), 329077, 12400, 0, 341477, 670923),
        (date(2026, 5, 10), 333426, 8051, 0, 341477, 337497),
        (date(2026, 6, 10), 337497, 4185, 0, 341682, 0),
    ]


def test_daily_rate_over_360_days_uses_act_360() -> None:
    terms = LoanTerms.from_daily_rate(
        daily_rate="0.0005",
        days_in_year=360,
        principal=100_000,
        term=1,
        start=date(2026, 1, 1),
        method="interest-first",
    )
    # 31 days at 0.0005/day: 100000 × 0.0005 × 31 = 1550.
    assert terms.day_count is DayCount.ACT_360
    assert rows(terms) == [(date(2026, 2, 1), 100000, 1550, 0, 101550, 0)]


def test_interest_first_pays_principal_at_the_end() -> None:
    # 5000.00 at 12%, 30/360: 500000 × 0.01 = 5000 interest each month, principal at the end.
    terms = LoanTerms(
        principal=500_000,
        term=3,
        start=date(2026, 1, 1),
        method="interest-first",
        annual_rate="0.12",
    )
    assert [(r[1], r[2], r[4]) for r in rows(terms)] == [
        (0, 5000, 5000),
        (0, 5000, 5000),
        (500000, 5000, 505000),
    ]


def test_bullet_pays_once_for_the_whole_term() -> None:
    # 30/360: f = 6/12; 1000000 × 0.12 × 6/12 = 60000.
    thirty = LoanTerms(
        principal=1_000_000, term=6, start=date(2026, 1, 31), method="bullet", annual_rate="0.12"
    )
    assert rows(thirty) == [(date(2026, 7, 31), 1000000, 60000, 0, 1060000, 0)]
    # act/365: 2026-01-31 → 2026-07-31 = 181 days; 1000000 × 0.146 × 181/365 = 72400.
    act = LoanTerms(
        principal=1_000_000,
        term=6,
        start=date(2026, 1, 31),
        method="bullet",
        annual_rate="0.146",
        day_count="act/365",
    )
    assert rows(act) == [(date(2026, 7, 31), 1000000, 72400, 0, 1072400, 0)]


def test_zero_rate_annuity_is_principal_over_n() -> None:
    terms = LoanTerms(principal=100_000, term=3, start=date(2026, 1, 1), method="annuity")
    # round(100000/3) = 33333; last 33334.
    assert [r[4] for r in rows(terms)] == [33333, 33333, 33334]


def test_half_even_rounding_of_interest() -> None:
    # 30/360, 6%, principal 100 fen... interest 100 × 0.06/12 = 0.5 fen exactly, one period.
    # half-up → 1, half-even → 0.
    up = LoanTerms(
        principal=100, term=1, start=date(2026, 1, 1), method="bullet", annual_rate="0.06"
    )
    even = LoanTerms(
        principal=100,
        term=1,
        start=date(2026, 1, 1),
        method="bullet",
        annual_rate="0.06",
        rounding=Rounding.HALF_EVEN,
    )
    assert rows(up)[0][2] == 1
    assert rows(even)[0][2] == 0


def test_amortize_irregular_first_period() -> None:
    # 6000.00 left after a prepayment on 2026-03-10; remaining due dates 04-15, 05-15.
    # act/365 at 14.6%: first period 03-10 → 04-15 = 36 days: 600000 × 0.0004 × 36 = 8640.
    act = amortize(
        600_000,
        Decimal("0.146"),
        date(2026, 3, 10),
        [date(2026, 4, 15), date(2026, 5, 15)],
        Method.EQUAL_PRINCIPAL,
        day_count=DayCount.ACT_365,
    )
    assert [(i.principal, i.interest) for i in act.installments] == [
        (300000, 8640),
        (300000, 3600),  # 04-15 → 05-15, 30 days: 300000 × 0.0004 × 30 = 3600
    ]
    # 30/360 at 12%: the irregular first period is 30E/360: 03-10 → 04-15 = 35 days,
    # 600000 × 0.12 × 35/360 = 7000; the second is a full month: 300000 × 0.01 = 3000.
    thirty = amortize(
        600_000,
        Decimal("0.12"),
        date(2026, 3, 10),
        [date(2026, 4, 15), date(2026, 5, 15)],
        Method.EQUAL_PRINCIPAL,
        day_count=DayCount.THIRTY_360,
    )
    assert [i.interest for i in thirty.installments] == [7000, 3000]
    # Told the first period is regular, 30/360 counts it as 1/12: 6000.
    regular = amortize(
        600_000,
        Decimal("0.12"),
        date(2026, 3, 10),
        [date(2026, 4, 15), date(2026, 5, 15)],
        Method.EQUAL_PRINCIPAL,
        day_count=DayCount.THIRTY_360,
        regular_first=True,
    )
    assert [i.interest for i in regular.installments] == [6000, 3000]


def test_amortize_reduce_term_keeps_the_payment() -> None:
    # 10000.00 at 12% 30/360, 12 months: payment 88849 (see the hand calculation above).
    # After period 3 (balance 761080) the borrower prepays 3000.00: 461080 left over 9 dates.
    terms = LoanTerms(
        principal=1_000_000, term=12, start=date(2026, 1, 1), method="annuity", annual_rate="0.12"
    )
    original = build_schedule(terms).installments
    remaining = [i.due_date for i in original[3:]]
    shorter = amortize(
        461_080,
        Decimal("0.12"),
        original[2].due_date,
        remaining,
        Method.ANNUITY,
        day_count=DayCount.THIRTY_360,
        payment=88849,
    ).installments
    # 461080 repaid at 88849/month with 1% interest: numpy_financial.nper = 5.36 → 6 dates.
    assert len(shorter) == 6
    assert all(i.payment == 88849 for i in shorter[:-1])
    assert shorter[-1].payment < 88849
    assert shorter[-1].balance == 0
    assert [i.due_date for i in shorter] == remaining[:6]
    # Reduce-installment: same 9 dates, a smaller payment: 461080 × 0.01/(1 − 1.01^−9)
    # = 53826.65 → 53827.
    smaller = amortize(
        461_080,
        Decimal("0.12"),
        original[2].due_date,
        remaining,
        Method.ANNUITY,
        day_count=DayCount.THIRTY_360,
    ).installments
    assert len(smaller) == 9
    assert smaller[0].payment == round(float(npf.pmt(0.01, 9, -461_080)))
    assert smaller[0].payment == 53827


def test_amortize_fee_installment_splits_the_given_fee() -> None:
    got = amortize(
        90_000,
        Decimal(0),
        date(2026, 1, 1),
        [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)],
        Method.FEE_INSTALLMENT,
        day_count=DayCount.ACT_365,
        fee=1_000,
    )
    assert [(i.principal, i.fee) for i in got.installments] == [
        (30000, 333),
        (30000, 333),
        (30000, 334),
    ]


def test_annuity_principal_part_never_negative_on_a_long_first_period() -> None:
    # 1000.00 at 36% act/365 held from 2026-01-01 to a first due date a year later, then monthly.
    # payment = 100000 × 0.03 / (1 − 1.03^−3) = 35353.04 → 35353, but the first period's
    # interest is 100000 × 0.36 × 365/365 = 36000 > 35353: the installment is the interest alone
    # (principal 0) instead of a negative principal part that would grow the balance.
    # P2 31 days: 100000 × 0.36 × 31/365 = 3057.53 → 3058; principal 35353 − 3058 = 32295.
    # P3 28 days: 67705 × 0.36 × 28/365 = 1869.77 → 1870; pays 67705 + 1870 = 69575.
    got = amortize(
        100_000,
        Decimal("0.36"),
        date(2026, 1, 1),
        [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)],
        Method.ANNUITY,
        day_count=DayCount.ACT_365,
    )
    assert [(i.principal, i.interest, i.payment, i.balance) for i in got.installments] == [
        (0, 36000, 36000, 100000),
        (32295, 3058, 35353, 67705),
        (67705, 1870, 69575, 0),
    ]


def test_tiny_equal_principal_split_never_goes_negative() -> None:
    # 5 fen over 8 periods: SPEC's split gives round(5/8) = 1 for each of the first 7, leaving
    # 5 − 7 = −2 for the last. A part never exceeds what is left: 1, 1, 1, 1, 1, then 0s.
    terms = LoanTerms(principal=5, term=8, start=date(2026, 1, 1), method="equal-principal")
    assert [r[1] for r in rows(terms)] == [1, 1, 1, 1, 1, 0, 0, 0]


def test_amortize_reduce_term_equal_principal_keeps_the_principal_part() -> None:
    # 1000.00 left, 5 monthly dates, kept principal part 300.00: 300, 300, 300, then 100 — the
    # schedule ends on the 4th date. 30/360 at 12%: interest 1000, 700, 400, 100.
    dates = [date(2026, m, 1) for m in range(2, 7)]
    got = amortize(
        100_000,
        Decimal("0.12"),
        date(2026, 1, 1),
        dates,
        Method.EQUAL_PRINCIPAL,
        day_count=DayCount.THIRTY_360,
        payment=30_000,
    ).installments
    assert [(i.due_date, i.principal, i.interest) for i in got] == [
        (dates[0], 30000, 1000),
        (dates[1], 30000, 700),
        (dates[2], 30000, 400),
        (dates[3], 10000, 100),
    ]
