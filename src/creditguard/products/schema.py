"""Product definitions: the keys of SPEC §10 as frozen, validated Pydantic models.

A product is either an :class:`InstallmentProduct` (借呗-style cash loan) or a
:class:`RevolvingProduct` (花呗-style credit-pay line); :data:`AnyProduct` is the union,
discriminated on ``kind``. Models can be built in code with typed values (``Decimal`` rates,
``int`` fen) or from the text of a file or a scenario through
:func:`creditguard.products.catalogue.product_from_mapping`, which passes the validation context
``{"text": True}``: amounts and rates must then be quoted decimal strings (SPEC §1).

Sane bounds, beyond SPEC (a value outside them is almost surely a typo, and refusing it early
gives a clearer message than an APR far over the cap):

=========================== ===================== =============================================
key                         accepted              why
=========================== ===================== =============================================
annual_rate                 0 … 1                 100% a year is beyond any legal consumer loan
daily_rate, *_daily_rate    0 … 0.01              1% a day is 365% a year
installment_fee_rates.N     0 … 0.5               a fee of half the principal is no instalment
min_payment_rate            > 0 … 1               0 would make nothing ever past due
penalty_rate_multiplier     1 … 10                below 1 a late payer pays less than on time
penalty_annual_cap          0 … 0.36              the 36% line of Chinese lending law
apr_cap                     > 0 … 0.36            same line: interest above 36% is void
tolerance                   0.00 … 100.00         a tolerance is a few yuan of rounding slack
grace_days                  0 … 90                beyond 90 DPD an account is non-performing
statement_day, due_day      1 … 28                every month has them (no February clamping)
terms, installment periods  1 … 60 months         five years bounds a consumer loan
write_off_dpd               >= 1
=========================== ===================== =============================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    model_validator,
)

from creditguard.calendar import DayCount, add_months
from creditguard.money import InputError, Rounding, format_amount, parse_amount, parse_rate
from creditguard.pricing import Method
from creditguard.products import caps
from creditguard.products.caps import ReferenceLoan

__all__ = [
    "DEFAULT_RESTRICTIONS",
    "AnyProduct",
    "InstallmentProduct",
    "KeyedRule",
    "Method",
    "Prepayment",
    "Product",
    "RestrictionRule",
    "RevolvingProduct",
    "file_keys",
]

MAX_TERM = 60
MAX_TOLERANCE_FEN = 10_000


class KeyedRule(ValueError):
    """A rule broken inside a validator, with the (possibly nested) key it concerns.

    Pydantic wraps it in its ``ValidationError``; the loader unwraps it into a
    :class:`~creditguard.products.errors.ProductError` naming this key.
    """

    def __init__(self, key: str, rule: str) -> None:
        super().__init__(rule)
        self.key = key
        self.rule = rule


class Prepayment(StrEnum):
    """What an early repayment of principal does to the rest of a loan (SPEC §6)."""

    REDUCE_INSTALLMENT = "reduce-installment"
    REDUCE_TERM = "reduce-term"


# --- text → typed values -------------------------------------------------------------------


def _text_mode(info: ValidationInfo) -> bool:
    context = info.context
    return isinstance(context, Mapping) and bool(context.get("text"))


def _rate_in(value: object, info: ValidationInfo) -> Decimal:
    """A rate: a quoted decimal string (or a ``Decimal`` in code), never a float."""
    return parse_rate(value, info.field_name or "rate")


def _fen_in(value: object, info: ValidationInfo) -> int:
    """An amount: a quoted string such as ``"5.00"``; int fen only when built in code."""
    if isinstance(value, int) and not isinstance(value, bool) and not _text_mode(info):
        if value < 0:
            raise ValueError(f"{value} fen must not be negative")
        return value
    return parse_amount(value, info.field_name or "amount")


def _decimal_between(
    low: Decimal, high: Decimal, why: str, *, low_open: bool = False
) -> Callable[[Decimal], Decimal]:
    def check(value: Decimal) -> Decimal:
        too_low = value <= low if low_open else value < low
        if too_low or value > high:
            lower = f"above {low}" if low_open else f"at least {low}"
            raise ValueError(f"must be {lower} and at most {high} ({why}), got {value}")
        return value

    return check


def _int_between(low: int, high: int | None, why: str) -> Callable[[int], int]:
    def check(value: int) -> int:
        if value < low or (high is not None and value > high):
            upper = "" if high is None else f" and at most {high}"
            raise ValueError(f"must be at least {low}{upper} ({why}), got {value}")
        return value

    return check


def _rate_check(low: str, high: str, why: str, *, low_open: bool = False) -> AfterValidator:
    return AfterValidator(_decimal_between(Decimal(low), Decimal(high), why, low_open=low_open))


_LAW = "36% is the ceiling of Chinese lending law"
AnnualRate = Annotated[
    Decimal,
    BeforeValidator(_rate_in),
    _rate_check("0", "1", "an annual rate over 100% is surely a typo"),
]
DailyRate = Annotated[
    Decimal, BeforeValidator(_rate_in), _rate_check("0", "0.01", "1% a day is 365% a year")
]
MinPaymentRate = Annotated[
    Decimal,
    BeforeValidator(_rate_in),
    _rate_check("0", "1", "a share of the newly billed principal", low_open=True),
]
Multiplier = Annotated[
    Decimal,
    BeforeValidator(_rate_in),
    _rate_check("1", "10", "a late payer must not pay less than an on-time one"),
]
PenaltyCap = Annotated[Decimal, BeforeValidator(_rate_in), _rate_check("0", "0.36", _LAW)]
AprCap = Annotated[
    Decimal,
    BeforeValidator(_rate_in),
    _rate_check("0", "0.36", f"{_LAW}; 24% is the default", low_open=True),
]


def _tolerance(value: int) -> int:
    if value > MAX_TOLERANCE_FEN:
        raise ValueError(
            f"must be at most {format_amount(MAX_TOLERANCE_FEN)} "
            f"(a tolerance is rounding slack), got {format_amount(value)}"
        )
    return value


Tolerance = Annotated[int, BeforeValidator(_fen_in), AfterValidator(_tolerance)]
StrictInt = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
GraceDays = Annotated[
    int, Strict(), AfterValidator(_int_between(0, 90, "beyond 90 DPD a debt is non-performing"))
]
WriteOffDpd = Annotated[int, Strict(), AfterValidator(_int_between(1, None, "days past due"))]
MonthDay = Annotated[
    int, Strict(), AfterValidator(_int_between(1, 28, "so that every month, February too, has it"))
]


def _days_in_year(value: int) -> int:
    if value not in (360, 365):
        raise ValueError(f"must be 365 or 360, got {value}")
    return value


DaysInYear = Annotated[int, Strict(), AfterValidator(_days_in_year)]


def _terms(value: tuple[int, ...]) -> tuple[int, ...]:
    if not value:
        raise ValueError("must offer at least one term")
    for term in value:
        if not 1 <= term <= MAX_TERM:
            raise ValueError(f"each term must be 1 to {MAX_TERM} months, got {term}")
    if len(set(value)) != len(value):
        raise ValueError(f"must be unique, got {list(value)}")
    return value


Terms = Annotated[tuple[StrictInt, ...], AfterValidator(_terms)]


def _methods(value: tuple[Method, ...]) -> tuple[Method, ...]:
    if not value:
        raise ValueError("must offer at least one method")
    if len(set(value)) != len(value):
        raise ValueError(f"must be unique, got {[str(m) for m in value]}")
    if Method.FEE_INSTALLMENT in value:
        raise ValueError(
            "fee-installment is the bill/purchase installment of a revolving line "
            "(installment_fee_rates), not a cash-loan method"
        )
    return value


Methods = Annotated[tuple[Method, ...], AfterValidator(_methods)]

_FEE_RATE_CHECK = _decimal_between(
    Decimal(0), Decimal("0.5"), "a fee of half the principal is no installment plan"
)


def _fee_rates_in(value: object, info: ValidationInfo) -> dict[int, Decimal]:
    """The fee table ``{"3" = "0.025", …}``: keys are whole numbers of periods."""
    if not isinstance(value, Mapping):
        raise ValueError(f'must be a table such as {{"3" = "0.025"}}, not {type(value).__name__}')
    table: dict[int, Decimal] = {}
    for raw_key, raw_rate in value.items():
        key = f"installment_fee_rates.{raw_key}"
        if isinstance(raw_key, bool) or not (
            (isinstance(raw_key, int) and raw_key > 0)
            or (isinstance(raw_key, str) and raw_key.isascii() and raw_key.isdigit())
        ):
            raise KeyedRule(key, f"{raw_key!r} is not a positive whole number of periods")
        periods = int(raw_key)
        if not 1 <= periods <= MAX_TERM:
            raise KeyedRule(key, f"periods must be 1 to {MAX_TERM}, got {periods}")
        if periods in table:
            raise KeyedRule(key, f"{periods} periods is listed twice")
        try:
            table[periods] = _FEE_RATE_CHECK(parse_rate(raw_rate, key))
        except InputError as exc:
            raise KeyedRule(key, exc.rule) from exc
        except ValueError as exc:
            raise KeyedRule(key, str(exc)) from exc
    return dict(sorted(table.items()))


FeeRates = Annotated[dict[int, Decimal], BeforeValidator(_fee_rates_in)]


class RestrictionRule(BaseModel):
    """From ``dpd`` days past due (a delinquent account), ``action`` the line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dpd: Annotated[int, Strict(), AfterValidator(_int_between(1, None, "days past due"))]
    action: Literal["freeze", "close"]


