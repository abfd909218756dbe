"""Overdue engine tables (SQLAlchemy Core), created by migration ``0003_overdue``.

``account_status`` holds each account's overdue picture after its last end of day (DPD, bucket,
class, stage, flags); ``penalty_state`` the exact penalty accrual runs per obligation, kept
apart from the obligations so a servicing save never touches them; ``penalty_pending`` the
penalties charged in bulk (already on the obligation rows and in the ledger) that the account's
state document folds into its command log at its next load; ``eod_runs`` and
``eod_chunks`` gate each business date and each committed chunk, so a rerun after a crash does
exactly what is left; ``bureau_months`` the month-end facts the credit-bureau files are made of.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

from creditguard.overdue.penalty import STATE_COLUMNS
from creditguard.store.tables import metadata

__all__ = [
    "PENALTY_COLUMNS",
    "account_status",
    "bureau_months",
    "eod_chunks",
    "eod_runs",
    "penalty_pending",
    "penalty_state",
]

_Json = JSON().with_variant(JSONB(), "postgresql")
# The penalty kernel's accrual state plus what else was charged for overdue days (the ceiling).
PENALTY_COLUMNS = (*STATE_COLUMNS, "other_overdue_charged")

account_status = Table(
    "account_status",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), primary_key=True),
    Column("dpd", Integer, nullable=False),
    Column("in_grace", Boolean, nullable=False),
    Column("delinquent", Boolean, nullable=False),
    Column("bucket", Text, nullable=False),
    Column("classification", Text, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("non_accrual", Boolean, nullable=False),
    Column("written_off_on", Date, nullable=True),
    Column("notice_sent_on", Date, nullable=True),
    Column("observation_end", Date, nullable=True),
    Column("restructured_class", Text, nullable=True),
    Column("early_warning", Boolean, nullable=False),
    Column("updated_on", Date, nullable=False),
)

penalty_state = Table(
    "penalty_state",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), nullable=False),
    Column("ref", Text, nullable=False),
    *[Column(c, BigInteger, nullable=False) for c in PENALTY_COLUMNS],
    PrimaryKeyConstraint("account_id", "ref"),
)

penalty_pending = Table(
    "penalty_pending",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("position", Integer, nullable=False),
    Column("ref", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "business_date", "position"),
)

eod_runs = Table(
    "eod_runs",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("status", Text, nullable=False),
    Column("summary", _Json, nullable=True),
)

eod_chunks = Table(
    "eod_chunks",
    metadata,
    Column("business_date", Date, nullable=False),
    Column("step", Text, nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("summary", _Json, nullable=True),
    PrimaryKeyConstraint("business_date", "step", "chunk"),
)

bureau_months = Table(
    "bureau_months",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), nullable=False),
    Column("month", Text, nullable=False),
    Column("dpd", Integer, nullable=False),
    Column("delinquent_at_end", Boolean, nullable=False),
    Column("delinquent_in_month", Boolean, nullable=False),
    Column("activity", Boolean, nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("overdue_amount", BigInteger, nullable=False),
    Column("classification", Text, nullable=False),
    Column("written_off_on", Date, nullable=True),
    Column("ended_on", Date, nullable=True),
    Column("ended_how", Text, nullable=True),
    Column("special", _Json, nullable=True),
    Column("notice_sent_on", Date, nullable=True),
    PrimaryKeyConstraint("account_id", "month"),
)
