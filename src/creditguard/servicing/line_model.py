"""State of a revolving credit-pay line (花呗-style, SPEC §5) and the questions asked of it.

A :class:`Line` is a frozen value; commands (:mod:`creditguard.servicing.line`,
:mod:`~creditguard.servicing.line_statement`, :mod:`~creditguard.servicing.line_plans`,
:mod:`~creditguard.servicing.line_corrections`) return a new one inside an
:class:`~creditguard.servicing.outcome.Outcome`. What is in it:

- ``terms``: the product's revolving terms copied when the line is opened (the contract).
- ``statements``: one :class:`Obligation` of kind STATEMENT per statement, in issue order. Its
  ``due`` is only what that statement newly billed (purchases, installments, interest, fees);
  penalties charged on it add to its ``due``. A carried balance is never a second obligation.
- ``bills``: per statement (same order), what the obligation alone cannot say: the split of its
  principal into purchases and installments, what was shown on the bill, and its
  revolving-interest accrual run.
- ``requirements``: the line's **minimum steps** (below).
- ``purchases``, ``plans`` (fee-installment plans), ``payments`` and ``history`` (the command
  log, replayed to re-derive the line after a payment reversal or an outage declaration).

**Minimum steps.** Each statement adds steps: its own minimum (10% of new purchase principal +
100% of new installments, interest and fees), owned by it; and, for every earlier statement
still owed, that statement's carried part, owned by *that* statement — 10% of its carried
principal (plus any unpaid interest, fee, penalty) if its minimum so far is covered, else only
its newly billed unpaid penalties (the unpaid rest of its minimum is already a step, still due
on its old date). All steps a statement adds fall due on its due date. A step records an
``amount`` and a line-level ``threshold``: the cumulative total that everything settled on the
line's statements (paid or waived, penalties included, since opening) must reach to cover it.
Thresholds only grow; when a statement is issued the next threshold starts from
``max(previous threshold, settled so far)``, so money paid beyond a minimum never pre-pays a
later one. Covering steps in order of thresholds is what the SPEC §6 waterfall does anyway —
money reaches a newer statement only once the older ones are cleared — and it means that
paying exactly the minimum shown on a bill, by its due date, leaves nothing past due even though
that money went to the oldest statement's principal.

A statement is **past due** at t when one of its steps fell due before t and is not covered
(SPEC §5, §6); DPD counts from the due date of the oldest such step. So penalties, DPD and
allocation keep working on the statement the debt came from. After every command
``Obligation.minimum`` is set to what was settled on the statement plus what is left of the
steps it owns, so ``Obligation.minimum_unpaid`` is what is left of its minimum (due or not); the
past-due test is :func:`past_due_statements` (or, columnar, the steps' due dates and thresholds
against :func:`settled_total`), never ``minimum_unpaid`` against the obligation's own due date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from creditguard.calendar import add_months
from creditguard.frozen import by_identity, replace
from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing.line_parts import (
    AccrualRun,
    InstallmentPlan,
    LineOp,
    LineTerms,
    MinimumStep,
    Outage,
    Payment,
    PlanInstallment,
    Purchase,
    StatementInfo,
)
from creditguard.servicing.model import Amounts, Component, Obligation

__all__ = [
    "LINE_STATUSES",
    "RECEIVABLE_GL",
    "AccrualRun",
    "InstallmentPlan",
    "Line",
    "LineOp",
    "LineTerms",
    "MinimumStep",
    "Outage",
    "PastDueStatement",
    "Payment",
    "PlanInstallment",
    "Purchase",
    "StatementInfo",
    "accrued_interest",
    "available",
    "due_dates",
    "minimum_due",
    "minimum_unpaid",
    "next_statement_date",
    "outstanding",
    "past_due_statements",
    "receivables",
    "settled",
    "settled_total",
    "statement_view",
    "sync_minimums",
    "uncovered",
    "unpaid_principal",
]

LINE_STATUSES = ("active", "frozen", "closed")

# The receivable each component of a line's debt is carried in. A line keeps its principal in
# PRINCIPAL_CURRENT: reclassifying past-due principal is the overdue engine's business.
RECEIVABLE_GL: dict[Component, GL] = {
    Component.PRINCIPAL: GL.PRINCIPAL_CURRENT,
    Component.INTEREST: GL.INTEREST_RECEIVABLE,
    Component.FEE: GL.FEE_RECEIVABLE,
    Component.PENALTY: GL.PENALTY_RECEIVABLE,
}


@dataclass(frozen=True, slots=True)
class Line:
    """A revolving credit-pay line (see the module docstring for every part)."""

    account: str
    borrower: str
    product: str
    terms: LineTerms
    limit: int
    status: str
    opened: date
    last_date: date
    accrued_through: date
    statements: tuple[Obligation, ...] = ()
    bills: tuple[StatementInfo, ...] = ()
    purchases: tuple[Purchase, ...] = ()
    plans: tuple[InstallmentPlan, ...] = ()
    payments: tuple[Payment, ...] = ()
    requirements: tuple[MinimumStep, ...] = ()
    credit_balance: int = 0
    accrued_interest: int = 0
    last_statement: date | None = None
    outages: tuple[Outage, ...] = ()
    reversed_payments: frozenset[str] = field(default_factory=frozenset)
    history: tuple[LineOp, ...] = ()

    def statement_index(self, ref: str) -> int:
        """The position of statement ``ref``; InputError if there is none."""
        for i, ob in enumerate(self.statements):
            if ob.ref == ref:
                return i
        raise InputError("statement", f"line {self.account} has no statement {ref!r}")

    def purchase_index(self, purchase_id: str) -> int:
        """The position of purchase ``purchase_id``; InputError if there is none."""
        for i, p in enumerate(self.purchases):
            if p.id == purchase_id:
                return i
        raise InputError("purchase", f"line {self.account} has no purchase {purchase_id!r}")

    def moved(self, due: date) -> date:
        """``due`` after every declared outage (a moved date may land in a later window)."""
        for _ in range(len(self.outages) + 1):
            new = due
            for outage in self.outages:
                new = outage.move(new)
            if new == due:
                break
            due = new
        return due


# --- questions ------------------------------------------------------------------------------


def unpaid_principal(line: Line) -> int:
    """All principal owed: billed and unpaid, unbilled purchases, unbilled plan installments."""
    return (
        _billed_unpaid(line.statements)
        + _unbilled_purchases(line.purchases)
        + _unbilled_plans(line.plans)
    )


# Sums over a line's tuples, asked again of the same tuples by every step of a command.
@by_identity
def _billed_unpaid(statements: tuple[Obligation, ...]) -> int:
    return sum(ob.unpaid_principal for ob in statements)


@by_identity
def _unbilled_purchases(purchases: tuple[Purchase, ...]) -> int:
    return sum(p.unbilled for p in purchases)


@by_identity
def _unbilled_plans(plans: tuple[InstallmentPlan, ...]) -> int:
    return sum(plan.unbilled_principal for plan in plans)


def available(line: Line) -> int:
    """``max(0, limit − unpaid principal)`` (SPEC §5); a closed line has limit 0."""
    return max(0, line.limit - unpaid_principal(line))


def outstanding(line: Line, on: date) -> Amounts:
    """Billed and unpaid, per component (statements issued on or before ``on``)."""
    return Amounts.sum(
        ob.unpaid for ob, info in zip(line.statements, line.bills, strict=True) if info.on <= on
    )


def accrued_interest(line: Line) -> int:
    """Revolving interest booked and not yet billed (it is billed on the next statement)."""
    return line.accrued_interest


def receivables(line: Line) -> dict[GL, int]:
    """What the ledger must show for this line, per GL (the receivable invariant).

    Principal: every unpaid principal (billed or not); interest: billed unpaid plus accrued not
    yet billed; fee and penalty: billed (or charged) and unpaid; customer credit: the credit
    balance (a liability, shown positive).
    """
    billed = Amounts.sum(ob.unpaid for ob in line.statements)
    return {
        GL.PRINCIPAL_CURRENT: unpaid_principal(line),
        GL.INTEREST_RECEIVABLE: billed.interest + line.accrued_interest,
        GL.FEE_RECEIVABLE: billed.fee,
        GL.PENALTY_RECEIVABLE: billed.penalty,
        GL.CUSTOMER_CREDIT: line.credit_balance,
    }


def settled(ob: Obligation) -> int:
    """Everything paid or waived on an obligation (penalties included): counts to the minimum."""
    return ob.paid.total + ob.waived.total


def due_dates(line: Line) -> dict[str, date]:
    """Statement ref → its (possibly moved) due date."""
    return {ob.ref: ob.due_date for ob in line.statements}


def settled_total(line: Line) -> int:
    """Everything settled on the line's statements since opening (paid or waived)."""
    return _settled_sum(line.statements)


