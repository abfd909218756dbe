"""Bad inputs raise InputError naming the field (scalar terms, amortize, the batch frame)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from creditguard.calendar import DayCount
from creditguard.money import InputError
from creditguard.pricing import LoanTerms, Method, amortize, build_schedules

GOOD: dict[str, Any] = {
    "principal": 100_000,
    "term": 12,
    "start": date(2026, 1, 1),
    "method": Method.ANNUITY,
    "annual_rate": Decimal("0.12"),
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"principal": 0}, "principal"),
        ({"principal": -5}, "principal"),
        ({"principal": 1000.0}, "principal"),
        ({"principal": True}, "principal"),
        ({"term": 0}, "term"),
        ({"term": 361}, "term"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": datetime(2026, 1, 1, 12)}, "start"),
        ({"method": "balloon"}, "method"),
        ({"day_count": "act/366"}, "day_count"),
        ({"rounding": "down"}, "rounding"),
        ({"annual_rate": Decimal("-0.01")}, "annual_rate"),
        ({"annual_rate": Decimal("10.5")}, "annual_rate"),
        ({"annual_rate": 0.12}, "annual_rate"),
        ({"annual_rate": "1e-2"}, "annual_rate"),
        ({"fee_rate": Decimal("0.025")}, "fee_rate"),
        ({"method": "fee-installment", "fee_rate": Decimal("0.025")}, "annual_rate"),
        ({"method": "fee-installment", "annual_rate": 0, "fee_rate": "-0.1"}, "fee_rate"),
    ],
)
def test_bad_terms(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        LoanTerms(**{**GOOD, **change})
    assert err.value.field == field


def test_strings_are_accepted_for_enums_and_rates() -> None:
    terms = LoanTerms(
        principal=1,
        term=1,
        start="2026-01-01",
        method="bullet",  # type: ignore[arg-type]
        annual_rate="0.1",
        day_count="act/360",
        rounding="half-even",
    )  # type: ignore[arg-type]
    assert terms.method is Method.BULLET
    assert terms.annual_rate == Decimal("0.1")
    assert terms.day_count is DayCount.ACT_360
    assert terms.start == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"days_in_year": 366}, "days_in_year"),
        ({"days_in_year": 365, "day_count": DayCount.THIRTY_360}, "day_count"),
        ({"days_in_year": 360, "day_count": DayCount.ACT_365}, "day_count"),
        ({"days_in_year": 365, "annual_rate": Decimal("0.1")}, "annual_rate"),
        ({"days_in_year": 365, "daily_rate": Decimal("-0.0004")}, "daily_rate"),
    ],
)
def test_bad_daily_rate_terms(kw: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "daily_rate": Decimal("0.0004"),
        "principal": 100_000,
        "term": 3,
        "start": date(2026, 1, 1),
        "method": Method.ANNUITY,
    }
    args.update(kw)
    with pytest.raises(InputError) as err:
        LoanTerms.from_daily_rate(**args)
    assert err.value.field == field


DUE = [date(2026, 2, 1), date(2026, 3, 1)]


@pytest.mark.parametrize(
    ("args", "kw", "field"),
    [
        ((-1, Decimal("0.1"), date(2026, 1, 1), DUE, Method.ANNUITY), {}, "balance"),
        ((0, Decimal("0.1"), date(2026, 1, 1), DUE, Method.ANNUITY), {}, "balance"),
        ((100, Decimal("0.1"), date(2026, 1, 1), [], Method.ANNUITY), {}, "due_dates"),
        ((100, Decimal("0.1"), date(2026, 2, 1), DUE, Method.ANNUITY), {}, "due_dates"),
        ((100, Decimal("0.1"), date(2026, 1, 1), DUE[::-1], Method.ANNUITY), {}, "due_dates"),
        ((100, Decimal("0.1"), date(2026, 1, 1), DUE, Method.BULLET), {"payment": 10}, "payment"),
        ((100, Decimal("0.1"), date(2026, 1, 1), DUE, Method.ANNUITY), {"payment": 0}, "payment"),
        ((100, Decimal("0.1"), date(2026, 1, 1), DUE, Method.ANNUITY), {"fee": 10}, "fee"),
        ((100, Decimal("0.1"), date(2026, 1, 1), DUE, "fee-installment"), {}, "annual_rate"),
        ((100, Decimal("-1"), date(2026, 1, 1), DUE, Method.ANNUITY), {}, "annual_rate"),
    ],
)
def test_bad_amortize_inputs(args: tuple[Any, ...], kw: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        amortize(*args, day_count=DayCount.THIRTY_360, **kw)
    assert err.value.field == field


def frame(**columns: list[Any]) -> pl.DataFrame:
    base: dict[str, list[Any]] = {
        "loan_id": ["a", "b"],
        "principal": [100_000, 200_000],
        "term": [3, 6],
        "start": [date(2026, 1, 1), date(2026, 1, 31)],
        "method": ["annuity", "equal-principal"],
        "annual_rate": ["0.12", "0.146"],
    }
    base.update(columns)
    return pl.DataFrame(base)


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        ({"principal": [100_000, 0]}, "principal"),
        ({"term": [3, 400]}, "term"),
        ({"method": ["annuity", "balloon"]}, "method"),
        ({"annual_rate": ["0.12", "abc"]}, "annual_rate"),
        ({"annual_rate": ["0.12", "11"]}, "annual_rate"),
        ({"fee_rate": ["0", "0.02"]}, "fee_rate"),
        ({"day_count": ["30/360", "act/366"]}, "day_count"),
        ({"rounding": [None, "up"]}, "rounding"),
        ({"start": [date(2026, 1, 1), None]}, "start"),
    ],
)
def test_bad_batch_rows_name_the_field_and_the_loan(
    columns: dict[str, list[Any]], field: str
) -> None:
    with pytest.raises(InputError) as err:
        build_schedules(frame(**columns))
    assert err.value.field == field
    assert "loan_id b" in err.value.rule


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        ({"principal": [1000.0, 2000.0]}, "principal"),
        ({"term": ["3", "6"]}, "term"),
        ({"start": ["2026-01-01", "2026-01-31"]}, "start"),
        ({"annual_rate": [0.12, 0.146]}, "annual_rate"),
    ],
)
def test_batch_column_types(columns: dict[str, list[Any]], field: str) -> None:
    # Floats never carry money or rates; dates must be dates.
    with pytest.raises(InputError) as err:
        build_schedules(frame(**columns))
    assert err.value.field == field


def test_batch_missing_column() -> None:
    with pytest.raises(InputError) as err:
        build_schedules(frame().drop("term"))
    assert err.value.field == "term"


def test_batch_defaults_and_empty_frame() -> None:
    # Without day_count / fee_rate / rounding columns the defaults are 30/360, 0, half-up:
    # loan a is 1000.00 at 12% over 3 months, 30/360 → first interest 100000 × 0.01 = 1000.
    out = build_schedules(frame())
    assert out.columns == [
        "loan_id",
        "period",
        "due_date",
        "principal",
        "interest",
        "fee",
        "payment",
        "balance",
    ]
    assert out.filter(pl.col("loan_id") == "a")["interest"][0] == 1000
    assert out.height == 3 + 6
    empty = build_schedules(frame().head(0))
    assert empty.height == 0 and empty.columns == out.columns
