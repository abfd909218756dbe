"""The generic tables (SQLAlchemy Core): journal, stored balances, idempotency, audit, outbox.

These definitions are what the code queries; the schema itself is created by the Alembic
migrations in :mod:`creditguard.store.migrations` (revision ``0001_core``), and a test checks the
two agree. Servicing tables live in the servicing layer's own migration (``0002_servicing``).

Money columns are BIGINT fen. ``journal_entries.entry_id`` is the creation sequence: assigned by
the writer (PostgreSQL sequence ``journal_entries_entry_id_seq``; on SQLite, where writers are
serialised, the next number), because postings are inserted before their header.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "ENTRY_ID_SEQUENCE",
    "audit_log",
    "gl_balances",
    "idempotency_keys",
    "journal_entries",
    "metadata",
    "outbox_events",
    "postings",
    "system_state",
]

ENTRY_ID_SEQUENCE = "journal_entries_entry_id_seq"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Auto-numbered keys: INTEGER PRIMARY KEY is SQLite's rowid; BIGINT elsewhere.
_SeqInt = BigInteger().with_variant(Integer(), "sqlite")
_Json = JSON().with_variant(JSONB(), "postgresql")

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("entry_id", BigInteger, primary_key=True, autoincrement=False),
    Column("key", Text, nullable=False, unique=True),
    Column("business_date", Date, nullable=False),
    Column("kind", Text, nullable=False),
    Column("account_ref", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("memo", Text, nullable=False),
    # An entry is reversed at most once; the reversed entry must exist.
    Column("reverses", Text, ForeignKey("journal_entries.key"), unique=True),
    Index("ix_journal_entries_account_date", "account_ref", "business_date"),
    Index("ix_journal_entries_business_date", "business_date"),
)

postings = Table(
    "postings",
    metadata,
    Column(
        "entry_id",
        BigInteger,
        # Deferred: postings are inserted before their header, and a posting whose header
        # never arrives fails at COMMIT.
        ForeignKey("journal_entries.entry_id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
    Column("line_no", Integer, nullable=False),
    Column("gl", Text, nullable=False),
    Column("account_ref", Text, nullable=False),
    Column("debit", BigInteger, nullable=False),
    Column("credit", BigInteger, nullable=False),
    PrimaryKeyConstraint("entry_id", "line_no"),
    CheckConstraint("(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)", name="one_side"),
    Index("ix_postings_account_gl", "account_ref", "gl"),
)

gl_balances = Table(
    "gl_balances",
    metadata,
    Column("gl", Text, nullable=False),
    Column("account_ref", Text, nullable=False),
    Column("balance", BigInteger, nullable=False),
    PrimaryKeyConstraint("gl", "account_ref"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", Text, primary_key=True),
    Column("command", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("result", _Json, nullable=True),
    Column("business_date", Date, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", _SeqInt, primary_key=True, autoincrement=True),
    Column("business_date", Date, nullable=True),
    Column("actor", Text, nullable=False),
    Column("command", Text, nullable=False),
    Column("account_ref", Text, nullable=True),
    Column("details", _Json, nullable=True),
    Index("ix_audit_log_account_ref", "account_ref"),
)

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("seq", _SeqInt, primary_key=True, autoincrement=True),
    Column("business_date", Date, nullable=False),
    Column("account_ref", Text, nullable=True),
    Column("type", Text, nullable=False),
    Column("payload", _Json, nullable=True),
    Column("dispatched", Boolean, nullable=False, server_default=false()),
    Index("ix_outbox_events_dispatched", "dispatched", "seq"),
    Index("ix_outbox_events_account_date", "account_ref", "business_date"),
)

system_state = Table(
    "system_state",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
