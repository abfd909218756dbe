"""Account state documents move out of ``accounts`` into ``account_documents``.

Revision ID: 0006_account_documents
Revises: 0005_bulk_penalties
Create Date: 2026-11-29

A line's document grows to ~20 KB in a year. Inline, it left one account per SQLite page (the
rest in overflow pages, which a read of any column stored after it walks), so the end of day's
queries over accounts read pages of documents, and its bulk status and penalty updates rewrote
them. In a table of its own the accounts rows are small; a load or save of one account reads
or writes one more row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_account_documents"
down_revision = "0005_bulk_penalties"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Create account_documents, copy every document into it, drop accounts.state."""
    op.create_table(
        "account_documents",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), primary_key=True),
        sa.Column("state", _JSON, nullable=False),
    )
    op.execute(
        "INSERT INTO account_documents (account_id, state) SELECT account_id, state FROM accounts"
    )
    # Both databases drop a plain column in place (SQLite since 3.35).
    op.execute("ALTER TABLE accounts DROP COLUMN state")


def downgrade() -> None:
    """Put the documents back into accounts.state and drop account_documents."""
    op.add_column("accounts", sa.Column("state", _JSON, nullable=True))
    op.execute(
        "UPDATE accounts SET state = (SELECT d.state FROM account_documents d"
        " WHERE d.account_id = accounts.account_id)"
    )
    op.drop_table("account_documents")
