"""Cash loans (借呗-style): the servicing commands, pure functions over a :class:`Loan`.

Each command validates its input (``InputError`` naming the field and the rule), and returns an
:class:`~creditguard.servicing.outcome.Outcome`: the new loan, balanced postings, domain events
and a result for the caller. No clock, no database: the business date is a parameter, and a
command dated before the loan's last command is refused (SPEC §2, no backdating).

Posting rules (GL codes in ``ledger.chart``):

- disburse: Dr PRINCIPAL_CURRENT / Cr CASH.
- fall_due (end of day): Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME for the interest of every
  installment whose interest period ended (original due date) or that fell due by the date,
  not booked before. Principal current → overdue is the overdue engine's
  (``Loan.overdue_principal`` is the hook that repayments already honour).
- repay: Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME for interest paid before it was booked
  (accrued to date, or due today before the end of day), then Dr CASH / Cr each receivable paid.
- waive: (recognition as above if needed), Dr WAIVER_EXPENSE / Cr the receivable.
- charge_penalty (overdue-engine hook): Dr PENALTY_RECEIVABLE / Cr PENALTY_INCOME.
- reverse_payment: the difference between the loan's ledger image before and after
  re-derivation: Cr CASH for the money taken back, Dr the receivables restored, and income
  un-recognised where the reversed payment had recognised interest early.
- move_due_dates: no posting.

Invariant (tested): for each receivable GL, the sum of a loan's postings equals
:func:`receivables` of its state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from creditguard.calendar import DayCount
from creditguard.frozen import replace
from creditguard.ledger.chart import GL, RECEIVABLES
from creditguard.ledger.journal import Posting
from creditguard.money import InputError, Rounding
from creditguard.pricing import LoanTerms, Method, build_schedule
from creditguard.pricing.terms import coerce_method
from creditguard.servicing.loan_model import (
    LOAN_STATUSES,
    PENALTY,
    PREPAYMENT_MODES,
    Loan,
    LoanOp,
    accrued_current,
    accrued_interest,
    current_period,
    ledger_image,
    outstanding,
    paid_total,
    payments,
    payoff_amount,
    principal_balance,
    principal_gl,
    receivables,
    waived_total,
)
from creditguard.servicing.loan_ops import apply_booking, apply_op, rederive
from creditguard.servicing.loan_repay import level_payment_for
from creditguard.servicing.model import (
    Amounts,
    Component,
    DomainEvent,
    Obligation,
    ObligationKind,
    check_outage_window,
)
from creditguard.servicing.outcome import (
    Outcome,
    check_balanced,
    memo_change,
    postings_between,
    postings_from_deltas,
)

__all__ = [
    "LOAN_STATUSES",
    "PREPAYMENT_MODES",
    "InstallmentProductLike",
    "Loan",
    "LoanOp",
    "Outcome",
    "accrued_current",
    "accrued_interest",
    "charge_penalty",
    "current_period",
    "disburse",
    "drop_penalties",
    "fall_due",
    "ledger_image",
    "move_due_dates",
    "outstanding",
    "paid_total",
    "payments",
    "payoff_amount",
    "principal_balance",
    "principal_gl",
    "receivables",
    "repay",
    "reverse_payment",
    "waive",
    "waived_total",
]

_WAIVABLE = (Component.PENALTY, Component.FEE, Component.INTEREST)


class InstallmentProductLike(Protocol):
    """What a drawdown needs of a product (``products.InstallmentProduct`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def annual_rate_effective(self) -> Decimal: ...
    @property
    def day_count(self) -> DayCount: ...
    @property
    def rounding(self) -> Rounding: ...
    @property
    def prepayment(self) -> str: ...
    @property
    def methods(self) -> Sequence[Any]: ...
    def check_offer(self, method: str, term: int) -> Any: ...


# --- validation helpers ---------------------------------------------------------------------


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, "must be a non-empty string / 不能为空")
    return value


def _fen(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, f"must be integer fen, not {type(value).__name__}")
    if value <= 0:
        raise InputError(field, f"must be > 0 fen, got {value} / 金额必须大于零")
    return value


def _day(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InputError(field, f"must be a date, not {type(value).__name__}")
    return value


def _command_date(loan: Loan, on: object) -> date:
    day = _day(on, "on")
    if day < loan.last_date:
        raise InputError(
            "on",
            f"{day} is before the loan's last command ({loan.last_date}): backdating is "
            "refused (SPEC §2) / 不能倒签业务日期",
        )
    return day


def _finish(outcome: Outcome[Loan]) -> Outcome[Loan]:
    check_balanced(outcome.postings)
    return outcome


# --- commands -------------------------------------------------------------------------------


def disburse(
    account: str,
    borrower: str,
    product: InstallmentProductLike,
    principal: int,
    term: int,
    method: str | None,
    on: date,
    line: str | None = None,
) -> Outcome[Loan]:
    """Lend ``principal`` fen on ``on``: the schedule comes from ``pricing.build_schedule``.

    ``method`` None takes the product's first (SPEC §10); the product must offer the method and
    the term. Postings: Dr PRINCIPAL_CURRENT / Cr CASH. Event ``LoanDisbursed``. The result
    carries the pricing ``schedule``.
    """
    _text(account, "account")
    _text(borrower, "borrower")
    if line is not None:
        _text(line, "line")
    day = _day(on, "on")
    _fen(principal, "principal")
    chosen = product.methods[0] if method is None else method
    typed = coerce_method(str(product.check_offer(str(chosen), term)))
    if typed is Method.FEE_INSTALLMENT:
        raise InputError("method", "fee-installment is a line's plan, not a cash-loan method")
    prepayment = str(product.prepayment)
    if prepayment not in PREPAYMENT_MODES:
        raise InputError("prepayment", f"{prepayment!r} is not one of {PREPAYMENT_MODES}")
    terms = LoanTerms(
        principal=principal,
        term=term,
        start=day,
        method=typed,
        annual_rate=product.annual_rate_effective,
        day_count=product.day_count,
        rounding=product.rounding,
    )
    schedule = build_schedule(terms)
    installments = tuple(
        Obligation(
            ref=str(row.period),
            kind=ObligationKind.INSTALLMENT,
            due_date=row.due_date,
            original_due_date=row.due_date,
            due=Amounts(principal=row.principal, interest=row.interest, fee=row.fee),
            minimum=row.principal + row.interest + row.fee,
        )
        for row in schedule.installments
    )
    level = level_payment_for(
        terms.method, terms.annual_rate, principal, len(installments), terms.rounding
    )
    loan = Loan(
        account=account,
        borrower=borrower,
        product=product.name,
        line=line,
        principal=principal,
        term=term,
        method=terms.method,
        start=day,
        annual_rate=terms.annual_rate,
        day_count=terms.day_count,
        rounding=terms.rounding,
        prepayment=prepayment,
        status="active",
        installments=installments,
        recognized=tuple(Amounts() for _ in installments),
        level_payment=level,
        accrual_from=day,
        accrual_fixed=0,
        initial=installments,
        initial_level_payment=level,
        last_date=day,
    )
    postings = postings_from_deltas(account, {GL.PRINCIPAL_CURRENT: principal, GL.CASH: -principal})
    event = DomainEvent(
        day,
        account,
        "LoanDisbursed",
        {
            "borrower": borrower,
            "product": product.name,
            "principal": principal,
            "term": term,
            "method": terms.method.value,
            "line": line,
            "maturity": installments[-1].due_date.isoformat(),
        },
    )
    rows = [
        {
            "period": row.period,
            "due_date": row.due_date.isoformat(),
            "principal": row.principal,
            "interest": row.interest,
            "fee": row.fee,
            "payment": row.payment,
        }
        for row in schedule.installments
    ]
    return _finish(Outcome(loan, postings, (event,), {"schedule": rows}))


def repay(loan: Loan, amount: int, on: date, *, payment_id: str | None = None) -> Outcome[Loan]:
    """Apply a repayment of ``amount`` fen on ``on`` by the waterfall of SPEC §6.

    Fallen-due installments first (oldest first, penalty → fee → interest → principal), then
    interest accrued to date, then principal as an early repayment (the product's prepayment
    mode). More than the payoff is refused, naming the payoff. ``payment_id`` (default ``P<n>``)
    names the payment for :func:`reverse_payment`. Event ``PaymentReceived``; the result has
    ``allocations``, ``accrued_interest_paid``, ``early_principal``, ``settled``.
    """
    day = _command_date(loan, on)
    _fen(amount, "amount")
    if loan.status == "written-off":
        return _recovery(loan, amount, day, payment_id)
    if loan.status == "settled":
        raise InputError("amount", f"loan {loan.account} is settled: nothing is owed / 贷款已结清")
    known = {op.payment_id for op, _ in payments(loan)}
    pid = f"P{len(known) + 1}" if payment_id is None else _text(payment_id, "payment_id")
    if pid in known:
        raise InputError("payment_id", f"{pid!r} is already used on loan {loan.account}")
    return _finish(apply_op(loan, LoanOp.repayment(pid, day, amount)))


def _recovery(loan: Loan, amount: int, day: date, payment_id: str | None) -> Outcome[Loan]:
    """A payment on a written-off loan (SPEC §6): allocated by the same waterfall, booked as a
    recovery. The receivables left the balance sheet at write-off, so the money is income
    (Dr CASH / Cr RECOVERIES) and the off-balance memo of the debt shrinks by as much."""
    known = {op.payment_id for op, _ in payments(loan)}
    pid = f"P{len(known) + 1}" if payment_id is None else _text(payment_id, "payment_id")
    if pid in known:
        raise InputError("payment_id", f"{pid!r} is already used on loan {loan.account}")
    outcome = apply_op(replace(loan, status="past-due"), LoanOp.repayment(pid, day, amount))
    state = outcome.state
    if state.status != "settled":
        state = replace(state, status="written-off")
    account = loan.account
    # Interest the payment recognises (accrued to date, not yet booked) joins the memo of the
    # debt before the payment takes it off: the memo shrinks by what was owed before it.
    recognised = sum(p.debit for p in outcome.postings if p.gl in RECEIVABLES)
    postings = (
        Posting.dr(GL.CASH, account, amount),
        Posting.cr(GL.RECOVERIES, account, amount),
        *memo_change(account, recognised - amount),
    )
    events = tuple(replace(e, payload={**e.payload, "recovery": True}) for e in outcome.events)
    return _finish(
        Outcome(state, tuple(postings), events, {**dict(outcome.result), "recovery": True})
    )


def fall_due(loan: Loan, on: date) -> Outcome[Loan]:
    """End of day: book the interest of installments whose period ended or fell due by ``on``.

    Idempotent (a second call books nothing) and catches up missed dates. Emits no event.
    """
    day = _command_date(loan, on)
    return _finish(apply_booking(loan, day))


def waive(
    loan: Loan,
    component: Component | str,
    amount: int,
    reason: str,
    approver: str,
    on: date,
) -> Outcome[Loan]:
    """Waive penalty, fee or interest owed (fallen due), oldest installment first.

    Principal cannot be waived; a reason and an approver are required; more than is owed of the
    component is refused. Postings: Dr WAIVER_EXPENSE / Cr the receivable. Event ``Waived``.
    """
    day = _command_date(loan, on)
    try:
        typed = Component(component)
    except ValueError:
        raise InputError("component", f"{component!r} is not penalty, fee or interest") from None
    if typed not in _WAIVABLE:
        raise InputError("component", "principal cannot be waived (only penalty, fee, interest)")
    _fen(amount, "amount")
    _text(reason, "reason")
    _text(approver, "approver")
    return _finish(apply_op(loan, LoanOp.waiver(day, typed, amount, reason, approver)))


def charge_penalty(loan: Loan, ref: str, amount: int, on: date) -> Outcome[Loan]:
    """The overdue engine's hook: charge ``amount`` fen of penalty on past-due installment ``ref``.

    Postings: Dr PENALTY_RECEIVABLE / Cr PENALTY_INCOME. Logged, so a reversal keeps it.
    """
    day = _command_date(loan, on)
    _fen(amount, "amount")
    ob = loan.installments[loan.index_of(ref)]
    if ob.due_date >= day:
        raise InputError("ref", f"installment {ref} is not past due on {day} (due {ob.due_date})")
    if ob.unpaid.non_penalty == 0:
        raise InputError("ref", f"installment {ref} is paid: penalties accrue on unpaid amounts")
    return _finish(apply_op(loan, LoanOp.penalty(day, ref, amount)))


def move_due_dates(
    loan: Loan, start: date, end: date, relief_days: int = 3, on: date | None = None
) -> Outcome[Loan]:
    """Platform outage relief declared on ``on``: due dates in [start, end] → end + relief_days.

    ``on`` defaults to the loan's last business date (the line domain's signature). Interest is
    unchanged (periods keep their original due dates). No posting. Event ``DueDateRelief``
    listing the moves (even when none moved, so the declaration is on record).
    """
    day = _command_date(loan, loan.last_date if on is None else on)
    first, last = _day(start, "start"), _day(end, "end")
    check_outage_window(first, last, relief_days)
    return _finish(apply_op(loan, LoanOp.relief(day, first, last, relief_days)))


def reverse_payment(loan: Loan, payment_id: str, on: date) -> Outcome[Loan]:
    """Chargeback: take a payment back and re-allocate the payments after it.

    The loan is re-derived from its disbursed installments with the payment left out and the
    later commands re-applied in order (the waterfall holds; an undone early repayment restores
    the principal and the schedule). Postings: the difference of the ledger images. Event
    ``PaymentReversed``. Reversing a payment twice, or an unknown one, is refused.
    """
    day = _command_date(loan, on)
    _text(payment_id, "payment_id")
    log = {op.payment_id: (op, done) for op, done in payments(loan)}
    if payment_id not in log:
        raise InputError("payment_id", f"loan {loan.account} has no payment {payment_id!r}")
    op, done = log[payment_id]
    if done:
        raise InputError("payment_id", f"payment {payment_id} is already reversed / 已冲正")
    try:
        state = rederive(loan, (*loan.reversed_payments, payment_id))
    except InputError as exc:
        raise InputError(
            "payment_id", f"cannot reverse {payment_id}: re-applying later commands fails: {exc}"
        ) from exc
    state = replace(state, last_date=day)
    before, after = ledger_image(loan), ledger_image(state)
    postings = postings_between(loan.account, before, after)
    payload = {"payment_id": payment_id, "amount": op.amount, "paid_on": op.on.isoformat()}
    event = DomainEvent(day, loan.account, "PaymentReversed", payload)
    result = {**payload, "settled": state.status == "settled"}
    return _finish(Outcome(state, postings, (event,), result))


def drop_penalties(loan: Loan, refs: Sequence[str], on: date) -> Outcome[Loan]:
    """Take back every penalty charged on installments ``refs``, as if never charged.

    For a platform outage declared over past dates (SPEC §6): the loan is re-derived from its
    command log without those penalty charges; the postings are the difference of the ledger
    images (Dr penalty income / Cr penalty receivable, or a refund of a penalty already paid
    through the re-allocation of the payments). The status set by the overdue engine is kept
    (the end of day re-assesses it). Event ``PenaltiesReversed`` when anything was dropped.
    """
    day = _command_date(loan, on)
    wanted = set(refs)
    kept = tuple(op for op in loan.history if not (op.kind == PENALTY and op.ref in wanted))
    dropped = sum(op.amount for op in loan.history if op.kind == PENALTY and op.ref in wanted)
    if not dropped:
        return _finish(Outcome(replace(loan, last_date=day), (), ()))
    state = rederive(replace(loan, history=kept), loan.reversed_payments)
    if state.status != "settled":
        state = replace(state, status=loan.status if loan.status != "settled" else "active")
    state = replace(state, last_date=day)
    before, after = ledger_image(loan), ledger_image(state)
    postings = postings_between(loan.account, before, after)
    payload = {"refs": sorted(wanted), "amount": dropped}
    return _finish(
        Outcome(state, postings, (DomainEvent(day, loan.account, "PenaltiesReversed", payload),))
    )