DEFAULT_RESTRICTIONS: tuple[RestrictionRule, ...] = (
    RestrictionRule(dpd=1, action="freeze"),
    RestrictionRule(dpd=30, action="close"),
)


def _restrictions(value: tuple[RestrictionRule, ...]) -> tuple[RestrictionRule, ...]:
    days = [rule.dpd for rule in value]
    if days != sorted(set(days)):
        raise ValueError(f"rules must be sorted by dpd, each dpd once, got dpd {days}")
    actions = [rule.action for rule in value]
    if len(set(actions)) != len(actions):
        raise ValueError(f"at most one rule per action, got {actions}")
    if actions == ["close", "freeze"]:
        raise ValueError("close must come after freeze (a closed line cannot be frozen later)")
    return value


Restrictions = Annotated[tuple[RestrictionRule, ...], AfterValidator(_restrictions)]


def _name(value: str) -> str:
    if not value or value != value.strip():
        raise ValueError(f"a product name must be non-empty without outer spaces, got {value!r}")
    return value


# --- the models ----------------------------------------------------------------------------


class Product(BaseModel):
    """What every product has: name, source, and the keys common to both kinds (SPEC §10).

    ``name`` (a file's stem, or a scenario's key) and ``source`` (a file path, ``"scenario"``
    or ``"inline"``) are not keys of the file.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Strict(), AfterValidator(_name)]
    source: str = "inline"
    kind: Literal["installment", "revolving"]
    rounding: Rounding = Rounding.HALF_UP
    grace_days: GraceDays = 0
    grace_retroactive: Flag = False
    tolerance: Tolerance = 0
    penalty_annual_cap: PenaltyCap = Decimal("0.24")
    write_off_dpd: WriteOffDpd = 180
    restrictions: Restrictions = DEFAULT_RESTRICTIONS
    cross_default: Flag = False
    apr_cap: AprCap = Decimal("0.24")

    def _check_cap(self, key: str, loan: ReferenceLoan, what: str) -> None:
        """Refuse the product when the reference loan's APR exceeds ``apr_cap`` (SPEC §4)."""
        try:
            caps.check_reference_loan(loan, self.apr_cap, what=what)
        except InputError as exc:
            raise KeyedRule(
                key,
                f"{what}, on the reference loan of {format_amount(caps.REFERENCE_PRINCIPAL)} "
                f"from {caps.REFERENCE_START}: "
                f"{exc.rule}",
            ) from exc


