"""Partial indexes of the obligation rows with something unpaid.

Revision ID: 0007_open_obligations
Revises: 0006_account_documents
Create Date: 2026-11-29

Every business day the end of day asks, for each account of the book, whether an unpaid
obligation falls due within the reminder horizon. Through the primary key that read every
obligation the account ever had (a line gains one a month, a loan keeps its paid
installments), ~1 µs a row, and its obligation load read all of them for every active
account. The open rows are a small share; indexed on their own by account and due date (and
by account and original due date, which outage relief can leave earlier), both read a range
of those only.
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
    """Create ix_obligations_open and ix_obligations_open_original."""
    for name, column in (("open", "due_date"), ("open_original", "original_due_date")):
        op.create_index(
            f"ix_obligations_{name}",
            "obligations",
            ["account_id", column],
            sqlite_where=text(OPEN),
            postgresql_where=text(OPEN),
        )


def downgrade() -> None:
    """Drop both indexes."""
    for name in ("open", "open_original"):
        op.drop_index(f"ix_obligations_{name}", table_name="obligations")