@by_identity
def _settled_sum(statements: tuple[Obligation, ...]) -> int:
    return sum(settled(ob) for ob in statements)


def uncovered(line: Line, on: date | None = None) -> dict[str, tuple[date, int]]:
    """Statement ref → (earliest due date, amount) of its minimum steps not yet covered.

    Only steps due before ``on`` when it is given (the minimum *in force* at ``on``).
    """
    total = settled_total(line)
    dues = due_dates(line)
    out: dict[str, tuple[date, int]] = {}
    for step in line.requirements:
        due = dues[step.set_by]
        if step.threshold <= total or (on is not None and due >= on):
            continue
        part = min(step.amount, step.threshold - total)
        since, amount = out.get(step.owner, (due, 0))
        out[step.owner] = (min(since, due), amount + part)
    return out


def sync_minimums(line: Line) -> Line:
    """``line`` with each statement's ``Obligation.minimum`` set to what was settled on it plus
    what is left of the minimum steps it owns, so that ``minimum_unpaid`` on the obligation is
    :func:`minimum_unpaid` (due or not). Past due is still :func:`past_due_statements`: a
    carried step falls due on a later statement's due date, not on the obligation's own."""
    synced = _SYNCED.get(id(line.statements))
    if synced is not None and synced[0] is line.statements and synced[1] is line.requirements:
        return line
    left = uncovered(line)
    statements = tuple(
        ob
        if ob.minimum == (wanted := settled(ob) + left.get(ob.ref, (date.min, 0))[1])
        else replace(ob, minimum=wanted)
        for ob in line.statements
    )
    if statements != line.statements:
        line = replace(line, statements=statements)
    # The answer depends on the statements and the steps only, and what it returns is already
    # in step (a minimum does not count to what is settled): remember the pair as synced.
    if type(line.statements) is tuple and type(line.requirements) is tuple:
        if len(_SYNCED) >= 4096:
            _SYNCED.clear()
        _SYNCED[id(line.statements)] = (line.statements, line.requirements)
    return line


