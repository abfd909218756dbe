"""Balances derived from postings — pure functions, so stored balances can always be re-checked.

A balance is signed by the GL's normal side (see :mod:`creditguard.ledger.chart`): receivables,
expenses and ``OFF_BALANCE`` grow with debits; income, liabilities, suspense and
``OFF_BALANCE_CONTRA`` with credits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from creditguard.ledger.chart import GL
from creditguard.ledger.journal import JournalEntry, Posting

__all__ = [
    "TrialBalance",
    "TrialBalanceLine",
    "balances",
    "postings_of",
    "trial_balance",
]


def postings_of(entries: Iterable[JournalEntry]) -> list[Posting]:
    """All postings of ``entries``, in order."""
    return [p for e in entries for p in e.postings]


def balances(postings: Iterable[Posting]) -> dict[tuple[GL, str], int]:
    """The balance of every (GL, account_ref) that ``postings`` touch, by normal side.

    Pairs whose postings cancel out keep a zero entry, so "touched and settled" is visible.
    """
    out: dict[tuple[GL, str], int] = {}
    for p in postings:
        k = (p.gl, p.account_ref)
        out[k] = out.get(k, 0) + p.gl.signed(p.debit, p.credit)
    return out


@dataclass(frozen=True)
class TrialBalanceLine:
    """One GL account in a trial balance: the total debits and credits posted to it."""

    gl: GL
    debits: int
    credits: int

    @property
    def balance(self) -> int:
        """Net balance signed by the GL's normal side."""
        return self.gl.signed(self.debits, self.credits)


@dataclass(frozen=True)
class TrialBalance:
    """Totals per GL account (in chart order) and overall; balanced when debits = credits."""

    lines: tuple[TrialBalanceLine, ...]

    @property
    def debits(self) -> int:
        """Total of all debits."""
        return sum(line.debits for line in self.lines)

    @property
    def credits(self) -> int:
        """Total of all credits."""
        return sum(line.credits for line in self.lines)

    @property
    def balanced(self) -> bool:
        """Whether total debits equal total credits."""
        return self.debits == self.credits

    def balance(self, gl: GL) -> int:
        """The net balance of ``gl`` (0 if nothing was posted to it)."""
        for line in self.lines:
            if line.gl is gl:
                return line.balance
        return 0

    @classmethod
    def from_totals(cls, totals: Mapping[GL, tuple[int, int]]) -> TrialBalance:
        """Build from ``{gl: (debits, credits)}``, ordering lines by the chart."""
        return cls(tuple(TrialBalanceLine(gl, *totals[gl]) for gl in GL if gl in totals))


def trial_balance(postings: Iterable[Posting]) -> TrialBalance:
    """The trial balance of ``postings`` (filter them by business date before calling)."""
    totals: dict[GL, tuple[int, int]] = {}
    for p in postings:
        d, c = totals.get(p.gl, (0, 0))
        totals[p.gl] = (d + p.debit, c + p.credit)
    return TrialBalance.from_totals(totals)
