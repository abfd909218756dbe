"""Penalty kernel through run_day: multiplier vs daily fee, grace, retroactive, cap, rounding.

Products: ``cash`` daily rate 0.0004, multiplier 1.5 → penalty 0.0006 a day on unpaid
principal; ``pay`` overdue fee 0.0005 a day on the unpaid non-penalty amount of a past-due
statement. Cap 0.24 a year → 0.24/365 a day on the unpaid non-penalty amount.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from creditguard.money import InputError
from creditguard.overdue import params_frame, run_day
from creditguard.overdue.frames import accounts_frame, obligations_frame
from creditguard.products.schema import InstallmentProduct, RevolvingProduct

DUE = date(2026, 1, 10)


def cash(**kw: Any) -> InstallmentProduct:
    return InstallmentProduct(
        name=kw.pop("name", "cash"), kind="installment", daily_rate=Decimal("0.0004"), **kw
    )


def pay(**kw: Any) -> RevolvingProduct:
    return RevolvingProduct(name=kw.pop("name", "pay"), kind="revolving", **kw)


def walk(
    product: InstallmentProduct | RevolvingProduct,
    obligation: dict[str, Any],
    days: int,
    payments: dict[int, dict[str, int]] | None = None,
) -> tuple[list[int], pl.DataFrame, pl.DataFrame]:
    """Run EOD for DUE+1 … DUE+days; ``payments[k]`` adds paid amounts before day k's EOD."""
    kind = "line" if isinstance(product, RevolvingProduct) else "loan"
    accounts = accounts_frame([{"account": "A", "product": product.name, "kind": kind}])
    obligations = obligations_frame(
        [{"account": "A", "ref": "1", "due_date": DUE, **obligation}], accounts
    )
    params = params_frame([product])
    booked: list[int] = []
    for k in range(1, days + 1):
        for column, amount in (payments or {}).get(k, {}).items():
            obligations = obligations.with_columns(pl.col(column) + amount)
        result = run_day(obligations, accounts, params, DUE + timedelta(days=k))
        obligations, accounts = result.obligations, result.accounts
        booked.append(int(obligations["penalty_booked"][0]))
    return booked, obligations, accounts


def test_multiplier_on_unpaid_principal_only() -> None:
    # 100000 fen principal × 0.0006 = 60.00 fen a day; the 1200 interest does not compound.
    # Ceiling a day: 101200 × 0.24 / 365 = 66.54 fen, not binding.
    booked, obligations, _ = walk(cash(), {"due_principal": 100_000, "due_interest": 1_200}, 3)
    assert booked == [60, 60, 60]
    assert obligations["due_penalty"][0] == 180
    assert obligations["pen_charged"][0] == 180


def test_compound_overdue_interest_adds_interest_to_the_base() -> None:
    # (100000 + 1200) × 0.0006 = 60.72 → day 1 books 61, day 2 round(121.44) − 61 = 60.
    booked, _, _ = walk(
        cash(compound_overdue_interest=True), {"due_principal": 100_000, "due_interest": 1_200}, 2
    )
    assert booked == [61, 60]


def test_daily_fee_on_whole_unpaid_statement() -> None:
    # Statement 50000 principal, minimum 5000 unpaid: fee 50000 × 0.0005 = 25 fen a day.
    booked, _, _ = walk(pay(), {"kind": "statement", "due_principal": 50_000, "minimum": 5_000}, 3)
    assert booked == [25, 25, 25]


def test_statement_with_minimum_paid_accrues_no_fee() -> None:
    # Minimum 5000 paid: not past due, the remainder 45000 accrues revolving interest (not here).
    booked, obligations, _ = walk(
        pay(),
        {"kind": "statement", "due_principal": 50_000, "minimum": 5_000, "paid_principal": 5_000},
        3,
    )
    assert booked == [0, 0, 0]
    assert not obligations["past_due"][0]


def test_grace_not_retroactive_charges_from_day_grace_plus_one() -> None:
    # Grace 3: days d+1 … d+3 accrue nothing; d+4 and d+5 charge 60 each.
    booked, _, accounts = walk(cash(grace_days=3), {"due_principal": 100_000}, 5)
    assert booked == [0, 0, 0, 60, 60]
    assert accounts["dpd"][0] == 5


def test_grace_retroactive_charges_the_grace_days_on_the_first_day_past_grace() -> None:
    # Grace 3, retroactive: d+4 books 4 × 60 = 240 (days d+1 … d+4); d+5 books 60.
    # Ceiling after 4 days: 4 × 100000 × 0.24 / 365 = 263.01 ≥ 240.
    booked, _, _ = walk(cash(grace_days=3, grace_retroactive=True), {"due_principal": 100_000}, 5)
    assert booked == [0, 0, 0, 240, 60]


def test_grace_retroactive_paid_within_grace_charges_nothing() -> None:
    # Paid in full on d+3 (within grace 3): the held grace-day penalty is dropped.
    booked, obligations, _ = walk(
        cash(grace_days=3, grace_retroactive=True),
        {"due_principal": 100_000},
        5,
        payments={3: {"paid_principal": 100_000}},
    )
    assert booked == [0, 0, 0, 0, 0]
    assert obligations["pen_pending_num"][0] == 0


def test_retroactive_grace_days_accrue_on_each_days_balance() -> None:
    # Grace 2 retroactive. Day 1 base 100000 (60), day 2 base 50000 after a payment (30),
    # day 3 base 50000 (30): day 3 books 60 + 30 + 30 = 120.
    booked, _, _ = walk(
        cash(grace_days=2, grace_retroactive=True),
        {"due_principal": 100_000},
        3,
        payments={2: {"paid_principal": 50_000}},
    )
    assert booked == [0, 0, 120]


