"""The frames the overdue kernels take and return: documented schemas, checks, product params.

Three input frames describe a portfolio on business date ``t`` (SPEC §6, §7):

**obligations** — one row per installment of a loan or statement of a line
(:data:`OBLIGATIONS_SCHEMA`). Money is Int64 fen. ``due_date`` is already moved by outage relief.
``minimum`` is a statement's minimum payment, or an installment's non-penalty total.
``account_row`` is the 0-based position of the obligation's account in the accounts frame: the
loader (SQL ``dense_rank`` or :func:`attach_account_rows`) fills it, so the kernels group by an
integer and never join on strings (a 30M × 10M string join costs more than the whole day).

Penalty accrual state (SPEC §1 "accrual runs", §6 "cost ceiling"), all exact, as Int64
numerators over the product's common denominator ``accrual_den`` (``D``):

========================= ====================================================================
``pen_run_base``          fen the current penalty run accrues on (a run ends when it changes)
``pen_run_num``           exact accrual of the current run, × D
``pen_run_booked``        whole fen booked for the current run = round(pen_run_num / D)
``pen_pending_num``       retroactive products: exact penalty of the grace days, × D, held
                          until grace is exceeded (then charged) or the debt is cured (dropped)
``pen_charged``           whole fen of penalty this engine has charged on the obligation, all
                          runs (the amount the cost ceiling limits)
``ceiling_num``           the cost ceiling so far: Σ over days after the due date of
                          cap × unpaid non-penalty that day / 365, × D
``other_overdue_charged`` fen charged for days after the due date by other engines (overdue or
                          revolving interest); counts against the same ceiling
========================= ====================================================================

**accounts** — one row per account (:data:`ACCOUNTS_SCHEMA`), carrying yesterday's results
(``dpd``, ``bucket``, ``classification``, ``stage``, ``line_status``) so that the day's events
are a before/after comparison.

**params** — one row per product (:data:`PARAMS_SCHEMA`), built from product definitions by
:func:`params_frame`; the kernels look each account's product up by name, so a portfolio may mix
products. Rates are exact integer ratios over ``accrual_den``: a day's penalty on ``base`` fen is
``base × penalty_daily_num / accrual_den`` fen, a day's ceiling ``unpaid × cap_daily_num /
accrual_den``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from fractions import Fraction

import polars as pl

from creditguard.money import InputError, Rounding
from creditguard.products.schema import AnyProduct, InstallmentProduct, RevolvingProduct

__all__ = [
    "ACCOUNTS_SCHEMA",
    "CLASSES",
    "DEFAULT_BUCKET_EDGES",
    "EVENTS_SCHEMA",
    "OBLIGATIONS_SCHEMA",
    "PARAMS_SCHEMA",
    "accounts_frame",
    "attach_account_rows",
    "check_frame",
    "obligations_frame",
    "params_frame",
    "params_row",
]

COMPONENTS = ("principal", "interest", "fee", "penalty")
MONEY = pl.Int64

OBLIGATIONS_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.String(),
    "account_row": pl.Int64(),
    "ref": pl.String(),
    "kind": pl.String(),  # "installment" | "statement"
    "due_date": pl.Date(),
    **{f"due_{c}": pl.Int64() for c in COMPONENTS},
    **{f"paid_{c}": pl.Int64() for c in COMPONENTS},
    **{f"waived_{c}": pl.Int64() for c in COMPONENTS},
    "minimum": pl.Int64(),
    "pen_run_base": pl.Int64(),
    "pen_run_num": pl.Int64(),
    "pen_run_booked": pl.Int64(),
    "pen_pending_num": pl.Int64(),
    "pen_charged": pl.Int64(),
    "ceiling_num": pl.Int64(),
    "other_overdue_charged": pl.Int64(),
}

ACCOUNTS_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.String(),
    "kind": pl.String(),  # "loan" | "line"
    "borrower": pl.String(),
    "product": pl.String(),
    "status": pl.String(),  # loan: active|past-due|written-off|settled; line: its line_status
    "line_ref": pl.String(),  # nullable: the line a loan was drawn from
    "written_off_on": pl.Date(),  # nullable
    "observation_end": pl.Date(),  # nullable: last day of a restructuring's observation period
    "restructured_class": pl.String(),  # nullable: the class when restructured
    "early_warning": pl.Boolean(),
    "dpd": pl.Int64(),  # yesterday's
    "bucket": pl.String(),
    "classification": pl.String(),
    "stage": pl.Int64(),
    "line_status": pl.String(),  # nullable for loans: active|frozen|closed
    "notice_sent_on": pl.Date(),  # nullable: the NegativeReportNotice date
}

PARAMS_SCHEMA: dict[str, pl.DataType] = {
    "product": pl.String(),
    "penalty_kind": pl.String(),  # "multiplier" | "daily-fee"
    "accrual_den": pl.Int64(),
    "penalty_daily_num": pl.Int64(),
    "cap_daily_num": pl.Int64(),
    "compound_overdue_interest": pl.Boolean(),
    "grace_days": pl.Int64(),
    "grace_retroactive": pl.Boolean(),
    "tolerance": pl.Int64(),
    "half_even": pl.Boolean(),
    "write_off_dpd": pl.Int64(),
    "freeze_dpd": pl.Int64(),  # nullable: no freeze rule
    "close_dpd": pl.Int64(),  # nullable: no close rule
    "cross_default": pl.Boolean(),
    "bucket_edges": pl.List(pl.Int64()),
}

EVENTS_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.String(),
    "type": pl.String(),
    "payload": pl.String(),  # JSON object, keys sorted
}

DEFAULT_BUCKET_EDGES = (30, 60, 90, 120, 150, 180)
CLASSES = ("normal", "special-mention", "substandard", "doubtful", "loss")


def check_frame(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], name: str) -> None:
    """Refuse a frame that lacks a column of ``schema`` or holds it with another dtype."""
    # Polars builds a new Schema object per ``frame.schema``: read it once.
    given = frame.schema
    for column, dtype in schema.items():
        if column not in given:
            raise InputError(f"{name}.{column}", "missing column")
        if given[column] != dtype:
            raise InputError(f"{name}.{column}", f"must be {dtype}, got {given[column]}")


def _ratio(value: Fraction, den: int) -> int:
    scaled = value * den
    assert scaled.denominator == 1
    return scaled.numerator


def params_row(
    product: AnyProduct, bucket_edges: Iterable[int] = DEFAULT_BUCKET_EDGES
) -> dict[str, object]:
    """One :data:`PARAMS_SCHEMA` row for ``product``: its rates as exact ratios over one D.

    Multiplier kind (installment products): the day's penalty rate is ``multiplier × contract
    daily rate``; daily-fee kind (revolving): ``overdue_fee_daily_rate``. The ceiling's day rate
    is ``penalty_annual_cap / 365`` (SPEC §6 divides by 365 whatever the day count). ``D`` is the
    least common denominator of both, so every daily increment is an exact integer over D.
    """
    if isinstance(product, InstallmentProduct):
        kind = "multiplier"
        rate = Fraction(product.penalty_rate_multiplier) * product.daily_rate_effective
        compound = product.compound_overdue_interest
    elif isinstance(product, RevolvingProduct):
        kind = "daily-fee"
        rate = Fraction(product.overdue_fee_daily_rate)
        compound = False
    else:  # pragma: no cover - AnyProduct is exhaustive
        raise InputError("product.kind", f"unknown product kind {product.kind!r}")
    cap = Fraction(product.penalty_annual_cap) / 365
    den = math.lcm(rate.denominator, cap.denominator)
    freeze = next((r.dpd for r in product.restrictions if r.action == "freeze"), None)
    close = next((r.dpd for r in product.restrictions if r.action == "close"), None)
    edges = sorted(int(e) for e in bucket_edges)
    if not edges or edges[0] < 1 or len(set(edges)) != len(edges):
        raise InputError("bucket_edges", f"must be distinct positive days, got {edges}")
    return {
        "product": product.name,
        "penalty_kind": kind,
        "accrual_den": den,
        "penalty_daily_num": _ratio(rate, den),
        "cap_daily_num": _ratio(cap, den),
        "compound_overdue_interest": compound,
        "grace_days": product.grace_days,
        "grace_retroactive": product.grace_retroactive,
        "tolerance": product.tolerance,
        "half_even": product.rounding is Rounding.HALF_EVEN,
        "write_off_dpd": product.write_off_dpd,
        "freeze_dpd": freeze,
        "close_dpd": close,
        "cross_default": product.cross_default,
        "bucket_edges": edges,
    }


def params_frame(
    products: Iterable[AnyProduct],
    bucket_edges: Mapping[str, Iterable[int]] | None = None,
) -> pl.DataFrame:
    """The params frame of ``products`` (bucket edges per product name, default M1…M7+)."""
    edges = bucket_edges or {}
    rows = [params_row(p, edges.get(p.name, DEFAULT_BUCKET_EDGES)) for p in products]
    return pl.DataFrame(rows, schema=PARAMS_SCHEMA, orient="row")


def attach_account_rows(obligations: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """Fill ``account_row`` by joining on ``account`` (convenience for small frames and tests).

    The batch loader should produce ``account_row`` itself (the row order it reads accounts in).
    """
    index = accounts.select("account").with_row_index("account_row")
    out = obligations.drop("account_row", strict=False).join(
        index.with_columns(pl.col("account_row").cast(pl.Int64)),
        on="account",
        how="left",
        maintain_order="left",
    )
    if out["account_row"].null_count():
        missing = out.filter(pl.col("account_row").is_null())["account"][0]
        raise InputError("obligations.account", f"{missing!r} is not in the accounts frame")
    return out.select([c for c in obligations.columns if c != "account_row"] + ["account_row"])


_OBLIGATION_DEFAULTS: dict[str, object] = {
    **{c: 0 for c in OBLIGATIONS_SCHEMA if c.startswith(("due_", "paid_", "waived_", "pen_"))},
    "ceiling_num": 0,
    "other_overdue_charged": 0,
    "kind": "installment",
    "minimum": None,  # default: the non-penalty total
}
_ACCOUNT_DEFAULTS: dict[str, object] = {
    "kind": "loan",
    "borrower": None,  # default: the account name
    "status": "active",
    "line_ref": None,
    "written_off_on": None,
    "observation_end": None,
    "restructured_class": None,
    "early_warning": False,
    "dpd": 0,
    "bucket": "M0",
    "classification": "normal",
    "stage": 1,
    "line_status": None,  # default: "active" for a line
    "notice_sent_on": None,
}


def obligations_frame(
    rows: Iterable[Mapping[str, object]], accounts: pl.DataFrame | None = None
) -> pl.DataFrame:
    """An obligations frame from a few mappings, zeros and defaults filled in.

    Each row needs ``account``, ``ref``, ``due_date``; ``minimum`` defaults to the non-penalty
    total. With ``accounts`` the ``account_row`` column is filled by name.
    """
    full: list[dict[str, object]] = []
    for row in rows:
        item = {**_OBLIGATION_DEFAULTS, "account_row": 0, **row}
        if item["minimum"] is None:
            item["minimum"] = sum(int(item[f"due_{c}"]) for c in ("principal", "interest", "fee"))  # type: ignore[call-overload]
        full.append(item)
    frame = pl.DataFrame(full, schema=OBLIGATIONS_SCHEMA, orient="row")
    return frame if accounts is None else attach_account_rows(frame, accounts)


def accounts_frame(rows: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """An accounts frame from a few mappings (``account`` and ``product``), defaults filled in."""
    full: list[dict[str, object]] = []
    for row in rows:
        item = {**_ACCOUNT_DEFAULTS, **row}
        if item["borrower"] is None:
            item["borrower"] = item["account"]
        if item["line_status"] is None and item["kind"] == "line":
            item["line_status"] = "active"
        full.append(item)
    return pl.DataFrame(full, schema=ACCOUNTS_SCHEMA, orient="row")
