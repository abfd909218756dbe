"""Corrections by re-derivation: replaying a line's command log (SPEC §6).

A payment reversal (chargeback) or an outage declaration re-derives the line from its opening —
without the reversed payment, or with the new due dates from the start — and books the
difference between the two ledgers as one correcting entry: later payments are re-allocated,
revolving interest and minimums re-derived, relief days charged nothing.

The two replays share their opening and every op up to the first one the change can affect:
an outage declaration or a penalty drop replays the log once in full and the changed version
only from there (a reversal still replays twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

from creditguard.frozen import replace
from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing.line_commands import (
    _limit,
    _open,
    _penalty,
    _purchase,
    _refund,
    _repay,
    _status,
    _waive,
)
from creditguard.servicing.line_model import (
    Line,
    LineOp,
    Outage,
)
from creditguard.servicing.line_plans import _convert
from creditguard.servicing.line_statement import _accrue, _issue
from creditguard.servicing.line_step import (
    Step,
    check_date,
    commit,
    event,
    logged,
)
from creditguard.servicing.model import DomainEvent, check_outage_window
from creditguard.servicing.outcome import Outcome, postings_between

__all__ = ["move_due_dates", "replay", "reverse_payment"]


def _noop(line: Line, op: LineOp, replay: bool) -> Step:
    return Step(line)


_HANDLERS = {
    "open": _open,
    "limit": _limit,
    "status": _status,
    "purchase": _purchase,
    "refund": _refund,
    "statement": _issue,
    "accrue": _accrue,
    "repay": _repay,
    "convert": _convert,
    "waive": _waive,
    "penalty": _penalty,
    "reverse": _noop,  # the reversed set is applied from the opening
    "outage": _noop,  # declared outages are applied from the opening
}


def replay(
    line: Line,
    *,
    reversed_payments: frozenset[str] | None = None,
    outages: tuple[Outage, ...] | None = None,
) -> tuple[Line, dict[GL, int]]:
    """Re-derive ``line`` from its command log; also the ledger it implies (GL → Dr − Cr).

    With the line's own reversed payments and outages it reproduces ``line`` exactly.
    """
    totals: dict[GL, int] = {}
    start = _opening(
        line,
        line.reversed_payments if reversed_payments is None else reversed_payments,
        line.outages if outages is None else outages,
    )
    return _run(start, line.history, totals), totals


def _opening(line: Line, reversed_payments: frozenset[str], outages: tuple[Outage, ...]) -> Line:
    """The state a replay of ``line``'s log starts from."""
    return Line(
        account=line.account,
        borrower=line.borrower,
        product=line.product,
        terms=line.terms,
        limit=0,
        status="active",
        opened=line.opened,
        last_date=line.opened,
        accrued_through=line.opened,
        outages=outages,
        reversed_payments=reversed_payments,
    )


def _apply(current: Line, op: LineOp, totals: dict[GL, int]) -> Line:
    """Replay one logged op on ``current``; its postings are added to ``totals``."""
    step = _HANDLERS[op.op](current, op, True)
    outcome = commit(replace(step, log=None), None)  # log the op exactly as recorded
    for p in outcome.postings:
        totals[p.gl] = totals.get(p.gl, 0) + p.debit - p.credit
    return logged(outcome.state, op)


def _run(current: Line, ops: Sequence[LineOp], totals: dict[GL, int]) -> Line:
    """Replay ``ops`` from ``current``, adding their postings to ``totals``."""
    for op in ops:
        current = _apply(current, op, totals)
    return current


def _rederive(line: Line, new_base: Line, op: LineOp) -> tuple[Line, tuple[Any, ...]]:
    """Replay the log under ``new_base``'s reversals and outages; postings = ledger change."""
    _, before = replay(line)
    after_line, after = replay(
        line, reversed_payments=new_base.reversed_payments, outages=new_base.outages
    )
    return logged(after_line, op), postings_between(line.account, before, after)


class _Probe:
    """Stands where a new outage will stand (last among the outages) and notes whether that
    outage would move any date :meth:`Line.moved` shows it; it moves nothing itself.

    Why it is harmless: ``moved()`` repeats passes over the outages until a pass changes
    nothing, at most ``len(outages) + 1`` of them. An outage changes a date only forward, to
    past its window (or onto its own end with relief 0, where it then stays), and dates never go
    back, so each outage changes a given date at most once: ``k`` old outages change it in at
    most ``k`` passes and the next pass confirms the fixpoint, within their bound ``k + 1``. The
    probe returns every date as given, so it changes no pass; it only raises the bound to
    ``k + 2``, which is never reached. So every ``moved()`` answers exactly as under the old
    outages alone. And pass after pass the probe is given exactly the dates the new outage
    would be given in its place: if the new outage would leave all of them alone, ``moved()``
    under the new outages makes the very same passes (within its bound ``k + 2``) and gives
    the same answer.
    """

    __slots__ = ("hit", "new")

    def __init__(self, new: Outage) -> None:
        self.new = new
        self.hit = False

    def move(self, due: date) -> date:
        """``due`` unchanged; note whether the new outage would move it."""
        if not self.hit and self.new.move(due) != due:
            self.hit = True
        return due


