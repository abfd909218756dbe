"""A cash loan's (借呗-style) state and the read-only questions asked of it.

The state is one frozen :class:`Loan`. Commands (``servicing.loan``) return a new one. Besides
the installments, a loan keeps what it needs to re-derive itself: its installments as disbursed
(``initial``) and its command log (``history``), so that a reversed payment can be taken out
and the commands after it re-applied (``reverse_payment``).

Interest periods follow each installment's ``original_due_date``: a due date moved by platform
outage relief changes when the installment is owed, never how much interest it carries (SPEC §6:
relief days add no interest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from creditguard.calendar import DayCount
from creditguard.ledger.chart import GL
from creditguard.money import InputError, Rounding, round_div
from creditguard.pricing import Method
from creditguard.pricing.kernel import basis_of, period_days
from creditguard.servicing.model import Allocation, Amounts, Component, Obligation

__all__ = [
    "LOAN_STATUSES",
    "PREPAYMENT_MODES",
    "Loan",
    "LoanOp",
    "accrued_interest",
    "allocation_rows",
    "catch_up_recognition",
    "current_period",
    "ledger_image",
    "outstanding",
    "paid_total",
    "payments",
    "payoff_amount",
    "principal_balance",
    "principal_gl",
    "receivables",
    "waived_total",
]

LOAN_STATUSES = ("active", "past-due", "written-off", "settled")
PREPAYMENT_MODES = ("reduce-installment", "reduce-term")

# Receivable GL of each non-principal component (principal depends on current/overdue).
RECEIVABLE_GL: dict[Component, GL] = {
    Component.INTEREST: GL.INTEREST_RECEIVABLE,
    Component.FEE: GL.FEE_RECEIVABLE,
    Component.PENALTY: GL.PENALTY_RECEIVABLE,
}


# --- the command log ------------------------------------------------------------------------

REPAY, WAIVE, PENALTY, RELIEF = "repay", "waive", "penalty", "relief"


@dataclass(frozen=True, slots=True)
class LoanOp:
    """One logged command that changed the loan, re-applied in order by a re-derivation.

    One flat record (not a class per kind) so that the store's type-directed JSON codec reads
    it back without tags. ``kind`` says which fields matter:

    - ``repay``: ``payment_id``, ``amount`` (fen);
    - ``waive``: ``component`` (a :class:`Component` value), ``amount``, ``reason``, ``approver``;
    - ``penalty``: ``ref`` (installment), ``amount`` — the overdue engine's hook;
    - ``relief``: ``start``, ``end``, ``relief_days`` (outage relief).
    """

    kind: str
    on: date
    amount: int = 0
    payment_id: str = ""
    component: str = ""
    reason: str = ""
    approver: str = ""
    ref: str = ""
    start: date | None = None
    end: date | None = None
    relief_days: int = 0

    @classmethod
    def repayment(cls, payment_id: str, on: date, amount: int) -> LoanOp:
        """A payment of ``amount`` fen received on ``on``."""
        return cls(REPAY, on, amount=amount, payment_id=payment_id)

    @classmethod
    def waiver(
        cls, on: date, component: Component, amount: int, reason: str, approver: str
    ) -> LoanOp:
        """``amount`` fen of ``component`` waived with a reason and an approver."""
        return cls(
            WAIVE, on, amount=amount, component=component.value, reason=reason, approver=approver
        )

    @classmethod
    def penalty(cls, on: date, ref: str, amount: int) -> LoanOp:
        """``amount`` fen of penalty charged on installment ``ref``."""
        return cls(PENALTY, on, amount=amount, ref=ref)

    @classmethod
    def relief(cls, on: date, start: date, end: date, relief_days: int) -> LoanOp:
        """Outage relief declared on ``on``: due dates in [start, end] → end + relief_days."""
        return cls(RELIEF, on, start=start, end=end, relief_days=relief_days)


# --- the state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loan:
    """A cash loan: contract terms, installments and what is needed to re-derive them.

    - ``installments``: kind INSTALLMENT, refs "1".."n" in due-date order; ``due`` is the
      scheduled principal/interest/fee plus penalties charged, ``minimum`` the non-penalty total.
      An early repayment shows on the current installment as principal due and paid.
    - ``recognized``: per installment, the interest and fee already booked to the ledger
      (principal is booked at disbursement and penalties as they are charged, so those
      components stay 0). Interest is booked when its period ends (``fall_due``) or, for
      interest paid before then, when it is paid. ``booked_through`` is the last date
      ``fall_due`` ran for; ``recognized`` is always derivable from it and the installments
      (see :func:`catch_up_recognition`), so re-derivation need not log end-of-day runs.
    - ``level_payment``: the kept amount of a reduce-term prepayment — the annuity payment, or
      the principal part of an equal-principal loan (0 for other methods).
    - ``accrual_from``/``accrual_fixed``: after an early repayment inside a period, interest of
      the current installment is ``accrual_fixed`` for the days before ``accrual_from`` plus
      accrual on the reduced balance from ``accrual_from``. Ignored once the period is over.
    - ``initial``/``initial_level_payment``/``history``/``reversed_payments``: the loan as
      disbursed and its command log, for re-derivation after a payment reversal.
    - ``overdue_principal``: refs whose principal the overdue engine moved to
      ``PRINCIPAL_OVERDUE`` (the reclassification hook; empty until that engine lands).
    - ``last_date``: the business date of the last command; earlier commands are refused.
    """

    account: str
    borrower: str
    product: str
    line: str | None
    principal: int
    term: int
    method: Method
    start: date
    annual_rate: Decimal
    day_count: DayCount
    rounding: Rounding
    prepayment: str
    status: str
    installments: tuple[Obligation, ...]
    recognized: tuple[Amounts, ...]
    level_payment: int
    accrual_from: date
    accrual_fixed: int
    initial: tuple[Obligation, ...]
    initial_level_payment: int
    last_date: date
    history: tuple[LoanOp, ...] = ()
    reversed_payments: tuple[str, ...] = ()
    overdue_principal: tuple[str, ...] = ()
    settled_on: date | None = None
    booked_through: date | None = None

    def index_of(self, ref: str) -> int:
        """The position of installment ``ref``; InputError if there is none."""
        for i, ob in enumerate(self.installments):
            if ob.ref == ref:
                return i
        raise InputError("ref", f"loan {self.account} has no installment {ref!r}")


# --- questions ------------------------------------------------------------------------------


def outstanding(loan: Loan, on: date) -> Amounts:
    """What has fallen due (due date ≤ ``on``) and is unpaid, per component, penalties included."""
    return Amounts.sum(ob.unpaid for ob in loan.installments if ob.due_date <= on)


def paid_total(loan: Loan) -> Amounts:
    """Everything paid on the loan so far, per component (reversed payments excluded)."""
    return Amounts.sum(ob.paid for ob in loan.installments)


def waived_total(loan: Loan) -> Amounts:
    """Everything waived on the loan so far, per component."""
    return Amounts.sum(ob.waived for ob in loan.installments)


def principal_balance(loan: Loan) -> int:
    """All unpaid principal, fallen due or not."""
    return sum(ob.unpaid.principal for ob in loan.installments)


def payments(loan: Loan) -> tuple[tuple[LoanOp, bool], ...]:
    """The payment log: each payment (a ``repay`` op) and whether it was reversed."""
    return tuple(
        (op, op.payment_id in loan.reversed_payments) for op in loan.history if op.kind == REPAY
    )


def current_period(loan: Loan, on: date) -> int | None:
    """Index of the installment whose interest period contains ``on`` (None after the last).

    That is the first installment whose original due date is after ``on``: its period runs from
    the previous original due date (or disbursement) to its own.
    """
    for i, ob in enumerate(loan.installments):
        if ob.original_due_date > on:
            return i
    return None


def period_start(loan: Loan, i: int) -> date:
    """The first day of installment ``i``'s interest period."""
    return loan.start if i == 0 else loan.installments[i - 1].original_due_date


