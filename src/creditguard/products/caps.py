"""The annualized-rate screen a product passes before it may be offered (SPEC §4).

Every (method, term) a product offers is priced on one reference loan — 10000.00 lent on
:data:`REFERENCE_START` under the product's day count and rounding — and its ``apr_nominal``
(the disclosed figure, PBOC Announcement [2021] No. 3) must not exceed the product's
``apr_cap``. This is a screen of the product, not of each offer: a real offer (another amount,
another start date) is checked again by pricing when it is made.

:func:`check_reference_loan` and :func:`check_annual_rate` are the seams the product models
call; tests may replace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creditguard.calendar import DayCount
from creditguard.money import Rounding
from creditguard.pricing import (
    AnnualizedRate,
    LoanTerms,
    Method,
    check_rate_cap,
    schedule_apr,
)

__all__ = [
    "REFERENCE_PRINCIPAL",
    "REFERENCE_START",
    "ReferenceLoan",
    "check_annual_rate",
    "check_reference_loan",
]

REFERENCE_PRINCIPAL = 1_000_000
"""10000.00 in fen."""

REFERENCE_START = date(2026, 7, 1)
"""The reference disbursement date.

From 1 July, every run of 3, 6, 9 or 12 months holds at least the average 365/12 days a month
(92, 184, 274, 365 days), so an act/365 or act/360 product is not flattered by a short
February in its first periods.
"""


@dataclass(frozen=True)
class ReferenceLoan:
    """One (method, term) of a product, to be priced on the reference principal and date."""

    method: Method
    term: int
    annual_rate: Decimal | None
    daily_rate: Decimal | None
    days_in_year: int | None
    day_count: DayCount
    fee_rate: Decimal
    rounding: Rounding


def check_reference_loan(loan: ReferenceLoan, cap: Decimal, *, what: str) -> None:
    """Raise an ``InputError`` (pricing's ``RateCapExceeded``) if the loan's APR exceeds ``cap``.

    The message names both the APR and the cap.
    """
    if loan.daily_rate is not None:
        terms = LoanTerms.from_daily_rate(
            daily_rate=loan.daily_rate,
            days_in_year=loan.days_in_year or 365,
            principal=REFERENCE_PRINCIPAL,
            term=loan.term,
            start=REFERENCE_START,
            method=loan.method,
            day_count=loan.day_count,
            fee_rate=loan.fee_rate,
            rounding=loan.rounding,
        )
    else:
        terms = LoanTerms(
            principal=REFERENCE_PRINCIPAL,
            term=loan.term,
            start=REFERENCE_START,
            method=loan.method,
            annual_rate=loan.annual_rate or Decimal(0),
            day_count=loan.day_count,
            fee_rate=loan.fee_rate,
            rounding=loan.rounding,
        )
    check_rate_cap(schedule_apr(terms), cap, what=what)


def check_annual_rate(annual_rate: Decimal, cap: Decimal, *, what: str) -> None:
    """Raise pricing's ``RateCapExceeded`` if a simple annual rate exceeds ``cap``.

    For a rate with no schedule to price, such as a line's revolving daily rate × 365: it is
    disclosed as the nominal annual rate itself (monthly IRR = annual / 12).
    """
    monthly = annual_rate / 12
    rate = AnnualizedRate(
        irr_period=monthly, apr_nominal=annual_rate, apr_effective=(1 + monthly) ** 12 - 1
    )
    check_rate_cap(rate, cap, what=what)