def test_cumulative_rounding_has_no_drift_over_30_days() -> None:
    # 12345 × 0.0006 = 7.407 fen a day; after 30 days exact 222.21 → 222 booked in total,
    # each day round(7.407·k) − round(7.407·(k−1)) ∈ {7, 8}. Ceiling 8.117 a day: not binding.
    booked, obligations, _ = walk(cash(), {"due_principal": 12_345}, 30)
    assert sum(booked) == 222
    assert set(booked) == {7, 8}
    exact = [round(7.407 * k + 1e-9) for k in range(31)]
    assert booked == [exact[k] - exact[k - 1] for k in range(1, 31)]
    assert obligations["pen_run_booked"][0] == 222


def test_half_even_rounding_product() -> None:
    # Daily fee on 5000: 5000 × 0.0005 = 2.5 fen on day 1 → half-up 3, half-even 2 (even);
    # day 2 cumulative 5.0 → both 5 in total. Ceiling 5000 × 0.24 / 365 = 3.29 a day: floor 3,
    # then 6 — not binding.
    up, _, _ = walk(pay(), {"kind": "statement", "due_principal": 5_000}, 2)
    even, _, _ = walk(pay(rounding="half-even"), {"kind": "statement", "due_principal": 5_000}, 2)
    assert up == [3, 2]
    assert even == [2, 3]


def test_cost_ceiling_binds_and_stops_accrual() -> None:
    # Daily rate 0.0006 × multiplier 2 = 0.0012 a day (43.8% a year) on 100000 = 120 fen a day
    # wanted; ceiling 100000 × 0.24 / 365 = 65.7534… a day. Charged never exceeds the floor of
    # the ceiling: day 1 65, day 2 131 (floor 131.51), after 30 days floor(1972.60) = 1972.
    product = InstallmentProduct(
        name="steep",
        kind="installment",
        daily_rate=Decimal("0.0006"),
        penalty_rate_multiplier=Decimal("2"),
    )
    booked, obligations, _ = walk(product, {"due_principal": 100_000}, 30)
    assert booked[:3] == [65, 66, 66]
    assert sum(booked) == 1972
    den = params_frame([product])["accrual_den"][0]
    assert obligations["ceiling_num"][0] == 30 * 100_000 * (den * 24 // 36_500)


def test_other_overdue_charges_count_against_the_ceiling() -> None:
    # Same steep product; 1900 fen of overdue interest already charged for these days leaves
    # room for floor(1972.60) − 1900 = 72 fen over 30 days.
    product = InstallmentProduct(
        name="steep",
        kind="installment",
        daily_rate=Decimal("0.0006"),
        penalty_rate_multiplier=Decimal("2"),
    )
    booked, _, _ = walk(product, {"due_principal": 100_000, "other_overdue_charged": 1_900}, 30)
    assert sum(booked) == 72


def test_no_penalty_when_only_penalty_is_unpaid() -> None:
    # Principal and interest paid, 300 fen penalty unpaid: nothing is past due, nothing accrues.
    booked, obligations, accounts = walk(
        cash(),
        {"due_principal": 1_000, "paid_principal": 1_000, "due_penalty": 300},
        2,
    )
    assert booked == [0, 0]
    assert accounts["dpd"][0] == 0
    assert obligations["due_penalty"][0] == 300


def test_unpaid_interest_alone_is_past_due_but_accrues_no_multiplier_penalty() -> None:
    # Principal paid, 500 interest unpaid: past due (DPD runs) but the base (principal) is 0.
    booked, _, accounts = walk(
        cash(), {"due_principal": 1_000, "paid_principal": 1_000, "due_interest": 500}, 2
    )
    assert booked == [0, 0]
    assert accounts["dpd"][0] == 2


def test_a_payment_ends_the_run() -> None:
    # Days 1–2 on 100000 (60 a day); a 50000 payment before day 3: a new run at 30 a day.
    booked, obligations, _ = walk(
        cash(), {"due_principal": 100_000}, 4, payments={3: {"paid_principal": 50_000}}
    )
    assert booked == [60, 60, 30, 30]
    assert obligations["pen_run_base"][0] == 50_000
    assert obligations["pen_run_booked"][0] == 60
    assert obligations["pen_charged"][0] == 180


def test_non_accrual_above_90_dpd_books_to_suspense() -> None:
    # dpd 90: income; dpd 91: suspense. Start the walk at d+89 by back-dating the due date.
    product = cash()
    accounts = accounts_frame([{"account": "A", "product": "cash"}])
    obligations = obligations_frame(
        [{"account": "A", "ref": "1", "due_date": DUE, "due_principal": 100_000}], accounts
    )
    params = params_frame([product])
    day90 = run_day(obligations, accounts, params, DUE + timedelta(days=90))
    day91 = run_day(obligations, accounts, params, DUE + timedelta(days=91))
    assert (day90.obligations["penalty_income"][0], day90.obligations["penalty_suspense"][0]) == (
        60,
        0,
    )
    assert (day91.obligations["penalty_income"][0], day91.obligations["penalty_suspense"][0]) == (
        0,
        60,
    )
    assert day91.accounts["non_accrual"][0]


def test_a_day_that_could_overflow_int64_is_refused() -> None:
    # A ceiling numerator already near 2^62: today's addition would leave exact int64 range.
    with pytest.raises(InputError, match="accrual_den"):
        walk(cash(), {"due_principal": 10**9, "ceiling_num": 2**62 - 10}, 1)


def test_large_balances_stay_exact() -> None:
    # 100 million yuan (10^10 fen) × 0.0006 = 6,000,000 fen a day, exactly, for 3 days.
    booked, _, _ = walk(cash(), {"due_principal": 10**10}, 3)
    assert booked == [6_000_000] * 3
