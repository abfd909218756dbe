"""Properties of cash-loan servicing under random command sequences (Hypothesis).

After every command: the postings balance; the ledger built from all postings equals what the
loan's state says (receivables per component, cash, income, waivers); nothing is negative; the
principal due always adds up to the principal lent; once the end of day has run, interest
receivable equals the unpaid interest of installments whose period has ended; and a reversed
payment leaves the loan exactly as if it had never been made (checked against an independent
re-run of the other commands through the public API).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import creditguard.servicing.loan as L
from creditguard.calendar import DayCount
from creditguard.ledger.chart import GL
from creditguard.money import Rounding
from creditguard.servicing.model import Amounts, Component

START = date(2026, 1, 31)  # a month-end start exercises clamped due dates


@dataclass(frozen=True)
class Product:
    """A minimal product satisfying ``InstallmentProductLike`` (no APR screen: fast)."""

    name: str
    annual_rate_effective: Decimal
    day_count: DayCount
    rounding: Rounding
    prepayment: str
    methods: tuple[str, ...]

    def check_offer(self, method: str, term: int) -> str:
        assert method in self.methods
        return method


Command = tuple[str, date, tuple[Any, ...]]


def run(loan: L.Loan, command: Command) -> L.Outcome[L.Loan]:
    kind, on, args = command
    if kind == "repay":
        return L.repay(loan, args[0], on, payment_id=args[1])
    if kind == "waive":
        return L.waive(loan, args[0], args[1], "test", "approver", on)
    if kind == "penalty":
        return L.charge_penalty(loan, args[0], args[1], on)
    if kind == "relief":
        return L.move_due_dates(loan, args[0], args[1], args[2], on)
    if kind == "eod":
        return L.fall_due(loan, on)
    raise AssertionError(kind)


def check(loan: L.Loan, ledger: dict[GL, int], on: date, kept: int) -> None:
    image = L.ledger_image(loan)
    for gl in GL:
        assert ledger.get(gl, 0) == image.get(gl, 0), gl
    assert all(v >= 0 for v in L.receivables(loan).values())
    for ob in loan.installments:
        for part in (ob.unpaid, ob.paid, ob.waived):
            assert min(part.as_dict().values()) >= 0
        assert ob.waived.principal == 0
    assert sum(ob.due.principal for ob in loan.installments) == loan.principal
    assert image[GL.CASH] == kept - loan.principal
    ended = sum(ob.unpaid.interest for ob in loan.installments if ob.original_due_date <= on)
    assert L.receivables(loan)[GL.INTEREST_RECEIVABLE] == ended
    settled = all(ob.unpaid.total == 0 for ob in loan.installments)
    assert (loan.status == "settled") == settled
    assert L.payoff_amount(loan, on) >= L.principal_balance(loan)
    dates = [ob.due_date for ob in loan.installments]
    assert [ob.ref for ob in loan.installments] == [str(k) for k in range(1, len(dates) + 1)]


def check_reamortized(loan: L.Loan, on: date, method: str, prepayment: str) -> None:
    """After an early repayment the later installments follow the product's prepayment mode."""
    c = L.current_period(loan, on)
    assert c is not None
    later = loan.installments[c + 1 : -1]
    assert all(ob.paid == Amounts() for ob in loan.installments[c + 1 :])
    if method == "annuity":
        # Level payments: recomputed (reduce-installment) or kept (reduce-term).
        assert all(ob.due.total == loan.level_payment for ob in later)
        if prepayment == "reduce-term":
            assert loan.level_payment == loan.initial_level_payment
    if method == "equal-principal":
        assert all(ob.due.principal == loan.level_payment for ob in later)
    if prepayment == "reduce-installment" or method in ("interest-first", "bullet"):
        assert len(loan.installments) == len(loan.initial)


