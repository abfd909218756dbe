"""The servicing domain's plain values: amounts by component, obligations, allocations, events.

An **obligation** is one thing that falls due on one date: an installment of a cash loan or of
a line's installment plan, or a statement of a revolving line (its newly billed amounts only —
a carried balance is the same debt shown again, never a second obligation, SPEC §5). Amounts
are integer fen. Everything here is immutable; commands return new values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from creditguard.frozen import replace
from creditguard.money import InputError

__all__ = [
    "ALLOCATION_ORDER",
    "Allocation",
    "Amounts",
    "Component",
    "DomainEvent",
    "Obligation",
    "ObligationKind",
    "check_outage_window",
]


class Component(StrEnum):
    """What a fen of debt is: principal, interest, fee or penalty."""

    PRINCIPAL = "principal"
    INTEREST = "interest"
    FEE = "fee"
    PENALTY = "penalty"


# Within one obligation a repayment clears penalty, then fee, then interest, then principal.
ALLOCATION_ORDER: tuple[Component, ...] = (
    Component.PENALTY,
    Component.FEE,
    Component.INTEREST,
    Component.PRINCIPAL,
)


@dataclass(frozen=True, slots=True)
class Amounts:
    """Fen by component. Supports +, −, lookup by :class:`Component` and totals."""

    principal: int = 0
    interest: int = 0
    fee: int = 0
    penalty: int = 0

    def get(self, component: Component) -> int:
        """The amount of one component."""
        return int(getattr(self, component.value))

    def with_(self, component: Component, value: int) -> Amounts:
        """A copy with one component set to ``value``."""
        return replace(self, **{component.value: value})

    def add(self, component: Component, value: int) -> Amounts:
        """A copy with ``value`` added to one component."""
        return self.with_(component, self.get(component) + value)

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.principal + other.principal,
            self.interest + other.interest,
            self.fee + other.fee,
            self.penalty + other.penalty,
        )

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.principal - other.principal,
            self.interest - other.interest,
            self.fee - other.fee,
            self.penalty - other.penalty,
        )

    @property
    def total(self) -> int:
        """All components together."""
        return self.principal + self.interest + self.fee + self.penalty

    @property
    def non_penalty(self) -> int:
        """Everything but penalties: the base that penalties accrue on (SPEC §6)."""
        return self.principal + self.interest + self.fee

    def as_dict(self) -> dict[str, int]:
        """Component name → fen."""
        return {c.value: self.get(c) for c in Component}

    @staticmethod
    def sum(items: Iterable[Amounts]) -> Amounts:
        """The component-wise sum of several amounts."""
        total = Amounts()
        for item in items:
            total = total + item
        return total


class ObligationKind(StrEnum):
    """An installment (of a loan or an installment plan) or a line's statement."""

    INSTALLMENT = "installment"
    STATEMENT = "statement"


@dataclass(frozen=True, slots=True)
class Obligation:
    """One thing that falls due on one date, with what is due, paid and waived per component.

    ``due`` grows as amounts become owed (an installment's interest when its period is
    scheduled, penalties as they accrue). ``minimum`` is a statement's minimum payment; for an
    installment it equals the whole non-penalty amount due.
    """

    ref: str
    kind: ObligationKind
    due_date: date
    original_due_date: date
    due: Amounts
    paid: Amounts = field(default_factory=Amounts)
    waived: Amounts = field(default_factory=Amounts)
    minimum: int = 0

    @property
    def unpaid(self) -> Amounts:
        """What is still owed on this obligation."""
        return self.due - self.paid - self.waived

    @property
    def unpaid_principal(self) -> int:
        """``unpaid.principal``, without building the other components (a hot question)."""
        return self.due.principal - self.paid.principal - self.waived.principal

    @property
    def minimum_unpaid(self) -> int:
        """How much of the minimum is still to pay (payments and waivers count toward it)."""
        settled = self.paid.total + self.waived.total
        return max(0, self.minimum - settled)

    def settle(self, component: Component, amount: int, *, waive: bool = False) -> Obligation:
        """A copy with ``amount`` of ``component`` paid (or waived)."""
        if waive:
            return replace(self, waived=self.waived.add(component, amount))
        return replace(self, paid=self.paid.add(component, amount))


@dataclass(frozen=True, slots=True)
class Allocation:
    """``amount`` fen of one payment applied to one component of one obligation."""

    obligation_ref: str
    component: Component
    amount: int


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something a person or another module acts on (SPEC §8), dated by business date."""

    business_date: date
    account: str
    type: str
    payload: dict[str, Any] = field(default_factory=dict)


def check_outage_window(start: date, end: date, relief_days: object) -> None:
    """Refuse an outage window [start, end] that ends before it starts, or relief days that are
    not a whole number ≥ 0 (SPEC §6). One rule for lines, loans and the declaration itself."""
    if end < start:
        raise InputError("end", f"{end} is before the start {start}")
    if isinstance(relief_days, bool) or not isinstance(relief_days, int) or relief_days < 0:
        raise InputError("relief_days", f"must be a whole number of days ≥ 0, got {relief_days!r}")
