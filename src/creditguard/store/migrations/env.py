"""Alembic environment: runs on the connection handed over by ``creditguard.store.migrate``.

There is no ``alembic.ini``: the configuration is built in code so migrations run from an
installed package. Online, the caller owns the transaction (the whole upgrade commits or
nothing). Offline (``migrate.upgrade_sql``), the DDL is written as a SQL script for the dialect
in ``config.attributes["dialect_name"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

config = context.config

if context.is_offline_mode():
    context.configure(
        dialect_name=config.attributes["dialect_name"],
        literal_binds=True,
        target_metadata=config.attributes.get("target_metadata"),
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):  # pragma: no cover - misuse guard
        raise RuntimeError("run migrations through creditguard.store.migrate, not alembic's CLI")
    context.configure(
        connection=connection,
        target_metadata=config.attributes.get("target_metadata"),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