# Statement tuples known to be in step with their minimum steps (by identity; see by_identity).
_SYNCED: dict[int, tuple[tuple[Obligation, ...], tuple[Any, ...]]] = {}


def minimum_due(line: Line) -> int:
    """What is still to pay of every minimum shown so far (due or not): the line's minimum."""
    top = line.requirements[-1].threshold if line.requirements else 0
    return max(0, top - settled_total(line))


def minimum_unpaid(line: Line, ref: str) -> int:
    """What is still to pay of the minimum asked of statement ``ref`` (due or not)."""
    return uncovered(line).get(ref, (date.min, 0))[1]


@dataclass(frozen=True, slots=True)
class PastDueStatement:
    """A past-due statement: since when (the due date of its oldest uncovered minimum step),
    what of its minimum in force is unpaid, and its whole unpaid amount."""

    ref: str
    since: date
    minimum_unpaid: int
    unpaid: Amounts


def past_due_statements(line: Line, on: date) -> tuple[PastDueStatement, ...]:
    """Statements past due at ``on``: a minimum step of theirs fell due before ``on`` and is
    not covered. DPD of the line = ``on`` − the earliest ``since``."""
    late = uncovered(line, on)
    return tuple(
        PastDueStatement(ob.ref, late[ob.ref][0], late[ob.ref][1], ob.unpaid)
        for ob in line.statements
        if ob.ref in late
    )


def next_statement_date(terms: LineTerms, after: date) -> date:
    """The first statement date strictly after ``after``."""
    candidate = date(after.year, after.month, terms.statement_day)
    return candidate if candidate > after else add_months(candidate, 1)


def statement_view(line: Line) -> list[dict[str, Any]]:
    """Each statement as the replay output shows it (amounts in fen)."""
    return [
        {
            "ref": ob.ref,
            "date": info.on,
            "due_date": ob.due_date,
            "amount": info.amount,
            "minimum": info.minimum,
            "paid": ob.paid.total,
            "new": ob.due.as_dict(),
            "unpaid": ob.unpaid.as_dict(),
            "minimum_unpaid": minimum_unpaid(line, ob.ref),
        }
        for ob, info in zip(line.statements, line.bills, strict=True)
    ]
