"""The parts of a credit-pay line's state: its terms, purchases, fee-installment plans, minimum
steps, accrual runs, per-statement details, payments, outages and logged commands.

Small frozen records; :class:`creditguard.servicing.line_model.Line` holds them (and re-exports
them). See :mod:`creditguard.servicing.line_model` for what each part means in the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from creditguard.calendar import add_months
from creditguard.money import InputError, Rounding, round_fen

__all__ = [
    "AccrualRun",
    "InstallmentPlan",
    "LineOp",
    "LineTerms",
    "MinimumStep",
    "Outage",
    "Payment",
    "PlanInstallment",
    "Purchase",
    "StatementInfo",
]


@dataclass(frozen=True, slots=True)
class LineTerms:
    """The revolving terms of the product, fixed when the line is opened (SPEC §10)."""

    statement_day: int = 1
    due_day: int = 10
    min_payment_rate: Decimal = Decimal("0.10")
    revolving_daily_rate: Decimal = Decimal("0.0005")
    overdue_fee_daily_rate: Decimal = Decimal("0.0005")
    installment_fee_rates: tuple[tuple[int, Decimal], ...] = (
        (3, Decimal("0.025")),
        (6, Decimal("0.045")),
        (9, Decimal("0.065")),
        (12, Decimal("0.088")),
    )
    rounding: Rounding = Rounding.HALF_UP
    grace_days: int = 0

    @classmethod
    def from_product(cls, product: Any) -> LineTerms:
        """The terms of a ``RevolvingProduct`` (duck-typed: anything with its attributes)."""
        return cls(
            statement_day=int(product.statement_day),
            due_day=int(product.due_day),
            min_payment_rate=Decimal(product.min_payment_rate),
            revolving_daily_rate=Decimal(product.revolving_daily_rate),
            overdue_fee_daily_rate=Decimal(product.overdue_fee_daily_rate),
            installment_fee_rates=tuple(
                (int(n), Decimal(r)) for n, r in sorted(product.installment_fee_rates.items())
            ),
            rounding=Rounding(product.rounding),
            grace_days=int(product.grace_days),
        )

    def fee_rate(self, periods: int) -> Decimal:
        """The total fee rate of a plan over ``periods``; InputError naming the offered ones."""
        for n, rate in self.installment_fee_rates:
            if n == periods:
                return rate
        offered = ", ".join(str(n) for n, _ in self.installment_fee_rates) or "none"
        raise InputError("periods", f"{periods} periods are not offered (offered: {offered})")

    def due_date_of(self, statement: date) -> date:
        """The contractual due date of the statement issued on ``statement``.

        The same month when ``due_day`` comes after ``statement_day`` (default 1st → 10th),
        else the next month.
        """
        months = 0 if self.due_day > self.statement_day else 1
        return add_months(statement, months, day=self.due_day)

    def minimum_share(self, principal: int) -> int:
        """``min_payment_rate`` × ``principal``, rounded once (10% by default)."""
        return round_fen(Fraction(self.min_payment_rate) * principal, self.rounding)


@dataclass(frozen=True, slots=True)
class Purchase:
    """A purchase: ``amount`` fen on ``on``; what was refunded or repaid before billing.

    ``billed_on`` is the date of the statement that billed it; ``plan_id`` the installment plan
    it was converted into.
    """

    id: str
    on: date
    amount: int
    refunded: int = 0
    prepaid: int = 0
    billed_on: date | None = None
    plan_id: str | None = None

    @property
    def unbilled(self) -> int:
        """Principal still waiting for a statement (0 once billed or converted)."""
        if self.billed_on is not None or self.plan_id is not None:
            return 0
        return self.amount - self.refunded - self.prepaid


@dataclass(frozen=True, slots=True)
class PlanInstallment:
    """One installment of a fee-installment plan: billed on the statement of ``bill_on``."""

    number: int
    bill_on: date
    due_date: date
    principal: int
    fee: int
    statement_ref: str | None = None


@dataclass(frozen=True, slots=True)
class InstallmentPlan:
    """A fee-installment plan made from a statement or a purchase (SPEC §3, §5).

    ``principal`` and ``fee`` are as created; refunds cancel unbilled principal and fees
    (``cancelled_principal``, ``cancelled_fee``) by re-splitting the installments not yet billed.
    """

    id: str
    source: str
    source_ref: str
    created: date
    periods: int
    fee_rate: Decimal
    principal: int
    fee: int
    installments: tuple[PlanInstallment, ...]
    cancelled_principal: int = 0
    cancelled_fee: int = 0

    @property
    def unbilled_principal(self) -> int:
        """Principal of installments not yet billed (owed, not yet due)."""
        return sum(i.principal for i in self.installments if i.statement_ref is None)

    @property
    def unbilled_fee(self) -> int:
        """Fees of installments not yet billed (not yet owed nor recognised)."""
        return sum(i.fee for i in self.installments if i.statement_ref is None)


@dataclass(frozen=True, slots=True)
class MinimumStep:
    """A piece of minimum payment: ``amount`` fen asked of statement ``owner``, due on the due
    date of statement ``set_by``; covered once everything settled on the line's statements
    reaches ``threshold`` (the line's cumulative requirement up to and including this step)."""

    owner: str
    set_by: str
    amount: int
    threshold: int


@dataclass(frozen=True, slots=True)
class AccrualRun:
    """A revolving-interest run on a statement: exact cumulative interest on ``base`` fen."""

    base: int
    exact: Fraction
    booked: int
    last_day: date


@dataclass(frozen=True, slots=True)
class StatementInfo:
    """What a statement obligation alone cannot say (see the module docstring)."""

    ref: str
    on: date
    purchase_principal: int
    installment_principal: int
    amount: int = 0
    minimum: int = 0
    carried: int = 0
    credit_applied: int = 0
    penalty_billed: int = 0
    plan_id: str | None = None
    run: AccrualRun | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """A repayment of ``amount`` fen received on ``on``, named ``payment_id`` for reversal."""

    payment_id: str
    on: date
    amount: int


@dataclass(frozen=True, slots=True)
class Outage:
    """Declared platform outage: due dates in [start, end] move to end + relief_days."""

    start: date
    end: date
    relief_days: int

    def move(self, due: date) -> date:
        """``due`` moved out of the window, or unchanged."""
        if self.start <= due <= self.end:
            return self.end + timedelta(days=self.relief_days)
        return due


@dataclass(frozen=True, slots=True)
class LineOp:
    """One logged command, enough to replay it (fields unused by an op keep their defaults)."""

    op: str
    on: date
    amount: int = 0
    ref: str = ""
    periods: int = 0
    component: str = ""
    reason: str = ""
    approver: str = ""
