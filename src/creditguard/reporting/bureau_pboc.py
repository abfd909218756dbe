"""PBOC (二代征信) monthly account records (SPEC §9): status codes, history, prior-notice rule.

Input: one row per account and calendar month (:data:`MONTH_SCHEMA`), summarised from the
daily EOD snapshots by :func:`month_summary` (or kept incrementally by the EOD). Output: one
record per account-month (:data:`RECORD_SCHEMA`) and an errors frame; :func:`to_jsonl` writes
the records as JSON lines.

Status of a month, as of its last day, first match wins:

1. ``C`` the account ended this month by settlement or normal closure — also a written-off
   debt fully paid this month; ``G`` it ended otherwise (sold, forgiven, transferred);
2. ``B`` written off on or before the month end (呆账; from the write-off month on);
3. ``1``…``7`` delinquent at month end: DPD 1–30, 31–60, …, 151–180, over 180;
4. ``M`` delinquent at some time in the month but not at its end;
5. ``N`` something fell due or was paid in the month (a payment within grace is on time);
6. ``*`` nothing due, nothing paid, nothing overdue.

``1``…``7``, ``M`` and ``B`` are negative. A negative record needs a NegativeReportNotice sent
on or before the month end (征信业管理条例 Art. 15); without one the record is withheld and an
error row names the account, the month and the rule — never silently sent.

History: 60 characters, oldest first, newest last; months before the account existed are
``/``. Special transactions (restructuring-type events) are reported with their codes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

import polars as pl

from creditguard.calendar import month_bounds
from creditguard.money import InputError, format_amount

__all__ = [
    "DAILY_SCHEMA",
    "ERROR_SCHEMA",
    "HISTORY_MONTHS",
    "MONTH_SCHEMA",
    "NEGATIVE",
    "RECORD_SCHEMA",
    "SpecialTransaction",
    "month_summary",
    "pboc_records",
    "special_codes",
    "status_codes",
    "to_jsonl",
]

HISTORY_MONTHS = 60
NEGATIVE = frozenset("1234567MB")


class SpecialTransaction(IntEnum):
    """PBOC special transaction codes for restructuring-type events."""

    EXTENSION = 1  # 展期
    PREPAYMENT = 4  # 提前还款
    EARLY_SETTLEMENT = 5  # 提前结清
    LEGAL_RECOVERY = 8  # 司法追偿
    DEBT_RELIEF = 11  # 债务减免
    PERSONALIZED_INSTALLMENT = 14  # 个性化分期
    RELIEF_DEFERRAL = 16  # 纾困延期


SPECIAL_EVENT_TYPES = (
    "PaymentReceived",
    "Waived",
    "WaiverApplied",
    "DueDateRelief",
    "DueDatesMoved",
)


def special_codes(event_type: str, payload: Mapping[str, Any] | None) -> list[int]:
    """The special transactions (SPEC §9) a domain event reports, as PBOC codes.

    A loan payment that repays principal not yet due is a prepayment (4), or an early
    settlement (5) when it settles the loan; a waiver is debt relief (11); due dates moved by
    relief (a platform outage or a deferral) are a relief deferral (16). Extension (1), legal
    recovery (8) and personalized installments (14, negotiated hardship plans — not ordinary
    bill or purchase installments) come with the commands that make them.
    """
    body = payload or {}
    if event_type == "PaymentReceived" and int(body.get("early_principal") or 0) > 0:
        if body.get("settled"):
            return [SpecialTransaction.EARLY_SETTLEMENT.value]
        return [SpecialTransaction.PREPAYMENT.value]
    if event_type in ("Waived", "WaiverApplied"):  # a loan's, a line's
        return [SpecialTransaction.DEBT_RELIEF.value]
    if event_type in ("DueDateRelief", "DueDatesMoved") and body.get("moved"):
        return [SpecialTransaction.RELIEF_DEFERRAL.value]
    return []


DAILY_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.String(),
    "date": pl.Date(),
    "dpd": pl.Int64(),
    "delinquent": pl.Boolean(),
    "fell_due": pl.Boolean(),  # an obligation fell due this day
    "paid": pl.Boolean(),  # a payment was received this day
    "balance": pl.Int64(),  # fen owed, all unpaid principal plus fallen-due charges
    "overdue_amount": pl.Int64(),  # fen past due
    "classification": pl.String(),
    "written_off_on": pl.Date(),  # nullable
    "ended_on": pl.Date(),  # nullable: settled, closed or otherwise ended
    "ended_how": pl.String(),  # nullable: "settled" | "closed" | "other"
    "special_code": pl.Int64(),  # nullable: a SpecialTransaction of that day
}

MONTH_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.String(),
    "month": pl.String(),  # "YYYY-MM"
    "dpd": pl.Int64(),  # at month end
    "delinquent_at_end": pl.Boolean(),
    "delinquent_in_month": pl.Boolean(),
    "activity": pl.Boolean(),  # something fell due or was paid in the month
    "balance": pl.Int64(),
    "overdue_amount": pl.Int64(),
    "classification": pl.String(),
    "written_off_on": pl.Date(),
    "ended_on": pl.Date(),
    "ended_how": pl.String(),
    "special": pl.List(pl.Int64()),
    "notice_sent_on": pl.Date(),  # nullable
    "prev_history": pl.String(),  # nullable: last month's 60-character history
}

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.String(),
    "month": pl.String(),
    "status": pl.String(),
    "balance": pl.Int64(),
    "overdue_amount": pl.Int64(),
    "dpd": pl.Int64(),
    "classification": pl.String(),
    "special": pl.List(pl.Int64()),
    "history": pl.String(),
}

ERROR_SCHEMA: dict[str, pl.DataType] = {
    "account": pl.String(),
    "month": pl.String(),
    "status": pl.String(),
    "rule": pl.String(),
}


def month_summary(
    daily: pl.DataFrame,
    month: str,
    notices: pl.DataFrame | None = None,
    histories: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Summarise daily snapshots (:data:`DAILY_SCHEMA`) of ``month`` into :data:`MONTH_SCHEMA`.

    ``notices``: (account, notice_sent_on); ``histories``: (account, prev_history). The month
    end row of each account is its last snapshot in the month.
    """
    first, last = month_bounds(month)
    days = daily.filter(pl.col("date").is_between(first, last)).sort(["account", "date"])
    summary = days.group_by("account", maintain_order=True).agg(
        pl.col("dpd").last(),
        pl.col("delinquent").last().alias("delinquent_at_end"),
        pl.col("delinquent").any().alias("delinquent_in_month"),
        (pl.col("fell_due") | pl.col("paid")).any().alias("activity"),
        pl.col("balance").last(),
        pl.col("overdue_amount").last(),
        pl.col("classification").last(),
        pl.col("written_off_on").last(),
        pl.col("ended_on").last(),
        pl.col("ended_how").last(),
        pl.col("special_code").drop_nulls().alias("special"),
    )
    summary = summary.with_columns(pl.lit(month).alias("month"))
    for extra, column in ((notices, "notice_sent_on"), (histories, "prev_history")):
        if extra is None:
            summary = summary.with_columns(pl.lit(None, dtype=MONTH_SCHEMA[column]).alias(column))
        else:
            summary = summary.join(extra.select("account", column), on="account", how="left")
    return summary.select(list(MONTH_SCHEMA))