class InstallmentProduct(Product):
    """A 借呗-style cash loan: a rate (annual, or daily with days_in_year), methods and terms."""

    kind: Literal["installment"] = "installment"
    annual_rate: AnnualRate | None = None
    daily_rate: DailyRate | None = None
    days_in_year: DaysInYear | None = None
    day_count: DayCount = DayCount.ACT_365
    methods: Methods = (Method.ANNUITY,)
    terms: Terms = (3, 6, 12)
    penalty_rate_multiplier: Multiplier = Decimal("1.5")
    compound_overdue_interest: Flag = False
    prepayment: Prepayment = Prepayment.REDUCE_INSTALLMENT

    @model_validator(mode="before")
    @classmethod
    def _daily_defaults(cls, data: Any) -> Any:
        # days_in_year defaults to 365 only for a daily rate; the day count then follows it
        # (act/365 or act/360), so `days_in_year = 360` alone is a consistent product.
        if isinstance(data, Mapping) and data.get("daily_rate") is not None:
            data = dict(data)
            if data.get("days_in_year") is None:
                data["days_in_year"] = 365
            if data.get("day_count") is None and data["days_in_year"] in (360, 365):
                data["day_count"] = (
                    DayCount.ACT_360 if data["days_in_year"] == 360 else DayCount.ACT_365
                )
        return data

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.annual_rate is None and self.daily_rate is None:
            raise KeyedRule("annual_rate", "give annual_rate or daily_rate (none given)")
        if self.annual_rate is not None and self.daily_rate is not None:
            raise KeyedRule("daily_rate", "give exactly one of annual_rate and daily_rate")
        if self.annual_rate is not None and self.days_in_year is not None:
            raise KeyedRule("days_in_year", "goes only with daily_rate (annual_rate is given)")
        if self.daily_rate is not None:
            wanted = DayCount.ACT_360 if self.days_in_year == 360 else DayCount.ACT_365
            if self.day_count is not wanted:
                raise KeyedRule(
                    "day_count",
                    f"a daily rate over {self.days_in_year} days needs day_count "
                    f"{wanted.value!r}, got {self.day_count.value!r} (SPEC §2)",
                )
        rate_key = "annual_rate" if self.annual_rate is not None else "daily_rate"
        for method in self.methods:
            for term in self.terms:
                loan = ReferenceLoan(
                    method=method,
                    term=term,
                    annual_rate=self.annual_rate,
                    daily_rate=self.daily_rate,
                    days_in_year=self.days_in_year,
                    day_count=self.day_count,
                    fee_rate=Decimal(0),
                    rounding=self.rounding,
                )
                months = "month" if term == 1 else "months"
                self._check_cap(rate_key, loan, f"{method.value} over {term} {months}")
        return self

    @property
    def rate_is_daily(self) -> bool:
        """True when the contract states a daily rate (借呗-style), False for an annual one."""
        return self.daily_rate is not None

    @property
    def annual_rate_effective(self) -> Decimal:
        """The nominal annual rate: ``annual_rate``, or ``daily_rate × days_in_year`` (exact)."""
        if self.annual_rate is not None:
            return self.annual_rate
        assert self.daily_rate is not None and self.days_in_year is not None
        return self.daily_rate * self.days_in_year

    @property
    def year_days(self) -> int:
        """Days in the interest year: days_in_year, else 365 for act/365 and 360 otherwise."""
        if self.days_in_year is not None:
            return self.days_in_year
        return 365 if self.day_count is DayCount.ACT_365 else 360

    @property
    def daily_rate_effective(self) -> Fraction:
        """The contract daily rate, exact: ``daily_rate``, or ``annual_rate / year_days``.

        A ``Fraction`` because annual / 365 has no finite decimal; penalty interest
        (multiplier × this rate, SPEC §6) stays exact until it is rounded once.
        """
        if self.daily_rate is not None:
            return Fraction(self.daily_rate)
        return Fraction(self.annual_rate_effective) / self.year_days

    @property
    def default_method(self) -> Method:
        """The method a drawdown uses when it names none: the product's first (SPEC §10)."""
        return self.methods[0]

    def check_offer(self, method: Method | str, term: int) -> Method:
        """Refuse a (method, term) the product does not offer; return the method, typed."""
        try:
            typed = Method(method)
        except ValueError as exc:
            known = ", ".join(m.value for m in Method)
            raise InputError("method", f"unknown method {method!r} (known: {known})") from exc
        if typed not in self.methods:
            offered = ", ".join(m.value for m in self.methods)
            raise InputError(
                "method", f"method {typed.value} is not offered by {self.name} (offered: {offered})"
            )
        if term not in self.terms:
            offered = ", ".join(str(t) for t in self.terms)
            raise InputError(
                "term", f"term {term} is not offered by {self.name} (offered: {offered})"
            )
        return typed


