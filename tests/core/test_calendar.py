"""Dates and day counts (SPEC §2)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.calendar import (
    DayCount,
    add_months,
    days_between,
    due_dates,
    month_bounds,
    month_end,
    parse_date,
    period_fraction,
    thirty_e_360_days,
)
from creditguard.money import InputError


def test_month_bounds_of_yyyy_mm() -> None:
    # Calendar facts: February of a leap year ends on the 29th, of a common year the 28th.
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    for bad in (
        "2026-13",
        "2026-00",
        "2026-4",
        "26-04",
        "2026-04-01",
        "2026-04\n",
        "２０２６-04",
        "",
        None,
    ):
        with pytest.raises(InputError, match="as_of_month") as caught:
            month_bounds(bad, "as_of_month")
        assert caught.value.field == "as_of_month"


def test_month_end_clamps_without_cascading() -> None:
    # SPEC §2's own example.
    assert due_dates(date(2023, 1, 31), 4) == [
        date(2023, 2, 28),
        date(2023, 3, 31),
        date(2023, 4, 30),
        date(2023, 5, 31),
    ]
    assert add_months(date(2024, 1, 30), 1) == date(2024, 2, 29)  # leap year
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)  # year roll
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)), st.integers(1, 120))
def test_due_date_keeps_day_or_month_end(start: date, k: int) -> None:
    d = add_months(start, k)
    assert (d.year * 12 + d.month) - (start.year * 12 + start.month) == k
    assert d.day == start.day or d.day == month_end(d.year, d.month) < start.day


def test_interest_days_count_first_not_last() -> None:
    # Lent 2026-01-15, repaid 2026-02-15: 31 days of interest (算头不算尾).
    assert days_between(date(2026, 1, 15), date(2026, 2, 15)) == 31
    assert days_between(date(2026, 1, 15), date(2026, 1, 15)) == 0


def test_day_count_fractions() -> None:
    a, b = date(2026, 1, 15), date(2026, 2, 15)
    assert period_fraction(DayCount.ACT_365, a, b) == Fraction(31, 365)
    assert period_fraction(DayCount.ACT_360, a, b) == Fraction(31, 360)
    assert period_fraction(DayCount.THIRTY_360, a, b, full_month=True) == Fraction(1, 12)
    # A partial 30/360 period uses 30E/360: 2026-01-31 → 2026-02-15 is 15 days (31 counts as 30).
    assert thirty_e_360_days(date(2026, 1, 31), date(2026, 2, 15)) == 15
    assert period_fraction(DayCount.THIRTY_360, date(2026, 1, 31), date(2026, 2, 15)) == Fraction(
        15, 360
    )
    with pytest.raises(InputError):
        period_fraction(DayCount.ACT_365, b, a)


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "26-01-01", "", "2026/01/01", None])
def test_parse_date_refuses(bad: object) -> None:
    with pytest.raises(InputError) as err:
        parse_date(bad, "start")
    assert err.value.field == "start"


def test_parse_date() -> None:
    assert parse_date("2026-02-28") == date(2026, 2, 28)
