"""Storage: SQLAlchemy engine, generic tables, Alembic migrations, unit of work, ledger checks.

The imperative shell around the pure ledger: services open a :class:`UnitOfWork` per command.
"""

from __future__ import annotations
