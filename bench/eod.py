"""Benchmark: one business day of the end of day — kernels alone, then end to end on databases.

    .venv/bin/python bench/eod.py --accounts 20000 [--json] [--skip-postgres] [--pg URL]
        [--kernel-accounts N] [--per-account 3] [--seed 7] [--no-prior-day]
        [--profile sqlite|postgresql] [--profile-out FILE]

(a) **Kernels**: :func:`creditguard.overdue.run_day` on the synthetic portfolio frame of
``bench/eod_kernels.py`` (``--kernel-accounts``, default ``--accounts``) against that script's
plain NumPy floor over the same arrays (both imported from it, best of two alternating runs).

(b) **End to end, durable**: a fresh SQLite file (WAL) and a fresh PostgreSQL schema
(``--pg``, default the test server; dropped afterwards), each holding ``--accounts`` accounts,
then one call of :func:`creditguard.servicing.end_of_day.run_end_of_day` timed — servicing
step (due dates, revolving interest) for every account, the overdue kernels per chunk, and
every write (states, obligations, postings, statuses, penalty state, events, bureau facts)
committed. The portfolio is built fast but through the real domain: per batch of 1000
accounts, one unit of work that calls the pure ``loan.disburse`` / ``line.open_line`` /
``purchase`` / ``issue_statement`` / ``fall_due`` / ``accrue_revolving_interest``, stores the
state with ``AccountRepository.add`` and posts each outcome's journal entry, as ``Servicing``
does (no outbox events, audit or idempotency rows for the build).

Portfolio (business date T = 2026-11-28; one borrower per account): 90% cash loans
(``cash-loan``, 12-month annuity, 1 000–50 000 yuan) and 10% credit-pay lines (limit 20 000,
one purchase). Most loans were disbursed in the last month (nothing due yet); cohorts
disbursed earlier and never repaid are 1, 39, 106, 162 and 180 days past due on T (the last
is written off on T); a quarter of the lines have an unpaid 11-01 statement (18 DPD, frozen).
About 9% of accounts are past due. Every account is serviced through T−2 in the build; the
EOD of T−1 runs untimed first (``--no-prior-day`` skips it) so that yesterday's statuses and
penalty state are in place and T's events are one day's transitions, as in production.

With ``--json`` the last line is one JSON object: ``accounts``, ``kernel_s``,
``numpy_floor_s``, ``sqlite_s``, ``postgres_s`` (``null`` when skipped), ``peak_rss_mb`` and
per-database details. ``--profile DB`` runs that database's timed day under cProfile and
prints where the time goes (cumulative seconds of the EOD's named steps).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import Engine, func, insert, select

from creditguard.calendar import add_months
from creditguard.ledger.journal import JournalEntry, entry_key
from creditguard.overdue import params_frame, run_day
from creditguard.overdue.eod import day_number
from creditguard.overdue.frames import ACCOUNTS_SCHEMA, OBLIGATIONS_SCHEMA
from creditguard.products import InstallmentProduct
from creditguard.servicing import line as line_domain
from creditguard.servicing import loan as loan_domain
from creditguard.servicing.end_of_day import run_end_of_day
from creditguard.servicing.outcome import Outcome
from creditguard.servicing.service import ACCOUNT_TYPES, Servicing, product_definition
from creditguard.store.account_repo import AccountRepository
from creditguard.store.db import connect
from creditguard.store.servicing_tables import borrowers
from creditguard.store.tables import journal_entries, postings
from creditguard.store.uow import UnitOfWork
from creditguard.store.verify import verify_ledger
from eod_kernels import PER_ACCOUNT, PRODUCTS, floor, floor_inputs, portfolio
from servicing import DEFAULT_PG, fresh_database, service

T = date(2026, 11, 28)
BATCH = 1000
LOAN_PRODUCT, LINE_PRODUCT = "cash-loan", "credit-pay"
LINE_SHARE = 0.10
# Loans disbursed on these dates and never repaid: first due one month later, so on T they
# are 1, 39, 106, 162 and 180 days past due (the 180 cohort is written off on T).
OVERDUE_COHORTS: tuple[tuple[date, float], ...] = (
    (date(2026, 10, 27), 0.04),
    (date(2026, 9, 20), 0.02),
    (date(2026, 7, 15), 0.013),
    (date(2026, 5, 20), 0.005),
    (date(2026, 5, 1), 0.002),
)
CURRENT_LOANS = (date(2026, 10, 28), date(2026, 11, 26))  # first due 11-28 … 12-26
OVERDUE_LINES = 0.25  # opened 10-10, statement 11-01 due 11-10 unpaid: 18 DPD on T


# -- (a) kernels --------------------------------------------------------------------------------


def bench_kernels(n: int, seed: int, per_account: int, repeat: int = 2) -> dict[str, Any]:
    """``run_day`` against the NumPy floor on the same synthetic frame (eod_kernels' portfolio)."""
    params = params_frame(cast(Any, PRODUCTS))  # eod_kernels types the list as Product
    warm_ob, warm_acc = portfolio(min(n, 10_000), seed)
    run_day(warm_ob, warm_acc, params, T)
    floor(*floor_inputs(warm_ob, warm_acc, params), day_number(T))
    obligations, accounts = portfolio(n, seed, per_account)
    yesterday = run_day(obligations, accounts, params, T - timedelta(days=1))
    obligations = yesterday.obligations.select(list(OBLIGATIONS_SCHEMA))
    accounts = yesterday.accounts.select(list(ACCOUNTS_SCHEMA))
    del yesterday
    arrays = floor_inputs(obligations, accounts, params)
    gc.collect()
    kernel_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        floor(*arrays, day_number(T))
        floor_times.append(time.perf_counter() - started)
        gc.collect()
        started = time.perf_counter()
        result = run_day(obligations, accounts, params, T, verify_rows=False)
        kernel_times.append(time.perf_counter() - started)
        del result
        gc.collect()
    kernel_s, floor_s = min(kernel_times), min(floor_times)
    return {
        "accounts": n,
        "obligations": obligations.height,
        "kernel_s": round(kernel_s, 4),
        "numpy_floor_s": round(floor_s, 4),
        "ratio": round(kernel_s / floor_s, 2),
    }


# -- (b) end to end: build ----------------------------------------------------------------------


@dataclass
class Plan:
    """What each account of the synthetic portfolio is (kind, opening date, amounts)."""

    kind: np.ndarray  # "loan" | "line"
    opened: list[date]
    principal: np.ndarray
    overdue_line: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)


