"""Money applied to a line's debt: the SPEC §6 waterfall for a line, and its journal legs.

One routine serves a repayment, the part of a merchant refund that is not a shrinking purchase,
and a credit balance applied to a new statement: statements past due (oldest first), due today,
not yet due (``allocation.allocate`` with ``include_not_yet_due``); then — for money coming in —
unbilled purchases oldest first (restoring the available amount); then a credit balance. Future
installments of a fee-installment plan are never prepaid (SPEC §6): what is left becomes credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from creditguard.frozen import replace
from creditguard.ledger.chart import GL
from creditguard.servicing.allocation import allocate
from creditguard.servicing.line_model import (
    RECEIVABLE_GL,
    Line,
)
from creditguard.servicing.model import Allocation, Amounts
from creditguard.servicing.outcome import Leg

__all__ = ["Applied", "apply_money", "legs_of"]


@dataclass(frozen=True, slots=True)
class Applied:
    """Where money went: allocations to statements, unbilled purchases, the credit balance."""

    line: Line
    allocations: tuple[Allocation, ...]
    by_component: Amounts
    to_unbilled: int
    to_credit: int

    def as_result(self) -> dict[str, object]:
        """A plain summary for a command's result and event payload (fen)."""
        return {
            "allocations": [
                {"statement": a.obligation_ref, "component": a.component.value, "amount": a.amount}
                for a in self.allocations
            ],
            "to_unbilled": self.to_unbilled,
            "to_credit": self.to_credit,
        }


def apply_money(line: Line, amount: int, on: date, *, tail: bool) -> Applied:
    """Apply ``amount`` fen to the line's statements, then (``tail``) purchases and credit.

    Without ``tail`` only statements are paid and the caller takes care of what is left
    (``to_credit`` then reports the unapplied rest, which is not added to the credit balance).
    """
    statements = line.statements
    allocations: tuple[Allocation, ...] = ()
    left = amount
    if amount > 0 and statements:
        result = allocate(amount, statements, on, include_not_yet_due=True)
        statements, allocations, left = result.obligations, result.allocations, result.remainder
    by_component = Amounts()
    for a in allocations:
        by_component = by_component.add(a.component, a.amount)
    purchases = list(line.purchases)
    to_unbilled = 0
    if tail:
        for i in sorted(range(len(purchases)), key=lambda j: (purchases[j].on, j)):
            if left == 0:
                break
            take = min(left, purchases[i].unbilled)
            if take > 0:
                purchases[i] = replace(purchases[i], prepaid=purchases[i].prepaid + take)
                to_unbilled += take
                left -= take
    credit = line.credit_balance + left if tail else line.credit_balance
    new_line = replace(
        line, statements=statements, purchases=tuple(purchases), credit_balance=credit
    )
    return Applied(new_line, allocations, by_component, to_unbilled, left)


def legs_of(applied: Applied, source: GL) -> list[Leg]:
    """Journal legs of applied money paid out of ``source`` (CASH, or CUSTOMER_CREDIT).

    Each receivable is credited by what was allocated to its component; unbilled purchases
    reduce principal; the rest is owed back to the customer (CUSTOMER_CREDIT).
    """
    legs: list[Leg] = [
        (source, gl, applied.by_component.get(component)) for component, gl in RECEIVABLE_GL.items()
    ]
    legs.append((source, GL.PRINCIPAL_CURRENT, applied.to_unbilled))
    if source is not GL.CUSTOMER_CREDIT:
        legs.append((source, GL.CUSTOMER_CREDIT, applied.to_credit))
    return legs
