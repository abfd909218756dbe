"""Credit-bureau files from the end of day's month facts (SPEC §9): PBOC and Metro 2.

The end of day folds each account's day into ``bureau_months`` (one row per account and
calendar month). Here the months are read back in order and handed to the pure record
builders of :mod:`creditguard.reporting`, carrying each account's history string from month to
month (PBOC: 60 months; Metro 2: 24) and, for Metro 2, its Date of First Delinquency. A
negative PBOC record without a prior NegativeReportNotice is withheld and returned as an
error, never written.

A Metro 2 month also needs what the month rows do not hold (docs/semantics.md, Metro 2): the
limit, amount lent and term, the payments and the scheduled amounts come from the states of the
accounts reported that month; the highest principal a line reached and the amount charged off
come from the journal. One export reads all of it in one read-only transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, bindparam, func, select

from creditguard.calendar import month_bounds
from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.reporting.bureau_metro2 import (
    Metro2Account,
    base_segment,
    first_delinquent_on,
    metro2_month,
)
from creditguard.reporting.bureau_pboc import MONTH_SCHEMA, pboc_records, to_jsonl
from creditguard.servicing import line_model, loan_model
from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.store.account_repo import AccountRepository
from creditguard.store.db import read_only
from creditguard.store.overdue_tables import bureau_months
from creditguard.store.servicing_tables import accounts
from creditguard.store.tables import journal_entries, postings

__all__ = ["BureauHistory", "bureau_history", "export_month"]

FURNISHER_ID = "CREDITGUARD"


@dataclass(frozen=True)
class BureauHistory:
    """Every month's records: PBOC records and errors, Metro 2 month rows (all months)."""

    pboc: pl.DataFrame
    pboc_errors: pl.DataFrame
    metro2: pl.DataFrame


# The accounts reported in one month (a subquery: no list of names is sent).
_IN_MONTH = select(bureau_months.c.account_id).where(bureau_months.c.month == bindparam("month"))
_LINES_IN_MONTH = (
    select(bureau_months.c.account_id)
    .join(accounts, accounts.c.account_id == bureau_months.c.account_id)
    .where(bureau_months.c.month == bindparam("month"))
    .where(accounts.c.kind == "line")
)
_POSTED = postings.join(journal_entries, postings.c.entry_id == journal_entries.c.entry_id)
# Original charge-off amount: what the write-off moved to the loss account, through month end.
_CHARGED_OFF = (
    select(postings.c.account_ref, func.sum(postings.c.debit - postings.c.credit))
    .select_from(_POSTED)
    .where(postings.c.gl == GL.WRITE_OFF_LOSS.value)
    .where(journal_entries.c.business_date <= bindparam("last"))
    .where(postings.c.account_ref.in_(_IN_MONTH))
    .group_by(postings.c.account_ref)
)
# A line's principal balance after each journal entry through month end (entries in creation
# order), and its highest value: the most credit the line ever had in use.
_PRINCIPAL_RUN = (
    select(
        postings.c.account_ref.label("account"),
        func.sum(func.sum(postings.c.debit - postings.c.credit))
        .over(partition_by=postings.c.account_ref, order_by=postings.c.entry_id)
        .label("running"),
    )
    .select_from(_POSTED)
    .where(postings.c.gl.in_([GL.PRINCIPAL_CURRENT.value, GL.PRINCIPAL_OVERDUE.value]))
    .where(journal_entries.c.business_date <= bindparam("last"))
    .where(postings.c.account_ref.in_(_LINES_IN_MONTH))
    .group_by(postings.c.account_ref, postings.c.entry_id)
    .subquery()
)
_HIGHEST_PRINCIPAL = select(_PRINCIPAL_RUN.c.account, func.max(_PRINCIPAL_RUN.c.running)).group_by(
    _PRINCIPAL_RUN.c.account
)
_ACCOUNT_INFO = select(accounts.c.account_id, accounts.c.kind, accounts.c.opened_on).where(
    accounts.c.account_id.in_(_IN_MONTH)
)
# Metro 2 statuses that report no scheduled payment: paid or closed, charged off.
_NO_SCHEDULED_PAYMENT = frozenset({"13", "64", "97"})


def _months_frame(conn: Connection, through: str | None = None) -> pl.DataFrame:
    """The stored month rows, in order; with ``through``, only the months up to it of the
    accounts reported in that month."""
    query = select(bureau_months)
    if through is not None:
        query = query.where(bureau_months.c.month <= through).where(
            bureau_months.c.account_id.in_(_IN_MONTH)
        )
    ordered = query.order_by(bureau_months.c.month, bureau_months.c.account_id)
    rows = conn.execute(ordered, {} if through is None else {"month": through}).all()
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
    with read_only(engine) as conn:
        return _history(conn)


