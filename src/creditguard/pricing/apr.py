"""Annualized rate disclosure and rate caps (SPEC §4, PBOC Announcement [2021] No. 3).

The disclosed rate is the IRR of the borrower's real cash flows: the amount actually received
(principal less fees taken up front) at t = 0 and every payment at its date. A payment on
``add_months(start, k)`` sits at t = k; any other date at t = days / (365/12). The root is
bracketed and found in float64 (SciPy's brentq on x = ln(1 + IRR), where the cash-flow value is
strictly monotone), then polished with Newton steps in 50-digit Decimal arithmetic so the
reported figures are deterministic to well beyond the 10 places promised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction

from scipy.optimize import brentq

from creditguard.calendar import add_months
from creditguard.money import InputError, format_rate
from creditguard.pricing.schedule import Schedule, build_schedule
from creditguard.pricing.terms import LoanTerms, coerce_rate

__all__ = [
    "AnnualizedRate",
    "CapRule",
    "RateCapExceeded",
    "annualized_rate",
    "cash_flow_time",
    "check_rate_cap",
    "rate_cap",
    "schedule_apr",
]

_PLACES = Decimal(1).scaleb(-20)
_DISCLOSED = Decimal("0.0001")
_DAYS_PER_MONTH = Fraction(365, 12)


@dataclass(frozen=True)
class AnnualizedRate:
    """Periodic (monthly) IRR and its annualizations, to 20 decimal places.

    ``apr_nominal`` (IRR × 12) is the figure to disclose; format it with
    :func:`creditguard.money.format_rate`.
    """

    irr_period: Decimal
    apr_nominal: Decimal
    apr_effective: Decimal


def cash_flow_time(start: date, on: date) -> Fraction:
    """Time of a cash flow in months: k on add_months(start, k), else days / (365/12)."""
    months = (on.year - start.year) * 12 + on.month - start.month
    if months >= 1 and add_months(start, months) == on:
        return Fraction(months)
    return Fraction((on - start).days) / _DAYS_PER_MONTH


def annualized_rate(
    principal: int,
    start: date,
    payments: Sequence[tuple[date, int]],
    *,
    upfront_fee: int = 0,
) -> AnnualizedRate:
    """The annualized rate of a loan from its cash flows (SPEC §4).

    ``principal`` and payments are fen; ``upfront_fee`` is deducted from the amount lent at
    t = 0. A loan whose payments add up to exactly the amount received costs exactly 0.
    """
    if isinstance(principal, bool) or not isinstance(principal, int) or principal <= 0:
        raise InputError("principal", f"must be integer fen > 0, got {principal!r}")
    if isinstance(upfront_fee, bool) or not isinstance(upfront_fee, int) or upfront_fee < 0:
        raise InputError("upfront_fee", f"must be integer fen >= 0, got {upfront_fee!r}")
    received = principal - upfront_fee
    if received <= 0:
        raise InputError("upfront_fee", "must be less than the principal")
    flows: list[tuple[Fraction, int]] = []
    for on, amount in payments:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InputError("payments", f"amount {amount!r} on {on} must be integer fen >= 0")
        if on < start:
            raise InputError("payments", f"payment on {on} is before the start {start}")
        if amount:
            flows.append((cash_flow_time(start, on), amount))
    if sum(a for t, a in flows if t > 0) == 0:
        raise InputError("payments", "at least one payment after the start is needed")
    if sum(a for t, a in flows if t == 0) >= received:
        raise InputError("payments", "payments on the start date already repay the amount lent")
    if sum(a for _, a in flows) == received:
        zero = Decimal(0)
        return AnnualizedRate(zero, zero, zero)

    times = [float(t) for t, _ in flows]
    amounts = [float(a) for _, a in flows]

    def value(x: float) -> float:
        # Present value minus the amount received, at x = ln(1 + IRR); strictly decreasing.
        return math.fsum(a * math.exp(-t * x) for t, a in zip(times, amounts, strict=True)) - (
            received
        )

    lo, hi = -0.5, 0.5
    for _ in range(60):
        if value(lo) > 0:
            break
        lo *= 2
    for _ in range(60):
        if value(hi) < 0:
            break
        hi *= 2
    x = float(brentq(value, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=200))
    irr = _polish(Decimal(repr(math.expm1(x))), flows, received)
    with localcontext() as ctx:
        ctx.prec = 50
        effective = (1 + irr) ** 12 - 1
    return AnnualizedRate(
        irr.quantize(_PLACES), (irr * 12).quantize(_PLACES), effective.quantize(_PLACES)
    )


def _polish(irr: Decimal, flows: list[tuple[Fraction, int]], received: int) -> Decimal:
    """Newton steps on the IRR in 50-digit decimal arithmetic, from a float64 root."""
    with localcontext() as ctx:
        ctx.prec = 50
        times = [Decimal(t.numerator) / Decimal(t.denominator) for t, _ in flows]
        for _ in range(4):
            base = 1 + irr
            pv = slope = Decimal(0)
            for t, (_, amount) in zip(times, flows, strict=True):
                discounted = amount * base**-t
                pv += discounted
                slope -= t * discounted / base
            step = (pv - received) / slope
            irr -= step
            if abs(step) < Decimal(10) ** -40:
                break
    return irr


def schedule_apr(
    terms: LoanTerms, schedule: Schedule | None = None, *, upfront_fee: int = 0
) -> AnnualizedRate:
    """The annualized rate of a loan's schedule (built from ``terms`` when not given)."""
    if schedule is None:
        schedule = build_schedule(terms)
    payments = [(i.due_date, i.payment) for i in schedule.installments]
    return annualized_rate(terms.principal, terms.start, payments, upfront_fee=upfront_fee)


