"""Credit-pay line properties under random command sequences (Hypothesis).

After every command: the postings balance; the ledger's receivables equal the line's unpaid
amounts per component (principal, interest, fee, penalty, customer credit); available =
max(0, limit − unpaid principal); nothing owed is negative. At the end the command log
replays to exactly the same line and the same ledger.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from line_book import Book

from creditguard.money import InputError
from creditguard.servicing import line as L
from creditguard.servicing.model import Component

KINDS = (
    "purchase",
    "purchase",
    "repay",
    "repay",
    "refund",
    "convert-statement",
    "convert-purchase",
    "waive",
    "reverse",
    "penalty",
    "freeze",
    "limit",
    "outage",
)

commands = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 9),  # days to advance
        st.integers(1, 150_000),  # an amount in fen
        st.integers(0, 50),  # which purchase / payment / statement
        st.sampled_from([3, 6, 9, 12]),
    ),
    max_size=30,
)


def apply(book: Book, kind: str, on: date, amount: int, pick: int, periods: int) -> None:
    line = book.line
    if kind == "purchase":
        book.do(L.purchase, amount, on)
    elif kind == "repay":
        book.do(L.repay, amount, on)
    elif kind == "refund" and line.purchases:
        p = line.purchases[pick % len(line.purchases)]
        book.do(L.refund, p.id, min(amount, p.amount - p.refunded) or 1, on)
    elif kind == "convert-statement":
        book.do(L.convert_to_installments, periods, on)
    elif kind == "convert-purchase" and line.purchases:
        book.do(L.convert_to_installments, periods, on, purchase_id=line.purchases[-1].id)
    elif kind == "waive":
        component = ("interest", "fee", "penalty")[pick % 3]
        owed = sum(ob.unpaid.get(Component(component)) for ob in line.statements)
        book.do(L.waive, component, min(amount, owed) or 1, "test", "approver", on)
    elif kind == "reverse":
        live = [p for p in line.payments if p.payment_id not in line.reversed_payments]
        if live:
            book.do(L.reverse_payment, live[pick % len(live)].payment_id, on)
    elif kind == "penalty":
        past = L.past_due_statements(line, on)
        if past:
            book.do(L.charge_penalty, past[0].ref, 1 + amount % 500, on)
    elif kind == "freeze":
        book.do(L.set_status, ("active", "frozen")[pick % 2], on)
    elif kind == "limit":
        book.do(L.change_limit, amount * 3, on)
    elif kind == "outage":
        start = on - timedelta(days=pick % 20)
        book.do(L.move_due_dates, start, start + timedelta(days=pick % 4), 3, on=on)


def check_nothing_negative(line: L.Line) -> None:
    for ob in line.statements:
        assert min(ob.unpaid.as_dict().values()) >= 0, ob
        assert min(ob.paid.as_dict().values()) >= 0, ob
    for plan in line.plans:
        assert all(i.principal >= 0 and i.fee >= 0 for i in plan.installments)
    assert all(p.unbilled >= 0 and p.prepaid >= 0 for p in line.purchases)
    assert line.credit_balance >= 0 and line.accrued_interest >= 0
    previous = 0
    for step in line.requirements:  # thresholds only grow, each step on top of the last
        assert step.amount > 0 and step.threshold - step.amount >= previous, step
        previous = step.threshold


@settings(
    max_examples=int(os.environ.get("LINE_PROPERTY_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(commands)
def test_random_commands_keep_the_ledger_and_the_line_in_step(ops: list[Any]) -> None:
    book = Book(limit=300_000)
    for kind, advance, amount, pick, periods in ops:
        on = book.line.last_date + timedelta(days=advance)
        book.eod(on - timedelta(days=1))
        # A refusal changes nothing (Book only takes successful outcomes).
        with contextlib.suppress(InputError):
            apply(book, kind, on, amount, pick, periods)
        check_nothing_negative(book.line)
    book.eod(book.line.last_date + timedelta(days=45))
    check_nothing_negative(book.line)
    replayed, ledger = L.replay(book.line)
    assert replayed == book.line
    assert {gl: v for gl, v in ledger.items() if v} == {gl: v for gl, v in book.gl.items() if v}


@settings(max_examples=int(os.environ.get("LINE_PROPERTY_EXAMPLES", "200")) // 5, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 150), st.integers(1, 80_000)), max_size=25),
    st.sampled_from([0, 3, 6, 12]),
)
def test_paying_each_shown_minimum_on_its_due_date_is_never_past_due(
    purchases: list[tuple[int, int]], periods: int
) -> None:
    # periods 0: never convert; else the latest bill is converted on the 5th of each month.
    book = Book(limit=10**9)
    start = date(2026, 1, 1)
    by_day: dict[date, list[int]] = {}
    for offset, amount in purchases:
        by_day.setdefault(start + timedelta(days=offset), []).append(amount)
    day = start
    while day <= start + timedelta(days=200):
        for amount in by_day.get(day, []):
            book.do(L.purchase, amount, day)
        if book.line.statements and day == book.line.statements[-1].due_date:
            shown = book.line.bills[-1].minimum
            if shown:
                book.do(L.repay, shown, day)
        if periods and day.day == 5 and book.line.statements:
            with contextlib.suppress(InputError):
                book.do(L.convert_to_installments, periods, day)
        assert L.past_due_statements(book.line, day + timedelta(days=1)) == ()
        book.eod(day)
        day += timedelta(days=1)