def plan(n: int, seed: int) -> Plan:
    """A reproducible mix of current and overdue loans and lines."""
    rng = np.random.default_rng(seed)
    is_line = rng.random(n) < LINE_SHARE
    u = rng.random(n)
    span = (CURRENT_LOANS[1] - CURRENT_LOANS[0]).days
    offsets = rng.integers(0, span + 1, n)
    opened: list[date] = []
    counts: dict[str, int] = {}
    edges = np.cumsum([w for _, w in OVERDUE_COHORTS])
    overdue_line = is_line & (rng.random(n) < OVERDUE_LINES)
    for i in range(n):
        if is_line[i]:
            opened.append(date(2026, 10, 10) if overdue_line[i] else date(2026, 11, 2))
            name = "line-overdue" if overdue_line[i] else "line-current"
        else:
            cohort = int(np.searchsorted(edges, u[i], side="right"))
            if cohort < len(OVERDUE_COHORTS):
                opened.append(OVERDUE_COHORTS[cohort][0])
                name = f"loan-overdue-{OVERDUE_COHORTS[cohort][0].isoformat()}"
            else:
                opened.append(CURRENT_LOANS[0] + timedelta(days=int(offsets[i])))
                name = "loan-current"
        counts[name] = counts.get(name, 0) + 1
    principal = rng.integers(1_000, 50_001, n) * 100
    kinds = np.where(is_line, "line", "loan")
    return Plan(kinds, opened, principal, overdue_line, dict(sorted(counts.items())))


