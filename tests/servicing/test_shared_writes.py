"""Queued writes (store.pending_writes) and the SQLite batch's shared writes.

What the batch-equivalence tests (test_batch_commands, test_batch_simulation) cannot show by
comparing end results: that a shared run really skips the per-command savepoint and writes in
bulk, that a command failing after it staged a save leaves no trace in a shared run, that a
replay of a key still queued is answered from the queue, and that the version guard still
holds when the write is deferred to the flush.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, event, text
from test_batch_commands import dump  # sibling module (rootdir import)

from creditguard.ledger.chart import GL
from creditguard.ledger.journal import JournalEntry, Posting, UnbalancedEntry
from creditguard.servicing.service import ACCOUNT_TYPES, Servicing
from creditguard.store.account_repo import AccountRepository, ConcurrentUpdate
from creditguard.store.crypto import DataCipher
from creditguard.store.idempotency import IdempotencyConflict
from creditguard.store.pending_writes import PendingWrites
from creditguard.store.uow import UnitOfWork


def _service(engine: Engine) -> Servicing:
    svc = Servicing(engine, actor="test", cipher=DataCipher(Fernet.generate_key()))
    svc.set_business_date(date(2026, 1, 29))
    svc.add_borrower("B1", "张三", key="b1")
    svc.open_line("A", "credit-pay", 100_000, "B1", key="open-A")
    return svc


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_c: Any, _cur: Any, sql: str, *_a: Any) -> None:
        seen.append(sql.split()[0].upper())

    return seen


@pytest.fixture
def sqlite_engine(tmp_path: Any, _sqlite_template: Any) -> Any:
    import shutil

    from creditguard.store.db import connect

    path = tmp_path / "shared.sqlite"
    shutil.copyfile(_sqlite_template, path)
    eng = connect(f"sqlite:///{path}")
    yield eng
    eng.dispose()


def test_a_shared_run_writes_in_bulk_without_savepoints(sqlite_engine: Engine) -> None:
    svc = _service(sqlite_engine)
    seen = _statements(sqlite_engine)
    with svc.batch():
        for i in range(20):
            svc.purchase("A", 100 + i, purchase_id=f"p{i}", key=f"buy-{i}")
        before_flush = list(seen)
    # 20 purchases: each reads its key and (the first) the account; nothing is written until
    # the flush at the end of the block, and no savepoint is taken.
    assert "SAVEPOINT" not in before_flush and "RELEASE" not in before_flush
    assert not [s for s in before_flush if s in ("INSERT", "UPDATE", "DELETE")]
    writes = [s for s in seen if s in ("INSERT", "UPDATE", "DELETE")]
    assert 0 < len(writes) < 20  # bulk: fewer write statements than commands
    with sqlite_engine.connect() as conn:
        version = conn.execute(text("SELECT version FROM accounts WHERE account_id='A'")).scalar()
        keys = conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar()
        audit = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
    assert version == 1 + 20  # one row update, the version moved on once per save
    assert keys == 2 + 20 and audit == 2 + 20


def test_a_shared_command_failing_after_its_save_leaves_no_trace(sqlite_engine: Engine) -> None:
    svc = _service(sqlite_engine)
    reference = dump(sqlite_engine)

    def saves_then_fails(ctx: Any) -> Any:
        state = ctx.repo.get("A")
        ctx.repo.save(state)
        ctx.writes.emit("Noise", "A", {"x": 1})
        raise ValueError("after the save")

    with svc.batch():
        svc.purchase("A", 1_000, purchase_id="p1", key="buy-1")
        with pytest.raises(ValueError, match="after the save"):
            svc.run("broken", {"account": "A"}, saves_then_fails, key="broken", shareable=True)
        # The next command sees the state as the first purchase left it, not the failed save.
        svc.purchase("A", 2_000, purchase_id="p2", key="buy-2")
    after = dump(sqlite_engine)
    assert "Noise" not in repr(after["outbox_events"])
    assert "broken" not in repr(after["idempotency_keys"])
    with sqlite_engine.connect() as conn:
        version = conn.execute(text("SELECT version FROM accounts WHERE account_id='A'")).scalar()
    assert version == 1 + 2  # two purchases saved; the failed save did not count
    assert len(after["audit_log"]) == len(reference["audit_log"]) + 2


def test_a_replay_of_a_queued_key_is_answered_from_the_queue(sqlite_engine: Engine) -> None:
    svc = _service(sqlite_engine)
    with svc.batch():
        first = svc.purchase("A", 1_000, purchase_id="p1", key="buy-1")
        again = svc.purchase("A", 1_000, purchase_id="p1", key="buy-1")
        with pytest.raises(IdempotencyConflict):
            svc.purchase("A", 9_999, purchase_id="p1", key="buy-1")
    assert again == first
    with sqlite_engine.connect() as conn:
        version = conn.execute(text("SELECT version FROM accounts WHERE account_id='A'")).scalar()
    assert version == 2  # the replay saved nothing


def test_the_version_guard_holds_at_the_flush(engine: Engine) -> None:
    svc = _service(engine)
    with UnitOfWork(engine) as uow:
        writes = PendingWrites(uow, AccountRepository(uow.connection, ACCOUNT_TYPES, staged=True))
        state = writes.repo.get("A")
        writes.repo.save(state)
        # Another writer moves the version on after the read, before the flush.
        uow.connection.execute(text("UPDATE accounts SET version = version + 5"))
        with pytest.raises(ConcurrentUpdate):
            writes.flush()
    assert svc.show("A").account == "A"


def test_undo_drops_exactly_what_was_queued_since_the_mark(engine: Engine) -> None:
    _service(engine)
    entry = JournalEntry(
        key="k1",
        business_date=date(2026, 1, 29),
        kind="test",
        account_ref="A",
        postings=(
            Posting(GL.PRINCIPAL_CURRENT, "A", 100, 0),
            Posting(GL.CASH, "A", 0, 100),
        ),
        actor="test",
    )
    with UnitOfWork(engine) as uow:
        writes = PendingWrites(uow, AccountRepository(uow.connection, ACCOUNT_TYPES, staged=True))
        writes.post(entry)
        writes.remember("kept", "cmd", {"a": 1}, {"ok": True})
        mark = writes.mark()
        state = writes.repo.get("A")
        writes.repo.save(state)
        writes.post(replace(entry, key="k2"))
        writes.emit("E", "A", {})
        writes.audit("cmd", actor="test", account_ref="A")
        writes.remember("dropped", "cmd", {"a": 2}, {"ok": True})
        writes.undo(mark)
        assert len(writes) == 1
        assert writes.find("dropped", "cmd", {"a": 2}) is None
        hit = writes.find("kept", "cmd", {"a": 1})
        assert hit is not None and hit.result == {"ok": True}
        writes.flush()
        keys = [r[0] for r in uow.connection.execute(text("SELECT key FROM journal_entries"))]
        stored = uow.connection.execute(text("SELECT key FROM idempotency_keys")).all()
        version = uow.connection.execute(
            text("SELECT version FROM accounts WHERE account_id='A'")
        ).scalar()
    assert "k1" in keys and "k2" not in keys
    assert ("kept",) in stored and ("dropped",) not in stored
    assert version == 1  # the undone save was never written


def test_an_unbalanced_entry_is_refused_when_queued(engine: Engine) -> None:
    _service(engine)
    bad = JournalEntry(
        key="bad",
        business_date=date(2026, 1, 29),
        kind="test",
        account_ref="A",
        postings=(Posting(GL.PRINCIPAL_CURRENT, "A", 100, 0),),
        actor="test",
    )
    with UnitOfWork(engine) as uow:
        writes = PendingWrites(uow, AccountRepository(uow.connection, ACCOUNT_TYPES, staged=True))
        with pytest.raises(UnbalancedEntry):
            writes.post(bad)
        with pytest.raises(IdempotencyConflict):
            writes.remember("k", "cmd", {}, 1)
            writes.remember("k", "cmd", {}, 1)
