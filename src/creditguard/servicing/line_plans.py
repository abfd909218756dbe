"""Fee-installment plans of a credit-pay line: converting a statement or a purchase, and the
refund of an installment purchase (SPEC §3, §5).

A converted statement's first installment falls on the statement's own due date and its fee is
billed (and booked) at once; every other installment is billed — principal and fee at 100% of
the minimum — by the statement of its cycle.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from creditguard.calendar import DayCount, add_months
from creditguard.frozen import replace
from creditguard.ledger.chart import GL
from creditguard.money import InputError, round_fen, split
from creditguard.pricing import Method, amortize
from creditguard.servicing.line_model import (
    InstallmentPlan,
    Line,
    LineOp,
    LineTerms,
    MinimumStep,
    PlanInstallment,
    StatementInfo,
    minimum_due,
    next_statement_date,
    settled_total,
)
from creditguard.servicing.line_step import (
    Step,
    check_date,
    commit,
    event,
)
from creditguard.servicing.model import Amounts, Obligation
from creditguard.servicing.outcome import Leg, Outcome

__all__ = ["convert_to_installments", "shrink_plan"]


def convert_to_installments(
    line: Line,
    periods: int,
    on: date,
    *,
    statement: str | None = None,
    purchase_id: str | int | None = None,
) -> Outcome[Line]:
    """Convert a statement (default: the latest) or one purchase into a fee-installment plan.

    Only before the statement's due date. Fee = round(P × fee rate of ``periods``), principal
    and fee each split over the periods (SPEC §3). A converted statement's first installment
    falls on its own due date (and counts 100% toward its minimum, while the converted amount
    leaves it); a converted purchase is billed from the next statement. Periods not offered →
    InputError naming the offered ones.
    """
    check_date(line, on)
    if isinstance(periods, bool) or not isinstance(periods, int):
        raise InputError("periods", f"must be a whole number, not {type(periods).__name__}")
    if statement is not None and purchase_id is not None:
        raise InputError("purchase", "convert a statement or a purchase, not both")
    if purchase_id is not None:
        op = LineOp("convert", on, ref=str(purchase_id), periods=periods, component="purchase")
    else:
        if statement is None:
            if not line.statements:
                raise InputError("statement", f"line {line.account} has no statement to convert")
            statement = line.statements[-1].ref
        op = LineOp("convert", on, ref=statement, periods=periods, component="statement")
    return commit(_convert(line, op, False), op)


def _revolving_unpaid(ob: Obligation, info: StatementInfo) -> int:
    """Unpaid principal of a statement that is not installment principal.

    Principal paid on a statement counts first against its installment principal (which is
    100% of the minimum), so what can still be converted is the revolving rest.
    """
    unpaid_installments = max(0, info.installment_principal - ob.paid.principal)
    return max(0, ob.unpaid.principal - unpaid_installments)


def _resize_own_step(
    line: Line, ref: str, leaving: int, first_installment: int
) -> tuple[MinimumStep, ...]:
    """The minimum steps after converting (part of) statement ``ref``, the latest statement
    (it is not yet due, so no later one exists).

    What is still unpaid of the line's minimum loses the converted amount's share
    (``leaving``, not below zero) and gains the first installment in full.
    """
    steps = list(line.requirements)
    total = settled_total(line)
    top = steps[-1].threshold if steps else 0
    unpaid = max(0, top - total)
    own = steps.pop() if steps and steps[-1].owner == steps[-1].set_by == ref else None
    floor = own.threshold - own.amount if own is not None else top
    threshold = max(floor, total + max(0, unpaid - leaving) + first_installment)
    amount = threshold - floor
    if amount > 0:
        steps.append(MinimumStep(ref, ref, amount, threshold))
    return tuple(steps)


def _convert(line: Line, op: LineOp, replay: bool) -> Step:
    terms = line.terms
    rate = terms.fee_rate(op.periods)
    statements, bills = list(line.statements), list(line.bills)
    purchases = list(line.purchases)
    plan_id = f"I{len(line.plans) + 1}"
    index: int | None = None  # the statement the converted amount leaves
    if op.component == "statement":
        index = line.statement_index(op.ref)
        ob, info = statements[index], bills[index]
        if info.plan_id is not None:
            raise InputError("statement", f"statement {ob.ref} is already converted")
        principal = _revolving_unpaid(ob, info)
        first_bill = info.on
    else:
        k = line.purchase_index(op.ref)
        p = purchases[k]
        if p.plan_id is not None:
            raise InputError("purchase", f"purchase {p.id} is already converted ({p.plan_id})")
        if p.billed_on is None:
            principal = p.unbilled
            first_bill = next_statement_date(terms, p.on)
        else:
            index = next((i for i, b in enumerate(bills) if b.on == p.billed_on), None)
            if index is None:  # billed at zero (refunded or repaid before its statement)
                if replay:
                    return Step(line)
                raise InputError("purchase", f"purchase {p.id} has nothing left to convert")
            ob, info = statements[index], bills[index]
            if info.plan_id is not None:
                raise InputError("purchase", f"its statement {ob.ref} is already converted")
            principal = min(p.amount - p.refunded - p.prepaid, _revolving_unpaid(ob, info))
            first_bill = next_statement_date(terms, info.on)
        purchases[k] = replace(p, plan_id=plan_id)
    if index is not None and op.on >= statements[index].due_date:
        due = statements[index].due_date
        raise InputError(
            "on", f"statement {statements[index].ref} fell due on {due}: convert before then"
        )
    if replay and op.amount and index is not None:
        # Re-derived, a statement may owe more than when it was converted: convert what the
        # borrower converted then. An unbilled purchase is always converted whole.
        principal = min(principal, op.amount)
    if principal <= 0:
        if replay:
            return Step(line)
        raise InputError(op.component, f"nothing to convert on {op.ref}: no revolving principal")

    fee = round_fen(Fraction(rate) * principal, terms.rounding)
    bill_dates = [add_months(first_bill, n, day=terms.statement_day) for n in range(op.periods)]
    contractual = [terms.due_date_of(b) for b in bill_dates]
    due_list = [line.moved(d) for d in contractual]
    if index is not None and op.component == "statement":
        due_list[0] = statements[index].due_date
    # Priced on the contractual dates: a fee plan's amounts do not depend on its dates, and an
    # outage longer than a month moves two installments onto one date, which a schedule
    # refuses. The installments show the (moved) dates they fall due on.
    schedule = amortize(
        principal,
        Decimal(0),
        first_bill,
        contractual,
        Method.FEE_INSTALLMENT,
        day_count=DayCount.ACT_365,
        rounding=terms.rounding,
        fee=fee,
    )
    installments = [
        PlanInstallment(i.period, b, due, i.principal, i.fee)
        for i, b, due in zip(schedule.installments, bill_dates, due_list, strict=True)
    ]
    legs: list[Leg] = []
    steps = line.requirements
    if index is not None:
        ob, info = statements[index], bills[index]
        first = installments[0] if op.component == "statement" else None
        add_principal = first.principal if first else 0
        add_fee = first.fee if first else 0
        steps = _resize_own_step(
            line, ob.ref, terms.minimum_share(principal), add_principal + add_fee
        )
        statements[index] = replace(
            ob,
            due=Amounts(
                ob.due.principal - principal + add_principal,
                ob.due.interest,
                ob.due.fee + add_fee,
                ob.due.penalty,
            ),
        )
        bills[index] = replace(
            info,
            purchase_principal=info.purchase_principal - principal,
            installment_principal=info.installment_principal + add_principal,
            plan_id=plan_id if first else info.plan_id,
        )
        if first is not None:
            installments[0] = replace(first, statement_ref=ob.ref)
            legs.append((GL.FEE_RECEIVABLE, GL.FEE_INCOME, first.fee))
    plan = InstallmentPlan(
        plan_id,
        op.component,
        op.ref,
        op.on,
        op.periods,
        rate,
        principal,
        fee,
        tuple(installments),
    )
    line = replace(
        line,
        requirements=steps,
        statements=tuple(statements),
        bills=tuple(bills),
        purchases=tuple(purchases),
        plans=(*line.plans, plan),
    )
    if index is not None:
        # The bill is shown again as of the conversion: what is owed and the minimum now.
        bill = replace(
            line.bills[index],
            amount=sum(ob.unpaid.total for ob in line.statements),
            minimum=minimum_due(line),
        )
        line = replace(line, bills=(*line.bills[:index], bill, *line.bills[index + 1 :]))
    shown = {
        "plan": plan_id,
        "source": op.component,
        "source_ref": op.ref,
        "periods": op.periods,
        "principal": principal,
        "fee": fee,
        "installments": [
            {
                "number": i.number,
                "bill_on": i.bill_on.isoformat(),
                "due_date": i.due_date.isoformat(),
                "principal": i.principal,
                "fee": i.fee,
            }
            for i in installments
        ],
    }
    created = event(line, op.on, "InstallmentPlanCreated", **shown)
    return Step(line, tuple(legs), (created,), {"plan": shown}, log=replace(op, amount=principal))


def shrink_plan(
    plan: InstallmentPlan, amount: int, terms: LineTerms
) -> tuple[InstallmentPlan, int, int]:
    """Take up to ``amount`` off the plan's unbilled installments; cancel fees in proportion.

    The remaining unbilled principal and fee are re-split over the unbilled installments (the
    last takes the rest); a full refund removes them. Returns (plan, principal taken, fee
    cancelled).
    """
    unbilled = [i for i in plan.installments if i.statement_ref is None]
    principal, fee = plan.unbilled_principal, plan.unbilled_fee
    take = min(amount, principal)
    if take == 0:
        return plan, 0, 0
    left = principal - take
    billed = tuple(i for i in plan.installments if i.statement_ref is not None)
    if left == 0:
        kept: tuple[PlanInstallment, ...] = ()
        new_fee = 0
    else:
        new_fee = round_fen(Fraction(fee * left, principal), terms.rounding)
        parts = split(left, len(unbilled), terms.rounding)
        fees = split(new_fee, len(unbilled), terms.rounding)
        kept = tuple(
            replace(i, principal=a, fee=f) for i, a, f in zip(unbilled, parts, fees, strict=True)
        )
    new_plan = replace(
        plan,
        installments=(*billed, *kept),
        cancelled_principal=plan.cancelled_principal + take,
        cancelled_fee=plan.cancelled_fee + fee - new_fee,
    )
    return new_plan, take, fee - new_fee
