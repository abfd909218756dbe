"""Concurrent commands on one account never lose an update (SQLite and PostgreSQL).

Threads and separate processes post to the same account's balances at the same time; the stored
balance must equal the sum of everything posted, and ``verify_ledger`` must be clean.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Engine, text

from creditguard.ledger import GL, JournalEntry, Posting
from creditguard.store.uow import UnitOfWork, transact
from creditguard.store.verify import verify_ledger

D = date(2026, 3, 1)
AMOUNT = 137  # 1.37 per entry


def _entry(key: str) -> JournalEntry:
    return JournalEntry(
        key,
        D,
        "purchase",
        "L1",
        (Posting.dr(GL.PRINCIPAL_CURRENT, "L1", AMOUNT), Posting.cr(GL.CASH, "L1", AMOUNT)),
        "test",
    )


def _run_threads(n: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def runner(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []


def _stored(engine: Engine) -> tuple[int, int]:
    with UnitOfWork(engine) as uow:
        return uow.balance(GL.PRINCIPAL_CURRENT, "L1"), uow.balance(GL.CASH, "L1")


def test_threads_posting_to_one_account(engine: Engine) -> None:
    n, m = 4, 25

    def work(i: int) -> None:
        for j in range(m):
            transact(engine, lambda uow, i=i, j=j: uow.post(_entry(f"t{i}-{j}")))

    _run_threads(n, work)
    # 4 threads × 25 entries × 1.37 = 137.00 on each side.
    assert _stored(engine) == (n * m * AMOUNT, -n * m * AMOUNT)
    assert verify_ledger(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM journal_entries")).scalar_one() == n * m


def test_account_lock_makes_read_modify_write_safe(engine: Engine) -> None:
    # A command that reads state and writes a value computed from it (like every servicing
    # command) must not lose updates: uow.lock serialises commands on one account.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO system_state (key, value) VALUES ('counter', '0')"))
    n, m = 4, 15

    def bump(uow: UnitOfWork) -> None:
        uow.lock("L1")
        conn = uow.connection
        value = int(
            conn.execute(text("SELECT value FROM system_state WHERE key = 'counter'")).scalar_one()
        )
        conn.execute(
            text("UPDATE system_state SET value = :v WHERE key = 'counter'"), {"v": str(value + 1)}
        )

    _run_threads(n, lambda _i: [transact(engine, bump) for _ in range(m)] and None)
    with engine.connect() as conn:
        final = conn.execute(text("SELECT value FROM system_state WHERE key = 'counter'"))
        assert int(final.scalar_one()) == n * m


def test_concurrent_requests_with_one_idempotency_key_post_once(engine: Engine) -> None:
    request = {"account": "L1", "amount": AMOUNT}
    results: list[Any] = []
    lock = threading.Lock()

    def command(uow: UnitOfWork) -> Any:
        if (hit := uow.idempotent("same-key", "purchase", request)) is not None:
            return hit.result
        uow.post(_entry("purchase|same-key"))
        return uow.remember("same-key", "purchase", request, {"posted": "purchase|same-key"})

    def work(_i: int) -> None:
        result = transact(engine, command)
        with lock:
            results.append(result)

    _run_threads(6, work)
    assert results == [{"posted": "purchase|same-key"}] * 6
    assert _stored(engine) == (AMOUNT, -AMOUNT)


_CHILD = textwrap.dedent(
    """
    import sys
    from datetime import date
    from creditguard.ledger import GL, JournalEntry, Posting
    from creditguard.store.db import connect
    from creditguard.store.uow import transact

    url, proc, m, amount = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    engine = connect(url)
    for j in range(m):
        entry = JournalEntry(
            f"p{proc}-{j}", date(2026, 3, 1), "purchase", "L1",
            (Posting.dr(GL.PRINCIPAL_CURRENT, "L1", amount), Posting.cr(GL.CASH, "L1", amount)),
            "test",
        )
        transact(engine, lambda uow: uow.post(entry))
    engine.dispose()
    """
)


def test_processes_posting_to_one_account(engine: Engine, db_url: str) -> None:
    n, m = 3, 20
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, db_url, str(i), str(m), str(AMOUNT)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    assert _stored(engine) == (n * m * AMOUNT, -n * m * AMOUNT)
    assert verify_ledger(engine) == []
