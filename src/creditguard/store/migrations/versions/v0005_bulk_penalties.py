"""Penalties charged in bulk by the end of day, folded into the state document on next load.

Revision ID: 0005_bulk_penalties
Revises: 0004_balances
Create Date: 2026-11-28

The end of day adds a day's penalties straight to the obligation rows and the ledger for
every account whose status does not change, and records each charge in ``penalty_pending``;
the account repository replays them through the domain's ``charge_penalty`` when it next
loads the account (so the command log, which reversals re-derive from, keeps them).
A line statement's row also carries its earliest uncovered minimum step, so the end of day
need not load the line's state to judge it past due.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_bulk_penalties"
down_revision = "0004_balances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add accounts.pending_penalties, obligations' minimum step, the penalty_pending table."""
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("pending_penalties", sa.Integer, nullable=False, server_default="0")
        )
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("step_due_date", sa.Date, nullable=True))
        batch.add_column(sa.Column("step_left", sa.BigInteger, nullable=False, server_default="-1"))
    op.create_table(
        "penalty_pending",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "business_date", "position"),
    )
    # The end of day's selection of accounts with something due soon reads unpaid rows by
    # account; the journal's (account_ref, business_date) index serves "touched today".
    op.create_index("ix_obligations_original_due_date", "obligations", ["original_due_date"])
    # "Something happened on this account today" (and the bureau's special transactions) reads
    # the outbox by account and date.
    op.create_index(
        "ix_outbox_events_account_date", "outbox_events", ["account_ref", "business_date"]
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_outbox_events_account_date", "outbox_events")
    op.drop_index("ix_obligations_original_due_date", "obligations")
    op.drop_table("penalty_pending")
    with op.batch_alter_table("obligations") as batch:
        batch.drop_column("step_left")
        batch.drop_column("step_due_date")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("pending_penalties")
