"""The vertical repayment waterfall and waivers (SPEC §6), on hand-built obligations."""

from __future__ import annotations

from datetime import date

import pytest

from creditguard.money import InputError
from creditguard.servicing.allocation import allocate, waive
from creditguard.servicing.model import Amounts, Component, Obligation, ObligationKind


def ob(
    ref: str, due: date, principal: int, interest: int, fee: int = 0, penalty: int = 0
) -> Obligation:
    return Obligation(
        ref=ref,
        kind=ObligationKind.INSTALLMENT,
        due_date=due,
        original_due_date=due,
        due=Amounts(principal, interest, fee, penalty),
        minimum=principal + interest + fee,
    )


JAN, FEB, MAR = date(2026, 1, 15), date(2026, 2, 15), date(2026, 3, 15)


def test_vertical_oldest_first_penalty_fee_interest_principal() -> None:
    obligations = [
        ob("2", FEB, 1000, 100, 0, 7),
        ob("1", JAN, 1000, 120, 5, 30),
        ob("3", MAR, 1000, 80),
    ]
    # Paying 1200 on 2026-02-20: "1" (due Jan) is oldest past due: 30 penalty, 5 fee, 120 interest,
    # 1000 principal = 1155; the remaining 45 go to "2": 7 penalty, then 38 of its 100 interest.
    # "3" is not yet due and a loan's waterfall stops there.
    result = allocate(1200, obligations, date(2026, 2, 20))
    by_ref = {o.ref: o for o in result.obligations}
    assert by_ref["1"].unpaid == Amounts()
    assert by_ref["2"].unpaid == Amounts(1000, 62, 0, 0)
    assert by_ref["3"].paid == Amounts()
    assert result.remainder == 0
    assert [(a.obligation_ref, a.component, a.amount) for a in result.allocations] == [
        ("1", Component.PENALTY, 30),
        ("1", Component.FEE, 5),
        ("1", Component.INTEREST, 120),
        ("1", Component.PRINCIPAL, 1000),
        ("2", Component.PENALTY, 7),
        ("2", Component.INTEREST, 38),
    ]


def test_due_today_after_past_due_and_remainder_returned() -> None:
    obligations = [ob("2", FEB, 1000, 100), ob("1", JAN, 500, 50)]
    result = allocate(2000, obligations, FEB)
    # 550 to the past-due "1", 1100 to "2" due today, 350 left for the product's tail.
    assert result.remainder == 350
    assert all(o.unpaid.total == 0 for o in result.obligations)


def test_lines_reach_billed_statements_not_yet_due() -> None:
    obligations = [ob("S1", MAR, 1000, 0)]
    assert allocate(100, obligations, FEB).remainder == 100
    result = allocate(100, obligations, FEB, include_not_yet_due=True)
    assert result.remainder == 0
    assert result.obligations[0].minimum_unpaid == 900


def test_refuses_non_positive_payment() -> None:
    with pytest.raises(InputError, match="amount"):
        allocate(0, [], FEB)


def test_waive_oldest_first_and_never_more_than_owed() -> None:
    obligations = [ob("2", FEB, 0, 0, 0, 40), ob("1", JAN, 0, 0, 0, 25)]
    result = waive(Component.PENALTY, 30, obligations)
    by_ref = {o.ref: o for o in result.obligations}
    assert by_ref["1"].waived.penalty == 25  # oldest first
    assert by_ref["2"].waived.penalty == 5
    assert by_ref["2"].unpaid.penalty == 35
    with pytest.raises(InputError, match="only 65 fen"):
        waive(Component.PENALTY, 66, obligations)
