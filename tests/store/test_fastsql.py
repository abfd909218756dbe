"""Fast statements return what SQLAlchemy's own execution returns, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, bindparam, select, update

from creditguard.store.fastsql import Fast
from creditguard.store.tables import audit_log, idempotency_keys, system_state

_INSERT_KEY = Fast(
    idempotency_keys.insert().values({c.name: bindparam(c.name) for c in idempotency_keys.c})
)
_SELECT_KEY = select(idempotency_keys).where(idempotency_keys.c.key == bindparam("k"))
_INSERT_AUDIT = Fast(
    audit_log.insert()
    .values({c.name: bindparam(c.name) for c in audit_log.c if c.name != "seq"})
    .returning(audit_log.c.seq)
)


def test_rows_match_sqlalchemy_types_and_values(engine: Engine) -> None:
    """Dates, JSON (nested, null, absent) and text come back as SQLAlchemy returns them."""
    rows = [
        {"key": "a", "command": "c", "request_hash": "h", "result": {"x": [1, "二"]},
         "business_date": date(2026, 2, 28)},
        {"key": "b", "command": "c", "request_hash": "h", "result": None, "business_date": None},
    ]  # fmt: skip
    with engine.begin() as conn:
        _INSERT_KEY.executemany(conn, rows)
        for want in ("a", "b", "missing"):
            ours = Fast(_SELECT_KEY).first(conn, {"k": want})
            theirs = conn.execute(_SELECT_KEY, {"k": want}).first()
            if theirs is None:
                assert ours is None
                continue
            assert ours._asdict() == dict(theirs._mapping)
            assert type(ours.business_date) is type(theirs.business_date)
        assert Fast(_SELECT_KEY).first(conn, {"k": "a"}).business_date == date(2026, 2, 28)
        assert Fast(_SELECT_KEY).first(conn, {"k": "a"}).result == {"x": [1, "二"]}
        assert Fast(select(idempotency_keys.c.key).order_by(idempotency_keys.c.key)).rows(conn) == [
            ("a",),
            ("b",),
        ]


def test_returning_rowcount_and_scalar(engine: Engine) -> None:
    """INSERT … RETURNING gives the new seq; UPDATE reports the rows it changed."""
    with engine.begin() as conn:
        seqs = [
            int(
                _INSERT_AUDIT.scalar(
                    conn,
                    {
                        "business_date": date(2026, 1, 5),
                        "actor": "t",
                        "command": f"c{i}",
                        "account_ref": None,
                        "details": {"i": i},
                    },
                )
            )
            for i in range(3)
        ]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3
        # A value fixed in the statement (``value="u"``) is bound as SQLAlchemy binds it.
        rename = Fast(
            update(system_state).where(system_state.c.key == bindparam("k")).values(value="u")
        )
        conn.execute(
            system_state.insert(), [{"key": "k1", "value": "t"}, {"key": "k2", "value": "t"}]
        )
        assert rename.execute(conn, {"k": "k1"}) == 1
        assert rename.execute(conn, {"k": "nope"}) == 0
        values = select(system_state.c.value).where(system_state.c.key.in_(["k1", "k2"]))
        assert conn.execute(values.order_by(system_state.c.key)).scalars().all() == ["u", "t"]


def test_expanding_parameters_are_refused(engine: Engine) -> None:
    """An IN list expands at execution, which a statement compiled once cannot do."""
    stmt = Fast(select(audit_log).where(audit_log.c.seq.in_(bindparam("s", expanding=True))))
    with engine.begin() as conn, pytest.raises(ValueError, match="expanding"):
        stmt.rows(conn, {"s": [1, 2]})
