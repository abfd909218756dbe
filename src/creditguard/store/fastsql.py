"""Hot statements run straight on the driver's cursor, with SQLAlchemy's own type handling.

Every servicing command runs a dozen small statements. Through ``Connection.execute`` each costs
~60–120 µs of SQLAlchemy bookkeeping (execution context, cache lookup, result proxy) against
~10–25 µs in the driver, a quarter of the simulator's wall time (docs/decisions.md D9).
:class:`Fast` compiles a statement once per dialect, keeps the bind and result processors
SQLAlchemy would apply (dates as ISO text on SQLite, the engine's JSON serializer, …) and runs it
on the DBAPI cursor of the caller's connection — the same transaction, the same values in and out.

Only plain statements: no expanding ``IN`` lists, no ``executemany`` with ``RETURNING``. Cursor
event listeners (the benchmarks' SQL timers) still see every statement.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

__all__ = ["Fast"]

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # Positional drivers (SQLite: qmark): the parameter names in order; named ones: None.
    order: tuple[str, ...] | None
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]
    # Values bound in the statement itself (``.values(pending_penalties=0)``).
    fixed: dict[str, Any]
    results: tuple[_Processor, ...]
    row: Any  # a namedtuple class over the typed result columns (None: plain tuples)
    # Positional drivers: one parameter set (a mapping) to the driver's tuple, generated.
    positional: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None


class Fast:
    """A statement compiled once per dialect and run on the raw DBAPI cursor.

    ``rows``/``first``/``scalar`` return namedtuples (attribute access like SQLAlchemy rows,
    ``_asdict()`` for a mapping); ``execute`` returns the row count; ``executemany`` runs a
    list of parameter sets.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: weakref.WeakKeyDictionary[Dialect, _Compiled] = (
            weakref.WeakKeyDictionary()
        )

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect)
        if found is not None:
            return found
        c: Any = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        if c.literal_execute_params or c.post_compile_params:
            raise ValueError("Fast statements cannot have expanding or literal parameters")
        order = tuple(c.positiontup) if c.positional else None
        binds = tuple((name, fn) for name, fn in c._bind_processors.items() if fn is not None)
        columns = list(c._result_columns)
        results = tuple(r.type._cached_result_processor(dialect, None) for r in columns)
        names = [r.keyname for r in columns]
        row = namedtuple("FastRow", names, rename=True) if columns else None
        fixed = {name: bp.effective_value for name, bp in c.binds.items() if not bp.required}
        positional = _positional(order, binds, fixed) if order is not None else None
        found = _Compiled(c.string, order, binds, fixed, results, row, positional)
        self._by_dialect[dialect] = found
        return found

    @staticmethod
    def _params(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        if compiled.positional is not None:
            return compiled.positional(params)
        if compiled.fixed:
            params = {**compiled.fixed, **params}
        if compiled.binds:
            params = dict(params)
            for name, fn in compiled.binds:
                if name in params:
                    params[name] = fn(params[name])
        if compiled.order is not None:
            return tuple(params[name] for name in compiled.order)
        return params

    def _run(self, conn: Connection, params: Any, many: bool) -> Any:
        compiled = self._compiled(conn.dialect)
        if many:
            bound: Any = [self._params(compiled, p) for p in params]
        else:
            bound = self._params(compiled, params)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        listening = conn._has_events or conn.engine._has_events
        if listening:
            conn.dispatch.before_cursor_execute(conn, cursor, compiled.sql, bound, None, many)
        if many:
            cursor.executemany(compiled.sql, bound)
        else:
            cursor.execute(compiled.sql, bound)
        if listening:
            conn.dispatch.after_cursor_execute(conn, cursor, compiled.sql, bound, None, many)
        return compiled, cursor

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> int:
        """Run the statement once; return the number of rows it changed."""
        _compiled, cursor = self._run(conn, params or {}, False)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def executemany(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> int:
        """Run the statement once per parameter set (nothing to do for none); return the
        driver's row count (SQLite: the rows all of them changed; psycopg: not promised)."""
        if not params:
            return 0
        cursor = self._run(conn, params, True)[1]
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every result row, processed as SQLAlchemy would."""
        compiled, cursor = self._run(conn, params or {}, False)
        raw = cursor.fetchall()
        cursor.close()
        make, procs = compiled.row._make if compiled.row else tuple, compiled.results
        if not any(procs):
            return [make(r) for r in raw]
        return [
            make([v if p is None else p(v) for p, v in zip(procs, r, strict=True)]) for r in raw
        ]

    def raw_rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every result row as the driver returns it, unprocessed: for a caller that keeps what
        it makes of a row by the row's raw value (:meth:`processed` makes the row)."""
        _compiled, cursor = self._run(conn, params or {}, False)
        raw = cursor.fetchall()
        cursor.close()
        return list(raw)

    def processed(self, conn: Connection, raw: Sequence[Any]) -> Any:
        """One row of :meth:`raw_rows`, processed as :meth:`rows` would."""
        compiled = self._compiled(conn.dialect)
        make = compiled.row._make if compiled.row else tuple
        return make([v if p is None else p(v) for p, v in zip(compiled.results, raw, strict=True)])

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first result row, or ``None``."""
        compiled, cursor = self._run(conn, params or {}, False)
        r = cursor.fetchone()
        cursor.close()
        if r is None or compiled.row is None:
            return r
        return compiled.row._make(
            [v if p is None else p(v) for p, v in zip(compiled.results, r, strict=True)]
        )

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or ``None`` if there is no row."""
        row = self.first(conn, params)
        return None if row is None else row[0]


def _positional(
    order: tuple[str, ...],
    binds: tuple[tuple[str, Callable[[Any], Any]], ...],
    fixed: dict[str, Any],
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function from one parameter set to the driver's tuple, as :meth:`Fast._params` would
    build it (a given value over the statement's own, then the bind processor), generated once
    per statement: an ``executemany`` of thousands of rows calls it per row."""
    processors = dict(binds)

    def value(name: str) -> str:
        got = f"p.get({name!r}, F[{name!r}])" if name in fixed else f"p[{name!r}]"
        return f"P[{name!r}]({got})" if name in processors else got

    source = "def positional(p):\n    return (" + "".join(f"{value(n)}, " for n in order) + ")\n"
    namespace: dict[str, Any] = {"F": fixed, "P": processors}
    exec(source, namespace)  # built from the statement's own parameter names
    fn: Callable[[Mapping[str, Any]], tuple[Any, ...]] = namespace["positional"]
    return fn
