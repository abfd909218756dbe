"""The one columnar schedule kernel: NumPy arrays across loans, a loop over the period index only.

Every schedule in creditguard — one loan (:func:`~creditguard.pricing.schedule.build_schedule`,
:func:`~creditguard.pricing.schedule.amortize`) or a whole portfolio
(:func:`~creditguard.pricing.vectorized.build_schedules`) — is computed here, so a single loan
is a batch of one.

Exactness: interest, fee and split arithmetic is integer arithmetic on an exact rate ratio
``rate_num / rate_den`` and a day fraction ``days / basis``; rounding is :func:`round_div`, the
array form of :func:`creditguard.money.round_div`. When ``balance · rate_num · days`` could
overflow int64 the batch runs on Python-int object arrays instead. The annuity payment is the
only non-integer step: it is computed in float64 and recomputed exactly (integer arithmetic)
for the few loans whose float value lies too close to a rounding boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from creditguard.calendar import (
    DayCount,
    add_months,
    due_dates,
    from_epoch,
    thirty_e_360_days,
    to_epoch,
)
from creditguard.money import Rounding
from creditguard.money import round_div as scalar_round_div
from creditguard.pricing.terms import Method

__all__ = [
    "DAY_COUNTS",
    "METHODS",
    "Amounts",
    "Batch",
    "annuity_payment",
    "collapse_bullets",
    "exact_annuity_payment",
    "interest_due",
    "interest_of",
    "is_whole_months",
    "period_days",
    "plan_terms",
    "round_div",
    "run",
]

Array = NDArray[Any]

METHODS: tuple[Method, ...] = tuple(Method)
DAY_COUNTS: tuple[DayCount, ...] = tuple(DayCount)
_ANNUITY = METHODS.index(Method.ANNUITY)
_EQUAL_PRINCIPAL = METHODS.index(Method.EQUAL_PRINCIPAL)
_BULLET = METHODS.index(Method.BULLET)
_FEE_INSTALLMENT = METHODS.index(Method.FEE_INSTALLMENT)

# Products of int64 operands stay below this bound, or the batch switches to object arrays.
_INT64_SAFE = 2**62
# A float annuity payment this close to a half fen is recomputed exactly. The float error of
# P·r/(1−(1+r)^−n) through log1p/expm1 is a few hundred ulps at most, far inside the bound.
_NEAR_HALF_ABS = 1e-6
_NEAR_HALF_REL = 1e-12


def basis_of(day_count: DayCount) -> int:
    """The days in the year fraction's denominator: 365 for act/365, else 360."""
    return 365 if day_count is DayCount.ACT_365 else 360


def is_whole_months(a: date, b: date) -> int:
    """Months from ``a`` to ``b`` if b is a whole number of monthly steps after a, else 0.

    Both directions are tried so that month-end clamping counts as regular: 02-28 → 03-31 is a
    full month of a loan anchored on the 31st, as is 03-31 → 04-30.
    """
    months = (b.year - a.year) * 12 + b.month - a.month
    if months >= 1 and (add_months(a, months) == b or add_months(b, -months) == a):
        return months
    return 0


def period_days(day_count: DayCount, a: date, b: date, *, regular: bool | None = None) -> int:
    """The day numerator of the interest period [a, b): the year fraction is this / basis.

    act/*: the calendar days (算头不算尾). 30/360: 30 per whole month when the period is regular
    (``regular=None`` detects it with :func:`is_whole_months`), otherwise 30E/360 days.
    """
    if day_count is not DayCount.THIRTY_360:
        return (b - a).days
    months = is_whole_months(a, b)
    if regular is None:
        regular = months > 0
    if regular:
        return 30 * max(months, 1)
    return thirty_e_360_days(a, b)


def exact_dtype(*bounds: int) -> type:
    """int64 when every bound on an intermediate product fits, else Python-int objects."""
    return np.int64 if max(bounds, default=0) < _INT64_SAFE else object


def round_div(num: Array, den: Array, half_even: Array) -> Array:
    """Array form of :func:`creditguard.money.round_div` for ``num >= 0``, ``den > 0``."""
    q = num // den
    twice = 2 * (num - q * den)
    up = (twice > den) | ((twice == den) & (~half_even | (q % 2 == 1)))
    return np.where(up, q + 1, q)


def interest_due(
    balance: Array, rate_num: Array, rate_den: Array, days: Array, basis: Array, half_even: Array
) -> Array:
    """Interest of a period, rounded once: ``round(balance · R · days / basis)`` (SPEC §3)."""
    return round_div(balance * rate_num * days, rate_den * basis, half_even)


def interest_of(
    balance: int, rate: Fraction, days: int, basis: int, rounding: Rounding = Rounding.HALF_UP
) -> int:
    """:func:`interest_due` for one balance (a batch of one, on Python ints)."""

    def one(value: int) -> Array:
        out = np.empty(1, dtype=object)
        out[0] = value
        return out

    due = interest_due(
        one(balance),
        one(rate.numerator),
        one(rate.denominator),
        one(days),
        one(basis),
        np.array([rounding is Rounding.HALF_EVEN]),
    )
    return int(due[0])


