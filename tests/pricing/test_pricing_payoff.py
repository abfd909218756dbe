"""Payoff quotes: interest only for the days principal was held (SPEC §2, §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditguard.calendar import DayCount
from creditguard.money import InputError
from creditguard.pricing import LoanTerms, Method, PayoffQuote, build_schedule, payoff_quote

# The act/365 annuity of test_pricing_schedule.test_act_365_annuity_by_hand:
# 12000.00 at 14.6% (0.0004/day) from 2026-01-15; installments
#   02-15: principal 394893, interest 14880, payment 409773, balance 805107
#   03-15: principal 400756, interest  9017, payment 409773, balance 404351
#   04-15: principal 404351, interest  5014, payment 409365, balance 0
ACT = LoanTerms(
    principal=1_200_000,
    term=3,
    start=date(2026, 1, 15),
    method=Method.ANNUITY,
    annual_rate=Decimal("0.146"),
    day_count=DayCount.ACT_365,
)


def test_on_a_due_date_no_interest_for_the_new_period() -> None:
    quote = payoff_quote(ACT, build_schedule(ACT), date(2026, 2, 15))
    # The 02-15 installment is paid (default); the principal was held 0 days since.
    assert quote == PayoffQuote(principal=805107, interest=0, past_due=0, total=805107)


def test_mid_period_interest_for_days_held() -> None:
    # 02-15 → 03-01 = 14 days: 805107 × 0.0004 × 14 = 4508.5992 → 4509.
    quote = payoff_quote(ACT, build_schedule(ACT), date(2026, 3, 1))
    assert quote == PayoffQuote(805107, 4509, 0, 805107 + 4509)


def test_first_period_counts_from_the_start() -> None:
    # 01-15 → 01-20 = 5 days: 1200000 × 0.0004 × 5 = 2400.
    quote = payoff_quote(ACT, build_schedule(ACT), date(2026, 1, 20))
    assert quote == PayoffQuote(1_200_000, 2400, 0, 1_202_400)
    # On the start date itself: nothing held yet.
    assert payoff_quote(ACT, build_schedule(ACT), ACT.start).interest == 0


def test_unpaid_installments_are_past_due_in_full() -> None:
    # Nothing paid by 03-01: the 02-15 installment (409773) is past due, the principal not yet
    # due is still 805107 and its interest the 4509 above.
    quote = payoff_quote(ACT, build_schedule(ACT), date(2026, 3, 1), paid_periods=0)
    assert quote == PayoffQuote(805107, 4509, 409773, 805107 + 4509 + 409773)


def test_after_maturity_only_past_due_remains() -> None:
    schedule = build_schedule(ACT)
    assert payoff_quote(ACT, schedule, date(2026, 5, 1)).total == 0
    late = payoff_quote(ACT, schedule, date(2026, 5, 1), paid_periods=2)
    assert late == PayoffQuote(0, 0, 409365, 409365)


def test_thirty_360_partial_period_uses_30e_and_never_exceeds_the_scheduled_interest() -> None:
    # 30/360 at 12%, 12000.00 equal principal from 2023-01-31: due 02-28, 03-31, 04-30,
    # scheduled interest 12000, 8000, 4000 (1/12 of 12% of 1200000, 800000, 400000).
    terms = LoanTerms(
        principal=1_200_000,
        term=3,
        start=date(2023, 1, 31),
        method="equal-principal",
        annual_rate="0.12",
    )
    schedule = build_schedule(terms)
    assert [i.interest for i in schedule.installments] == [12000, 8000, 4000]
    # 30E/360 from 01-31 (day 30) to 02-15: 15 days; 1200000 × 0.12 × 15/360 = 6000.
    assert payoff_quote(terms, schedule, date(2023, 2, 15)).interest == 6000
    # From 02-28 to 03-30 is 32 days in 30E/360 (more than the 30 of the regular month):
    # 800000 × 0.12 × 32/360 = 8533, capped at the period's scheduled 8000.
    assert payoff_quote(terms, schedule, date(2023, 3, 30)).interest == 8000


def test_fee_installment_settled_early_pays_no_future_fees() -> None:
    # 1000.00 over 3 periods at 2.5%: principal 33333/33333/33334, fee 833/833/834.
    terms = LoanTerms(
        principal=100_000,
        term=3,
        start=date(2026, 1, 20),
        method="fee-installment",
        fee_rate="0.025",
    )
    quote = payoff_quote(terms, build_schedule(terms), date(2026, 3, 1))
    assert quote == PayoffQuote(principal=66667, interest=0, past_due=0, total=66667)


def test_bullet_interest_for_days_held() -> None:
    # 10000.00 at 14.6% act/365, 6-month bullet from 2026-01-31; settled 2026-03-02 after
    # 30 days: 1000000 × 0.0004 × 30 = 12000.
    terms = LoanTerms(
        principal=1_000_000,
        term=6,
        start=date(2026, 1, 31),
        method="bullet",
        annual_rate="0.146",
        day_count="act/365",
    )
    quote = payoff_quote(terms, build_schedule(terms), date(2026, 3, 2))
    assert quote == PayoffQuote(1_000_000, 12000, 0, 1_012_000)


def test_before_start_is_an_error() -> None:
    with pytest.raises(InputError) as err:
        payoff_quote(ACT, build_schedule(ACT), date(2026, 1, 14))
    assert err.value.field == "on"


@pytest.mark.parametrize("paid", [-1, 2, True])
def test_bad_paid_periods(paid: int) -> None:
    # By 03-01 only one installment has fallen due.
    with pytest.raises(InputError) as err:
        payoff_quote(ACT, build_schedule(ACT), date(2026, 3, 1), paid_periods=paid)
    assert err.value.field == "paid_periods"
