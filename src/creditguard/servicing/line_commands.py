"""Commands on a credit-pay line: open, limit, status, purchase, refund, repay, waive, penalty.

Each public command validates its input, logs itself and returns an Outcome; its internal twin
``_x(line, op, replay)`` is what the command log replays (:mod:`line_corrections`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from creditguard.frozen import replace
from creditguard.ledger.chart import GL
from creditguard.money import InputError, format_amount
from creditguard.products.schema import Product, RevolvingProduct
from creditguard.servicing import allocation
from creditguard.servicing.line_model import (
    LINE_STATUSES,
    RECEIVABLE_GL,
    Line,
    LineOp,
    LineTerms,
    Payment,
    Purchase,
    available,
)
from creditguard.servicing.line_money import apply_money, legs_of
from creditguard.servicing.line_plans import shrink_plan
from creditguard.servicing.line_step import (
    Step,
    check_date,
    check_fen,
    commit,
    event,
)
from creditguard.servicing.model import Component
from creditguard.servicing.outcome import Leg, Outcome

__all__ = [
    "LineRefused",
    "change_limit",
    "charge_penalty",
    "open_line",
    "purchase",
    "refund",
    "repay",
    "set_status",
    "waive",
]


class LineRefused(InputError):
    """A command the line's state refuses (over the available amount, frozen, closed)."""


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(name, "must be a non-empty string")
    return value


# --- opening, limit, status -----------------------------------------------------------------


def open_line(account: str, borrower: str, product: Product, limit: int, on: date) -> Outcome[Line]:
    """Open a line on a ``RevolvingProduct`` with ``limit`` fen (≥ 0); its terms are copied."""
    _text(account, "account")
    _text(borrower, "borrower")
    if not isinstance(product, RevolvingProduct):
        raise InputError("product", f"{product.name!r} is not a revolving product")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InputError("limit", f"must be integer fen ≥ 0, got {limit!r}")
    line = Line(
        account=account,
        borrower=borrower,
        product=str(product.name),
        terms=LineTerms.from_product(product),
        limit=0,
        status="active",
        opened=on,
        last_date=on,
        accrued_through=on,
    )
    op = LineOp("open", on, amount=limit)
    return commit(_open(line, op, False), op)


def _open(line: Line, op: LineOp, replay: bool) -> Step:
    line = replace(line, limit=op.amount, status="active")
    opened = event(line, op.on, "LineOpened", limit=op.amount, product=line.product)
    return Step(line, (), (opened,), {"limit": op.amount, "available": available(line)})


def change_limit(line: Line, new_limit: int, on: date) -> Outcome[Line]:
    """Set the limit. Below the unpaid principal is allowed: available becomes 0, nothing is
    called due. A closed line refuses."""
    check_date(line, on)
    if isinstance(new_limit, bool) or not isinstance(new_limit, int) or new_limit < 0:
        raise InputError("limit", f"must be integer fen ≥ 0, got {new_limit!r}")
    if line.status == "closed":
        raise LineRefused("status", f"line {line.account} is closed; its limit stays 0")
    op = LineOp("limit", on, amount=new_limit)
    return commit(_limit(line, op, False), op)


def _limit(line: Line, op: LineOp, replay: bool) -> Step:
    old = line.limit
    line = replace(line, limit=op.amount)
    changed = event(line, op.on, "LimitChanged", old=old, new=op.amount)
    return Step(line, (), (changed,), {"limit": op.amount, "available": available(line)})


_STATUS_EVENTS = {"frozen": "LineFrozen", "closed": "LineClosed", "active": "LineRestored"}


def set_status(line: Line, status: str, on: date, reason: str = "") -> Outcome[Line]:
    """Freeze, restore or close the line (closing is permanent and sets the limit to 0)."""
    check_date(line, on)
    if status not in LINE_STATUSES:
        raise InputError("status", f"{status!r} is not one of {', '.join(LINE_STATUSES)}")
    if line.status == "closed" and status != "closed":
        raise LineRefused("status", f"line {line.account} is closed permanently")
    if status == line.status:
        return commit(Step(line, result={"status": status}), None)
    op = LineOp("status", on, component=status, reason=reason)
    return commit(_status(line, op, False), op)