def exact_annuity_payment(
    balance: int, rate: Fraction, periods: int, rounding: Rounding = Rounding.HALF_UP
) -> int:
    """``round(P·r / (1 − (1+r)^−n))`` with r = R/12, in exact integer arithmetic (P/n if R = 0)."""
    if rate == 0:
        return scalar_round_div(balance, periods, rounding)
    # r = p/q; P·r/(1−(1+r)^−n) = P·p·(q+p)^n / (q·((q+p)^n − q^n)).
    p, q = rate.numerator, rate.denominator * 12
    grown = (q + p) ** periods
    return scalar_round_div(balance * p * grown, q * (grown - q**periods), rounding)


def annuity_payment(
    balance: Array, rate_num: Array, rate_den: Array, periods: Array, half_even: Array
) -> Array:
    """The annuity payment of each loan, equal to :func:`exact_annuity_payment` exactly.

    float64 across the batch; the loans whose value is within a hair of a half fen (or too large
    for float64 to resolve the fen) are recomputed exactly.
    """
    b = balance.astype(np.float64)
    r = rate_num.astype(np.float64) / (rate_den.astype(np.float64) * 12.0)
    n = periods.astype(np.float64)
    zero = rate_num == 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.where(zero, 0.0, b * r / -np.expm1(-n * np.log1p(r)))
    floor = np.floor(x)
    near = np.abs(x - floor - 0.5) <= _NEAR_HALF_ABS + _NEAR_HALF_REL * x
    near |= ~np.isfinite(x)
    dtype = object if balance.dtype == object else np.int64
    # Values not near a half are below ~5e11 fen (the relative bound catches larger ones).
    out = np.where(near, 0, floor + (x - floor > 0.5)).astype(np.int64).astype(dtype)
    if zero.any():
        out = np.where(zero, round_div(balance, periods.astype(balance.dtype), half_even), out)
    for i in np.flatnonzero(near & ~zero):
        rounding = Rounding.HALF_EVEN if half_even[i] else Rounding.HALF_UP
        rate = Fraction(int(rate_num[i]), int(rate_den[i]))
        out[i] = exact_annuity_payment(int(balance[i]), rate, int(periods[i]), rounding)
    return out


@dataclass(frozen=True)
class Batch:
    """Inputs of the kernel for L loans over at most N periods (all arrays, one row per loan).

    ``days[i, k]`` is the day numerator of period k (year fraction = days / basis), 0 beyond
    the loan's ``periods``. ``fixed`` is a payment to keep (annuity) or a principal part to keep
    (equal-principal) for a reduce-term recomputation, −1 otherwise; with it the schedule stops
    as soon as the balance is repaid. ``fee`` is the total fee split over the periods.
    """

    balance: Array
    rate_num: Array
    rate_den: Array
    basis: Array
    days: Array
    periods: Array
    method: Array
    half_even: Array
    fee: Array
    fixed: Array


@dataclass(frozen=True)
class Amounts:
    """Kernel output: period-major [N, L] matrices in fen; loan i has ``count[i]`` installments.

    ``principal[k, i]`` is loan i's principal due in period k + 1.
    """

    principal: Array
    interest: Array
    fee: Array
    payment: Array
    balance: Array
    count: Array


def _max(values: Array) -> int:
    return int(values.max()) if values.size else 0