def _history(conn: Connection, through: str | None = None) -> BureauHistory:
    """:func:`bureau_history` read on ``conn``; with ``through``, only the months up to it of
    the accounts reported in that month (what that month's records need)."""
    months = _months_frame(conn, through)
    pboc_parts: list[pl.DataFrame] = []
    error_parts: list[pl.DataFrame] = []
    metro_parts: list[pl.DataFrame] = []
    history: dict[str, str] = {}
    codes: dict[str, str] = {}
    first_delinquent: dict[str, date | None] = {}
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
            "ended_on",
            (pl.col("written_off_on").is_not_null()).alias("charged_off"),
            (pl.col("ended_on").is_not_null()).alias("closed"),
            pl.Series("prev_codes", [codes.get(a) for a in accounts_in], dtype=pl.String),
        )
        metro = metro2_month(metro_in)
        last = month_bounds(month)[1]
        dofd: list[date | None] = []
        for account, rolled, status, dpd in metro.select(
            "account", "codes", "account_status", "dpd"
        ).iter_rows():
            codes[account] = rolled
            found = first_delinquent_on(status, dpd, last, first_delinquent.get(account))
            first_delinquent[account] = found
            dofd.append(found)
        metro_parts.append(
            metro.with_columns(pl.Series("first_delinquent_on", dofd, dtype=pl.Date))
        )
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
    last = month_bounds(month)[1]
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "pboc":
        hist = bureau_history(engine)
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
    with read_only(engine) as conn:
        metro = _history(conn, month).metro2
        rows = metro.filter(pl.col("month") == month) if metro.height else metro
        lines = [
            base_segment(account, FURNISHER_ID) for account in _metro2_accounts(conn, rows, last)
        ]
    path = out_dir / f"metro2-{month}.dat"
    path.write_text("".join(line + "\n" for line in lines), encoding="ascii")
    return {"file": str(path), "records": len(lines), "errors": []}


def _metro2_accounts(conn: Connection, rows: pl.DataFrame, last: date) -> list[Metro2Account]:
    """The Metro 2 values of one month's rows (``metro2`` rows of :func:`_history`), with what
    the rows do not hold read from the accounts' states and the journal (docs/semantics.md)."""
    if not rows.height:
        return []
    month = f"{last.year:04d}-{last.month:02d}"
    params = {"month": month, "last": last}
    info = {r.account_id: r for r in conn.execute(_ACCOUNT_INFO, params)}
    charged_off = {str(a): int(v) for a, v in conn.execute(_CHARGED_OFF, params)}
    highest = {str(a): max(0, int(v)) for a, v in conn.execute(_HIGHEST_PRINCIPAL, params)}
    repo = AccountRepository(conn, ACCOUNT_TYPES)
    first = last.replace(day=1)
    out = []
    for r in rows.iter_rows(named=True):
        account = r["account"]
        acc = info[account]
        state = repo.get(account)
        paid = [(on, amount) for on, amount in _payments(state) if on <= last]
        if isinstance(state, loan_model.Loan):
            terms: dict[str, Any] = {
                "original_amount": state.principal,
                "terms_months": state.term,
                "scheduled_payment": sum(
                    ob.due.non_penalty for ob in state.installments if first <= ob.due_date <= last
                ),
                "closed_on": r["ended_on"],
            }
        else:
            terms = {
                "credit_limit": _assigned_limit(state, last),
                "original_amount": highest.get(account, 0),
                "scheduled_payment": _minimum_due_in(state, first, last),
                "closed_on": r["ended_on"] or _closed_on(state, last),
            }
        if r["account_status"] in _NO_SCHEDULED_PAYMENT:
            terms["scheduled_payment"] = 0
        out.append(
            Metro2Account(
                account=account,
                portfolio=acc.kind,
                opened_on=acc.opened_on,
                as_of=last,
                account_status=r["account_status"],
                profile=r["profile"],
                payment_rating=r["payment_rating"],
                actual_payment=sum(amount for on, amount in paid if on >= first),
                balance=int(r["balance"]),
                past_due=int(r["overdue_amount"]),
                charge_off_amount=charged_off.get(account, 0) if r["charged_off"] else 0,
                first_delinquent_on=r["first_delinquent_on"],
                last_paid_on=max((on for on, _ in paid), default=None),
                **terms,
            )
        )
    return out


def _payments(state: Any) -> list[tuple[date, int]]:
    """(date, fen) of every payment received on the account and not reversed."""
    if isinstance(state, loan_model.Loan):
        return [(op.on, op.amount) for op, undone in loan_model.payments(state) if not undone]
    return [(p.on, p.amount) for p in state.payments if p.payment_id not in state.reversed_payments]


def _assigned_limit(line: line_model.Line, last: date) -> int:
    """The limit last assigned to the line (opening or a limit change) on or before ``last``.

    Closing a line sets its limit to 0 (SPEC §5) without assigning one: a closed line keeps
    reporting the limit it had.
    """
    limit = 0
    for op in line.history:
        if op.op in ("open", "limit") and op.on <= last:
            limit = op.amount
    return limit


def _closed_on(line: line_model.Line, last: date) -> date | None:
    """The date the line was closed (permanently) on or before ``last``, if it was."""
    for op in line.history:
        if op.op == "status" and op.component == "closed" and op.on <= last:
            return op.on
    return None


def _minimum_due_in(line: line_model.Line, first: date, last: date) -> int:
    """The minimum shown on the latest statement falling due in [first, last] (0 if none).

    A statement's minimum already includes what is still owed of earlier minimums, so the
    latest one alone is the amount asked.
    """
    minimum = 0
    for ob, bill in zip(line.statements, line.bills, strict=True):
        if first <= ob.due_date <= last:
            minimum = bill.minimum
    return minimum
