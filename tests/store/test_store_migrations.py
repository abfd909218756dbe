"""Alembic migrations from an empty database; the table definitions match the migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, Text, inspect

from creditguard.store import tables
from creditguard.store.db import connect
from creditguard.store.migrate import current, heads, main, upgrade

CORE_TABLES = {
    "journal_entries",
    "postings",
    "gl_balances",
    "idempotency_keys",
    "audit_log",
    "outbox_events",
    "system_state",
}


def test_upgrade_from_empty_database(empty_db_url: str) -> None:
    engine = connect(empty_db_url)
    try:
        assert current(engine) is None
        upgrade(engine)
        assert current(engine) == heads()[0]
        names = set(inspect(engine).get_table_names())
        assert names >= CORE_TABLES
        upgrade(engine)  # already at head: nothing to do, no error
        assert current(engine) == heads()[0]
    finally:
        engine.dispose()


def test_first_revision_is_0001_core(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from creditguard.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_revision("0001_core").down_revision is None
    assert current(engine) in heads()


def _diffs(engine: Engine, metadata: MetaData) -> list[Any]:
    def only_core(name: str | None, type_: str, parents: dict[str, Any]) -> bool:
        # Tables of later revisions (servicing, …) are not ours to compare, nor their indexes
        # and constraints (their modules join the same MetaData when another test imports them).
        if type_ == "table":
            return name in CORE_TABLES
        if type_ == "schema":
            return True
        return parents.get("table_name") in CORE_TABLES

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": only_core})
        return list(compare_metadata(context, metadata))


def test_table_definitions_match_the_migrated_schema(engine: Engine) -> None:
    # The Core tables the code queries must be exactly what the migrations create (columns,
    # types, nullability, indexes, constraints).
    # Only the core tables: later modules add theirs to the same MetaData when imported.
    core = MetaData()
    for table in tables.metadata.sorted_tables:
        if table.name in CORE_TABLES:
            table.to_metadata(core)
    assert set(core.tables) == CORE_TABLES
    assert _diffs(engine, core) == []
    # The comparison is not vacuous: a copy with one column changed is caught.
    altered = MetaData()
    for table in tables.metadata.sorted_tables:
        if table.name in CORE_TABLES:
            table.to_metadata(altered)
    altered.tables["postings"].append_column(Column("extra", Text()))
    altered.tables["gl_balances"].c.balance.nullable = True
    kinds = sorted((d[0][0] if isinstance(d, list) else d[0]) for d in _diffs(engine, altered))
    assert kinds == ["add_column", "modify_nullable"]


def test_command_line_upgrade(tmp_path: Path, capsys: object) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["upgrade", "--db", url]) == 0
    engine = connect(url)
    try:
        assert current(engine) == heads()[0]
    finally:
        engine.dispose()