class RevolvingProduct(Product):
    """A 花呗-style credit-pay line: monthly statement, minimum payment, bill installments."""

    kind: Literal["revolving"] = "revolving"
    statement_day: MonthDay = 1
    due_day: MonthDay = 10
    min_payment_rate: MinPaymentRate = Decimal("0.10")
    revolving_daily_rate: DailyRate = Decimal("0.0005")
    overdue_fee_daily_rate: DailyRate = Decimal("0.0005")
    installment_fee_rates: FeeRates = Field(
        default_factory=lambda: {
            3: Decimal("0.025"),
            6: Decimal("0.045"),
            9: Decimal("0.065"),
            12: Decimal("0.088"),
        }
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.due_day == self.statement_day:
            raise KeyedRule(
                "due_day",
                f"must differ from statement_day ({self.statement_day}): "
                "a statement needs time before it falls due",
            )
        what = f"revolving interest {self.revolving_daily_rate} a day × 365"
        try:
            annual = self.revolving_daily_rate * 365
            caps.check_annual_rate(annual, self.apr_cap, what=what)
        except InputError as exc:
            raise KeyedRule("revolving_daily_rate", f"{what}: {exc.rule}") from exc
        for periods, fee_rate in self.installment_fee_rates.items():
            loan = ReferenceLoan(
                method=Method.FEE_INSTALLMENT,
                term=periods,
                annual_rate=Decimal(0),
                daily_rate=None,
                days_in_year=None,
                day_count=DayCount.ACT_365,
                fee_rate=fee_rate,
                rounding=self.rounding,
            )
            self._check_cap(
                f"installment_fee_rates.{periods}",
                loan,
                f"fee-installment over {periods} periods at fee {fee_rate}",
            )
        return self

    @property
    def installment_periods(self) -> tuple[int, ...]:
        """The numbers of periods a statement or purchase can be converted into, ascending."""
        return tuple(self.installment_fee_rates)

    def installment_fee_rate(self, periods: int) -> Decimal:
        """The total fee rate of a fee-installment plan over ``periods`` (SPEC §3)."""
        try:
            return self.installment_fee_rates[periods]
        except KeyError:
            offered = ", ".join(str(p) for p in self.installment_periods) or "none"
            raise InputError(
                "periods",
                f"{periods} periods are not offered by {self.name} (offered: {offered})",
            ) from None

    def statement_due_date(self, statement: date) -> date:
        """The due date of the statement issued on ``statement``.

        Same month when ``due_day`` comes after ``statement_day`` (the default 1st → 10th),
        else the next month.
        """
        months = 0 if self.due_day > self.statement_day else 1
        return add_months(statement, months, day=self.due_day)

    @property
    def max_interest_free_days(self) -> int:
        """The longest interest-free period, in days, counting the purchase day and the due date.

        A statement on D bills purchases of [previous statement, D) (SPEC §5), so the longest
        wait is a purchase made on a statement day itself: billed on the next statement and
        due on that statement's due date. With the defaults (1st, 10th) a purchase on 1 January
        is billed on 1 February and due on 10 February: 31 + 10 = 41 days (花呗's published
        "最长41天免息期"). The maximum is taken over every month of a four-year cycle.
        """
        longest = 0
        first = date(2024, 1, self.statement_day)
        for k in range(48):
            previous = add_months(first, k)
            due = self.statement_due_date(add_months(first, k + 1))
            longest = max(longest, (due - previous).days + 1)
        return longest


AnyProduct = Annotated[InstallmentProduct | RevolvingProduct, Field(discriminator="kind")]

_NOT_KEYS = frozenset({"name", "source"})


def file_keys(kind: str) -> frozenset[str]:
    """The keys a product file of ``kind`` may contain (SPEC §10); empty for an unknown kind."""
    models: dict[str, type[Product]] = {
        "installment": InstallmentProduct,
        "revolving": RevolvingProduct,
    }
    model = models.get(kind)
    if model is None:
        return frozenset()
    return frozenset(model.model_fields) - _NOT_KEYS