def _month_ends(months: pl.DataFrame) -> pl.Series:
    """The last day of each row's ``month`` ("YYYY-MM"); a malformed month is refused."""
    month = months.get_column("month")
    ok = month.str.contains(r"^\d{4}-(0[1-9]|1[0-2])$").fill_null(False)
    if not ok.all():
        bad = month.filter(~ok)[0]
        raise InputError("months.month", f"{bad!r} is not YYYY-MM")
    return (month + "-01").str.to_date("%Y-%m-%d").dt.month_end().alias("_end")


def status_codes(months: pl.DataFrame) -> pl.Series:
    """The PBOC status character of every row of a :data:`MONTH_SCHEMA` frame."""
    end = pl.col("_end")
    digit = pl.min_horizontal((pl.col("dpd") + 29) // 30, pl.lit(7)).cast(pl.String)
    code = (
        pl.when(pl.col("ended_on").is_not_null() & (pl.col("ended_on") <= end))
        .then(pl.when(pl.col("ended_how") == "other").then(pl.lit("G")).otherwise(pl.lit("C")))
        .when(pl.col("written_off_on").is_not_null() & (pl.col("written_off_on") <= end))
        .then(pl.lit("B"))
        .when(pl.col("delinquent_at_end"))
        .then(digit)
        .when(pl.col("delinquent_in_month"))
        .then(pl.lit("M"))
        .when(pl.col("activity"))
        .then(pl.lit("N"))
        .otherwise(pl.lit("*"))
    )
    return months.with_columns(_month_ends(months)).select(code.alias("status")).to_series()


def pboc_records(months: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(records, errors)`` for a :data:`MONTH_SCHEMA` frame.

    A negative record without a NegativeReportNotice on or before the month end is withheld
    from ``records`` and reported in ``errors`` (:data:`ERROR_SCHEMA`).
    """
    for column, dtype in MONTH_SCHEMA.items():
        if column not in months.columns or months.schema[column] != dtype:
            raise InputError(f"months.{column}", f"missing or not {dtype}")
    status = status_codes(months)
    ends = _month_ends(months)
    notice = months.get_column("notice_sent_on")
    noticed = (notice.is_not_null() & (notice <= ends)).fill_null(False)
    negative = status.is_in(sorted(NEGATIVE))
    bad = negative & ~noticed
    known = {int(c) for c in SpecialTransaction}
    codes = months.get_column("special").explode().drop_nulls()
    unknown = codes.filter(~codes.is_in(sorted(known)))
    if unknown.len():
        raise InputError("months.special", f"{unknown[0]} is not a PBOC special transaction code")
    history = (
        (months.get_column("prev_history").fill_null("") + status)
        .str.slice(-HISTORY_MONTHS)
        .str.pad_start(HISTORY_MONTHS, "/")
    )
    records = months.with_columns(status.alias("status"), history.alias("history"))
    errors = records.filter(bad).select(
        "account",
        "month",
        "status",
        pl.format(
            "negative record '{}' without an earlier NegativeReportNotice "
            "(征信业管理条例 Art. 15): withheld",
            pl.col("status"),
        ).alias("rule"),
    )
    return records.filter(~bad).select(list(RECORD_SCHEMA)), errors


def to_jsonl(records: pl.DataFrame) -> str:
    """Records as JSON lines, keys sorted, amounts as decimal strings (deterministic bytes)."""
    lines = []
    for row in records.select(list(RECORD_SCHEMA)).iter_rows(named=True):
        row["balance"] = format_amount(row["balance"])
        row["overdue_amount"] = format_amount(row["overdue_amount"])
        row["special"] = [
            {"code": c, "name": SpecialTransaction(c).name.lower()} for c in row["special"]
        ]
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    return "".join(line + "\n" for line in lines)
