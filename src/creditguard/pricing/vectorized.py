"""Schedules of many loans at once: a Polars frame in, the long installment frame out.

The same kernel as :func:`~creditguard.pricing.schedule.build_schedule` (one loan is a batch of
one), fed from columns. Input columns:

- ``loan_id`` (any type), ``principal`` (Int64 fen), ``term`` (integer months), ``start`` (Date),
  ``method`` (String, a :class:`~creditguard.pricing.terms.Method` value);
- optional: ``annual_rate`` (String decimal, default ``"0"``), ``day_count`` (String, default
  ``"30/360"``), ``fee_rate`` (String decimal, default ``"0"``), ``rounding`` (String, default
  ``"half-up"``). A null in an optional column means its default.

Rates are exact decimal strings (never floats); each distinct string is parsed once. Every row is
validated by the same rules as :class:`~creditguard.pricing.terms.LoanTerms`; the error names
the field and the first offending ``loan_id``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from creditguard.money import InputError, Rounding
from creditguard.pricing import kernel
from creditguard.pricing.terms import (
    MAX_ANNUAL_RATE,
    MAX_TERM,
    check_principal,
    check_rates,
    check_term,
    coerce_day_count,
    coerce_method,
    coerce_rate,
    coerce_rounding,
)

__all__ = ["OUTPUT_COLUMNS", "build_schedules"]

OUTPUT_COLUMNS = (
    "loan_id",
    "period",
    "due_date",
    "principal",
    "interest",
    "fee",
    "payment",
    "balance",
)
_REQUIRED = ("loan_id", "principal", "term", "start", "method")
_DEFAULTS = {"annual_rate": "0", "day_count": "30/360", "fee_rate": "0", "rounding": "half-up"}


def _first_id(loans: pl.DataFrame, rows: np.ndarray[Any, Any]) -> object:
    return loans["loan_id"][int(np.flatnonzero(rows)[0])]


def _codes(loans: pl.DataFrame, column: str, parse: Any) -> tuple[np.ndarray[Any, Any], list[Any]]:
    """Parse each distinct value of a string column once: (per-row index, parsed values)."""
    series = loans[column].cast(pl.String)  # a String column, or all-null
    if column in _DEFAULTS:
        series = series.fill_null(_DEFAULTS[column])
    elif series.null_count():
        rows = series.is_null().to_numpy()
        raise InputError(column, f"must not be null (loan_id {_first_id(loans, rows)})")
    uniq = series.unique(maintain_order=True)
    index = series.replace_strict(uniq, pl.Series(range(len(uniq))), return_dtype=pl.Int64)
    codes = index.to_numpy()
    parsed = []
    for i, text in enumerate(uniq.to_list()):
        try:
            parsed.append(parse(text))
        except InputError as exc:
            loan = _first_id(loans, codes == i)
            raise InputError(exc.field, f"{exc.rule} (loan_id {loan})") from None
    return codes, parsed


def build_schedules(loans: pl.DataFrame) -> pl.DataFrame:
    """Schedules of every loan in ``loans``, one row per installment (SPEC §3).

    Output columns: ``loan_id, period, due_date, principal, interest, fee, payment, balance``
    (amounts Int64 fen, ``balance`` the principal left after the installment), in input order.
    Equal, row by row, to :func:`~creditguard.pricing.schedule.build_schedule`.
    """
    missing = [c for c in _REQUIRED if c not in loans.columns]
    if missing:
        raise InputError(missing[0], "required column is missing")
    for column, default in _DEFAULTS.items():
        if column not in loans.columns:
            loans = loans.with_columns(pl.lit(default).alias(column))
    if loans.height == 0:
        return pl.DataFrame(
            schema={
                "loan_id": loans.schema["loan_id"],
                "period": pl.Int64,
                "due_date": pl.Date,
                **{c: pl.Int64 for c in OUTPUT_COLUMNS[3:]},
            }
        )
    schema = loans.schema
    for column in ("principal", "term"):
        if not schema[column].is_integer():
            raise InputError(column, f"must be an integer column, not {schema[column]}")
    if schema["start"] != pl.Date:
        raise InputError("start", f"must be a Date column, not {schema['start']}")
    for column in ("method", *_DEFAULTS):
        if schema[column] not in (pl.String, pl.Null):
            # A float rate column has already lost the exact decimal (SPEC §1).
            raise InputError(column, f"must be a String column, not {schema[column]}")
    for column in ("principal", "term", "start"):
        if loans[column].null_count():
            rows = loans[column].is_null().to_numpy()
            raise InputError(column, f"must not be null (loan_id {_first_id(loans, rows)})")

    principal = loans["principal"].cast(pl.Int64).to_numpy()
    term = loans["term"].cast(pl.Int64).to_numpy()
    for column, values, check, bad in (
        ("principal", principal, check_principal, principal <= 0),
        ("term", term, check_term, (term < 1) | (term > MAX_TERM)),
    ):
        if bad.any():
            # The scalar check words the error, so both paths say the same thing.
            i = int(np.flatnonzero(bad)[0])
            try:
                check(int(values[i]))
            except InputError as exc:
                raise InputError(column, f"{exc.rule} (loan_id {loans['loan_id'][i]})") from None

    method, methods = _codes(loans, "method", coerce_method)
    day_count, day_counts = _codes(loans, "day_count", coerce_day_count)
    rounding, roundings = _codes(loans, "rounding", coerce_rounding)
    rate, rates = _codes(
        loans, "annual_rate", lambda s: coerce_rate(s, "annual_rate", MAX_ANNUAL_RATE)
    )
    fee, fees = _codes(loans, "fee_rate", lambda s: coerce_rate(s, "fee_rate"))

    combo = (method * len(rates) + rate) * len(fees) + fee
    for key in np.unique(combo).tolist():
        m, rest = divmod(key, len(rates) * len(fees))
        r, f = divmod(rest, len(fees))
        try:
            check_rates(methods[m], rates[r], fees[f])
        except InputError as exc:
            rows = combo == key
            raise InputError(exc.field, f"{exc.rule} (loan_id {_first_id(loans, rows)})") from None

    def ratio(values: list[Decimal], codes: np.ndarray[Any, Any]) -> tuple[Any, Any]:
        fractions = [Fraction(v) for v in values]
        num = kernel.int_array([x.numerator for x in fractions])
        den = kernel.int_array([x.denominator for x in fractions])
        return num[codes], den[codes]

    rate_num, rate_den = ratio(rates, rate)
    fee_num, fee_den = ratio(fees, fee)
    method_code = np.array([kernel.METHODS.index(m) for m in methods])[method]
    day_count_code = np.array([kernel.DAY_COUNTS.index(d) for d in day_counts])[day_count]
    half_even = np.array([r is Rounding.HALF_EVEN for r in roundings])[rounding]
    start = loans["start"].to_physical().cast(pl.Int64).to_numpy()

    batch, due = kernel.plan_terms(
        principal=principal,
        rate_num=rate_num,
        rate_den=rate_den,
        fee_num=fee_num,
        fee_den=fee_den,
        term=term,
        start=start,
        method=method_code,
        day_count=day_count_code,
        half_even=half_even,
    )
    amounts = kernel.run(batch)
    # Output rows run loan by loan, period by period; the kernel's matrices are period-major.
    count = amounts.count
    loan = np.repeat(np.arange(loans.height), count)
    period = np.arange(loan.size) - np.repeat(np.cumsum(count) - count, count)
    take = period * loans.height + loan

    def flat(matrix: np.ndarray[Any, Any]) -> pl.Series:
        return pl.Series(matrix.ravel()[take].astype(np.int64), dtype=pl.Int64)

    return pl.DataFrame(
        {
            "loan_id": loans["loan_id"].gather(loan),
            "period": pl.Series(period + 1, dtype=pl.Int64),
            "due_date": pl.Series(due[loan, period].astype(np.int32)).cast(pl.Date),
            "principal": flat(amounts.principal),
            "interest": flat(amounts.interest),
            "fee": flat(amounts.fee),
            "payment": flat(amounts.payment),
            "balance": flat(amounts.balance),
        }
    )