def _outage_rederive(line: Line, new: Outage, op: LineOp) -> tuple[Line, tuple[Any, ...]]:
    """``_rederive`` for one more outage, with a single full replay (the same result).

    The replays under the old and the new outages differ only from the first op during which
    some ``moved()`` answers differently — outages reach a replay only through it — so one
    replay under the old outages, with a :class:`_Probe` for the new one, finds that op (the
    fork); the replay under the new outages starts from the state just before it (the same in
    both, bar the outages) with the ledger so far, and replays only the rest of the log. When
    nothing forks, the new replay is the old one's end with the new outages. The probe forks
    at the first op the new outage *could* change: possibly earlier than needed, never later.
    """
    probe = _Probe(new)
    current = _opening(line, line.reversed_payments, (*line.outages, cast(Outage, probe)))
    before: dict[GL, int] = {}
    fork: tuple[int, Line, dict[GL, int]] | None = None
    for i, logged_op in enumerate(line.history):
        if fork is None:
            snapshot = dict(before)
            nxt = _apply(current, logged_op, before)
            if probe.hit:
                fork = (i, current, snapshot)
            current = nxt
        else:
            current = _apply(current, logged_op, before)
    outages = (*line.outages, new)
    if fork is None:
        after_line, after = replace(current, outages=outages), before
    else:
        i, state, after = fork
        after_line = _run(replace(state, outages=outages), line.history[i:], after)
    return logged(after_line, op), postings_between(line.account, before, after)


def reverse_payment(line: Line, payment_id: str | int, on: date) -> Outcome[Line]:
    """Reverse a repayment (chargeback): the line is re-derived without it.

    Later payments are re-allocated, and interest, minimums and the credit balance re-derived;
    the postings are the difference between the ledger with and without the payment.
    """
    check_date(line, on)
    pid = str(payment_id)
    match = [p for p in line.payments if p.payment_id == pid]
    if not match:
        raise InputError("payment_id", f"line {line.account} has no payment {pid!r}")
    if pid in line.reversed_payments:
        raise InputError("payment_id", f"payment {pid!r} is already reversed")
    op = LineOp("reverse", on, ref=pid)
    base = replace(line, reversed_payments=line.reversed_payments | {pid})
    new_line, postings = _rederive(line, base, op)
    shown = {"payment_id": pid, "amount": match[0].amount}
    reversed_ = event(new_line, on, "PaymentReversed", **shown)
    return Outcome(new_line, postings, (reversed_,), shown)


def move_due_dates(
    line: Line, start: date, end: date, relief_days: int = 3, on: date | None = None
) -> Outcome[Line]:
    """Platform outage relief: statements due in [start, end] fall due on end + relief_days.

    Applies to statements already issued and to later ones; the line is re-derived from its
    log with the new due dates, so revolving interest for relief days and minimums judged
    against the old dates are undone with correcting postings (relief adds no interest).
    """
    when = line.last_date if on is None else on
    check_date(line, when)
    check_outage_window(start, end, relief_days)
    op = LineOp("outage", when, ref=f"{start.isoformat()}..{end.isoformat()}", periods=relief_days)
    new_line, postings = _outage_rederive(line, Outage(start, end, relief_days), op)
    before = {ob.ref: ob.due_date for ob in line.statements}
    moved = {
        ob.ref: {"from": before[ob.ref].isoformat(), "to": ob.due_date.isoformat()}
        for ob in new_line.statements
        if before.get(ob.ref) != ob.due_date
    }
    shown = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "relief_days": relief_days,
        "new_due_date": (end + timedelta(days=relief_days)).isoformat(),
        "moved": moved,
    }
    relief = event(new_line, when, "DueDatesMoved", **shown)
    return Outcome(new_line, postings, (relief,), shown)


def drop_penalties(line: Line, refs: Sequence[str], on: date) -> Outcome[Line]:
    """Take back every penalty charged on statements ``refs``, as if never charged.

    For a platform outage declared over past dates (SPEC §6): the line is re-derived from its
    command log without those charges; the postings are the difference of the two ledgers.
    Event ``PenaltiesReversed`` when anything was dropped.
    """
    check_date(line, on)
    wanted = set(refs)
    dropped = sum(op.amount for op in line.history if op.op == "penalty" and op.ref in wanted)
    if not dropped:
        return Outcome(line, (), ())
    kept = tuple(op for op in line.history if not (op.op == "penalty" and op.ref in wanted))
    # The two logs agree up to the first dropped penalty, and a replay is a function of its
    # opening (the same here) and the ops: the replay without the penalties starts from the
    # full replay's state just before the first of them, with the ledger so far.
    first = next(i for i, op in enumerate(line.history) if op.op == "penalty" and op.ref in wanted)
    before: dict[GL, int] = {}
    fork = _run(_opening(line, line.reversed_payments, line.outages), line.history[:first], before)
    after = dict(before)
    _run(fork, line.history[first:], before)
    after_line = _run(fork, kept[first:], after)
    state = replace(after_line, history=kept, last_date=max(after_line.last_date, on))
    payload = {"refs": sorted(wanted), "amount": dropped}
    event = DomainEvent(on, line.account, "PenaltiesReversed", payload)
    return Outcome(state, postings_between(line.account, before, after), (event,))
