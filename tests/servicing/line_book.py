"""Shared by the credit-pay line tests: a line and the ledger its outcomes built, checked after
every command (postings balance; the ledger's receivables equal the line's unpaid amounts;
available = max(0, limit − unpaid principal))."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from creditguard.ledger.chart import GL
from creditguard.products import RevolvingProduct
from creditguard.servicing import line as L
from creditguard.servicing.outcome import Outcome

PRODUCT = RevolvingProduct(name="huabei")


class Book:
    """A line and the ledger its outcomes built, checked after every command."""

    def __init__(self, limit: int = 500_000, on: date = date(2026, 1, 1)) -> None:
        self.gl: dict[GL, int] = {}
        self.events: list[Any] = []
        self.line = self.take(L.open_line("A", "B", PRODUCT, limit, on))

    def take(self, outcome: Outcome[L.Line]) -> L.Line:
        assert sum(p.debit for p in outcome.postings) == sum(p.credit for p in outcome.postings)
        for p in outcome.postings:
            self.gl[p.gl] = self.gl.get(p.gl, 0) + p.debit - p.credit
        self.events.extend(outcome.events)
        self.line = outcome.state
        self.check()
        return outcome.state

    def check(self) -> None:
        expected = L.receivables(self.line)
        for gl, amount in expected.items():
            signed = -self.gl.get(gl, 0) if gl is GL.CUSTOMER_CREDIT else self.gl.get(gl, 0)
            assert signed == amount, (gl, signed, amount)
        assert L.available(self.line) == max(0, self.line.limit - L.unpaid_principal(self.line))

    def do(self, fn: Any, *args: Any, **kw: Any) -> Outcome[L.Line]:
        outcome: Outcome[L.Line] = fn(self.line, *args, **kw)
        self.take(outcome)
        return outcome

    def eod(self, through: date) -> None:
        """Run statements and interest accrual for every day from the last command's day (the
        days before it, when nothing could accrue, are caught up in one call) to ``through``."""
        day = max(self.line.accrued_through + timedelta(days=1), self.line.last_date)
        while day <= through:
            if day.day == 1 and (self.line.last_statement or date.min) < day:
                self.do(L.issue_statement, day)
            self.do(L.accrue_revolving_interest, day)
            day += timedelta(days=1)


def lines_of(outcome: Outcome[L.Line]) -> set[tuple[GL, int, int]]:
    return {(p.gl, p.debit, p.credit) for p in outcome.postings}
