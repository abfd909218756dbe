"""A cash loan's repayment: the SPEC §6 waterfall, then accrued interest, then early principal.

Order: installments past due (oldest first) and due today, each penalty → fee → interest →
principal (``allocation.allocate``); installments whose interest period has ended but whose due
date outage relief moved later are treated as due today (their amounts are final, paying them
saves nothing and harms nobody). Then the interest accrued to date on the current period, then
principal as an early repayment, which re-amortizes the rest of the loan (pricing.amortize).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from creditguard.frozen import replace
from creditguard.ledger.chart import GL
from creditguard.money import InputError, Rounding, format_amount, round_div
from creditguard.pricing import Method, amortize
from creditguard.pricing.kernel import exact_annuity_payment
from creditguard.servicing.allocation import allocate
from creditguard.servicing.loan_model import (
    RECEIVABLE_GL,
    Loan,
    LoanOp,
    accrued_current,
    allocation_rows,
    catch_up_recognition,
    payoff_amount,
    principal_gl,
)
from creditguard.servicing.model import Allocation, Amounts, Component, DomainEvent, Obligation
from creditguard.servicing.outcome import Leg, Outcome, postings_from_legs

__all__ = ["apply_repayment", "is_settled", "level_payment_for"]


def is_settled(installments: tuple[Obligation, ...] | list[Obligation]) -> bool:
    """Nothing left to pay on any installment."""
    return all(ob.unpaid.total == 0 for ob in installments)


def level_payment_for(
    method: Method, annual_rate: Decimal, balance: int, periods: int, rounding: Rounding
) -> int:
    """The amount a reduce-term prepayment keeps: the annuity payment of ``balance`` over
    ``periods`` (SPEC §3), the principal part of an equal-principal loan, else 0."""
    if method is Method.ANNUITY:
        return exact_annuity_payment(balance, Fraction(annual_rate), periods, rounding)
    if method is Method.EQUAL_PRINCIPAL:
        return round_div(balance, periods, rounding)
    return 0


def _prepay(
    loan: Loan, installments: list[Obligation], c: int, on: date, fixed: int, principal: int
) -> tuple[list[Obligation], list[Amounts], int]:
    """Apply ``principal`` early on installment ``c`` and re-schedule from ``on``.

    The current installment keeps the interest ``fixed`` for the days before ``on`` and takes
    the new schedule's interest from ``on`` to its due date; the early principal shows on it as
    principal due and paid. Returns (installments, recognised marks, level payment).
    """
    held = sum(ob.unpaid.principal for ob in installments[c:])
    remaining = held - principal
    old = installments[c]
    recognized = list(loan.recognized[: c + 1])
    if remaining == 0:
        # Settlement: the current installment becomes exactly what was paid on it (the interest
        # for the days held and all principal left); later installments are dropped.
        due = Amounts(
            principal=old.paid.principal + principal,
            interest=fixed,
            fee=old.paid.fee + old.waived.fee,
            penalty=old.due.penalty,
        )
        settled = replace(
            old, due=due, paid=old.paid.add(Component.PRINCIPAL, principal), minimum=due.non_penalty
        )
        return [*installments[:c], settled], recognized, loan.level_payment

    # Interest-first and bullet loans have no level amount to keep: they always keep their dates.
    keep_payment = (
        loan.prepayment == "reduce-term"
        and loan.method in (Method.ANNUITY, Method.EQUAL_PRINCIPAL)
        and loan.level_payment > 0
    )
    dates = [ob.original_due_date for ob in installments[c:]]
    schedule = amortize(
        remaining,
        loan.annual_rate,
        on,
        dates,
        loan.method,
        day_count=loan.day_count,
        rounding=loan.rounding,
        payment=loan.level_payment if keep_payment else None,
    )
    by_date = {ob.original_due_date: ob for ob in installments[c:]}
    rescheduled: list[Obligation] = []
    for k, row in enumerate(schedule.installments):
        before = by_date[row.due_date]
        if k == 0:
            due = Amounts(
                principal=old.paid.principal + principal + row.principal,
                interest=fixed + row.interest,
                fee=old.due.fee,
                penalty=old.due.penalty,
            )
            ob = replace(old, due=due, paid=old.paid.add(Component.PRINCIPAL, principal))
        else:
            due = Amounts(principal=row.principal, interest=row.interest, fee=before.due.fee)
            ob = replace(before, due=due)
        rescheduled.append(replace(ob, minimum=due.non_penalty))
    recognized += [Amounts()] * (len(rescheduled) - 1)
    level = loan.level_payment
    if not keep_payment:
        level = level_payment_for(
            loan.method, loan.annual_rate, remaining, len(dates), loan.rounding
        )
    return [*installments[:c], *rescheduled], recognized, level


def _payment_legs(loan: Loan, allocations: list[Allocation]) -> list[Leg]:
    legs: list[Leg] = []
    for a in allocations:
        credit = (
            principal_gl(loan, a.obligation_ref)
            if a.component is Component.PRINCIPAL
            else RECEIVABLE_GL[a.component]
        )
        legs.append((GL.CASH, credit, a.amount))
    return legs


def apply_repayment(loan: Loan, op: LoanOp) -> Outcome[Loan]:
    """Apply one payment to ``loan`` (validated by the caller except the payoff limit)."""
    on, amount = op.on, op.amount
    payoff = payoff_amount(loan, on)
    if amount > payoff:
        raise InputError(
            "amount",
            f"{format_amount(amount)} exceeds the payoff of loan {loan.account} on {on}: "
            f"{format_amount(payoff)} / 还款金额超过结清金额 {format_amount(payoff)}",
        )
    original = list(loan.installments)
    view = [
        replace(ob, due_date=on) if ob.original_due_date <= on < ob.due_date else ob
        for ob in original
    ]
    waterfall = allocate(amount, view, on)
    installments = [
        replace(new, due_date=old.due_date)
        for new, old in zip(waterfall.obligations, original, strict=True)
    ]
    allocations = list(waterfall.allocations)
    left = waterfall.remainder
    accrued_paid = early = 0
    recognized = list(loan.recognized)
    level, accrual_from, accrual_fixed = loan.level_payment, loan.accrual_from, loan.accrual_fixed
    c, accrued = accrued_current(loan, on)
    if left and c is not None:
        ob = installments[c]
        accrued_paid = min(left, max(0, accrued - ob.paid.interest - ob.waived.interest))
        if accrued_paid:
            installments[c] = ob.settle(Component.INTEREST, accrued_paid)
            allocations.append(Allocation(ob.ref, Component.INTEREST, accrued_paid))
            left -= accrued_paid
        if left:
            early, left = left, 0
            fixed = max(accrued, installments[c].paid.interest)
            allocations.append(Allocation(ob.ref, Component.PRINCIPAL, early))
            installments, recognized, level = _prepay(loan, installments, c, on, fixed, early)
            accrual_from, accrual_fixed = on, fixed
    if left:  # pragma: no cover - the payoff check makes this impossible
        raise AssertionError(f"{left} fen of a payment could not be allocated")

    marks, book_interest, book_fee = catch_up_recognition(installments, recognized)
    legs: list[Leg] = [
        (GL.INTEREST_RECEIVABLE, GL.INTEREST_INCOME, book_interest),
        (GL.FEE_RECEIVABLE, GL.FEE_INCOME, book_fee),
        *_payment_legs(loan, allocations),
    ]
    settled = is_settled(installments)
    state = replace(
        loan,
        installments=tuple(installments),
        recognized=marks,
        level_payment=level,
        accrual_from=accrual_from,
        accrual_fixed=accrual_fixed,
        status="settled" if settled else loan.status,
        settled_on=on if settled else None,
        history=(*loan.history, op),
        last_date=on,
    )
    payload: dict[str, Any] = {
        "payment_id": op.payment_id,
        "amount": amount,
        "allocations": allocation_rows(allocations),
        "accrued_interest_paid": accrued_paid,
        "early_principal": early,
        "settled": settled,
    }
    event = DomainEvent(on, loan.account, "PaymentReceived", payload)
    result = {**payload, "payoff_before": payoff}
    return Outcome(state, postings_from_legs(loan.account, legs), (event,), result)