def _outcomes(svc: Servicing, p: Plan, i: int, account: str, through: date) -> list[Any]:
    """The domain calls that open account ``i`` and service it through ``through``."""
    on = p.opened[i]
    steps: list[tuple[str, Outcome[Any]]] = []
    if p.kind[i] == "loan":
        product = svc.catalogue.get(LOAN_PRODUCT)
        assert isinstance(product, InstallmentProduct)
        steps.append(
            (
                "disburse",
                loan_domain.disburse(
                    account, account, product, int(p.principal[i]), 12, "annuity", on
                ),
            )
        )
        steps.append(("due", loan_domain.fall_due(steps[-1][1].state, through)))
    else:
        product = svc.catalogue.get(LINE_PRODUCT)
        steps.append(("open-line", line_domain.open_line(account, account, product, 2_000_000, on)))
        amount = int(p.principal[i]) // 4
        steps.append(("purchase", line_domain.purchase(steps[-1][1].state, amount, on)))
        if p.overdue_line[i]:
            statement_day = add_months(on, 1).replace(day=1)
            steps.append(
                ("statement", line_domain.issue_statement(steps[-1][1].state, statement_day))
            )
        steps.append(
            (
                "accrual:interest",
                line_domain.accrue_revolving_interest(steps[-1][1].state, through),
            )
        )
    return [
        (kind, on if kind in ("disburse", "open-line", "purchase") else None, o)
        for kind, o in steps
    ]


def build(engine: Engine, svc: Servicing, p: Plan, through: date) -> int:
    """Store the planned accounts (one unit of work per batch); return the entries posted."""
    n = len(p.opened)
    entries = 0
    with UnitOfWork(engine) as uow:
        repo = AccountRepository(uow.connection, ACCOUNT_TYPES)
        for name in (LOAN_PRODUCT, LINE_PRODUCT):
            prod = svc.catalogue.get(name)
            repo.put_product(name, prod.kind, product_definition(prod), str(prod.source))
    for start in range(0, n, BATCH):
        with UnitOfWork(engine) as uow:
            conn = uow.connection
            repo = AccountRepository(conn, ACCOUNT_TYPES)
            ids = [f"A{i:09d}" for i in range(start, min(start + BATCH, n))]
            conn.execute(
                insert(borrowers),
                [
                    {"borrower_id": a, "name": a, "created_on": p.opened[start + k]}
                    for k, a in enumerate(ids)
                ],
            )
            for k, account in enumerate(ids):
                i = start + k
                steps = _outcomes(svc, p, i, account, through)
                state = steps[-1][2].state
                repo.add(str(p.kind[i]), state, opened_on=p.opened[i])
                for kind, on, outcome in steps:
                    if not outcome.postings:
                        continue
                    day = on or through
                    uow.post(
                        JournalEntry(
                            key=entry_key(account, day, kind, "bench"),
                            business_date=day,
                            kind=kind,
                            account_ref=account,
                            postings=tuple(outcome.postings),
                            actor="bench",
                        )
                    )
                    entries += 1
    return entries


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- (b) end to end: one day --------------------------------------------------------------------