def _status(line: Line, op: LineOp, replay: bool) -> Step:
    status = op.component
    line = replace(line, status=status, limit=0 if status == "closed" else line.limit)
    changed = event(line, op.on, _STATUS_EVENTS[status], reason=op.reason)
    return Step(line, (), (changed,), {"status": status})


# --- purchases and refunds ------------------------------------------------------------------


def purchase(
    line: Line, amount: int, on: date, *, purchase_id: str | int | None = None
) -> Outcome[Line]:
    """Authorise a purchase against the status and the available amount, and post it.

    ``purchase_id`` names it for refunds and conversion (default ``P<n>``).
    """
    check_date(line, on)
    check_fen(amount, "amount")
    pid = str(purchase_id) if purchase_id is not None else f"P{len(line.purchases) + 1}"
    if any(p.id == pid for p in line.purchases):
        raise InputError("purchase_id", f"purchase {pid!r} already exists on {line.account}")
    if line.status != "active":
        raise LineRefused("status", f"line {line.account} is {line.status}: no new purchases")
    room = available(line)
    if amount > room:
        raise LineRefused(
            "amount",
            f"{format_amount(amount)} exceeds the available amount {format_amount(room)}",
        )
    op = LineOp("purchase", on, amount=amount, ref=pid)
    return commit(_purchase(line, op, False), op)


def _purchase(line: Line, op: LineOp, replay: bool) -> Step:
    # A replay re-records what was authorised at the time, whatever the re-derived state.
    line = replace(line, purchases=(*line.purchases, Purchase(op.ref, op.on, op.amount)))
    authorised = event(
        line,
        op.on,
        "PurchaseAuthorized",
        purchase_id=op.ref,
        amount=op.amount,
        available=available(line),
    )
    legs: tuple[Leg, ...] = ((GL.PRINCIPAL_CURRENT, GL.CASH, op.amount),)
    return Step(line, legs, (authorised,), {"purchase_id": op.ref, "available": available(line)})


def refund(line: Line, purchase_id: str | int, amount: int, on: date) -> Outcome[Line]:
    """A merchant refund of (part of) a purchase.

    Unbilled purchase: it shrinks. Installment purchase: its unbilled installments shrink and
    their fees are cancelled in proportion (all of them on a full refund). What is left (the
    purchase was billed, or repaid before billing) is applied like a repayment: statements by
    the SPEC §6 waterfall, then unbilled purchases, then the credit balance. More than the
    purchase less earlier refunds → InputError.
    """
    check_date(line, on)
    check_fen(amount, "amount")
    p = line.purchases[line.purchase_index(str(purchase_id))]
    if amount > p.amount - p.refunded:
        raise InputError(
            "amount",
            f"refund {format_amount(amount)} exceeds what is left of purchase {p.id}: "
            f"{format_amount(p.amount - p.refunded)}",
        )
    op = LineOp("refund", on, amount=amount, ref=p.id)
    return commit(_refund(line, op, False), op)


def _refund(line: Line, op: LineOp, replay: bool) -> Step:
    k = line.purchase_index(op.ref)
    p = line.purchases[k]
    amount = op.amount
    shrink = cancelled_fee = 0
    plans = list(line.plans)
    if p.plan_id is not None:
        j = next(i for i, plan in enumerate(plans) if plan.id == p.plan_id)
        plans[j], shrink, cancelled_fee = shrink_plan(plans[j], amount, line.terms)
        p = replace(p, refunded=p.refunded + amount)
    elif p.billed_on is None:
        shrink = min(amount, p.unbilled)
        # Whatever was repaid before billing and is now refunded goes back to the customer.
        p = replace(p, refunded=p.refunded + amount, prepaid=p.prepaid - (amount - shrink))
    else:
        p = replace(p, refunded=p.refunded + amount)
    purchases = list(line.purchases)
    purchases[k] = p
    line = replace(line, purchases=tuple(purchases), plans=tuple(plans))
    legs: list[Leg] = [(GL.CASH, GL.PRINCIPAL_CURRENT, shrink)]
    rest = amount - shrink
    applied_result: dict[str, Any] = {}
    if rest > 0:
        applied = apply_money(line, rest, op.on, tail=True)
        line = applied.line
        legs += legs_of(applied, GL.CASH)
        applied_result = applied.as_result()
    result = {
        "purchase_id": p.id,
        "amount": amount,
        "to_purchase": shrink,
        "cancelled_fee": cancelled_fee,
        **applied_result,
    }
    refunded = event(line, op.on, "PurchaseRefunded", **result)
    return Step(line, tuple(legs), (refunded,), result)


