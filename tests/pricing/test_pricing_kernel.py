"""The columnar kernel's exact arithmetic: rounding, the annuity payment, int64 overflow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditguard.money import Rounding, round_div
from creditguard.pricing import LoanTerms, build_schedule, build_schedules, kernel


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**30),
            st.integers(min_value=1, max_value=10**12),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_array_round_div_equals_money_round_div(cases: list[tuple[int, int, bool]]) -> None:
    num = np.array([c[0] for c in cases], dtype=object)
    den = np.array([c[1] for c in cases], dtype=object)
    even = np.array([c[2] for c in cases])
    expected = [round_div(n, d, Rounding.HALF_EVEN if e else Rounding.HALF_UP) for n, d, e in cases]
    assert kernel.round_div(num, den, even).tolist() == expected
    if all(n < 2**62 for n, _, _ in cases):
        small = kernel.round_div(num.astype(np.int64), den.astype(np.int64), even)
        assert small.tolist() == expected


def test_exact_halves_are_rounded_by_the_rule() -> None:
    # 5 / 2 = 2.5: half-up 3, half-even 2; 7 / 2 = 3.5: both 4.
    got = kernel.round_div(
        np.array([5, 5, 7, 7]), np.array([2, 2, 2, 2]), np.array([False, True, False, True])
    )
    assert got.tolist() == [3, 2, 4, 4]


def test_annuity_payment_on_an_exact_half_fen() -> None:
    # One period at 6%: payment = P·(1 + 0.005) = 100 × 1.005 = 100.5 fen exactly. float64 lands
    # a hair off the half; the exact recomputation applies the product's rounding to the half.
    got = kernel.annuity_payment(
        np.array([100, 100]),
        np.array([6, 6]),
        np.array([100, 100]),
        np.array([1, 1]),
        np.array([False, True]),
    )
    assert got.tolist() == [101, 100]
    assert kernel.exact_annuity_payment(100, Fraction(6, 100), 1) == 101
    assert kernel.exact_annuity_payment(100, Fraction(6, 100), 1, Rounding.HALF_EVEN) == 100


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10**15),
            st.decimals(min_value=0, max_value=10, places=6),
            st.integers(min_value=1, max_value=360),
            st.booleans(),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_float_annuity_payment_equals_the_exact_one(
    cases: list[tuple[int, Decimal, int, bool]],
) -> None:
    rates = [Fraction(r) for _, r, _, _ in cases]
    got = kernel.annuity_payment(
        np.array([c[0] for c in cases], dtype=np.int64),
        np.array([r.numerator for r in rates], dtype=np.int64),
        np.array([r.denominator for r in rates], dtype=np.int64),
        np.array([c[2] for c in cases], dtype=np.int64),
        np.array([c[3] for c in cases]),
    )
    expected = [
        kernel.exact_annuity_payment(p, r, n, Rounding.HALF_EVEN if e else Rounding.HALF_UP)
        for (p, _, n, e), r in zip(cases, rates, strict=True)
    ]
    assert got.tolist() == expected


def test_overflowing_products_fall_back_to_python_ints() -> None:
    # 10^15 fen at 12.3456789% for a 30-year bullet, act/365: P · rate_num · days =
    # 10^15 × 123456789 × 10957 ≈ 1.4 × 10^27 — far beyond int64. Exact interest:
    # round(10^15 × 0.123456789 × 10957 / 365).
    start = date(2026, 1, 1)
    terms = LoanTerms(
        principal=10**15,
        term=360,
        start=start,
        method="bullet",
        annual_rate="0.123456789",
        day_count="act/365",
    )
    days = (date(2056, 1, 1) - start).days
    assert days == 10957
    expected = round_div(10**15 * 123456789 * days, 10**9 * 365)
    [only] = build_schedule(terms).installments
    assert only.interest == expected
    frame = pl.DataFrame(
        {
            "loan_id": [1],
            "principal": [10**15],
            "term": [360],
            "start": [start],
            "method": ["bullet"],
            "annual_rate": ["0.123456789"],
            "day_count": ["act/365"],
        }
    )
    assert build_schedules(frame)["interest"].to_list() == [expected]


@pytest.mark.parametrize(
    ("a", "b", "months"),
    [
        (date(2023, 1, 31), date(2023, 2, 28), 1),
        (date(2023, 2, 28), date(2023, 3, 31), 1),
        (date(2023, 3, 31), date(2023, 4, 30), 1),
        (date(2024, 1, 30), date(2024, 2, 29), 1),
        (date(2026, 1, 31), date(2026, 7, 31), 6),
        (date(2026, 3, 10), date(2026, 4, 15), 0),
        (date(2026, 3, 10), date(2026, 3, 31), 0),
    ],
)
def test_whole_months(a: date, b: date, months: int) -> None:
    assert kernel.is_whole_months(a, b) == months
