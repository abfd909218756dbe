"""Applying a loan's logged commands: one function per kind, a dispatcher, and re-derivation.

Every state change of a loan goes through :func:`apply_op` and is appended to its history, so
:func:`rederive` can rebuild the loan from its disbursed installments with some payments taken
out (a chargeback) and everything after them re-applied in order.
"""

from __future__ import annotations

from datetime import date, timedelta

from creditguard.frozen import replace
from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing import allocation
from creditguard.servicing.loan_model import (
    PENALTY,
    RECEIVABLE_GL,
    REPAY,
    WAIVE,
    Loan,
    LoanOp,
    allocation_rows,
    catch_up_recognition,
)
from creditguard.servicing.loan_repay import apply_repayment, is_settled
from creditguard.servicing.model import Amounts, Component, DomainEvent
from creditguard.servicing.outcome import Leg, Outcome, postings_from_legs

__all__ = ["apply_booking", "apply_op", "rederive"]


def _logged(loan: Loan, op: LoanOp) -> Loan:
    """``loan`` with ``op`` appended to its history and dated by it.

    A penalty is folded into the same installment's penalty in the trailing run of penalty-only
    ops: nothing else happened in between and penalties on different installments commute, so
    re-deriving gives the same loan, and a delinquent loan's log grows with its commands, not
    with its days.
    """
    history = loan.history
    if op.kind == PENALTY:
        i = len(history)
        while i > 0 and history[i - 1].kind == PENALTY:
            i -= 1
            if history[i].ref == op.ref:
                merged = replace(op, amount=history[i].amount + op.amount)
                return replace(
                    loan, history=(*history[:i], *history[i + 1 :], merged), last_date=op.on
                )
    return replace(loan, history=(*history, op), last_date=op.on)


def apply_booking(loan: Loan, on: date) -> Outcome[Loan]:
    """Book the interest (and fee) of installments whose period ended or that fell due by ``on``.

    Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME (fee likewise). Idempotent: what is booked is
    remembered per installment, so a second call books nothing. Not logged in the history:
    ``booked_through`` is enough to re-derive it (:func:`rederive`).
    """
    marks, interest, fee = catch_up_recognition(loan.installments, loan.recognized, ended_by=on)
    legs: list[Leg] = [
        (GL.INTEREST_RECEIVABLE, GL.INTEREST_INCOME, interest),
        (GL.FEE_RECEIVABLE, GL.FEE_INCOME, fee),
    ]
    through = on if loan.booked_through is None else max(on, loan.booked_through)
    state = replace(loan, recognized=marks, booked_through=through, last_date=on)
    result = {"interest_booked": interest, "fee_booked": fee}
    return Outcome(state, postings_from_legs(loan.account, legs), (), result)


def apply_waiver(loan: Loan, op: LoanOp) -> Outcome[Loan]:
    """Waive a component of fallen-due installments, oldest first (allocation.waive).

    Interest or fee not yet recognised (a waiver on the due date before the end of day) is
    recognised first; then Dr WAIVER_EXPENSE / Cr the receivable.
    """
    component = Component(op.component)
    due = [i for i, ob in enumerate(loan.installments) if ob.due_date <= op.on]
    result = allocation.waive(component, op.amount, [loan.installments[i] for i in due])
    installments = list(loan.installments)
    for i, ob in zip(due, result.obligations, strict=True):
        installments[i] = ob
    marks, interest, fee = catch_up_recognition(installments, loan.recognized)
    legs: list[Leg] = [
        (GL.INTEREST_RECEIVABLE, GL.INTEREST_INCOME, interest),
        (GL.FEE_RECEIVABLE, GL.FEE_INCOME, fee),
        (GL.WAIVER_EXPENSE, RECEIVABLE_GL[component], op.amount),
    ]
    settled = is_settled(installments)
    state = replace(
        _logged(loan, op),
        installments=tuple(installments),
        recognized=marks,
        status="settled" if settled else loan.status,
        settled_on=op.on if settled else None,
    )
    listed = allocation_rows(result.allocations)
    event = DomainEvent(
        op.on,
        loan.account,
        "Waived",
        {
            "component": op.component,
            "amount": op.amount,
            "reason": op.reason,
            "approver": op.approver,
            "allocations": listed,
        },
    )
    outcome_result = {"allocations": listed, "settled": settled}
    return Outcome(state, postings_from_legs(loan.account, legs), (event,), outcome_result)


