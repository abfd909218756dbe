"""Loan terms: what a schedule is built from, validated once at the boundary (SPEC §1–3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from creditguard.calendar import DayCount, add_months, parse_date
from creditguard.money import InputError, Rounding, parse_rate

__all__ = [
    "MAX_ANNUAL_RATE",
    "MAX_TERM",
    "LoanTerms",
    "Method",
    "check_principal",
    "check_rates",
    "check_term",
    "coerce_day_count",
    "coerce_method",
    "coerce_rate",
    "coerce_rounding",
]

MAX_TERM = 360
MAX_ANNUAL_RATE = Decimal(10)


class Method(StrEnum):
    """Repayment methods of an installment loan (SPEC §3)."""

    ANNUITY = "annuity"  # 等额本息
    EQUAL_PRINCIPAL = "equal-principal"  # 等额本金
    INTEREST_FIRST = "interest-first"  # 先息后本
    BULLET = "bullet"  # 到期一次还本付息
    FEE_INSTALLMENT = "fee-installment"  # 花呗分期 (fee, no interest)


def _coerce_enum(enum: type[StrEnum], value: object, field: str) -> Any:
    if isinstance(value, enum):
        return value
    allowed = ", ".join(m.value for m in enum)
    if not isinstance(value, str):
        raise InputError(field, f"must be one of {allowed}, not {type(value).__name__}")
    try:
        return enum(value.strip())
    except ValueError:
        raise InputError(field, f"{value!r} is not one of {allowed}") from None


def coerce_method(value: object, field: str = "method") -> Method:
    """A :class:`Method` from itself or its name (``"annuity"``); InputError otherwise."""
    method: Method = _coerce_enum(Method, value, field)
    return method


def coerce_day_count(value: object, field: str = "day_count") -> DayCount:
    """A :class:`DayCount` from itself or its name (``"act/365"``); InputError otherwise."""
    day_count: DayCount = _coerce_enum(DayCount, value, field)
    return day_count


def coerce_rounding(value: object, field: str = "rounding") -> Rounding:
    """A :class:`Rounding` from itself or its name (``"half-up"``); InputError otherwise."""
    rounding: Rounding = _coerce_enum(Rounding, value, field)
    return rounding


def coerce_rate(value: object, field: str, maximum: Decimal | None = None) -> Decimal:
    """An exact non-negative rate from a Decimal, an int or a decimal string; never a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    return parse_rate(value, field, maximum=maximum)


def check_principal(value: object, field: str = "principal") -> int:
    """A principal in integer fen, strictly positive."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, f"must be integer fen, not {type(value).__name__}")
    if value <= 0:
        raise InputError(field, f"must be > 0 fen, got {value}")
    return value


def check_term(value: object, field: str = "term") -> int:
    """A term in months, 1 to :data:`MAX_TERM`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, f"must be a whole number of months, not {type(value).__name__}")
    if not 1 <= value <= MAX_TERM:
        raise InputError(field, f"must be between 1 and {MAX_TERM} months, got {value}")
    return value


def check_rates(method: Method, annual_rate: Decimal, fee_rate: Decimal) -> None:
    """The rate rules of a method: a fee only on a fee-installment plan, and no interest on one."""
    if fee_rate != 0 and method is not Method.FEE_INSTALLMENT:
        raise InputError("fee_rate", f"a fee rate applies only to {Method.FEE_INSTALLMENT} plans")
    if method is Method.FEE_INSTALLMENT and annual_rate != 0:
        raise InputError("annual_rate", f"a {Method.FEE_INSTALLMENT} plan charges no interest")


@dataclass(frozen=True)
class LoanTerms:
    """The terms a schedule is built from; validated on construction.

    ``principal`` is integer fen; ``annual_rate`` the nominal annual rate; ``fee_rate`` the total
    fee rate of a fee-installment plan (e.g. ``0.045`` for 6 periods). Strings are accepted for
    the enums and rates and converted; floats are refused.
    """

    principal: int
    term: int
    start: date
    method: Method
    annual_rate: Decimal = Decimal(0)
    day_count: DayCount = DayCount.THIRTY_360
    fee_rate: Decimal = Decimal(0)
    rounding: Rounding = Rounding.HALF_UP

    def __post_init__(self) -> None:
        check_principal(self.principal)
        check_term(self.term)
        if isinstance(self.start, datetime):
            raise InputError("start", "must be a date, not a datetime")
        put = object.__setattr__
        put(self, "start", parse_date(self.start, "start"))
        put(self, "method", coerce_method(self.method))
        put(self, "day_count", coerce_day_count(self.day_count))
        put(self, "rounding", coerce_rounding(self.rounding))
        put(self, "annual_rate", coerce_rate(self.annual_rate, "annual_rate", MAX_ANNUAL_RATE))
        put(self, "fee_rate", coerce_rate(self.fee_rate, "fee_rate"))
        check_rates(self.method, self.annual_rate, self.fee_rate)

    @classmethod
    def from_daily_rate(
        cls, *, daily_rate: Decimal | str, days_in_year: int, **kw: Any
    ) -> LoanTerms:
        """Terms of a daily-rate product: annual = daily × days_in_year (SPEC §1).

        The day count follows days_in_year (365 → act/365, 360 → act/360); any other
        combination is an error.
        """
        daily = coerce_rate(daily_rate, "daily_rate")
        bases = {365: DayCount.ACT_365, 360: DayCount.ACT_360}
        if isinstance(days_in_year, bool) or days_in_year not in bases:
            raise InputError("days_in_year", f"must be 365 or 360, got {days_in_year!r}")
        day_count = bases[days_in_year]
        if "annual_rate" in kw:
            raise InputError("annual_rate", "give either a daily rate or an annual rate, not both")
        if "day_count" in kw and coerce_day_count(kw["day_count"]) is not day_count:
            raise InputError(
                "day_count",
                f"a daily rate over {days_in_year} days needs {day_count}, not {kw['day_count']}",
            )
        kw["day_count"] = day_count
        return cls(annual_rate=daily * days_in_year, **kw)

    @property
    def maturity(self) -> date:
        """The last due date."""
        return add_months(self.start, self.term)
