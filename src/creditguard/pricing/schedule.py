"""Installment schedules of one loan (SPEC §3): thin wrappers over the columnar kernel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np

from creditguard.calendar import DayCount, from_epoch, to_epoch
from creditguard.money import InputError, Rounding
from creditguard.pricing import kernel
from creditguard.pricing.terms import (
    MAX_ANNUAL_RATE,
    LoanTerms,
    Method,
    coerce_day_count,
    coerce_method,
    coerce_rate,
    coerce_rounding,
)

__all__ = ["Installment", "LoanTerms", "Method", "Schedule", "amortize", "build_schedule"]


@dataclass(frozen=True)
class Installment:
    """One installment: amounts due in fen; ``balance`` is the principal left after it."""

    period: int
    due_date: date
    principal: int
    interest: int
    fee: int
    payment: int
    balance: int


@dataclass(frozen=True)
class Schedule:
    """The installments of a loan, in due-date order."""

    installments: tuple[Installment, ...]

    @property
    def total_principal(self) -> int:
        """Sum of the principal parts."""
        return sum(i.principal for i in self.installments)

    @property
    def total_interest(self) -> int:
        """Sum of the interest parts."""
        return sum(i.interest for i in self.installments)

    @property
    def total_fee(self) -> int:
        """Sum of the fee parts."""
        return sum(i.fee for i in self.installments)

    @property
    def total_payment(self) -> int:
        """Sum of all payments."""
        return sum(i.payment for i in self.installments)


def _row(amounts: kernel.Amounts, due: kernel.Array, i: int = 0) -> Schedule:
    """Row ``i`` of a kernel result as a :class:`Schedule`."""
    return Schedule(
        tuple(
            Installment(
                period=k + 1,
                due_date=from_epoch(int(due[i, k])),
                principal=int(amounts.principal[k, i]),
                interest=int(amounts.interest[k, i]),
                fee=int(amounts.fee[k, i]),
                payment=int(amounts.payment[k, i]),
                balance=int(amounts.balance[k, i]),
            )
            for k in range(int(amounts.count[i]))
        )
    )


def _half_even(rounding: Rounding) -> kernel.Array:
    return np.array([rounding is Rounding.HALF_EVEN])


def build_schedule(terms: LoanTerms) -> Schedule:
    """The schedule of a new loan: a batch of one through the portfolio kernel (SPEC §3)."""
    rate, fee = Fraction(terms.annual_rate), Fraction(terms.fee_rate)
    batch, due = kernel.plan_terms(
        principal=kernel.int_array([terms.principal]),
        rate_num=kernel.int_array([rate.numerator]),
        rate_den=kernel.int_array([rate.denominator]),
        fee_num=kernel.int_array([fee.numerator]),
        fee_den=kernel.int_array([fee.denominator]),
        term=np.array([terms.term], dtype=np.int64),
        start=np.array([to_epoch(terms.start)], dtype=np.int64),
        method=np.array([kernel.METHODS.index(terms.method)]),
        day_count=np.array([kernel.DAY_COUNTS.index(terms.day_count)]),
        half_even=_half_even(terms.rounding),
    )
    return _row(kernel.run(batch), due)


def amortize(
    balance: int,
    annual_rate: Decimal,
    start: date,
    due_dates: Sequence[date],
    method: Method,
    *,
    day_count: DayCount,
    rounding: Rounding = Rounding.HALF_UP,
    payment: int | None = None,
    regular_first: bool | None = None,
    fee: int = 0,
) -> Schedule:
    """Schedule an outstanding principal ``balance``, held from ``start``, over ``due_dates``.

    Servicing uses it after an early repayment. Without ``payment`` the due dates are kept and
    the amounts recomputed (reduce-installment; the annuity payment is recomputed from the
    balance over the remaining count). With ``payment`` (reduce-term) that amount is kept — the
    installment of an annuity, the principal part of an equal-principal loan — and the schedule
    ends as soon as the balance is repaid, its last period paying the remainder plus interest.

    A first period that is not a whole regular month is irregular: 30/360 counts it with
    30E/360, act/* with its real days. ``regular_first`` overrides the detection of
    :func:`kernel.is_whole_months`. ``fee`` is a total fee split over the due dates
    (fee-installment only). A bullet pays once, on the last due date. Installments are
    numbered from 1 in the new schedule; match them to the old one by due date.
    """
    if isinstance(balance, bool) or not isinstance(balance, int) or balance <= 0:
        raise InputError("balance", f"must be integer fen > 0, got {balance!r}")
    method = coerce_method(method)
    day_count = coerce_day_count(day_count)
    rounding = coerce_rounding(rounding)
    rate = coerce_rate(annual_rate, "annual_rate", MAX_ANNUAL_RATE)
    dates = list(due_dates)
    if not dates:
        raise InputError("due_dates", "at least one due date is needed")
    previous = start
    for d in dates:
        if d <= previous:
            raise InputError("due_dates", f"{d} is not after {previous}: dates must increase")
        previous = d
    if method is Method.FEE_INSTALLMENT and rate != 0:
        raise InputError("annual_rate", f"a {Method.FEE_INSTALLMENT} plan charges no interest")
    if fee and method is not Method.FEE_INSTALLMENT:
        raise InputError("fee", f"a fee applies only to {Method.FEE_INSTALLMENT} plans")
    if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
        raise InputError("fee", f"must be integer fen >= 0, got {fee!r}")
    if payment is not None:
        if method not in (Method.ANNUITY, Method.EQUAL_PRINCIPAL):
            raise InputError("payment", "a kept payment applies to annuity or equal-principal only")
        if isinstance(payment, bool) or not isinstance(payment, int) or payment <= 0:
            raise InputError("payment", f"must be integer fen > 0, got {payment!r}")

    days = []
    previous = start
    for k, d in enumerate(dates):
        regular = regular_first if k == 0 else None
        days.append(kernel.period_days(day_count, previous, d, regular=regular))
        previous = d
    days_m = np.array([days], dtype=np.int64)
    due_m = np.array([[to_epoch(d) for d in dates]], dtype=np.int64)
    periods = np.array([len(dates)], dtype=np.int64)
    code = kernel.METHODS.index(method)
    kernel.collapse_bullets(days_m, due_m, periods, np.array([method is Method.BULLET]))
    fraction = Fraction(rate)
    batch = kernel.Batch(
        balance=kernel.int_array([balance]),
        rate_num=kernel.int_array([fraction.numerator]),
        rate_den=kernel.int_array([fraction.denominator]),
        basis=np.array([kernel.basis_of(day_count)], dtype=np.int64),
        days=days_m,
        periods=periods,
        method=np.array([code]),
        half_even=_half_even(rounding),
        fee=kernel.int_array([fee]),
        fixed=kernel.int_array([-1 if payment is None else payment]),
    )
    return _row(kernel.run(batch), due_m)
