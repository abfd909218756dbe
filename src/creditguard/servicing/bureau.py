"""Credit-bureau files from the end of day's month facts (SPEC §9): PBOC and Metro 2.

The end of day folds each account's day into ``bureau_months`` (one row per account and
calendar month). Here the months are read back in order and handed to the pure record
builders of :mod:`creditguard.reporting`, carrying each account's history string from month to
month (PBOC: 60 months; Metro 2: 24). A negative PBOC record without a prior
NegativeReportNotice is withheld and returned as an error, never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from creditguard.calendar import month_end
from creditguard.money import InputError
from creditguard.reporting.bureau_metro2 import Metro2Account, base_segment, metro2_month
from creditguard.reporting.bureau_pboc import MONTH_SCHEMA, pboc_records, to_jsonl
from creditguard.store.overdue_tables import bureau_months
from creditguard.store.servicing_tables import accounts

__all__ = ["BureauHistory", "bureau_history", "export_month"]

FURNISHER_ID = "CREDITGUARD"


@dataclass(frozen=True)
class BureauHistory:
    """Every month's records: PBOC records and errors, Metro 2 month rows (all months)."""

    pboc: pl.DataFrame
    pboc_errors: pl.DataFrame
    metro2: pl.DataFrame


def _months_frame(engine: Engine) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(bureau_months).order_by(bureau_months.c.month, bureau_months.c.account_id)
        ).all()
    records = [
        {
            "account": r.account_id,
            "month": r.month,
            "dpd": int(r.dpd),
            "delinquent_at_end": bool(r.delinquent_at_end),
            "delinquent_in_month": bool(r.delinquent_in_month),
            "activity": bool(r.activity),
            "balance": int(r.balance),
            "overdue_amount": int(r.overdue_amount),
            "classification": r.classification,
            "written_off_on": r.written_off_on,
            "ended_on": r.ended_on,
            "ended_how": r.ended_how,
            "special": [int(c) for c in (r.special or [])],
            "notice_sent_on": r.notice_sent_on,
            "prev_history": None,
        }
        for r in rows
    ]
    return pl.DataFrame(records, schema=MONTH_SCHEMA, orient="row")


def bureau_history(engine: Engine) -> BureauHistory:
    """PBOC records (with 60-month history) and Metro 2 month rows for every stored month."""
    months = _months_frame(engine)
    pboc_parts: list[pl.DataFrame] = []
    error_parts: list[pl.DataFrame] = []
    metro_parts: list[pl.DataFrame] = []
    history: dict[str, str] = {}
    codes: dict[str, str] = {}
    for month in months.get_column("month").unique().sort().to_list():
        frame = months.filter(pl.col("month") == month)
        accounts_in = frame.get_column("account").to_list()
        frame = frame.with_columns(
            pl.Series("prev_history", [history.get(a) for a in accounts_in], dtype=pl.String)
        )
        records, errors = pboc_records(frame)
        for account, hist in records.select("account", "history").iter_rows():
            history[account] = hist
        pboc_parts.append(records)
        error_parts.append(errors)
        metro_in = frame.select(
            "account",
            "month",
            "dpd",
            "balance",
            "overdue_amount",
            (pl.col("written_off_on").is_not_null()).alias("charged_off"),
            (pl.col("ended_on").is_not_null()).alias("closed"),
            pl.Series("prev_codes", [codes.get(a) for a in accounts_in], dtype=pl.String),
        )
        metro = metro2_month(metro_in)
        for account, rolled in metro.select("account", "codes").iter_rows():
            codes[account] = rolled
        metro_parts.append(metro)
    empty = pl.DataFrame()
    return BureauHistory(
        pl.concat(pboc_parts) if pboc_parts else empty,
        pl.concat(error_parts) if error_parts else empty,
        pl.concat(metro_parts) if metro_parts else empty,
    )


def export_month(engine: Engine, month: str, fmt: str, out_dir: Path) -> dict[str, Any]:
    """Write one month's bureau file (``pboc`` JSON lines or ``metro2`` 426-byte records)."""
    if fmt not in ("pboc", "metro2"):
        raise InputError("format", f"{fmt!r} is not one of pboc, metro2")
    try:
        year, mon = (int(x) for x in month.split("-"))
        last = date(year, mon, month_end(year, mon))
    except ValueError as exc:
        raise InputError("month", f"{month!r} is not a month in the form YYYY-MM") from exc
    hist = bureau_history(engine)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "pboc":
        records = hist.pboc.filter(pl.col("month") == month) if hist.pboc.height else hist.pboc
        errors = (
            hist.pboc_errors.filter(pl.col("month") == month)
            if hist.pboc_errors.height
            else hist.pboc_errors
        )
        path = out_dir / f"pboc-{month}.jsonl"
        path.write_text(to_jsonl(records) if records.height else "", encoding="utf-8")
        return {
            "file": str(path),
            "records": records.height,
            "errors": [dict(r) for r in errors.iter_rows(named=True)] if errors.height else [],
        }
    rows = hist.metro2.filter(pl.col("month") == month) if hist.metro2.height else hist.metro2
    with engine.connect() as conn:
        info = {
            r.account_id: r
            for r in conn.execute(
                select(accounts.c.account_id, accounts.c.kind, accounts.c.opened_on)
            )
        }
    lines = []
    for r in rows.iter_rows(named=True) if rows.height else []:
        acc = info[r["account"]]
        lines.append(
            base_segment(
                Metro2Account(
                    account=r["account"],
                    portfolio=acc.kind,
                    opened_on=acc.opened_on,
                    as_of=last,
                    account_status=r["account_status"],
                    profile=r["profile"],
                    payment_rating=r["payment_rating"],
                    balance=int(r["balance"]),
                    past_due=int(r["overdue_amount"]),
                ),
                FURNISHER_ID,
            )
        )
    path = out_dir / f"metro2-{month}.dat"
    path.write_text("".join(line + "\n" for line in lines), encoding="ascii")
    return {"file": str(path), "records": len(lines), "errors": []}