PROFILE_STEPS: tuple[tuple[str, str, str], ...] = (
    # (label, path suffix, function name) — cumulative seconds; indented rows nest in the
    # row above them; the AccountRepository / post / SQL rows cut across both steps.
    ("EOD total", "servicing/end_of_day.py", "run_end_of_day"),
    ("  servicing step (all chunks)", "servicing/end_of_day.py", "_servicing_chunk"),
    ("    Servicing.account_day", "servicing/service.py", "account_day"),
    ("      loan.fall_due", "servicing/loan.py", "fall_due"),
    (
        "      line.accrue_revolving_interest",
        "servicing/line_statement.py",
        "accrue_revolving_interest",
    ),
    ("  overdue step (all chunks)", "servicing/end_of_day.py", "_overdue_chunk"),
    ("    _load_frames", "servicing/end_of_day.py", "_load_frames"),
    ("      _line_minimums", "servicing/end_of_day.py", "_line_minimums"),
    ("    run_day (kernels)", "overdue/eod.py", "run_day"),
    ("    _apply", "servicing/end_of_day.py", "_apply"),
    ("      charge_penalty (domain)", "creditguard", "charge_penalty"),
    ("      UnitOfWork.emit (events)", "store/uow.py", "emit"),
    ("    _save_penalty_state", "servicing/end_of_day.py", "_save_penalty_state"),
    ("    _save_status", "servicing/end_of_day.py", "_save_status"),
    ("    _save_month_facts", "servicing/end_of_day.py", "_save_month_facts"),
    ("AccountRepository.get (both steps)", "store/account_repo.py", "get"),
    ("  codec.decode", "store/codec.py", "decode"),
    ("AccountRepository.save (both steps)", "store/account_repo.py", "save"),
    ("  codec.encode", "store/codec.py", "encode"),
    ("UnitOfWork.post (journal entries)", "store/uow.py", "post"),
    ("UnitOfWork.lock", "store/uow.py", "lock"),
    ("Servicing.run (idempotency, audit)", "servicing/service.py", "run"),
    ("SQLAlchemy Connection.execute", "sqlalchemy/engine/base.py", "execute"),
    ("SQLAlchemy Connection.commit", "sqlalchemy/engine/base.py", "commit"),
)
DRIVER_CALLS = (
    "execute' of 'sqlite3.Cursor",
    "executemany' of 'sqlite3.Cursor",
    "commit' of 'sqlite3.Connection",
    "psycopg",
)


def profile_breakdown(prof: cProfile.Profile) -> list[dict[str, Any]]:
    """Cumulative seconds and call counts of the EOD's named steps, plus driver totals."""
    stats = pstats.Stats(prof)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    for label, suffix, name in PROFILE_STEPS:
        if suffix == "creditguard":  # one function name in several domain modules: add up
            hits = [v for k, v in table.items() if k[2] == name and "creditguard" in k[0]]
            cumulative = sum(v[3] for v in hits)
        else:
            hits = [v for k, v in table.items() if k[2] == name and k[0].endswith(suffix)]
            cumulative = max((v[3] for v in hits), default=0.0)
        calls = sum(v[1] for v in hits)
        rows.append({"step": label, "calls": calls, "cum_s": round(cumulative, 3)})
    driver: dict[str, tuple[int, float]] = {}
    for key, value in table.items():
        text = key[2]
        if key[0] != "~":
            continue
        for probe in DRIVER_CALLS:
            if probe in text:
                calls, own = driver.get(text, (0, 0.0))
                driver[text] = (calls + value[1], own + value[2])
    for text, (calls, own) in sorted(driver.items(), key=lambda kv: -kv[1][1])[:6]:
        rows.append({"step": f"driver {text}", "calls": int(calls), "cum_s": round(own, 3)})
    return rows


