"""Money parsing, formatting, rounding, splits and cumulative accrual (SPEC §1)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.money import (
    CumulativeAccrual,
    InputError,
    Rounding,
    format_amount,
    format_rate,
    parse_amount,
    parse_rate,
    round_div,
    round_fen,
    split,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [("1234.50", 123450), ("0.01", 1), ("12", 1200), ("12.3", 1230), (" 7.05 ", 705), ("0", 0)],
)
def test_parse_amount_accepts_plain_decimals(text: str, fen: int) -> None:
    assert parse_amount(text) == fen


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1.234", "more than 2 decimal places"),
        ("NaN", "not a decimal amount"),
        ("inf", "not a decimal amount"),
        ("1e3", "not a decimal amount"),
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("12.", "not a decimal amount"),
        ("abc", "not a decimal amount"),
        (12.5, "decimal string"),
        (12, "decimal string"),
        (True, "decimal string"),
        ("-1.00", "must not be negative"),
    ],
)
def test_parse_amount_refuses_with_field_and_rule(value: object, rule: str) -> None:
    with pytest.raises(InputError) as err:
        parse_amount(value, "principal")
    assert err.value.field == "principal"
    assert rule in str(err.value)
    assert str(err.value).startswith("principal:")


def test_parse_amount_negative_when_allowed() -> None:
    assert parse_amount("-3.07", allow_negative=True) == -307


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (5, "0.05"), (123450, "1234.50"), (-1205, "-12.05")]
)
def test_format_amount(fen: int, text: str) -> None:
    assert format_amount(fen) == text


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_parse_round_trip(fen: int) -> None:
    assert parse_amount(format_amount(fen), allow_negative=True) == fen


def test_parse_rate() -> None:
    assert parse_rate("0.146") == Decimal("0.146")
    assert parse_rate("0.0004") == Decimal("0.0004")
    for bad in ("NaN", "1e-3", "", "x", 0.1):
        with pytest.raises(InputError, match="rate"):
            parse_rate(bad)
    with pytest.raises(InputError, match="negative"):
        parse_rate("-0.1")
    with pytest.raises(InputError, match="maximum"):
        parse_rate("11", maximum=Decimal(10))


def test_format_rate_four_places_half_up() -> None:
    assert format_rate(Decimal("0.146")) == "0.1460"
    assert format_rate(Decimal("0.12345")) == "0.1235"
    assert format_rate(Fraction(1, 3)) == "0.3333"


@pytest.mark.parametrize(
    ("num", "den", "half_up", "half_even"),
    [
        (5, 2, 3, 2),  # 2.5
        (7, 2, 4, 4),  # 3.5
        (-5, 2, -3, -2),  # -2.5: half-up rounds away from zero (四舍五入)
        (10, 4, 3, 2),  # 2.5
        (11, 4, 3, 3),  # 2.75
        (9, 4, 2, 2),  # 2.25
        (1, 3, 0, 0),
    ],
)
def test_round_div(num: int, den: int, half_up: int, half_even: int) -> None:
    assert round_div(num, den) == half_up
    assert round_div(num, den, Rounding.HALF_EVEN) == half_even


def test_round_fen_exact_values() -> None:
    # 12000.00 yuan at 14.6% for 31 days, act/365: 1_200_000 × 0.146 × 31 / 365 = 14880 fen exactly.
    assert round_fen(Fraction(1_200_000) * Fraction("0.146") * 31 / 365) == 14880
    assert round_fen(Decimal("100.5")) == 101
    assert round_fen(Decimal("100.5"), Rounding.HALF_EVEN) == 100


def test_split_last_absorbs_remainder() -> None:
    # 100.00 over 3: round(3333.33) = 3333, 3333, and the last 10000 − 6666 = 3334.
    assert split(10000, 3) == [3333, 3333, 3334]
    # 0.05 over 2: round(2.5) half-up = 3, last = 2; half-even: 2, last 3.
    assert split(5, 2) == [3, 2]
    assert split(5, 2, Rounding.HALF_EVEN) == [2, 3]
    # 0.05 over 8: round(0.625) = 1 fen each until nothing is left; never a negative part.
    assert split(5, 8) == [1, 1, 1, 1, 1, 0, 0, 0]
    with pytest.raises(InputError):
        split(100, 0)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=60))
def test_split_sums_to_total(total: int, n: int) -> None:
    parts = split(total, n)
    assert sum(parts) == total
    assert min(parts) >= 0
    assert len(parts) == n


def test_cumulative_accrual_has_no_drift() -> None:
    # 1000.00 at 0.05%/day accrues 50 fen a day exactly; at 0.0333%/day 33.3 fen a day.
    # Rounding each day would book 33 × 30 = 990; cumulative rounding books round(999) = 999.
    run = CumulativeAccrual()
    booked = run.extend([Fraction(100_000) * Fraction("0.000333")] * 30)
    assert sum(booked) == 999
    assert set(booked) == {33, 34}
    assert run.exact == Fraction(999)


@given(
    st.lists(
        st.fractions(min_value=0, max_value=10**6, max_denominator=10**6), min_size=1, max_size=50
    )
)
def test_cumulative_accrual_equals_rounded_total(increments: list[Fraction]) -> None:
    run = CumulativeAccrual()
    booked = run.extend(increments)
    assert sum(booked) == round_fen(sum(increments, Fraction(0)))
