"""The repayment waterfall over obligations (SPEC §6, "Allocation of a repayment").

Vertical allocation: one obligation is cleared (penalty → fee → interest → principal) before the
next; obligations past their due date come first, oldest first, then those due today, then —
for a line — billed statements not yet due. What is left after the obligations is returned for
the product-specific tail (a loan's early repayment, a line's unbilled purchases and credit
balance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from creditguard.money import InputError
from creditguard.servicing.model import ALLOCATION_ORDER, Allocation, Component, Obligation

__all__ = ["AllocationResult", "allocate", "allocation_sequence", "waive"]


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """Obligations after the payment, what went where, and the unallocated remainder."""

    obligations: tuple[Obligation, ...]
    allocations: tuple[Allocation, ...]
    remainder: int


def allocation_sequence(
    obligations: Sequence[Obligation], on: date, *, include_not_yet_due: bool
) -> list[int]:
    """Indices of obligations in the order a payment on ``on`` reaches them.

    Past due (due before ``on``) oldest first, then due on ``on``, then (lines) not yet due,
    oldest first. Ties keep the given order, so callers pass obligations in creation order.
    """

    def key(i: int) -> tuple[int, date, int]:
        due = obligations[i].due_date
        tier = 0 if due < on else 1 if due == on else 2
        return (tier, due, i)

    order = sorted(range(len(obligations)), key=key)
    if not include_not_yet_due:
        order = [i for i in order if obligations[i].due_date <= on]
    return order


def allocate(
    amount: int,
    obligations: Sequence[Obligation],
    on: date,
    *,
    include_not_yet_due: bool = False,
) -> AllocationResult:
    """Apply ``amount`` fen to ``obligations`` by the vertical waterfall of SPEC §6."""
    if amount <= 0:
        raise InputError("amount", f"a repayment must be positive, got {amount}")
    updated = list(obligations)
    allocations: list[Allocation] = []
    left = amount
    for i in allocation_sequence(obligations, on, include_not_yet_due=include_not_yet_due):
        if left == 0:
            break
        ob = updated[i]
        for component in ALLOCATION_ORDER:
            owed = ob.unpaid.get(component)
            if owed <= 0 or left == 0:
                continue
            take = min(owed, left)
            ob = ob.settle(component, take)
            allocations.append(Allocation(ob.ref, component, take))
            left -= take
        updated[i] = ob
    return AllocationResult(tuple(updated), tuple(allocations), left)


def waive(component: Component, amount: int, obligations: Sequence[Obligation]) -> AllocationResult:
    """Waive ``amount`` of one component across obligations, oldest obligation first.

    Refuses to waive more than is owed of that component: a waiver never creates a credit.
    """
    if amount <= 0:
        raise InputError("amount", f"a waiver must be positive, got {amount}")
    owed_total = sum(ob.unpaid.get(component) for ob in obligations)
    if amount > owed_total:
        raise InputError(
            "amount",
            f"cannot waive {amount} fen of {component.value}: only {owed_total} fen is owed",
        )
    updated = list(obligations)
    allocations: list[Allocation] = []
    left = amount
    for i in sorted(range(len(updated)), key=lambda j: (updated[j].due_date, j)):
        owed = updated[i].unpaid.get(component)
        if owed <= 0:
            continue
        take = min(owed, left)
        updated[i] = updated[i].settle(component, take, waive=True)
        allocations.append(Allocation(updated[i].ref, component, take))
        left -= take
        if left == 0:
            break
    return AllocationResult(tuple(updated), tuple(allocations), 0)
