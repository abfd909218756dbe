"""The portfolio analytics' input frames, read from the store (one query per source).

The analytics themselves (:mod:`creditguard.reporting.analytics`) are pure functions of these
frames; this module is the store side of that boundary.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from creditguard.ledger.chart import GL
from creditguard.reporting.analytics import StoreFrames
from creditguard.store.overdue_tables import bureau_months
from creditguard.store.servicing_tables import accounts, obligations
from creditguard.store.tables import journal_entries, postings

__all__ = ["load_frames"]


def load_frames(engine: Engine) -> StoreFrames:
    """Read month facts, accounts, journal money movements and scheduled cash from the store."""
    with engine.connect() as conn:
        months = conn.execute(
            select(
                bureau_months.c.account_id,
                bureau_months.c.month,
                bureau_months.c.dpd,
                bureau_months.c.delinquent_at_end,
                bureau_months.c.balance,
                bureau_months.c.overdue_amount,
                bureau_months.c.classification,
                bureau_months.c.written_off_on,
                bureau_months.c.ended_on,
            )
        ).all()
        accs = conn.execute(
            select(accounts.c.account_id, accounts.c.kind, accounts.c.product, accounts.c.opened_on)
        ).all()
        gls = [GL.CASH.value, GL.WRITE_OFF_LOSS.value, GL.RECOVERIES.value]
        money = conn.execute(
            select(
                journal_entries.c.business_date,
                postings.c.gl,
                postings.c.debit,
                postings.c.credit,
            )
            .select_from(postings.join(journal_entries))
            .where(postings.c.gl.in_(gls))
        ).all()
        sched = conn.execute(
            select(
                obligations.c.due_date,
                obligations.c.due_principal,
                obligations.c.due_interest,
                obligations.c.due_fee,
            )
        ).all()
    return StoreFrames(
        months=pl.DataFrame(
            [tuple(r) for r in months],
            schema={
                "account": pl.String,
                "month": pl.String,
                "dpd": pl.Int64,
                "delinquent": pl.Boolean,
                "balance": pl.Int64,
                "overdue_amount": pl.Int64,
                "classification": pl.String,
                "written_off_on": pl.Date,
                "ended_on": pl.Date,
            },
            orient="row",
        ),
        accounts=pl.DataFrame(
            [tuple(r) for r in accs],
            schema={
                "account": pl.String,
                "kind": pl.String,
                "product": pl.String,
                "opened_on": pl.Date,
            },
            orient="row",
        ),
        money=pl.DataFrame(
            [tuple(r) for r in money],
            schema={"date": pl.Date, "gl": pl.String, "debit": pl.Int64, "credit": pl.Int64},
            orient="row",
        ),
        scheduled=pl.DataFrame(
            [tuple(r) for r in sched],
            schema={
                "due_date": pl.Date,
                "principal": pl.Int64,
                "interest": pl.Int64,
                "fee": pl.Int64,
            },
            orient="row",
        ),
    )
