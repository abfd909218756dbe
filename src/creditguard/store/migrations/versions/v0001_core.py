"""Core ledger and infrastructure tables, with the database-side ledger invariants.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-28

The invariants (both databases):
- a journal entry is either absent or complete and balanced: postings are inserted first, then
  the header; a BEFORE INSERT trigger on ``journal_entries`` refuses the header unless its
  postings exist (at least 2) and debits = credits; postings cannot be added once the header
  exists; and postings reference the header through a DEFERRABLE INITIALLY DEFERRED foreign key,
  so a posting without a header fails at COMMIT;
- journal entries, postings and the audit log are append-only: UPDATE and DELETE (and TRUNCATE
  on PostgreSQL) are refused.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

_SEQ_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")

_APPEND_ONLY = ("journal_entries", "postings", "audit_log")

_SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER trg_postings_header_absent BEFORE INSERT ON postings
    WHEN EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id)
    BEGIN
        SELECT RAISE(ABORT, 'ledger: postings cannot be added to a journal entry already posted');
    END
    """,
    """
    CREATE TRIGGER trg_journal_entries_balanced BEFORE INSERT ON journal_entries
    WHEN (SELECT COUNT(*) FROM postings WHERE entry_id = NEW.entry_id) < 2
      OR (SELECT SUM(debit) FROM postings WHERE entry_id = NEW.entry_id)
         <> (SELECT SUM(credit) FROM postings WHERE entry_id = NEW.entry_id)
    BEGIN
        SELECT RAISE(ABORT,
            'ledger: unbalanced journal entry (needs at least 2 postings and debits = credits)');
    END
    """,
]
for _table in _APPEND_ONLY:
    for _op in ("UPDATE", "DELETE"):
        _SQLITE_TRIGGERS.append(
            f"""
            CREATE TRIGGER trg_{_table}_no_{_op.lower()} BEFORE {_op} ON {_table}
            BEGIN
                SELECT RAISE(ABORT, 'ledger: {_table} is append-only ({_op} refused)');
            END
            """
        )

_PG_FUNCTIONS = [
    # The advisory lock (class 1, the entry id) serialises the two checks below for one entry
    # across concurrent transactions, so a header and a late posting can never both pass.
    """
    CREATE FUNCTION cg_postings_header_absent() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(1, (NEW.entry_id % 2147483647)::int);
        IF EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id) THEN
            RAISE EXCEPTION 'ledger: postings cannot be added to journal entry % already posted',
                NEW.entry_id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE FUNCTION cg_journal_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        n bigint;
        d numeric;
        c numeric;
    BEGIN
        PERFORM pg_advisory_xact_lock(1, (NEW.entry_id % 2147483647)::int);
        SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO n, d, c
          FROM postings WHERE entry_id = NEW.entry_id;
        IF n < 2 OR d <> c THEN
            RAISE EXCEPTION
                'ledger: unbalanced journal entry % (%): % postings, debits %, credits %',
                NEW.entry_id, NEW.key, n, d, c USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE FUNCTION cg_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'ledger: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$
    """,
]

_PG_TRIGGERS = [
    "CREATE TRIGGER trg_postings_header_absent BEFORE INSERT ON postings"
    " FOR EACH ROW EXECUTE FUNCTION cg_postings_header_absent()",
    "CREATE TRIGGER trg_journal_entries_balanced BEFORE INSERT ON journal_entries"
    " FOR EACH ROW EXECUTE FUNCTION cg_journal_entries_balanced()",
]
for _table in _APPEND_ONLY:
    _PG_TRIGGERS.append(
        f"CREATE TRIGGER trg_{_table}_append_only BEFORE UPDATE OR DELETE ON {_table}"
        " FOR EACH ROW EXECUTE FUNCTION cg_append_only()"
    )
    _PG_TRIGGERS.append(
        f"CREATE TRIGGER trg_{_table}_no_truncate BEFORE TRUNCATE ON {_table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION cg_append_only()"
    )


def upgrade() -> None:
    """Create the generic tables and the ledger triggers."""
    op.create_table(
        "journal_entries",
        sa.Column("entry_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("account_ref", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("reverses", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name="pk_journal_entries"),
        sa.UniqueConstraint("key", name="uq_journal_entries_key"),
        sa.UniqueConstraint("reverses", name="uq_journal_entries_reverses"),
        sa.ForeignKeyConstraint(
            ["reverses"],
            ["journal_entries.key"],
            name="fk_journal_entries_reverses_journal_entries",
        ),
    )
    op.create_index(
        "ix_journal_entries_account_date", "journal_entries", ["account_ref", "business_date"]
    )
    op.create_index("ix_journal_entries_business_date", "journal_entries", ["business_date"])

    op.create_table(
        "postings",
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("gl", sa.Text(), nullable=False),
        sa.Column("account_ref", sa.Text(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "line_no", name="pk_postings"),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.entry_id"],
            name="fk_postings_entry_id_journal_entries",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.CheckConstraint(
            "(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)",
            name="ck_postings_one_side",
        ),
    )
    op.create_index("ix_postings_account_gl", "postings", ["account_ref", "gl"])

    op.create_table(
        "gl_balances",
        sa.Column("gl", sa.Text(), nullable=False),
        sa.Column("account_ref", sa.Text(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("gl", "account_ref", name="pk_gl_balances"),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("result", _JSON, nullable=True),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )

    op.create_table(
        "audit_log",
        sa.Column("seq", _SEQ_INT, autoincrement=True, nullable=False),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("account_ref", sa.Text(), nullable=True),
        sa.Column("details", _JSON, nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_account_ref", "audit_log", ["account_ref"])

    op.create_table(
        "outbox_events",
        sa.Column("seq", _SEQ_INT, autoincrement=True, nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("account_ref", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("payload", _JSON, nullable=True),
        sa.Column("dispatched", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox_events"),
    )
    op.create_index("ix_outbox_events_dispatched", "outbox_events", ["dispatched", "seq"])

    op.create_table(
        "system_state",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_system_state"),
    )

    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE journal_entries_entry_id_seq AS bigint START 1")
        for statement in _PG_FUNCTIONS + _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    """Drop everything this revision created."""
    if op.get_context().dialect.name == "postgresql":
        for table in ("system_state", "outbox_events", "audit_log", "idempotency_keys"):
            op.drop_table(table)
        op.drop_table("gl_balances")
        op.execute("DROP TABLE postings, journal_entries CASCADE")
        op.execute("DROP SEQUENCE journal_entries_entry_id_seq")
        for fn in ("cg_postings_header_absent", "cg_journal_entries_balanced", "cg_append_only"):
            op.execute(f"DROP FUNCTION {fn}()")
    else:
        # Dropping a table drops its triggers; SQLite fires no DELETE triggers on DROP TABLE.
        for table in (
            "system_state",
            "outbox_events",
            "audit_log",
            "idempotency_keys",
            "gl_balances",
            "postings",
            "journal_entries",
        ):
            op.execute(f"DROP TABLE {table}")