steps = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.sampled_from(["repay", "repay", "waive", "reverse", "penalty", "relief"]),
        st.integers(0, 10**12),
    ),
    max_size=10,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["annuity", "equal-principal", "interest-first", "bullet"]),
    prepayment=st.sampled_from(["reduce-installment", "reduce-term"]),
    day_count=st.sampled_from(list(DayCount)),
    rate=st.sampled_from(["0", "0.0365", "0.12", "0.18"]),
    term=st.sampled_from([1, 3, 6]),
    principal=st.integers(1_000, 3_000_000),
    plan=steps,
)
def test_ledger_matches_state_under_random_commands(
    method: str,
    prepayment: str,
    day_count: DayCount,
    rate: str,
    term: int,
    principal: int,
    plan: list[tuple[int, str, int]],
) -> None:
    product = Product("p", Decimal(rate), day_count, Rounding.HALF_UP, prepayment, (method,))
    ledger: dict[GL, int] = defaultdict(int)

    def post(outcome: L.Outcome[L.Loan]) -> L.Loan:
        assert sum(p.debit for p in outcome.postings) == sum(p.credit for p in outcome.postings)
        for p in outcome.postings:
            ledger[p.gl] += p.debit - p.credit
        return outcome.state

    loan = post(L.disburse("L1", "B1", product, principal, term, method, START))
    commands: list[Command] = []
    amounts: dict[str, int] = {}
    reversed_ids: set[str] = set()
    on = START
    for days, action, seed in plan:
        on += timedelta(days=days)
        command: Command | None = None
        due = [ob for ob in loan.installments if ob.due_date <= on]
        if action == "repay" and loan.status != "settled":
            payoff = L.payoff_amount(loan, on)
            amount = payoff if seed % 4 == 0 else 1 + seed % payoff
            command = ("repay", on, (amount, f"P{len(amounts) + 1}"))
            amounts[f"P{len(amounts) + 1}"] = amount
        elif action == "waive":
            owed = [
                c
                for c in (Component.PENALTY, Component.INTEREST)
                if sum(ob.unpaid.get(c) for ob in due) > 0
            ]
            if owed:
                component = owed[seed % len(owed)]
                total = sum(ob.unpaid.get(component) for ob in due)
                command = ("waive", on, (component, 1 + seed % total))
        elif action == "penalty":
            late = [ob for ob in due if ob.due_date < on and ob.unpaid.non_penalty > 0]
            if late:
                command = ("penalty", on, (late[seed % len(late)].ref, 1 + seed % 5000))
        elif action == "relief":
            first = on + timedelta(days=seed % 20)
            command = ("relief", on, (first, first + timedelta(days=seed % 5), seed % 4))
        elif action == "reverse":
            live = sorted(set(amounts) - reversed_ids)
            if live:
                victim = live[seed % len(live)]
                loan = post(L.reverse_payment(loan, victim, on))
                reversed_ids.add(victim)
                # Independent check: the same commands without the reversed payments, run
                # afresh through the public API, give the same installments.
                fresh = L.disburse("L1", "B1", product, principal, term, method, START).state
                for c in commands:
                    if c[0] == "repay" and c[2][1] in reversed_ids:
                        continue
                    fresh = run(fresh, c).state
                assert fresh.installments == loan.installments
                assert fresh.status == loan.status or loan.status == "active"
        if command is not None:
            outcome = run(loan, command)
            loan = post(outcome)
            commands.append(command)
            if (
                command[0] == "repay"
                and outcome.result["early_principal"]
                and not (outcome.result["settled"])
            ):
                check_reamortized(loan, on, method, prepayment)
        eod: Command = ("eod", on, ())
        loan = post(run(loan, eod))
        commands.append(eod)
        kept = sum(a for pid, a in amounts.items() if pid not in reversed_ids)
        check(loan, ledger, on, kept)
    assert L.paid_total(loan).total == sum(
        a for pid, a in amounts.items() if pid not in reversed_ids
    )
    assert L.paid_total(loan) + L.waived_total(loan) + Amounts.sum(
        ob.unpaid for ob in loan.installments
    ) == Amounts.sum(ob.due for ob in loan.installments)
