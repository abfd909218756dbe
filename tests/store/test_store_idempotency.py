"""Idempotency keys: same key and request → the original result, nothing new; else a conflict."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from creditguard.ledger import GL, JournalEntry, Posting
from creditguard.store.idempotency import IdempotencyConflict, new_key, request_hash
from creditguard.store.uow import UnitOfWork, transact

D = date(2026, 2, 1)


def _purchase(engine: Engine, key: str, request: dict[str, Any]) -> Any:
    """A toy command in the shape services use: check the key, do the work, remember."""

    def command(uow: UnitOfWork) -> Any:
        if (hit := uow.idempotent(key, "purchase", request)) is not None:
            return hit.result
        n = len(uow.entries(request["account"]))
        amount = request["amount"]
        uow.post(
            JournalEntry(
                f"{request['account']}|purchase|{key}",
                D,
                "purchase",
                request["account"],
                (
                    Posting.dr(GL.PRINCIPAL_CURRENT, request["account"], amount),
                    Posting.cr(GL.CASH, request["account"], amount),
                ),
                "cli",
            )
        )
        uow.audit(
            "purchase",
            actor="cli",
            account_ref=request["account"],
            details=request,
            business_date=D,
        )
        return uow.remember(key, "purchase", request, {"purchase_no": n + 1, "on": D})

    return transact(engine, command)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_same_key_same_request_returns_the_original_result(engine: Engine) -> None:
    request = {"account": "A", "amount": 12_345}
    first = _purchase(engine, "k-1", request)
    # The result reads back as plain JSON: the date became its ISO string.
    assert first == {"purchase_no": 1, "on": "2026-02-01"}
    # Key order of the request does not matter (canonical JSON).
    again = _purchase(engine, "k-1", {"amount": 12_345, "account": "A"})
    assert again == first
    assert _count(engine, "journal_entries") == 1
    assert _count(engine, "audit_log") == 1
    with UnitOfWork(engine) as uow:
        assert uow.balance(GL.PRINCIPAL_CURRENT, "A") == 12_345
        hit = uow.idempotent("k-1", "purchase", request)
        assert hit is not None
        assert (hit.key, hit.command, hit.result) == ("k-1", "purchase", first)
        assert hit.request_hash == request_hash(request)


def test_same_key_different_request_is_a_conflict(engine: Engine) -> None:
    _purchase(engine, "k-2", {"account": "A", "amount": 100})
    with pytest.raises(IdempotencyConflict, match="'k-2' was already used for a different") as info:
        _purchase(engine, "k-2", {"account": "A", "amount": 101})
    assert info.value.field == "idempotency_key"
    assert info.value.key == "k-2"
    with (
        pytest.raises(IdempotencyConflict, match="already used for command 'purchase'"),
        UnitOfWork(engine) as uow,
    ):
        uow.idempotent("k-2", "repay", {"account": "A", "amount": 100})
    assert _count(engine, "journal_entries") == 1


def test_different_keys_are_different_commands(engine: Engine) -> None:
    request = {"account": "A", "amount": 100}
    assert _purchase(engine, "k-a", request)["purchase_no"] == 1
    assert _purchase(engine, "k-b", request)["purchase_no"] == 2
    assert _count(engine, "journal_entries") == 2


def test_request_hash_is_sha256_of_canonical_json() -> None:
    import hashlib

    # Canonical JSON of {"b": 1, "a": "x", "d": date} is sorted and compact, by hand:
    expected = hashlib.sha256(b'{"a":"x","b":1,"d":"2026-02-01"}').hexdigest()
    assert request_hash({"b": 1, "a": "x", "d": D}) == expected
    assert request_hash({"a": "x", "b": 1, "d": "2026-02-01"}) == expected
    assert request_hash({"a": "x", "b": 2, "d": D}) != expected


def test_new_key_is_a_fresh_uuid4() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(uuid.UUID(k).version == 4 for k in keys)


def test_empty_key_refused(engine: Engine) -> None:
    from creditguard.money import InputError

    with pytest.raises(InputError, match="idempotency_key"), UnitOfWork(engine) as uow:
        uow.idempotent("", "purchase", {})