def run(batch: Batch) -> Amounts:
    """Compute the installments of every loan in the batch (SPEC §3).

    Per period k: interest = round(B(k−1)·R·f(k)); principal by method (annuity: payment −
    interest, never below 0 nor above the balance; equal-principal and fee-installment: the
    split part; interest-first and bullet: nothing); the last period takes the whole remaining
    balance. Fees split like principal. payment = principal + interest + fee.
    """
    n_loans, n_max = batch.days.shape
    dtype = exact_dtype(
        _max(batch.balance) * max(_max(batch.rate_num), 2) * max(_max(batch.days), 1),
        4 * _max(batch.rate_den) * 365,
        _max(batch.fee) * 2,
        _max(batch.fixed) * 2,
    )

    def ints(a: Array) -> Array:
        return a.astype(dtype)

    bal = ints(batch.balance)
    num, den, basis = ints(batch.rate_num), ints(batch.rate_den), ints(batch.basis)
    days = ints(batch.days).T.copy()
    periods = batch.periods.astype(np.int64)
    half_even = batch.half_even.astype(bool)
    method = batch.method
    fixed = ints(batch.fixed)
    keep = fixed >= 0
    annuity = method == _ANNUITY
    split_like = (method == _EQUAL_PRINCIPAL) | (method == _FEE_INSTALLMENT)
    safe_periods: Array = np.maximum(periods, 1).astype(dtype)

    pay: Array = fixed.copy()
    rows = np.flatnonzero(annuity & ~keep)
    if rows.size:
        pay[rows] = annuity_payment(bal[rows], num[rows], den[rows], periods[rows], half_even[rows])
    part = np.where(keep, fixed, round_div(bal, safe_periods, half_even))
    fee_left = ints(batch.fee)
    fee_part = round_div(fee_left, safe_periods, half_even)

    # Period-major storage (see Amounts) keeps each period's writes contiguous.
    shape = (n_max, n_loans)
    out: dict[str, Array] = {k: np.zeros(shape, dtype=dtype) for k in ("p", "i", "f", "pay", "b")}
    count = np.zeros(n_loans, dtype=np.int64)
    for k in range(n_max):
        live = (k < periods) & (~keep | (bal > 0))
        if not live.any():
            break
        last = k == periods - 1
        interest = np.where(live, interest_due(bal, num, den, days[k], basis, half_even), 0)
        principal = np.where(
            annuity,
            np.minimum(np.maximum(pay - interest, 0), bal),
            np.where(split_like, np.minimum(part, bal), 0),
        )
        principal = np.where(live, np.where(last, bal, principal), 0)
        fee = np.where(live, np.where(last, fee_left, np.minimum(fee_part, fee_left)), 0)
        bal = bal - principal
        fee_left = fee_left - fee
        out["p"][k] = principal
        out["i"][k] = interest
        out["f"][k] = fee
        out["pay"][k] = principal + interest + fee
        out["b"][k] = bal
        count += live
    return Amounts(out["p"], out["i"], out["f"], out["pay"], out["b"], count)


def collapse_bullets(days: Array, due: Array, periods: Array, bullet: Array) -> None:
    """Turn each bullet row into one period from start to its last due date, in place.

    A bullet loan pays once, at maturity, interest for the whole term: its single period's day
    numerator is the sum over the term (30/360: 30 per month, so f = n/12; act/*: the days
    start → maturity).
    """
    rows = np.flatnonzero(bullet)
    if rows.size == 0:
        return
    last = periods[rows] - 1
    total = days[rows].sum(axis=1)
    due[rows, 0] = due[rows, last]
    days[rows] = 0
    due[rows, 1:] = 0
    days[rows, 0] = total
    periods[rows] = 1


def plan_terms(
    *,
    principal: Array,
    rate_num: Array,
    rate_den: Array,
    fee_num: Array,
    fee_den: Array,
    term: Array,
    start: Array,
    method: Array,
    day_count: Array,
    half_even: Array,
) -> tuple[Batch, Array]:
    """A kernel batch for loans given by their terms, and their [L, N] due dates (epoch days).

    ``start`` is epoch days, ``method`` and ``day_count`` index :data:`METHODS` and
    :data:`DAY_COUNTS`. Due dates and day numerators come from :func:`calendar.due_dates` and
    :func:`period_days`, computed once per distinct (start, day count) and gathered.
    """
    n_loans = principal.shape[0]
    n_max = int(term.max()) if n_loans else 0
    key = start.astype(np.int64) * len(DAY_COUNTS) + day_count
    uniq, inverse = np.unique(key, return_inverse=True)
    due_table = np.zeros((uniq.size, n_max), dtype=np.int64)
    days_table = np.zeros((uniq.size, n_max), dtype=np.int64)
    for u, k in enumerate(uniq.tolist()):
        first, dc = from_epoch(k // len(DAY_COUNTS)), DAY_COUNTS[k % len(DAY_COUNTS)]
        prev = first
        for j, d in enumerate(due_dates(first, n_max)):
            due_table[u, j] = to_epoch(d)
            days_table[u, j] = period_days(dc, prev, d, regular=True)
            prev = d
    beyond = np.arange(n_max)[None, :] >= term[:, None]
    due = np.where(beyond, 0, due_table[inverse])
    days = np.where(beyond, 0, days_table[inverse])
    periods = term.astype(np.int64).copy()
    collapse_bullets(days, due, periods, method == _BULLET)
    basis = np.array([basis_of(dc) for dc in DAY_COUNTS], dtype=np.int64)[day_count]
    fee_dtype = exact_dtype(_max(principal) * max(_max(fee_num), 2), 4 * _max(fee_den))
    fee = round_div(
        principal.astype(fee_dtype) * fee_num.astype(fee_dtype),
        fee_den.astype(fee_dtype),
        half_even,
    )
    batch = Batch(
        balance=principal,
        rate_num=rate_num,
        rate_den=rate_den,
        basis=basis,
        days=days,
        periods=periods,
        method=method,
        half_even=half_even,
        fee=fee,
        fixed=np.full(n_loans, -1, dtype=np.int64),
    )
    return batch, due


def int_array(values: Sequence[int]) -> Array:
    """An int64 array, or a Python-int object array when a value does not fit int64."""
    if all(-_INT64_SAFE < v < _INT64_SAFE for v in values):
        return np.array(values, dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
