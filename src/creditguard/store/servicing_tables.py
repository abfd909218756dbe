"""Servicing tables (SQLAlchemy Core), created by migration ``0002_servicing``.

An account's **obligations** (installments, statements) are rows of ``obligations`` — the hot,
columnar part that the end of day reads and writes for whole portfolios. Everything else about
an account (purchases, plans, payment log, accrual runs) is its ``state`` document, encoded
exactly by :mod:`creditguard.store.codec`. ``version`` rises with every save, so two writers can
never both save from the same read (optimistic check on top of the row lock).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    literal,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from creditguard.store.tables import metadata

__all__ = [
    "COMPONENTS",
    "account_documents",
    "accounts",
    "borrowers",
    "obligations",
    "products",
    "settled",
    "unpaid",
]

COMPONENTS = ("principal", "interest", "fee", "penalty")

_Json = JSON().with_variant(JSONB(), "postgresql")

borrowers = Table(
    "borrowers",
    metadata,
    Column("borrower_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("national_id_enc", Text, nullable=True),
    Column("national_id_fp", Text, nullable=True, unique=True),
    Column("national_id_masked", Text, nullable=True),
    Column("phone_enc", Text, nullable=True),
    Column("phone_masked", Text, nullable=True),
    Column("created_on", Date, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("name", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("definition", _Json, nullable=False),
    Column("source", Text, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("borrower_id", Text, ForeignKey("borrowers.borrower_id"), nullable=False),
    Column("product", Text, ForeignKey("products.name"), nullable=False),
    Column("status", Text, nullable=False),
    Column("line_ref", Text, nullable=True),
    Column("opened_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("principal_balance", BigInteger, nullable=False, server_default="0"),
    # Penalties the end of day charged in bulk and the state document has not folded in yet
    # (see account_repo): a load reads ``penalty_pending`` only when this is non-zero.
    Column("pending_penalties", Integer, nullable=False, server_default="0"),
    Index("ix_accounts_borrower", "borrower_id"),
)

# Each account's state document (without its obligations, which are rows), in a table of its
# own: a document is ~20 KB on a line a year on book, and kept inline it made every query over
# ``accounts`` (the end of day's selections, status and penalty updates) read and rewrite pages
# of documents. Loads and saves of one account read and write both rows.
account_documents = Table(
    "account_documents",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), primary_key=True),
    Column("state", _Json, nullable=False),
)

obligations = Table(
    "obligations",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), nullable=False),
    Column("field", Text, nullable=False),
    Column("ref", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("original_due_date", Date, nullable=False),
    Column("due_principal", BigInteger, nullable=False),
    Column("due_interest", BigInteger, nullable=False),
    Column("due_fee", BigInteger, nullable=False),
    Column("due_penalty", BigInteger, nullable=False),
    Column("paid_principal", BigInteger, nullable=False),
    Column("paid_interest", BigInteger, nullable=False),
    Column("paid_fee", BigInteger, nullable=False),
    Column("paid_penalty", BigInteger, nullable=False),
    Column("waived_principal", BigInteger, nullable=False),
    Column("waived_interest", BigInteger, nullable=False),
    Column("waived_fee", BigInteger, nullable=False),
    Column("waived_penalty", BigInteger, nullable=False),
    Column("minimum", BigInteger, nullable=False),
    # A line statement's earliest minimum step not yet covered (SPEC §5) and what it still
    # needs, as of the last save: the end of day judges past due by it without loading the
    # state. NULL / 0 when every step is covered, and for loans; -1 = not computed yet (a row
    # from before migration 0005), which sends the end of day to the state instead.
    Column("step_due_date", Date, nullable=True),
    Column("step_left", BigInteger, nullable=False, server_default="-1"),
    PrimaryKeyConstraint("account_id", "field", "ref"),
    Index("ix_obligations_due_date", "due_date"),
    Index("ix_obligations_original_due_date", "original_due_date"),
)


def unpaid(*components: str) -> ColumnElement[Any]:
    """SQL for an obligation row's due − paid − waived, summed over ``components`` (all four
    when none are named): the one definition of "unpaid" every store reader uses.

    Written without bound parameters (no ``0 +`` to start the sum): a partial index is used
    only for a query term that is the same expression, constants included."""
    terms = [
        obligations.c[f"due_{c}"] - obligations.c[f"paid_{c}"] - obligations.c[f"waived_{c}"]
        for c in components or COMPONENTS
    ]
    return reduce(operator.add, terms)


OPEN_OBLIGATION = unpaid() > literal_column("0")
"""An obligation row with something unpaid, as SQL: the predicate of the partial indexes
``ix_obligations_open`` and ``ix_obligations_open_original`` (migration 0007), so a query that
states it reads only open rows, by account and (original) due date."""
for _name, _date in (("open", "due_date"), ("open_original", "original_due_date")):
    Index(
        f"ix_obligations_{_name}",
        obligations.c.account_id,
        obligations.c[_date],
        sqlite_where=OPEN_OBLIGATION,
        postgresql_where=OPEN_OBLIGATION,
    )


def settled() -> ColumnElement[Any]:
    """SQL for an obligation row's paid + waived over all components."""
    return sum(
        (obligations.c[f"paid_{c}"] + obligations.c[f"waived_{c}"] for c in COMPONENTS),
        start=literal(0),
    )
