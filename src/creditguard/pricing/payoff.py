"""Payoff quotes: what settles a loan on a given date (SPEC §2, §6 early repayment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from creditguard.money import InputError
from creditguard.pricing import kernel
from creditguard.pricing.schedule import Schedule
from creditguard.pricing.terms import LoanTerms

__all__ = ["PayoffQuote", "payoff_quote"]


@dataclass(frozen=True)
class PayoffQuote:
    """Amounts in fen to settle a loan on one date; ``total`` is their sum."""

    principal: int
    interest: int
    past_due: int
    total: int


def payoff_quote(
    terms: LoanTerms, schedule: Schedule, on: date, *, paid_periods: int | None = None
) -> PayoffQuote:
    """The amount that settles the loan (``terms`` and its ``schedule``) on date ``on``.

    - ``past_due``: the full payment of every installment due on or before ``on`` that is not
      among the first ``paid_periods`` (default: all of them were paid as scheduled);
    - ``principal``: the principal of the installments not yet due;
    - ``interest``: interest on that principal only for the days it was actually held, from the
      last due date on or before ``on`` (or the start) to ``on`` (算头不算尾; 30/360 counts this
      partial period with 30E/360), never more than that installment's scheduled interest.

    Fees of installments not yet due are not charged (a fee-installment plan settled early
    pays only its remaining principal); penalties are the overdue engine's business, not this
    quote's.
    """
    if on < terms.start:
        raise InputError("on", f"{on} is before the loan's start {terms.start}")
    items = schedule.installments
    if not items:
        raise InputError("schedule", "has no installments")
    fallen = sum(1 for i in items if i.due_date <= on)
    paid = fallen if paid_periods is None else paid_periods
    if isinstance(paid, bool) or not isinstance(paid, int) or not 0 <= paid <= fallen:
        raise InputError(
            "paid_periods", f"must be between 0 and the {fallen} installments due by {on}"
        )
    past_due = sum(i.payment for i in items[paid:fallen])
    if fallen == len(items):
        return PayoffQuote(0, 0, past_due, past_due)

    current = items[fallen]
    held_from = items[fallen - 1].due_date if fallen else terms.start
    principal = current.principal + current.balance
    days = kernel.period_days(terms.day_count, held_from, on, regular=False)
    accrued = kernel.interest_of(
        principal,
        Fraction(terms.annual_rate),
        days,
        kernel.basis_of(terms.day_count),
        terms.rounding,
    )
    interest = min(accrued, current.interest)
    return PayoffQuote(principal, interest, past_due, principal + interest + past_due)
