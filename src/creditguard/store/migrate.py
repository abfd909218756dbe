"""Alembic migrations, configured in code (no ``alembic.ini``) so they run from the package.

``upgrade(engine)`` brings any database, including an empty one, to the newest revision in one
transaction. Revisions live in ``creditguard/store/migrations/versions/`` as ``v<rev_id>.py``;
``docs/ledger.md`` explains how to add one. Command line::

    python -m creditguard.store.migrate upgrade [--db URL]
    python -m creditguard.store.migrate current [--db URL]
    python -m creditguard.store.migrate revision 0002_servicing "servicing tables"
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
from collections.abc import Sequence

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from creditguard.store.db import connect, is_postgres

__all__ = [
    "alembic_config",
    "current",
    "heads",
    "main",
    "new_revision",
    "upgrade",
    "upgrade_sql",
]

SCRIPT_LOCATION = "creditguard.store:migrations"
# Any constant distinguishes the migration lock from the other advisory locks (see uow).
_MIGRATION_LOCK = 4
# Alembic's ``op`` and ``context`` are process-global proxies: two upgrades running in two
# threads at once would send one's DDL to the other's connection.
_ALEMBIC_THREAD_LOCK = threading.Lock()


def alembic_config(
    connection: Connection | None = None, output_buffer: io.StringIO | None = None
) -> Config:
    """An Alembic ``Config`` for our migrations, bound to ``connection`` if given."""
    cfg = Config(output_buffer=output_buffer)
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    # New revision files are named v<rev_id>.py (a module name may not start with a digit).
    cfg.set_main_option("file_template", "v%%(rev)s")
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision`` (default: the newest), atomically."""
    with _ALEMBIC_THREAD_LOCK, engine.begin() as conn:
        if is_postgres(conn):
            # Two processes upgrading one database at once would race on CREATE TABLE.
            conn.execute(text("SELECT pg_advisory_xact_lock(:a, 0)"), {"a": _MIGRATION_LOCK})
        command.upgrade(alembic_config(conn), revision)


def upgrade_sql(dialect_name: str, revision: str = "head") -> str:
    """The upgrade from an empty database as a SQL script (Alembic offline mode).

    For reviewing DDL, or for creating many identical databases fast (the test suite). Table
    names are unqualified: they land in the session's ``search_path``.
    """
    buffer = io.StringIO()
    cfg = alembic_config(output_buffer=buffer)
    cfg.attributes["dialect_name"] = dialect_name
    with _ALEMBIC_THREAD_LOCK:
        command.upgrade(cfg, revision, sql=True)
    return buffer.getvalue()


def current(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def heads() -> list[str]:
    """The newest revision(s) of the migration scripts."""
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def new_revision(rev_id: str, message: str) -> str:
    """Write a new, empty revision file after the current head; return its path.

    Run it from a source checkout (the versions directory must be writable).
    """
    script = command.revision(alembic_config(), message=message, rev_id=rev_id)
    if script is None or isinstance(script, list):  # pragma: no cover - single head expected
        raise RuntimeError("expected exactly one new revision")
    return str(script.path)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``upgrade``, ``current`` or ``revision``."""
    parser = argparse.ArgumentParser(prog="python -m creditguard.store.migrate")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("upgrade", "current"):
        p = sub.add_parser(name)
        p.add_argument("--db", default=None, help="database URL (default: $CREDITGUARD_DB)")
    rev = sub.add_parser("revision")
    rev.add_argument("rev_id")
    rev.add_argument("message")
    args = parser.parse_args(argv)
    if args.cmd == "revision":
        print(new_revision(args.rev_id, args.message))
        return 0
    engine = connect(args.db)
    try:
        if args.cmd == "upgrade":
            upgrade(engine)
        print(current(engine) or "(empty)")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
