"""Dates: parsing, monthly due dates, day counts (SPEC §2).

No function here reads the clock: every caller passes the business date it acts on.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from creditguard.money import InputError

__all__ = [
    "DayCount",
    "add_months",
    "days_between",
    "due_dates",
    "from_epoch",
    "month_bounds",
    "month_end",
    "parse_date",
    "period_fraction",
    "thirty_e_360_days",
    "to_epoch",
]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = date(1970, 1, 1).toordinal()


def to_epoch(d: date) -> int:
    """Days since 1970-01-01 (the physical value of a Polars/Arrow date)."""
    return d.toordinal() - _EPOCH


def from_epoch(days: int) -> date:
    """The date ``days`` after 1970-01-01."""
    return date.fromordinal(days + _EPOCH)


class DayCount(StrEnum):
    """Day-count conventions for interest."""

    ACT_365 = "act/365"
    ACT_360 = "act/360"
    THIRTY_360 = "30/360"


def parse_date(text: object, field: str = "date") -> date:
    """Parse an ISO date ``YYYY-MM-DD``; refuse anything else, including 2026-02-30."""
    if isinstance(text, date):
        return text
    if not isinstance(text, str) or not _DATE_RE.match(text.strip()):
        raise InputError(field, f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(field, f"{text!r} is not a real calendar date") from exc


def month_end(year: int, month: int) -> int:
    """The last day number of a month."""
    return _stdlib_calendar.monthrange(year, month)[1]


_MONTH_RE = re.compile(r"[0-9]{4}-[0-9]{2}")  # ASCII digits; fullmatch: no trailing newline


def month_bounds(month: object, field: str = "month") -> tuple[date, date]:
    """The first and last day of the calendar month ``YYYY-MM``; refuse anything else."""
    if not isinstance(month, str) or not _MONTH_RE.fullmatch(month):
        raise InputError(field, f"{month!r} is not a month in the form YYYY-MM")
    year, mon = int(month[:4]), int(month[5:])
    if not 1 <= mon <= 12:
        raise InputError(field, f"{month!r} is not a month in the form YYYY-MM")
    return date(year, mon, 1), date(year, mon, month_end(year, mon))


def add_months(start: date, months: int, day: int | None = None) -> date:
    """The date ``months`` after ``start`` on day ``day`` (default: start's day), clamped.

    Clamping does not cascade: 2023-01-31 + 1 → 2023-02-28, + 2 → 2023-03-31.
    """
    anchor = start.day if day is None else day
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(anchor, month_end(year, month)))


def due_dates(start: date, n: int) -> list[date]:
    """The ``n`` monthly due dates after ``start``, keeping its day of month (SPEC §2)."""
    return [add_months(start, k) for k in range(1, n + 1)]


def days_between(a: date, b: date) -> int:
    """Interest days from ``a`` to ``b``: the first day counts, the last does not (算头不算尾)."""
    return (b - a).days


def thirty_e_360_days(a: date, b: date) -> int:
    """Days between two dates under 30E/360 (Eurobond basis): day 31 counts as 30."""
    d1 = min(a.day, 30)
    d2 = min(b.day, 30)
    return 360 * (b.year - a.year) + 30 * (b.month - a.month) + (d2 - d1)


def period_fraction(
    day_count: DayCount, start: date, end: date, *, full_month: bool = False
) -> Fraction:
    """Year fraction of the interest period [start, end) under ``day_count``.

    For 30/360 a full monthly period is exactly 1/12 and a partial one uses 30E/360
    (SPEC §2). ``full_month`` says the period runs from one due date (or disbursement) to the
    next regular monthly due date.
    """
    if end < start:
        raise InputError("date", f"period end {end} is before its start {start}")
    if day_count is DayCount.THIRTY_360:
        if full_month:
            return Fraction(1, 12)
        return Fraction(thirty_e_360_days(start, end), 360)
    days = days_between(start, end)
    return Fraction(days, 365 if day_count is DayCount.ACT_365 else 360)


def next_day(d: date) -> date:
    """The following calendar day."""
    return d + timedelta(days=1)
