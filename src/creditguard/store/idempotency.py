"""Idempotency keys: a command replayed with its key returns the original result (issue 3 §2).

A key is stored with the command name, the SHA-256 of the request's canonical JSON and the
result. The same key with the same request returns the stored result and posts nothing; the
same key with a different request (or command) is an :class:`IdempotencyConflict`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from creditguard.money import InputError
from creditguard.store.db import is_postgres
from creditguard.store.fastsql import Fast
from creditguard.store.jsonutil import canonical_json, to_plain
from creditguard.store.tables import idempotency_keys

__all__ = [
    "IdempotencyConflict",
    "StoredResult",
    "find",
    "key_row",
    "new_key",
    "request_hash",
    "store_rows",
]

# Advisory-lock class for idempotency keys (see uow for the others).
_KEY_LOCK = 2

# Built once: every command runs these two, and building a statement costs more than running it.
_LOCK_KEY = Fast(text("SELECT pg_advisory_xact_lock(:c, hashtext(:k))"))
_SELECT_KEY = Fast(select(idempotency_keys).where(idempotency_keys.c.key == bindparam("key")))
_INSERT_KEY = Fast(
    idempotency_keys.insert().values({c.name: bindparam(c.name) for c in idempotency_keys.c})
)


class IdempotencyConflict(InputError):
    """The idempotency key was already used for a different request."""

    def __init__(self, key: str, command: str, stored_command: str) -> None:
        if command != stored_command:
            rule = f"key {key!r} was already used for command {stored_command!r}, not {command!r}"
        else:
            rule = f"key {key!r} was already used for a different {command!r} request"
        super().__init__("idempotency_key", rule)
        self.key = key


@dataclass(frozen=True)
class StoredResult:
    """What a command returned the first time it ran with this key (as plain JSON values)."""

    key: str
    command: str
    request_hash: str
    result: Any
    business_date: date | None


def new_key() -> str:
    """A fresh idempotency key for a caller that gave none."""
    return str(uuid.uuid4())


def request_hash(request: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the request's canonical JSON."""
    return hashlib.sha256(canonical_json(dict(request)).encode("utf-8")).hexdigest()


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise InputError("idempotency_key", "must be a non-empty string")
    return key


def find(
    conn: Connection, key: str, command: str, request: Mapping[str, Any]
) -> StoredResult | None:
    """The stored result for ``key`` if this exact request ran before, else ``None``.

    On PostgreSQL the key is locked for the rest of the transaction first, so a concurrent
    request with the same key waits for this one and then sees its stored result.
    """
    _check_key(key)
    if is_postgres(conn):
        _LOCK_KEY.execute(conn, {"c": _KEY_LOCK, "k": key})
    row = _SELECT_KEY.first(conn, {"key": key})
    if row is None:
        return None
    digest = request_hash(request)
    if row.command != command or row.request_hash != digest:
        raise IdempotencyConflict(key, command, row.command)
    return StoredResult(row.key, row.command, row.request_hash, row.result, row.business_date)


def key_row(
    key: str,
    command: str,
    request: Mapping[str, Any],
    result: Any,
    business_date: date | None,
) -> dict[str, Any]:
    """The row recording ``result`` for ``key`` (``result`` as it will read back: plain JSON)."""
    _check_key(key)
    return {
        "key": key,
        "command": command,
        "request_hash": request_hash(request),
        "result": to_plain(result),
        "business_date": business_date,
    }


def store_rows(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows made by :func:`key_row`, in one statement."""
    _INSERT_KEY.executemany(conn, rows)