def interest_for(loan: Loan, balance: int, start: date, end: date) -> int:
    """round(B · R · f) for [start, end) with the loan's day count (SPEC §3), rounded once."""
    if end <= start or balance == 0:
        return 0
    rate = Fraction(loan.annual_rate)
    days = period_days(loan.day_count, start, end)
    return round_div(
        balance * rate.numerator * days,
        rate.denominator * basis_of(loan.day_count),
        loan.rounding,
    )


def accrued_current(loan: Loan, on: date) -> tuple[int | None, int]:
    """The current installment's index and its interest accrued for the days up to ``on``.

    round(B·R·f) on the principal of the current and later installments, from the period start
    (or the last early repayment, plus the interest fixed before it). Capped at the
    installment's scheduled interest: under 30/360 a partial period counted 30E/360 can exceed
    the whole month's 30 days by a day or two at month ends, and a borrower never owes more
    interest than the schedule says.
    """
    c = current_period(loan, on)
    if c is None:
        return None, 0
    start = period_start(loan, c)
    anchor, fixed = start, 0
    if loan.accrual_from >= start:
        anchor, fixed = loan.accrual_from, loan.accrual_fixed
    if on <= anchor:
        return c, fixed
    held = sum(ob.unpaid.principal for ob in loan.installments[c:])
    accrued = fixed + interest_for(loan, held, anchor, on)
    return c, min(accrued, loan.installments[c].due.interest)


def accrued_interest(loan: Loan, on: date) -> int:
    """Interest accrued by ``on`` and not yet due, unpaid (reported as ``accrued_interest``).

    The current period's interest for the days held, plus the whole interest of installments
    whose period has ended but whose due date outage relief moved past ``on``.
    """
    total = 0
    for ob in loan.installments:
        if ob.original_due_date <= on < ob.due_date:
            total += ob.unpaid.interest
    c, accrued = accrued_current(loan, on)
    if c is not None and loan.installments[c].due_date > on:
        ob = loan.installments[c]
        total += max(0, accrued - ob.paid.interest - ob.waived.interest)
    return total


