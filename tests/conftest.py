"""Database fixtures for the whole suite: every database test runs on SQLite and PostgreSQL.

- ``engine``: a fresh, migrated database per test (params ``sqlite`` and ``postgres``).
- ``db_url``: the URL of that fresh, migrated database (for CLIs and other processes).
- ``empty_db_url``: a fresh database with no tables (migration tests), both backends.
- ``pg_url``: a fresh, empty PostgreSQL schema's URL (tests that need a raw PostgreSQL URL).

PostgreSQL is the server at 127.0.0.1:5432 (database ``test``, trust auth, user ``postgres``
or else ``root``; override with ``CREDITGUARD_TEST_PG_URL``). If it is unreachable the
PostgreSQL tests skip with the reason — unless ``CREDITGUARD_REQUIRE_POSTGRES=1`` (set by
``.ci/run``), where they fail.

Speed: SQLite tests copy a template file migrated once per session. PostgreSQL tests share one
database per session (per xdist worker) and each get their own schema — the URL carries
``options=-csearch_path=<schema>`` so every connection, including other processes, sees only
that schema. ``CREATE DATABASE`` costs about a second on a slow disk, so instead background
threads create the next tests' schemas (replaying the migrations as one SQL script) while the
current test runs, and drop the schemas of finished tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from creditguard.store.db import connect
from creditguard.store.migrate import upgrade, upgrade_sql

PG_HOST_PORT = "127.0.0.1:5432"
PG_USERS = ("postgres", "root")
REQUIRE_POSTGRES = os.environ.get("CREDITGUARD_REQUIRE_POSTGRES") == "1"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

PREFETCH = 2  # schemas prepared ahead of the tests

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class PgServer:
    """The PostgreSQL test server: one database per session (per xdist worker), one schema per
    test. Background threads prepare (create and migrate) the next tests' schemas while the
    current test runs, so a test rarely waits for DDL.
    """

    def __init__(self, admin: Engine) -> None:
        self.admin = admin
        self.database = f"cg_{WORKER}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {self.database}"))
        self.base_url = make_url(admin.url).set(database=self.database)
        self.engine = create_engine(self.base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._worker = ThreadPoolExecutor(max_workers=PREFETCH, thread_name_prefix="pg-schemas")
        self._ready: deque[Future[str]] = deque()
        # Dropping a schema costs as much as making one: done while later tests run.
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drops")
        # The migrations as one SQL script, replayed per schema in one round trip (about ten
        # times faster than running Alembic each time). Migrations that cannot run offline fall
        # back to a real upgrade per schema.
        try:
            self._script: str | None = upgrade_sql("postgresql")
        except Exception:  # the fallback below is always correct, only slower
            self._script = None

    def url_for(self, schema: str) -> str:
        """A URL whose connections see only ``schema`` (libpq ``options=-csearch_path=…``)."""
        return self.base_url.set(query={"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )

    def _create(self, migrate: bool) -> str:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with self.engine.connect() as conn:
            if migrate and self._script is not None:
                # The script carries its own BEGIN … COMMIT: the schema is complete or absent.
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}; SET search_path TO {schema};")
                conn.exec_driver_sql(self._script)
                return schema
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        if migrate:
            engine = connect(self.url_for(schema))
            try:
                upgrade(engine)
            finally:
                engine.dispose()
        return schema

    def migrated_schema(self) -> str:
        """A fresh migrated schema (prepared in the background when possible)."""
        schema = self._ready.popleft().result() if self._ready else self._create(migrate=True)
        while len(self._ready) < PREFETCH:
            self._ready.append(self._worker.submit(self._create, True))
        return schema

    def release(self, schema: str) -> None:
        """Drop ``schema`` in the background (the test that used it has finished)."""
        self._dropper.submit(self._drop, schema)

    def _drop(self, schema: str) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def empty_schema(self) -> str:
        """A fresh schema with no tables."""
        return self._create(migrate=False)

    def close(self) -> None:
        """Drop everything this session created."""
        self._worker.shutdown(wait=True)
        self._dropper.shutdown(wait=True)
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"))


def _pg_candidates() -> list[str]:
    override = os.environ.get("CREDITGUARD_TEST_PG_URL")
    if override:
        return [override]
    return [f"postgresql+psycopg://{user}@{PG_HOST_PORT}/test" for user in PG_USERS]


@pytest.fixture(scope="session")
def _pg_server() -> Iterator[PgServer]:
    errors: list[str] = []
    for url in _pg_candidates():
        admin = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
            connect_args={"connect_timeout": 3},
        )
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not usable"; reported below
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            errors.append(f"{make_url(url).username}: {first_line}")
            admin.dispose()
            continue
        server = PgServer(admin)
        try:
            yield server
        finally:
            server.close()
            admin.dispose()
        return
    first = make_url(_pg_candidates()[0])
    reason = f"PostgreSQL not reachable at {first.host}:{first.port or 5432}: " + "; ".join(errors)
    if REQUIRE_POSTGRES:
        pytest.fail(f"{reason} (CREDITGUARD_REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that per-test databases are copied from."""
    path = tmp_path_factory.mktemp("sqlite_template") / "template.sqlite"
    engine = connect(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        # Closing the last connection checkpoints the WAL into the main file.
        engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database (SQLite file or PostgreSQL schema)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "creditguard.sqlite"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PgServer = request.getfixturevalue("_pg_server")
    schema = server.migrated_schema()
    yield server.url_for(schema)
    server.release(schema)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A SQLAlchemy engine on a fresh, migrated database (SQLite and PostgreSQL)."""
    eng = connect(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def pg_url(_pg_server: PgServer) -> str:
    """The URL of a fresh, empty PostgreSQL schema (no tables) on the test server."""
    return _pg_server.url_for(_pg_server.empty_schema())


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database with no tables at all, on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    yield request.getfixturevalue("pg_url")