def bench_database(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Build the portfolio in a fresh database and time one end of day on it."""
    p = plan(args.accounts, args.seed)
    with fresh_database(backend, args.pg) as url:
        engine = connect(url)
        try:
            svc = service(engine)
            started = time.perf_counter()
            entries = build(engine, svc, p, T - timedelta(days=2))
            build_s = time.perf_counter() - started
            prior_s = None
            svc.set_business_date(T - timedelta(days=1))
            if not args.no_prior_day:
                started = time.perf_counter()
                run_end_of_day(svc, T - timedelta(days=1))
                prior_s = time.perf_counter() - started
            else:
                svc.set_business_date(T)
            copy_of = floor_of = None
            if args.compare_reference and backend == "sqlite":
                # The same database, byte for byte, for the reference path's day.
                copy_of = _copy(url, ".reference")
            if args.write_floor and backend == "sqlite":
                floor_of = _copy(url, ".floor")
            postings_before = _count(engine, postings)
            entries_before = _count(engine, journal_entries)
            gc.collect()
            prof = cProfile.Profile() if args.profile == backend else None
            started = time.perf_counter()
            if prof is not None:
                prof.enable()
            summary = run_end_of_day(svc, T)
            if prof is not None:
                prof.disable()
            seconds = time.perf_counter() - started
            written = _count(engine, postings) - postings_before
            new_entries = _count(engine, journal_entries) - entries_before
            mismatches = len(verify_ledger(engine))  # untimed: the day left a sound ledger
        finally:
            engine.dispose()
        reference = _time_reference(copy_of) if copy_of is not None else None
        floor_s = (
            _time_write_floor(url.removeprefix("sqlite:///"), floor_of)
            if floor_of is not None
            else None
        )
    out: dict[str, Any] = {
        "accounts": args.accounts,
        "seconds": round(seconds, 3),
        "accounts_per_s": round(args.accounts / seconds, 1),
        "postings_written": written,
        "entries_written": new_entries,
        "build_s": round(build_s, 1),
        "build_entries": entries,
        "prior_day_s": None if prior_s is None else round(prior_s, 3),
        "summary": summary.as_dict(),
        "ledger_mismatches": mismatches,
        "peak_rss_mb": round(_rss_mb(), 1),
    }
    if reference is not None:
        out["reference_s"] = round(reference, 3)
        out["speedup_vs_reference"] = round(reference / seconds, 2)
    if floor_s is not None:
        out["write_floor"] = floor_s
        out["write_floor_accounts_per_s"] = round(args.accounts / floor_s["seconds"], 1)
    if prof is not None:
        out["profile"] = profile_breakdown(prof)
        if args.profile_out:
            prof.dump_stats(args.profile_out)
    return out


def _copy(url: str, suffix: str) -> str:
    """A byte-for-byte copy of the SQLite database at ``url`` (backup API); its path."""
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as src, closing(sqlite3.connect(path + suffix)) as dst:
        src.backup(dst)
    return path + suffix


# Inserts in an order the schema's triggers accept (a journal entry after its postings).
_FLOOR_FIRST = ("postings",)


def _time_write_floor(after: str, before: str) -> dict[str, Any]:
    """The physical floor of the day's durable writes on SQLite.

    The rows the timed day changed — every row of ``after`` (the database after the day) not
    in ``before`` (a copy from just before it), and every row of ``before`` no longer in
    ``after``, compared whole, by table — are found untimed; then the same changes are
    applied to ``before`` with the driver alone, in one transaction, each kind by
    ``executemany``: a row on both sides (same rowid) updated in place, a row gone deleted by
    rowid, a new row inserted (rowid kept); the schema's indexes, triggers and foreign keys (checked
    at commit) all in force, the engine's pragmas (WAL, full sync), and a commit. No Python
    per account, no reads, no domain: what the same writes cost with nothing else.
    """
    try:
        with closing(sqlite3.connect(before, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("ATTACH DATABASE ? AS after", (after,))
            tables = [
                str(name)
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            tables.sort(key=lambda t: (t not in _FLOOR_FIRST, t))
            gone: dict[str, list[tuple[Any, ...]]] = {}
            new: dict[str, list[tuple[Any, ...]]] = {}
            for t in tables:
                gone[t] = conn.execute(
                    f"SELECT rowid FROM (SELECT rowid, * FROM main.{t}"
                    f" EXCEPT SELECT rowid, * FROM after.{t})"
                ).fetchall()
                new[t] = conn.execute(
                    f"SELECT rowid, * FROM after.{t} EXCEPT SELECT rowid, * FROM main.{t}"
                ).fetchall()
            conn.execute("DETACH DATABASE after")
            columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
            # Split each table's changes before the clock starts: a rowid on both sides is a row
            # updated in place (an UPDATE), one only before is deleted, one only after inserted.
            writes: list[tuple[str, list[tuple[Any, ...]]]] = []
            inserts: list[tuple[str, list[tuple[Any, ...]]]] = []
            changed: dict[str, int] = {}
            for t in tables:
                was = {r[0] for r in gone[t]}
                now = {r[0] for r in new[t]}
                dropped = [r for r in gone[t] if r[0] not in now]
                updates = [(*r[1:], r[0]) for r in new[t] if r[0] in was]
                changed[t] = len(updates)
                sets = ", ".join(f"{c} = ?" for c in columns[t])
                names = ", ".join(["rowid", *columns[t]])
                marks = ", ".join("?" * (len(columns[t]) + 1))
                writes.append((f"DELETE FROM {t} WHERE rowid = ?", dropped))
                writes.append((f"UPDATE {t} SET {sets} WHERE rowid = ?", updates))
                inserts.append(
                    (
                        f"INSERT INTO {t} ({names}) VALUES ({marks})",
                        [r for r in new[t] if r[0] not in was],
                    )
                )
            gc.collect()
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("PRAGMA defer_foreign_keys=ON")
            for sql, rows in (*writes, *inserts):  # every delete and update before any insert
                if rows:
                    conn.executemany(sql, rows)
            conn.execute("COMMIT")
            seconds = time.perf_counter() - started
        return {
            "seconds": round(seconds, 4),
            "rows_updated": sum(changed.values()),
            "rows_deleted": sum(len(v) for v in gone.values()) - sum(changed.values()),
            "rows_inserted": sum(len(v) for v in new.values()) - sum(changed.values()),
            # per table: [deleted, updated, inserted]
            "by_table": {
                t: [len(gone[t]) - changed[t], changed[t], len(new[t]) - changed[t]]
                for t in tables
                if gone[t] or new[t]
            },
        }
    finally:
        Path(before).unlink(missing_ok=True)


def _time_reference(path: str) -> float:
    """Seconds for the same day on a copy of the database through the reference path."""
    engine = connect(f"sqlite:///{path}")
    try:
        gc.collect()
        started = time.perf_counter()
        run_end_of_day(service(engine), T, reference=True)
        return time.perf_counter() - started
    finally:
        engine.dispose()
        Path(path).unlink(missing_ok=True)


# -- command line -------------------------------------------------------------------------------


def _print_rows(title: str, rows: Iterator[tuple[str, Any]]) -> None:
    print(title, flush=True)
    for key, value in rows:
        print(f"  {key:<28} {value}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Command line: kernels vs floor, then SQLite and PostgreSQL end to end."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--kernel-accounts", type=int, default=None, help="default --accounts")
    parser.add_argument("--per-account", type=int, default=PER_ACCOUNT, help="kernel frame")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--pg", default=os.environ.get("CREDITGUARD_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--no-prior-day", action="store_true", help="skip the untimed T-1 EOD")
    parser.add_argument("--profile", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--profile-out", default=None, help="write the cProfile stats here")
    parser.add_argument(
        "--compare-reference",
        action="store_true",
        help="SQLite: also time the same day on a copy through run_end_of_day(reference=True)",
    )
    parser.add_argument(
        "--write-floor",
        action="store_true",
        help="SQLite: also time the day's row changes applied with the bare driver (the floor)",
    )
    args = parser.parse_args(argv)

    kernel = bench_kernels(args.kernel_accounts or args.accounts, args.seed, args.per_account)
    _print_rows("(a) kernels vs NumPy floor", iter(kernel.items()))
    report: dict[str, Any] = {
        "accounts": args.accounts,
        "kernel_accounts": kernel["accounts"],
        "kernel_s": kernel["kernel_s"],
        "numpy_floor_s": kernel["numpy_floor_s"],
        "kernel_ratio": kernel["ratio"],
        "sqlite_s": None,
        "postgres_s": None,
    }
    backends = [] if args.skip_sqlite else ["sqlite"]
    backends += [] if args.skip_postgres else ["postgresql"]
    for backend in backends:
        result = bench_database(backend, args)
        profile = result.pop("profile", None)
        _print_rows(f"(b) end to end on {backend}", iter(result.items()))
        if profile is not None:
            print(f"profile of the timed day on {backend} (cumulative s; rows nest)", flush=True)
            for row in profile:
                print(f"  {row['step']:<50} {row['calls']:>9} {row['cum_s']:>9.3f}", flush=True)
            result["profile"] = profile
        report["sqlite_s" if backend == "sqlite" else "postgres_s"] = result["seconds"]
        report[backend] = result
    report["peak_rss_mb"] = round(_rss_mb(), 1)
    print(f"peak RSS {report['peak_rss_mb']} MB", flush=True)
    if args.json:
        sys.stdout.write(json.dumps(report, sort_keys=True, default=str) + "\n")


if __name__ == "__main__":
    main()
