"""Alembic migrations from an empty database; the table definitions match the migrations."""

from __future__ import annotations

import json
from datetime import date
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, Text, inspect, text
from sqlalchemy.dialects import postgresql, sqlite

import creditguard.store
from creditguard.servicing import end_of_day
from creditguard.store import tables
from creditguard.store.db import connect
from creditguard.store.migrate import alembic_config, current, heads, main, upgrade
from creditguard.store.servicing_tables import OPEN_OBLIGATION

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


def test_0006_moves_documents_out_and_back(empty_db_url: str) -> None:
    """Migration 0006 carries every stored document into ``account_documents`` unchanged and
    drops ``accounts.state``; its downgrade puts them back."""
    document = {"account": "L1", "limit": 500000, "history": [{"op": "open", "on": "2026-01-05"}]}
    engine = connect(empty_db_url)
    try:
        upgrade(engine, "0005_bulk_penalties")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO borrowers (borrower_id, name, created_on) VALUES ('B1', 'x', :d)"
                ),
                {"d": "2026-01-05"},
            )
            conn.execute(
                text(
                    "INSERT INTO products (name, kind, definition, source)"
                    " VALUES ('p', 'revolving', :d, 'test')"
                ),
                {"d": '{"statement_day": 1}'},
            )
            conn.execute(
                text(
                    "INSERT INTO accounts (account_id, kind, borrower_id, product, status,"
                    " opened_on, version, state) VALUES ('L1', 'line', 'B1', 'p', 'active',"
                    " :d, 3, :s)"
                ),
                {"d": "2026-01-05", "s": json.dumps(document)},
            )
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("accounts")}
        assert "state" not in columns and "version" in columns
        with engine.connect() as conn:
            moved = conn.execute(text("SELECT account_id, state FROM account_documents")).all()
        assert [(a, _parsed(s)) for a, s in moved] == [("L1", document)]
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0005_bulk_penalties")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT state FROM accounts")).scalar_one()
        assert _parsed(back) == document
        assert "account_documents" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _parsed(value: Any) -> Any:
    """A JSON column as read: text on SQLite, already parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


_OPEN_INDEXES = ("ix_obligations_open", "ix_obligations_open_original")


def _open_index_sql(engine: Engine) -> dict[str, str]:
    """The stored definitions of migration 0007's indexes, by name."""
    query = (
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE indexname LIKE 'ix_obligations_open%' AND schemaname = current_schema()"
        if engine.dialect.name == "postgresql"
        else "SELECT name, sql FROM sqlite_master WHERE name LIKE 'ix_obligations_open%'"
    )
    with engine.connect() as conn:
        return {str(name): str(sql) for name, sql in conn.execute(text(query))}


def test_0007_open_obligations_indexes_are_partial_and_reversible(empty_db_url: str) -> None:
    """Migration 0007 indexes only obligation rows with something unpaid, by account and each
    due date; its downgrade drops both indexes."""
    engine = connect(empty_db_url)
    try:
        upgrade(engine, "0006_account_documents")
        assert _open_index_sql(engine) == {}
        upgrade(engine)
        definitions = _open_index_sql(engine)
        assert sorted(definitions) == list(_OPEN_INDEXES)
        for name, column in zip(_OPEN_INDEXES, ("due_date", "original_due_date"), strict=True):
            sql = definitions[name]
            # A partial index: the predicate is stored with it (PostgreSQL normalises the text).
            assert "WHERE" in sql.upper() and "waived_penalty" in sql, sql
            assert column in sql.split("WHERE")[0], sql
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0006_account_documents")
        assert _open_index_sql(engine) == {}
        upgrade(engine)
        assert sorted(_open_index_sql(engine)) == list(_OPEN_INDEXES)
    finally:
        engine.dispose()


def test_0007_predicate_is_the_one_queries_state() -> None:
    """The migration's predicate text is what OPEN_OBLIGATION renders on both dialects: a
    partial index serves only a query term equal to its predicate."""
    path = Path(creditguard.store.__file__).parent / "migrations/versions/v0007_open_obligations.py"
    spec = spec_from_file_location("v0007_open_obligations", path)
    assert spec is not None and spec.loader is not None
    migration = module_from_spec(spec)
    spec.loader.exec_module(migration)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        rendered = str(OPEN_OBLIGATION.compile(dialect=dialect)).replace("obligations.", "")
        assert rendered == migration.OPEN


_ON, _SOON = date(2026, 5, 1), date(2026, 5, 4)


def _plan(engine: Engine, query: Any, explain: str, setup: str | None = None) -> str:
    """``explain`` (the database's plan command) of ``query`` with its values written in (a
    plan for bound parameters may not prove a partial index's predicate), one line per step."""
    dialect = postgresql.dialect() if engine.dialect.name == "postgresql" else sqlite.dialect()
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if setup is not None:
            conn.exec_driver_sql(setup)
        return "\n".join(str(row[-1]) for row in conn.exec_driver_sql(f"{explain} {sql}"))


def test_the_end_of_days_queries_read_open_obligations_through_the_indexes(
    tmp_path: Path,
) -> None:
    """SQLite's plans for the daily activity question and the obligation load go through both
    partial indexes (a partial index is used only when the query states its predicate exactly)."""
    engine = connect(f"sqlite:///{tmp_path / 'plan.sqlite'}")
    try:
        upgrade(engine)
        queries = (
            end_of_day._ACTIVE.params(borrowers=["B1", "B2"], on=_ON, soon=_SOON),
            end_of_day._LOAD_OBLIGATIONS.params(accounts=["L1", "C1"], on=_ON, soon=_SOON),
        )
        for query in queries:
            plan = _plan(engine, query, "EXPLAIN QUERY PLAN")
            for index in _OPEN_INDEXES:
                assert f"USING INDEX {index} (account_id=? AND " in plan, plan
    finally:
        engine.dispose()


def test_postgresql_can_answer_the_activity_question_from_the_partial_indexes(
    pg_url: str,
) -> None:
    """PostgreSQL proves a query term implies an index predicate before it uses the index; with
    sequential scans off, its plan for the activity question reads both partial indexes (so
    the predicate as rendered is one it can match)."""
    engine = connect(pg_url)
    try:
        upgrade(engine)
        query = end_of_day._ACTIVE.params(borrowers=["B1", "B2"], on=_ON, soon=_SOON)
        plan = _plan(engine, query, "EXPLAIN", setup="SET enable_seqscan = off")
        for index in _OPEN_INDEXES:
            assert f" on {index} " in plan or f" using {index} " in plan, plan
    finally:
        engine.dispose()
