"""Money in integer fen, exact decimal rates and the single rounding rule (SPEC §1).

Amounts are ``int`` fen everywhere in the core. Text crosses the boundary only through
:func:`parse_amount` and :func:`format_amount`. Exact intermediate values (interest before it is
owed, a share of a fee) are :class:`fractions.Fraction` *in fen*, and become ``int`` exactly once,
through :func:`round_fen`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "CumulativeAccrual",
    "InputError",
    "Rounding",
    "format_amount",
    "format_rate",
    "parse_amount",
    "parse_rate",
    "rate_fraction",
    "round_div",
    "round_fen",
    "split",
]

FEN_PER_YUAN = 100

_AMOUNT_RE = re.compile(r"^-?\d+(\.\d{1,2})?$")
_RATE_RE = re.compile(r"^-?\d+(\.\d+)?$")


class InputError(ValueError):
    """Bad input: names the field and the rule it broke.

    Entry points turn it into exit code 2 (CLI) or a 4xx (service).
    """

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class Rounding(StrEnum):
    """Rounding to the fen: half-up (四舍五入, the default) or half-even (banker's)."""

    HALF_UP = "half-up"
    HALF_EVEN = "half-even"


def parse_amount(text: object, field: str = "amount", *, allow_negative: bool = False) -> int:
    """Parse a decimal money string such as ``"1234.50"`` into integer fen.

    Refuses anything that is not a plain decimal string with at most two places: floats and
    other numbers (an unquoted YAML number), empty strings, NaN, infinities, exponents, and more
    than two decimals — never rounds silently.
    """
    if isinstance(text, bool) or not isinstance(text, str):
        raise InputError(
            field, f'must be a decimal string such as "12.34", not {type(text).__name__}'
        )
    s = text.strip()
    if not s:
        raise InputError(field, "must not be empty")
    if not _AMOUNT_RE.match(s):
        if re.match(r"^-?\d+\.\d{3,}$", s):
            raise InputError(field, f"{text!r} has more than 2 decimal places")
        raise InputError(field, f"{text!r} is not a decimal amount with at most 2 places")
    negative = s.startswith("-")
    digits = s.lstrip("-")
    whole, _, frac = digits.partition(".")
    fen = int(whole) * FEN_PER_YUAN + int((frac + "00")[:2])
    if negative:
        fen = -fen
    if fen < 0 and not allow_negative:
        raise InputError(field, f"{text!r} must not be negative")
    return fen


def format_amount(fen: int) -> str:
    """Format integer fen as a decimal string with exactly two places (``-12.05``)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"format_amount takes int fen, not {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{frac:02d}"


def parse_rate(
    text: object,
    field: str = "rate",
    *,
    allow_negative: bool = False,
    maximum: Decimal | None = None,
) -> Decimal:
    """Parse an exact decimal rate such as ``"0.146"`` (annual) or ``"0.0004"`` (daily).

    Same refusals as :func:`parse_amount` (non-strings, empty, NaN, exponents), any number of
    decimal places. ``maximum`` refuses absurd values (e.g. an annual rate above 10 = 1000%).
    """
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise InputError(field, f"{text} is not a finite rate")
        value = text
    else:
        if isinstance(text, bool) or not isinstance(text, str):
            raise InputError(
                field, f'must be a decimal string such as "0.146", not {type(text).__name__}'
            )
        s = text.strip()
        if not s:
            raise InputError(field, "must not be empty")
        if not _RATE_RE.match(s):
            raise InputError(field, f"{text!r} is not a plain decimal rate (no exponent, no NaN)")
        try:
            value = Decimal(s)
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
            raise InputError(field, f"{text!r} is not a decimal rate") from exc
    if value < 0 and not allow_negative:
        raise InputError(field, f"{text} must not be negative")
    if maximum is not None and value > maximum:
        raise InputError(field, f"{text} exceeds the maximum {maximum}")
    return value


def format_rate(rate: Decimal | Fraction | float, places: int = 4) -> str:
    """Format a rate as a decimal fraction with ``places`` decimals, half-up (``0.1460``)."""
    if isinstance(rate, float):
        value = Decimal(repr(rate))
    elif isinstance(rate, Fraction):
        value = Decimal(rate.numerator) / Decimal(rate.denominator)
    else:
        value = rate
    quant = Decimal(1).scaleb(-places)
    return str(value.quantize(quant, rounding="ROUND_HALF_UP"))


def rate_fraction(rate: Decimal) -> Fraction:
    """The exact rational value of a decimal rate."""
    return Fraction(rate)


def round_div(numerator: int, denominator: int, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Exact integer division ``numerator / denominator`` rounded to an integer.

    Half-up rounds halves away from zero (四舍五入), so ``-2.5 → -3``; half-even to the even
    neighbour. This is the one place an exact amount in fen becomes an integer.
    """
    if denominator == 0:
        raise ZeroDivisionError("round_div by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    negative = numerator < 0
    q, r = divmod(abs(numerator), denominator)
    twice = 2 * r
    if twice > denominator or (
        twice == denominator and (rounding is Rounding.HALF_UP or q % 2 == 1)
    ):
        q += 1
    return -q if negative else q


def round_fen(value: Fraction | Decimal | int, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Round an exact amount expressed in fen to whole fen."""
    if isinstance(value, int):
        return value
    exact = Fraction(value)
    return round_div(exact.numerator, exact.denominator, rounding)


def split(total: int, n: int, rounding: Rounding = Rounding.HALF_UP) -> list[int]:
    """Split ``total`` fen into ``n`` parts: each ``round(total / n)``, the last takes the rest.

    The parts always add up to ``total`` exactly (SPEC §1) and, for a non-negative total, none
    is negative (a part never exceeds what is left).
    """
    if n < 1:
        raise InputError("n", f"a split needs at least one part, got {n}")
    part = round_div(total, n, rounding)
    parts: list[int] = []
    left = total
    for _ in range(n - 1):
        # A tiny total over many parts (5 fen over 8) would leave the last part negative;
        # no part may exceed what is left, so later parts are 0 instead.
        take = max(0, min(part, left)) if total >= 0 else part
        parts.append(take)
        left -= take
    return [*parts, left]


class CumulativeAccrual:
    """One accrual run: exact cumulative amount kept, booked as rounded differences.

    Each call to :meth:`add` takes an exact increment (in fen) and returns the whole fen to
    book now: ``round(cum_t) − round(cum_(t−1))``, so the booked total always equals the
    rounded exact total, with no drift however many steps there are.
    """

    __slots__ = ("booked", "exact", "rounding")

    def __init__(
        self,
        rounding: Rounding = Rounding.HALF_UP,
        exact: Fraction = Fraction(0),
        booked: int = 0,
    ) -> None:
        self.rounding = rounding
        self.exact = Fraction(exact)
        self.booked = booked

    def add(self, increment: Fraction | Decimal | int) -> int:
        """Add an exact increment; return the whole fen to book for it."""
        self.exact += Fraction(increment)
        target = round_fen(self.exact, self.rounding)
        delta = target - self.booked
        self.booked = target
        return delta

    def extend(self, increments: Iterable[Fraction | Decimal | int]) -> list[int]:
        """Add several increments in order; return what to book for each."""
        return [self.add(x) for x in increments]
