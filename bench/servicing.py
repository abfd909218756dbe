"""Repayments posted per second through the service layer, SQLite and PostgreSQL side by side.

Run from the repository root::

    .venv/bin/python bench/servicing.py                  # about a minute on 2 cores
    .venv/bin/python bench/servicing.py --json           # the last line is one JSON object
    .venv/bin/python bench/servicing.py --pg none        # SQLite only

Each repayment is a real ``Servicing.repay`` on a cash loan: one transaction that takes the
account lock, reads the loan (state document and installment rows), allocates by the
waterfall, re-amortizes (an early principal repayment, reduce-installment), saves the state
with the version check, posts the journal entry and balances, writes the outbox event, the
audit row and the idempotency key. ``--loans`` loans are disbursed first; every writer repays
its own share of them round-robin (distinct accounts: throughput, not one lock's queue).
Writers are threads sharing one engine, or separate processes with an engine each. The
``1 writer batch`` column runs the same repayments in batch mode (``Servicing.batch``: a
savepoint per command, one commit per ``--batch-size`` commands), as the simulator does.

PostgreSQL: ``--pg URL`` (default the local server used by the tests); the run uses a fresh
schema and drops it afterwards. SQLite: a fresh file in a temporary directory (WAL).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher
from creditguard.store.db import connect, resolve_url
from creditguard.store.migrate import upgrade
from creditguard.store.verify import verify_ledger

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BUSINESS_DATE = date(2026, 3, 2)
KEY = Fernet.generate_key()
AMOUNT = 100  # 1.00 per repayment: the loans never settle during a run


def service(engine: Any) -> Servicing:
    """A servicing facade with a throwaway data key (the bench stores no personal data)."""
    return Servicing(engine, actor="bench", cipher=DataCipher(KEY))


@contextmanager
def fresh_database(backend: str, pg: str) -> Iterator[str]:
    """The URL of a fresh, migrated database; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="cg-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            _migrate(url)
            yield url
        return
    base = make_url(resolve_url(pg))
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = base.set(query={"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def _migrate(url: str) -> None:
    engine = connect(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def prepare(url: str, loans: int) -> list[str]:
    """A business date, a borrower and ``loans`` 12-month cash loans of 50000.00."""
    engine = connect(url)
    try:
        svc = service(engine)
        svc.set_business_date(BUSINESS_DATE)
        svc.add_borrower("B", "bench")
        ids = [f"L{i:04d}" for i in range(loans)]
        for account in ids:
            svc.disburse(account, "cash-loan", 5_000_000, 12, borrower="B")
        return ids
    finally:
        engine.dispose()


def _repay_share(svc: Servicing, accounts: list[str], count: int) -> int:
    for i in range(count):
        svc.repay(accounts[i % len(accounts)], AMOUNT)
    return count


def run_batch(url: str, accounts: list[str], batch_size: int, count: int) -> float:
    """Repayments per second from one writer in batch mode (``batch_size`` per commit)."""
    engine = connect(url)
    try:
        svc = service(engine)
        svc.repay(accounts[0], AMOUNT)  # warm up: connection, product cache (not timed)
        start = time.perf_counter()
        done = 0
        while done < count:
            with svc.batch(size=batch_size):
                done += _repay_share(svc, accounts, min(batch_size, count - done))
        return done / (time.perf_counter() - start)
    finally:
        engine.dispose()


def _process_writer(url: str, accounts: list[str], count: int, barrier: Any, out: Any) -> None:
    engine = connect(url)
    try:
        svc = service(engine)
        svc.repay(accounts[0], AMOUNT)  # warm up: connection, product cache (not timed)
        barrier.wait()
        start = time.perf_counter()
        _repay_share(svc, accounts, count)
        out.put((start, time.perf_counter()))
    finally:
        engine.dispose()


def run_threads(url: str, accounts: list[str], writers: int, per_writer: int) -> float:
    """Repayments per second with ``writers`` threads on one engine."""
    engine = connect(url)
    try:
        shares = [accounts[w::writers] for w in range(writers)]
        for share in shares:  # warm up every share's first account (not timed)
            service(engine).repay(share[0], AMOUNT)
        start = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            done = sum(pool.map(lambda s: _repay_share(service(engine), s, per_writer), shares))
        return done / (time.perf_counter() - start)
    finally:
        engine.dispose()


def run_processes(url: str, accounts: list[str], writers: int, per_writer: int) -> float:
    """Repayments per second with ``writers`` processes, an engine each."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["creditguard.servicing.service"])
    barrier = ctx.Barrier(writers)
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=_process_writer, args=(url, accounts[w::writers], per_writer, barrier, out)
        )
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    spans = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a writer process failed (exit {p.exitcode})")
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return writers * per_writer / wall


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """All writer configurations on one backend, each on a fresh database."""
    results: dict[str, Any] = {}
    configs: list[tuple[str, Callable[[str, list[str], int, int], float], int]] = [
        ("1 writer", run_threads, 1)
    ]
    if args.batch_size > 0:
        configs.append(("1 writer batch", run_batch, 0))
    configs += [(f"{n} threads", run_threads, n) for n in args.threads if n > 1]
    configs += [(f"{n} processes", run_processes, n) for n in args.processes if n > 1]
    for name, runner, writers in configs:
        with fresh_database(backend, args.pg) as url:
            accounts = prepare(url, args.loans)
            if writers == 0:  # batch mode: one writer, the batch size in the writers' slot
                rate = runner(url, accounts, args.batch_size, args.repayments)
            else:
                rate = runner(url, accounts, writers, args.repayments // writers)
            engine = connect(url)
            try:
                clean = verify_ledger(engine) == []
            finally:
                engine.dispose()
            if not clean:
                raise RuntimeError(f"{backend} {name}: the ledger does not verify")
            results[name] = round(rate, 1)
            print(f"{backend:10} {name:14} {rate:8.1f} repayments/s", flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default=os.environ.get("CREDITGUARD_BENCH_PG", DEFAULT_PG),
                        help="PostgreSQL URL, or 'none' to skip PostgreSQL")  # fmt: skip
    parser.add_argument("--loans", type=int, default=32, help="loans disbursed before timing")
    parser.add_argument("--repayments", type=int, default=400, help="repayments per config")
    parser.add_argument("--threads", type=int, nargs="*", default=[4], help="thread counts")
    parser.add_argument("--processes", type=int, nargs="*", default=[4], help="process counts")
    parser.add_argument("--batch-size", type=int, default=200,
                        help="commands per commit, batch column (0: none)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    backends = ["sqlite"] + ([] if args.pg == "none" else ["postgresql"])
    report: dict[str, Any] = {
        "unit": "repayments/s",
        "repayments_per_config": args.repayments,
        "loans": args.loans,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    for backend in backends:
        report[backend] = bench_backend(backend, args)
    if args.json:
        sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