class CapRule(StrEnum):
    """Selectable annualized-rate caps (SPEC §4)."""

    PCT24 = "24%"
    PCT20 = "20%"
    LPR4X = "4xLPR"  # private lending: 4 × one-year LPR at contract date


def rate_cap(rule: CapRule = CapRule.PCT24, *, lpr_one_year: Decimal | None = None) -> Decimal:
    """The cap on apr_nominal under ``rule``; 4×LPR needs the one-year LPR at contract date."""
    try:
        rule = CapRule(rule)
    except ValueError:
        raise InputError("rule", f"{rule!r} is not one of 24%, 20%, 4xLPR") from None
    if rule is CapRule.PCT24:
        return Decimal("0.24")
    if rule is CapRule.PCT20:
        return Decimal("0.20")
    if lpr_one_year is None:
        raise InputError("lpr_one_year", "the 4xLPR cap needs the one-year LPR at contract date")
    lpr = coerce_rate(lpr_one_year, "lpr_one_year", Decimal(1))
    if lpr <= 0:
        raise InputError("lpr_one_year", f"must be > 0, got {lpr}")
    return 4 * lpr


class RateCapExceeded(InputError):
    """An offer or product whose disclosed annualized rate is above the cap."""

    def __init__(self, what: str, disclosed: Decimal, cap: Decimal) -> None:
        shown, limit = format_rate(disclosed), format_rate(cap)
        super().__init__(
            what,
            f"年化利率 {shown} 超过上限 {limit}，不予办理; "
            f"the annualized rate {shown} exceeds the cap {limit}",
        )
        self.disclosed = disclosed
        self.cap = cap


def check_rate_cap(rate: AnnualizedRate, cap: Decimal, *, what: str) -> None:
    """Refuse ``what`` (a product or an offer) when its disclosed rate exceeds ``cap``.

    The disclosed figure is apr_nominal rounded half-up to 4 places, so a product priced
    exactly at the cap is not refused for a sub-fen rounding artefact.
    """
    disclosed = rate.apr_nominal.quantize(_DISCLOSED, rounding=ROUND_HALF_UP)
    if disclosed > cap:
        raise RateCapExceeded(what, disclosed, cap)