# --- repayments, waivers, penalties ---------------------------------------------------------


def repay(
    line: Line, amount: int, on: date, *, payment_id: str | int | None = None
) -> Outcome[Line]:
    """A repayment by the SPEC §6 waterfall for a line (default id ``R<n>``).

    Statements past due (oldest first), due today, billed and not yet due — each penalty →
    fee → interest → principal; then unbilled purchases (restoring the available amount); then
    a credit balance. Plan installments not yet billed are never prepaid.
    """
    check_date(line, on)
    check_fen(amount, "amount")
    pid = str(payment_id) if payment_id is not None else f"R{len(line.payments) + 1}"
    if any(p.payment_id == pid for p in line.payments):
        raise InputError("payment_id", f"payment {pid!r} already exists on {line.account}")
    op = LineOp("repay", on, amount=amount, ref=pid)
    return commit(_repay(line, op, False), op)


def _repay(line: Line, op: LineOp, replay: bool) -> Step:
    line = replace(line, payments=(*line.payments, Payment(op.ref, op.on, op.amount)))
    if op.ref in line.reversed_payments:
        return Step(line)
    applied = apply_money(line, op.amount, op.on, tail=True)
    result = {"payment_id": op.ref, "amount": op.amount, **applied.as_result()}
    received = event(applied.line, op.on, "PaymentReceived", **result)
    return Step(applied.line, tuple(legs_of(applied, GL.CASH)), (received,), result)


def waive(
    line: Line,
    component: Component | str,
    amount: int,
    reason: str,
    approver: str,
    on: date,
) -> Outcome[Line]:
    """Waive penalty, fee or interest owed on statements, oldest statement first.

    Never principal; never more than is owed of that component; reason and approver required.
    """
    check_date(line, on)
    check_fen(amount, "amount")
    values = {c.value for c in Component}
    if str(component) not in values or Component(str(component)) is Component.PRINCIPAL:
        raise InputError("component", f"{component!r} is not one of penalty, fee, interest")
    _text(reason, "reason")
    _text(approver, "approver")
    op = LineOp(
        "waive", on, amount=amount, component=str(component), reason=reason, approver=approver
    )
    return commit(_waive(line, op, False), op)


def _waive(line: Line, op: LineOp, replay: bool) -> Step:
    component = Component(op.component)
    amount = op.amount
    if replay:  # re-derived debt may be smaller (outage relief): waive what is still owed
        amount = min(amount, sum(ob.unpaid.get(component) for ob in line.statements))
        if amount <= 0:
            return Step(line)
    result = allocation.waive(component, amount, line.statements)
    line = replace(line, statements=result.obligations)
    shown = {
        "component": component.value,
        "amount": amount,
        "reason": op.reason,
        "approver": op.approver,
        "allocations": [
            {"statement": a.obligation_ref, "amount": a.amount} for a in result.allocations
        ],
    }
    waived = event(line, op.on, "WaiverApplied", **shown)
    legs: tuple[Leg, ...] = ((GL.WAIVER_EXPENSE, RECEIVABLE_GL[component], amount),)
    return Step(line, legs, (waived,), shown)


def charge_penalty(line: Line, statement_ref: str, amount: int, on: date) -> Outcome[Line]:
    """Charge ``amount`` fen of penalty (overdue fee) on a statement: the overdue engine's hook.

    The penalty belongs to that statement (allocated with it) and is billed on the next
    statement, where 100% of it enters the minimum.
    """
    check_date(line, on)
    check_fen(amount, "amount")
    line.statement_index(statement_ref)
    op = LineOp("penalty", on, amount=amount, ref=statement_ref)
    return commit(_penalty(line, op, False), op)


def _penalty(line: Line, op: LineOp, replay: bool) -> Step:
    i = line.statement_index(op.ref)
    ob = line.statements[i]
    statements = list(line.statements)
    statements[i] = replace(ob, due=ob.due.add(Component.PENALTY, op.amount))
    line = replace(line, statements=tuple(statements))
    legs: tuple[Leg, ...] = ((GL.PENALTY_RECEIVABLE, GL.PENALTY_INCOME, op.amount),)
    return Step(line, legs, (), {"statement": op.ref, "penalty": op.amount})
