"""A partial index of the obligation rows with something unpaid.

Revision ID: 0007_open_obligations
Revises: 0006_account_documents
Create Date: 2026-11-29

Every business day the end of day asks, for each account of the book, whether an unpaid
obligation falls due within the reminder horizon. Through the primary key that read every
obligation the account ever had (a line gains one a month, a loan keeps its paid
installments), ~1 µs a row. The open rows are a small share of them; indexed on their own,
the question reads only those.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0007_open_obligations"
down_revision = "0006_account_documents"
branch_labels = None
depends_on = None

# The predicate exactly as servicing_tables.OPEN_OBLIGATION renders it (both databases use a
# partial index only for a query term equal to it); a test compares the two.
OPEN = (
    "((due_principal - paid_principal) - waived_principal)"
    " + ((due_interest - paid_interest) - waived_interest)"
    " + ((due_fee - paid_fee) - waived_fee)"
    " + ((due_penalty - paid_penalty) - waived_penalty) > 0"
)


def upgrade() -> None:
    """Create ix_obligations_open."""
    op.create_index(
        "ix_obligations_open",
        "obligations",
        ["account_id"],
        sqlite_where=text(OPEN),
        postgresql_where=text(OPEN),
    )


def downgrade() -> None:
    """Drop ix_obligations_open."""
    op.drop_index("ix_obligations_open", table_name="obligations")