def apply_penalty(loan: Loan, op: LoanOp) -> Outcome[Loan]:
    """Charge a penalty on one installment: Dr PENALTY_RECEIVABLE / Cr PENALTY_INCOME."""
    i = loan.index_of(op.ref)
    installments = list(loan.installments)
    installments[i] = replace(
        installments[i], due=installments[i].due.add(Component.PENALTY, op.amount)
    )
    state = replace(_logged(loan, op), installments=tuple(installments))
    legs: list[Leg] = [(GL.PENALTY_RECEIVABLE, GL.PENALTY_INCOME, op.amount)]
    return Outcome(state, postings_from_legs(loan.account, legs), (), {"ref": op.ref})


def apply_move(loan: Loan, op: LoanOp) -> Outcome[Loan]:
    """Move every due date in [start, end] to end + relief_days; interest stays as scheduled."""
    if op.start is None or op.end is None:  # pragma: no cover - built by LoanOp.relief
        raise InputError("relief", "an outage relief needs start and end")
    start, end = op.start, op.end
    target = end + timedelta(days=op.relief_days)
    installments = list(loan.installments)
    moved: list[dict[str, str]] = []
    for i, ob in enumerate(installments):
        if start <= ob.due_date <= end and ob.due_date != target:
            moved.append(
                {"installment": ob.ref, "from": ob.due_date.isoformat(), "to": target.isoformat()}
            )
            installments[i] = replace(ob, due_date=target)
    state = replace(_logged(loan, op), installments=tuple(installments))
    event = DomainEvent(
        op.on,
        loan.account,
        "DueDateRelief",
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "relief_days": op.relief_days,
            "moved": moved,
        },
    )
    return Outcome(state, (), (event,), {"moved": tuple(moved)})


def apply_op(loan: Loan, op: LoanOp) -> Outcome[Loan]:
    """Apply one logged command to ``loan`` and append it to the history."""
    if op.kind == REPAY:
        return apply_repayment(loan, op)
    if op.kind == WAIVE:
        return apply_waiver(loan, op)
    if op.kind == PENALTY:
        return apply_penalty(loan, op)
    return apply_move(loan, op)


def rederive(loan: Loan, reversed_payments: tuple[str, ...]) -> Loan:
    """The loan as it would be had the payments in ``reversed_payments`` never been made.

    Starts from the disbursed installments and re-applies the history in order, skipping those
    payments (they stay in the log, marked reversed), then books interest through
    ``booked_through`` as the end-of-day runs did. Status is re-derived for settlement only: a
    loan the reversal un-settles goes back to ``active`` and the end of day re-assesses it.
    """
    state = replace(
        loan,
        installments=loan.initial,
        recognized=tuple(Amounts() for _ in loan.initial),
        level_payment=loan.initial_level_payment,
        accrual_from=loan.start,
        accrual_fixed=0,
        history=(),
        reversed_payments=reversed_payments,
        status="active",
        settled_on=None,
        last_date=loan.start,
    )
    for op in loan.history:
        if op.kind == REPAY and op.payment_id in reversed_payments:
            state = replace(state, history=(*state.history, op))
            continue
        state = apply_op(state, op).state
    marks, _, _ = catch_up_recognition(
        state.installments, state.recognized, ended_by=loan.booked_through
    )
    status = loan.status if loan.status != "settled" else "active"
    if state.status == "settled":
        status = "settled"
    return replace(state, recognized=marks, status=status, last_date=loan.last_date)
