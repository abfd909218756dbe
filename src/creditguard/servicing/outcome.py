"""What every servicing command returns: the new state, its journal lines, events and a result.

Servicing commands are pure (functional core): they take an account's state and plain values and
return an :class:`Outcome`. The service layer persists ``state``, posts ``postings`` as one
journal entry (keyed for idempotency), puts ``events`` in the outbox and hands ``result`` to the
caller. Loans (``servicing.loan``) and lines (``servicing.line``) share this one type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from creditguard.ledger.chart import GL, RECEIVABLES
from creditguard.ledger.journal import Posting
from creditguard.money import InputError
from creditguard.servicing.model import DomainEvent

__all__ = [
    "Leg",
    "Outcome",
    "check_balanced",
    "memo_change",
    "off_balance",
    "postings_between",
    "postings_from_deltas",
    "postings_from_legs",
]

S = TypeVar("S")

Leg = tuple[GL, GL, int]
"""One "Dr ``debit_gl`` / Cr ``credit_gl``" movement of an amount in fen."""


@dataclass(frozen=True)
class Outcome(Generic[S]):
    """The result of one command: new state, balanced postings, domain events, caller result.

    ``postings`` may be empty (a command that moves no money, such as due-date relief); when it
    is not, it balances (debits = credits), which :func:`check_balanced` enforces.
    """

    state: S
    postings: tuple[Posting, ...]
    events: tuple[DomainEvent, ...]
    result: Mapping[str, Any] = field(default_factory=dict)


def postings_from_legs(account_ref: str, legs: Iterable[Leg]) -> tuple[Posting, ...]:
    """Postings for legs ``(debit GL, credit GL, amount)``, summed per (GL, side).

    Zero legs are dropped. A GL debited by one leg and credited by another keeps both lines (an
    interest receivable recognised and then paid shows both movements), so the entry reads like
    the bookkeeping it records. Balanced by construction.
    """
    totals: dict[tuple[GL, bool], int] = {}
    for debit_gl, credit_gl, amount in legs:
        if amount < 0:
            raise InputError("amount", f"a posting leg must not be negative, got {amount}")
        if amount == 0:
            continue
        totals[(debit_gl, True)] = totals.get((debit_gl, True), 0) + amount
        totals[(credit_gl, False)] = totals.get((credit_gl, False), 0) + amount
    return tuple(
        Posting.dr(gl, account_ref, amount) if is_debit else Posting.cr(gl, account_ref, amount)
        for (gl, is_debit), amount in totals.items()
    )


def postings_from_deltas(account_ref: str, deltas: Mapping[GL, int]) -> tuple[Posting, ...]:
    """Postings that move each GL by ``deltas[gl]`` (debit − credit); the deltas must net to 0.

    Used where a command is booked as the difference of two states (a payment reversal with
    re-allocation): a positive delta is a debit, a negative one a credit.
    """
    if sum(deltas.values()) != 0:
        raise InputError("postings", f"deltas do not balance: {dict(deltas)}")
    out: list[Posting] = []
    for gl in GL:
        delta = deltas.get(gl, 0)
        if delta > 0:
            out.append(Posting.dr(gl, account_ref, delta))
        elif delta < 0:
            out.append(Posting.cr(gl, account_ref, -delta))
    return tuple(out)


def postings_between(
    account_ref: str, before: Mapping[GL, int], after: Mapping[GL, int]
) -> tuple[Posting, ...]:
    """Postings that take the ledger image ``before`` to ``after`` (per GL, debit − credit; a
    GL missing from one side is 0 there): a command booked as the difference of two states."""
    return postings_from_deltas(
        account_ref, {gl: after.get(gl, 0) - before.get(gl, 0) for gl in GL}
    )


def check_balanced(postings: Iterable[Posting]) -> None:
    """Raise ``InputError`` if ``postings`` do not balance (a bug, never a user error)."""
    lines = list(postings)
    debits = sum(p.debit for p in lines)
    credits = sum(p.credit for p in lines)
    if debits != credits:
        raise InputError("postings", f"unbalanced: debits {debits} ≠ credits {credits}")


def memo_change(account_ref: str, amount: int) -> tuple[Posting, ...]:
    """Move the off-balance memo of a written-off debt by ``amount`` fen (up when positive):
    Dr OFF_BALANCE / Cr OFF_BALANCE_CONTRA, or the reverse to bring it down."""
    if amount > 0:
        return (
            Posting.dr(GL.OFF_BALANCE, account_ref, amount),
            Posting.cr(GL.OFF_BALANCE_CONTRA, account_ref, amount),
        )
    if amount < 0:
        return (
            Posting.dr(GL.OFF_BALANCE_CONTRA, account_ref, -amount),
            Posting.cr(GL.OFF_BALANCE, account_ref, -amount),
        )
    return ()


def off_balance(account_ref: str, postings: Sequence[Posting]) -> tuple[Posting, ...]:
    """After write-off, what accrues on a debt is owed but off the balance sheet (SPEC §6).

    Charges the domain books as Dr receivable / Cr income become the memo pair instead:
    Dr OFF_BALANCE / Cr OFF_BALANCE_CONTRA for the same amount.
    """
    return memo_change(account_ref, sum(p.debit for p in postings if p.gl in RECEIVABLES))