def payoff_amount(loan: Loan, on: date) -> int:
    """What repays the loan in full on ``on``: everything owed now, accrued interest, principal.

    Installments whose period has ended (fallen due, or relief-moved) count in full; the current
    installment and the later ones count their unpaid principal, and the current one its
    accrued unpaid interest (interest only for the days actually held).
    """
    c, accrued = accrued_current(loan, on)
    cut = len(loan.installments) if c is None else c
    total = sum(ob.unpaid.total for ob in loan.installments[:cut])
    total += sum(ob.unpaid.principal + ob.unpaid.penalty for ob in loan.installments[cut:])
    if c is not None:
        ob = loan.installments[c]
        total += max(0, accrued - ob.paid.interest - ob.waived.interest)
    return total


def principal_gl(loan: Loan, ref: str) -> GL:
    """The GL holding installment ``ref``'s principal: overdue once the overdue engine says so."""
    return GL.PRINCIPAL_OVERDUE if ref in loan.overdue_principal else GL.PRINCIPAL_CURRENT


def receivables(loan: Loan) -> dict[GL, int]:
    """What the ledger's receivable GLs must hold for this loan (debit balances, fen).

    Principal: all unpaid principal (current or overdue by :func:`principal_gl`). Interest and
    fee: recognised and not yet paid or waived. Penalty: charged and not paid or waived.
    """
    out = {
        GL.PRINCIPAL_CURRENT: 0,
        GL.PRINCIPAL_OVERDUE: 0,
        GL.INTEREST_RECEIVABLE: 0,
        GL.FEE_RECEIVABLE: 0,
        GL.PENALTY_RECEIVABLE: 0,
    }
    for ob, rec in zip(loan.installments, loan.recognized, strict=True):
        out[principal_gl(loan, ob.ref)] += ob.unpaid.principal
        out[GL.INTEREST_RECEIVABLE] += rec.interest - ob.paid.interest - ob.waived.interest
        out[GL.FEE_RECEIVABLE] += rec.fee - ob.paid.fee - ob.waived.fee
        out[GL.PENALTY_RECEIVABLE] += ob.unpaid.penalty
    return out


def ledger_image(loan: Loan) -> dict[GL, int]:
    """Every GL this loan has touched, as debits − credits: the sum of all its postings.

    Cash: payments kept − principal lent; receivables as :func:`receivables`; income: interest
    and fee recognised, penalties charged; waiver expense: everything waived. A reversal books
    the difference of two images.
    """
    paid = paid_total(loan)
    waived = waived_total(loan)
    recognized = Amounts.sum(loan.recognized)
    penalties = sum(ob.due.penalty for ob in loan.installments)
    image = dict(receivables(loan))
    image[GL.CASH] = paid.total - loan.principal
    image[GL.INTEREST_INCOME] = -recognized.interest
    image[GL.FEE_INCOME] = -recognized.fee
    image[GL.PENALTY_INCOME] = -penalties
    image[GL.WAIVER_EXPENSE] = waived.total
    return image


def catch_up_recognition(
    installments: tuple[Obligation, ...] | list[Obligation],
    recognized: tuple[Amounts, ...] | list[Amounts],
    *,
    ended_by: date | None = None,
) -> tuple[tuple[Amounts, ...], int, int]:
    """Book interest and fee not yet recognised; return the new marks and the amounts to book.

    Whatever is paid or waived must have been recognised first (interest paid before its
    period ends is recognised when paid). With ``ended_by``, installments whose period ended
    (original due date) or that fell due by that date are recognised in full — the end-of-day
    booking. Returns (recognised per installment, interest to book, fee to book).
    """
    out: list[Amounts] = []
    interest = fee = 0
    for ob, rec in zip(installments, recognized, strict=True):
        want_i = ob.paid.interest + ob.waived.interest
        want_f = ob.paid.fee + ob.waived.fee
        if ended_by is not None and min(ob.original_due_date, ob.due_date) <= ended_by:
            want_i = max(want_i, ob.due.interest)
            want_f = max(want_f, ob.due.fee)
        new_i = max(rec.interest, want_i)
        new_f = max(rec.fee, want_f)
        interest += new_i - rec.interest
        fee += new_f - rec.fee
        out.append(Amounts(interest=new_i, fee=new_f))
    return tuple(out), interest, fee


def allocation_rows(allocations: tuple[Allocation, ...] | list[Allocation]) -> list[dict[str, Any]]:
    """Allocations as plain rows (JSON-ready) for events and command results."""
    return [
        {"obligation": a.obligation_ref, "component": a.component.value, "amount": a.amount}
        for a in allocations
    ]
