"""Concurrent commands on ONE account never lose an update (issue 3 item 4).

Threads and separate processes, on SQLite and PostgreSQL, post repayments to the
same loan (and purchases to the same line) at once. Afterwards: the paid totals equal the sum
of every command, the ledger verifies, the journal holds exactly one entry per command and the
account's version rose once per command.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from creditguard.servicing import loan_model
from creditguard.servicing.line import available, unpaid_principal
from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher
from creditguard.store.db import connect
from creditguard.store.verify import verify_ledger

WORKERS = 4
PER_WORKER = 10
AMOUNT = 1_000  # 10.00 each
START = date(2026, 3, 1)


def service(engine: Engine) -> Servicing:
    return Servicing(engine, actor="test", cipher=DataCipher(Fernet.generate_key()))


def book(engine: Engine) -> Servicing:
    svc = service(engine)
    svc.set_business_date(START)
    svc.add_borrower("B1", "张三", "110101199003071233", "13800138000")
    svc.disburse("L", "cash-loan", 1_000_000, 12, borrower="B1")
    svc.open_line("A", "credit-pay", 1_000_000, "B1")
    return svc


def _scalar(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def check_account(engine: Engine, account: str, kind: str, commands: int) -> None:
    assert verify_ledger(engine) == []
    entries = _scalar(
        engine,
        "SELECT count(*) FROM journal_entries WHERE account_ref = :a AND kind = :k",
        a=account,
        k=kind,
    )
    assert entries == commands
    # Created at version 1, +1 per command.
    assert _scalar(engine, "SELECT version FROM accounts WHERE account_id = :a", a=account) == (
        1 + commands
    )
    assert (
        _scalar(engine, "SELECT count(*) FROM audit_log WHERE command = :k AND account_ref = :a",
                k=kind, a=account)
        == commands
    )  # fmt: skip


def _repay_many(url: str, worker: int) -> int:
    """A process's share: its own engine, PER_WORKER repayments on the shared loan."""
    engine = connect(url)
    try:
        svc = service(engine)
        for i in range(PER_WORKER):
            svc.repay("L", AMOUNT, payment_id=f"w{worker}-{i}")
        return PER_WORKER
    finally:
        engine.dispose()


def test_threads_repaying_one_loan_lose_nothing(engine: Engine) -> None:
    book(engine)

    def work(worker: int) -> int:
        svc = service(engine)  # one Servicing per thread, one shared engine (pool)
        for i in range(PER_WORKER):
            svc.repay("L", AMOUNT, payment_id=f"t{worker}-{i}")
        return PER_WORKER

    with ThreadPoolExecutor(WORKERS) as pool:
        done = sum(pool.map(work, range(WORKERS)))
    assert done == WORKERS * PER_WORKER
    loan = service(engine).show("L")
    # Repaid on the disbursement date: no interest has accrued, so every fen is principal.
    assert loan_model.paid_total(loan).principal == done * AMOUNT
    assert loan_model.paid_total(loan).total == done * AMOUNT
    assert loan_model.principal_balance(loan) == 1_000_000 - done * AMOUNT
    assert len(loan_model.payments(loan)) == done
    check_account(engine, "L", "repay", done)


def test_threads_buying_on_one_line_lose_nothing(engine: Engine) -> None:
    book(engine)

    def work(worker: int) -> int:
        svc = service(engine)
        for i in range(PER_WORKER):
            svc.purchase("A", AMOUNT + worker, purchase_id=f"t{worker}-{i}")
        return PER_WORKER

    with ThreadPoolExecutor(WORKERS) as pool:
        done = sum(pool.map(work, range(WORKERS)))
    line = service(engine).show("A")
    # Worker w buys PER_WORKER × (AMOUNT + w): 10 × (4 × 1000 + 0 + 1 + 2 + 3) = 40060 fen.
    expected = PER_WORKER * (WORKERS * AMOUNT + sum(range(WORKERS)))
    assert expected == 40_060
    assert unpaid_principal(line) == expected
    assert available(line) == 1_000_000 - expected
    assert len(line.purchases) == done
    check_account(engine, "A", "purchase", done)


def test_processes_repaying_one_loan_lose_nothing(db_url: str, engine: Engine) -> None:
    book(engine)
    # A fork server: a clean single-threaded parent (pytest runs threads) that imports the
    # heavy modules once, so the workers start in milliseconds instead of seconds each.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["creditguard.servicing.service", __name__])
    with ctx.Pool(WORKERS) as pool:
        done = sum(pool.starmap(_repay_many, [(db_url, w) for w in range(WORKERS)]))
    loan = service(engine).show("L")
    assert loan_model.paid_total(loan).principal == done * AMOUNT == 40_000
    check_account(engine, "L", "repay", done)


def test_threads_sending_one_key_post_once(engine: Engine) -> None:
    """A client retrying the same request from several threads at once: one effect."""
    book(engine)

    def work(_: int) -> dict[str, object]:
        return service(engine).repay("L", AMOUNT, key="retry-me")

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(work, range(WORKERS)))
    assert all(r == results[0] for r in results)
    check_account(engine, "L", "repay", 1)
    assert loan_model.paid_total(service(engine).show("L")).principal == AMOUNT
