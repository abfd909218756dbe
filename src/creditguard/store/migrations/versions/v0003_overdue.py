"""Overdue engine tables: account status, penalty accrual state, end-of-day runs, bureau months.

Revision ID: 0003_overdue
Revises: 0002_servicing
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_overdue"
down_revision = "0002_servicing"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
PENALTY_COLUMNS = (
    "pen_run_base",
    "pen_run_num",
    "pen_run_booked",
    "pen_pending_num",
    "pen_charged",
    "ceiling_num",
    "other_overdue_charged",
)


def upgrade() -> None:
    """Create the overdue engine's tables."""
    op.create_table(
        "account_status",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), primary_key=True),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.Column("in_grace", sa.Boolean, nullable=False),
        sa.Column("delinquent", sa.Boolean, nullable=False),
        sa.Column("bucket", sa.Text, nullable=False),
        sa.Column("classification", sa.Text, nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("non_accrual", sa.Boolean, nullable=False),
        sa.Column("written_off_on", sa.Date, nullable=True),
        sa.Column("notice_sent_on", sa.Date, nullable=True),
        sa.Column("observation_end", sa.Date, nullable=True),
        sa.Column("restructured_class", sa.Text, nullable=True),
        sa.Column("early_warning", sa.Boolean, nullable=False),
        sa.Column("updated_on", sa.Date, nullable=False),
    )
    op.create_table(
        "penalty_state",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("ref", sa.Text, nullable=False),
        *[sa.Column(c, sa.BigInteger, nullable=False) for c in PENALTY_COLUMNS],
        sa.PrimaryKeyConstraint("account_id", "ref"),
    )
    op.create_table(
        "eod_runs",
        sa.Column("business_date", sa.Date, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("summary", _JSON, nullable=True),
    )
    op.create_table(
        "eod_chunks",
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("chunk", sa.Integer, nullable=False),
        sa.Column("summary", _JSON, nullable=True),
        sa.PrimaryKeyConstraint("business_date", "step", "chunk"),
    )
    op.create_table(
        "bureau_months",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("month", sa.Text, nullable=False),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.Column("delinquent_at_end", sa.Boolean, nullable=False),
        sa.Column("delinquent_in_month", sa.Boolean, nullable=False),
        sa.Column("activity", sa.Boolean, nullable=False),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("overdue_amount", sa.BigInteger, nullable=False),
        sa.Column("classification", sa.Text, nullable=False),
        sa.Column("written_off_on", sa.Date, nullable=True),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("ended_how", sa.Text, nullable=True),
        sa.Column("special", _JSON, nullable=True),
        sa.Column("notice_sent_on", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("account_id", "month"),
    )


def downgrade() -> None:
    """Drop the overdue engine's tables."""
    for table in ("bureau_months", "eod_chunks", "eod_runs", "penalty_state", "account_status"):
        op.drop_table(table)
