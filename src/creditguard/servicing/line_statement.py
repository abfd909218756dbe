"""Statements and revolving interest of a credit-pay line (SPEC §5).

Recognition: installment fees are owed and booked as income when billed; revolving interest is
booked day by day as it accrues (rounded cumulative differences, SPEC §1) and billed on the
next statement without a further posting; principal was booked at purchase.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from creditguard.frozen import replace
from creditguard.ledger.chart import GL
from creditguard.money import CumulativeAccrual, InputError
from creditguard.servicing.line_model import (
    AccrualRun,
    Line,
    LineOp,
    MinimumStep,
    StatementInfo,
    due_dates,
    minimum_due,
    settled_total,
)
from creditguard.servicing.line_money import apply_money, legs_of
from creditguard.servicing.line_step import (
    Step,
    check_date,
    commit,
    event,
)
from creditguard.servicing.model import Amounts, Obligation, ObligationKind
from creditguard.servicing.outcome import Leg, Outcome

__all__ = ["accrue_revolving_interest", "issue_statement"]

# --- statements -----------------------------------------------------------------------------


def issue_statement(line: Line, on: date) -> Outcome[Line]:
    """Issue the statement of ``on`` (a statement day; the end of day calls it).

    Bills purchases of [previous statement, ``on``), every plan installment of the cycle and
    the revolving interest accrued and not yet billed; adds to each earlier statement that is
    still owed its carried minimum step (see :mod:`line_model`); applies a credit balance. The
    result's ``statement`` (``None`` when there was nothing to bill or carry) has the date, due
    date, amount (new + carried − credit applied), minimum and breakdown, in fen.
    """
    check_date(line, on)
    op = LineOp("statement", on)
    return commit(_issue(line, op, False), op)


def _issue(line: Line, op: LineOp, replay: bool) -> Step:
    on, terms = op.on, line.terms
    if on.day != terms.statement_day:
        raise InputError("on", f"{on} is not a statement day (day {terms.statement_day})")
    if line.last_statement is not None and on <= line.last_statement:
        raise InputError("on", f"the statement of {line.last_statement} is already issued")
    ref = f"S{on.isoformat()}"
    billed_any = False

    purchases = list(line.purchases)
    purchase_principal = 0
    for i, p in enumerate(purchases):
        if p.billed_on is None and p.plan_id is None and p.on < on:
            purchase_principal += p.unbilled
            purchases[i] = replace(p, billed_on=on)

    plans = list(line.plans)
    inst_principal = inst_fee = 0
    for k, plan in enumerate(plans):
        installments = list(plan.installments)
        for j, inst in enumerate(installments):
            if inst.statement_ref is None and inst.bill_on <= on:
                inst_principal += inst.principal
                inst_fee += inst.fee
                installments[j] = replace(inst, statement_ref=ref)
                billed_any = True  # even a zero installment needs the statement it names
        plans[k] = replace(plan, installments=tuple(installments))

    interest = line.accrued_interest
    new = Amounts(purchase_principal + inst_principal, interest, inst_fee, 0)

    statements, bills, steps, top, carried = _carry(line, ref)
    if not billed_any and new.total == 0 and carried == 0:
        quiet = replace(line, purchases=tuple(purchases), plans=tuple(plans), last_statement=on)
        return Step(quiet, result={"statement": None})

    own_minimum = terms.minimum_share(purchase_principal) + inst_principal + inst_fee + interest
    if own_minimum > 0:
        steps.append(MinimumStep(ref, ref, own_minimum, top + own_minimum))
    contractual = terms.due_date_of(on)
    ob = Obligation(
        ref,
        ObligationKind.STATEMENT,
        line.moved(contractual),
        contractual,
        new,
        minimum=own_minimum,
    )
    info = StatementInfo(ref, on, purchase_principal, inst_principal)
    line = replace(
        line,
        statements=(*statements, ob),
        bills=(*bills, info),
        requirements=tuple(steps),
        purchases=tuple(purchases),
        plans=tuple(plans),
        accrued_interest=0,
        last_statement=on,
    )
    legs: list[Leg] = [(GL.FEE_RECEIVABLE, GL.FEE_INCOME, inst_fee)]

    owed = sum(s.unpaid.total for s in line.statements)
    credit_applied = min(line.credit_balance, owed)
    if credit_applied > 0:
        applied = apply_money(line, credit_applied, on, tail=False)
        line = replace(applied.line, credit_balance=line.credit_balance - credit_applied)
        legs += legs_of(applied, GL.CUSTOMER_CREDIT)

    amount = sum(s.unpaid.total for s in line.statements)
    minimum = minimum_due(line)
    last = replace(
        line.bills[-1],
        amount=amount,
        minimum=minimum,
        carried=carried,
        credit_applied=credit_applied,
    )
    line = replace(line, bills=(*line.bills[:-1], last))
    shown = {
        "ref": ref,
        "date": on.isoformat(),
        "due_date": ob.due_date.isoformat(),
        "amount": amount,
        "minimum": minimum,
        "new": new.as_dict(),
        "new_purchases": purchase_principal,
        "new_installments": inst_principal + inst_fee,
        "carried": carried,
        "credit_applied": credit_applied,
    }
    issued = event(line, on, "StatementIssued", **shown)
    return Step(line, tuple(legs), (issued,), {"statement": shown})


def _carry(
    line: Line, ref: str
) -> tuple[list[Obligation], list[StatementInfo], list[MinimumStep], int, int]:
    """The carried minimum steps statement ``ref`` adds for earlier statements still owed, the
    threshold its own step starts from, and the carried amount.

    A statement whose minimum so far is covered is asked ``min_payment_rate`` × its carried
    principal plus any unpaid interest, fee and penalty; one whose minimum is not covered keeps
    that step (due on its own date) and is asked its newly billed penalties not yet paid. The
    new steps start from ``max(last threshold, settled so far)`` (see :mod:`line_model`).
    """
    terms = line.terms
    statements, bills = list(line.statements), list(line.bills)
    steps = list(line.requirements)
    settled_now = settled_total(line)
    unmet = {step.owner for step in steps if step.threshold > settled_now}
    top = max(steps[-1].threshold if steps else 0, settled_now)
    carried = 0
    for i, (ob, info) in enumerate(zip(statements, bills, strict=True)):
        unpaid = ob.unpaid
        if unpaid.total > 0:
            carried += unpaid.total
            if ob.ref in unmet:
                need = min(unpaid.penalty, ob.due.penalty - info.penalty_billed)
            else:
                need = (
                    terms.minimum_share(unpaid.principal)
                    + unpaid.interest
                    + unpaid.fee
                    + unpaid.penalty
                )
            if need > 0:
                top += need
                steps.append(MinimumStep(ob.ref, ref, need, top))
        bills[i] = replace(info, penalty_billed=ob.due.penalty)
    return statements, bills, steps, top, carried


# --- revolving interest ---------------------------------------------------------------------


def accrue_revolving_interest(line: Line, on: date) -> Outcome[Line]:
    """Accrue revolving interest for every day after the last accrued one, through ``on``.

    A statement accrues ``revolving_daily_rate`` × its unpaid principal for day d when d is
    after its due date and it is not past due at d (its minimum in force is settled): paid in
    full → nothing; minimum paid → the remainder accrues from the day after the due date until
    paid; minimum not paid → the overdue engine's fee instead. Day d uses the balance at the
    end of d (a payment on d stops d's interest: 算头不算尾). Each day's interest is booked as
    a rounded cumulative difference of the statement's run (SPEC §1); the end of day calls this
    once a day; a catch-up over several days uses today's balances for each of them.
    """
    check_date(line, on)
    op = LineOp("accrue", on)
    if on <= line.accrued_through:
        return commit(Step(line, result={"interest": 0, "by_statement": {}}), None)
    return commit(_accrue(line, op, False), op)


def _uncovered_since(line: Line) -> list[tuple[str, date]]:
    """(owner, due date) of each minimum step not yet covered: :func:`uncovered` at day d is
    the owners whose step's due date is before d (the same rule, evaluated once)."""
    total = settled_total(line)
    dues = due_dates(line)
    return [(step.owner, dues[step.set_by]) for step in line.requirements if step.threshold > total]


def _accrue(line: Line, op: LineOp, replay: bool) -> Step:
    on = op.on
    if on <= line.accrued_through:
        return Step(line)
    rate = Fraction(line.terms.revolving_daily_rate)
    bills = list(line.bills)
    by_statement: dict[str, int] = {}
    day = line.accrued_through + timedelta(days=1)
    # The line does not change while it accrues: only the day does. So the balances, and the
    # minimum steps not covered (each with the date it is in force from), are found once.
    bases = [ob.unpaid_principal for ob in line.statements]
    in_force = _uncovered_since(line)
    while day <= on:
        late = {owner for owner, since in in_force if since < day}
        for i, ob in enumerate(line.statements):
            info = bills[i]
            base = bases[i]
            if base <= 0 or day <= ob.due_date or ob.ref in late:
                if info.run is not None:
                    bills[i] = replace(info, run=None)
                continue
            run = info.run
            if run is None or run.base != base or run.last_day != day - timedelta(days=1):
                run = AccrualRun(base, Fraction(0), 0, day)
            accrual = CumulativeAccrual(line.terms.rounding, run.exact, run.booked)
            booked = accrual.add(rate * base)
            bills[i] = replace(info, run=AccrualRun(base, accrual.exact, accrual.booked, day))
            by_statement[ob.ref] = by_statement.get(ob.ref, 0) + booked
        day += timedelta(days=1)
    total = sum(by_statement.values())
    line = replace(
        line,
        bills=tuple(bills),
        accrued_interest=line.accrued_interest + total,
        accrued_through=on,
    )
    legs: tuple[Leg, ...] = ((GL.INTEREST_RECEIVABLE, GL.INTEREST_INCOME, total),)
    return Step(line, legs, (), {"interest": total, "by_statement": by_statement})
