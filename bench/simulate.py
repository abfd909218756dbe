"""Benchmark: simulated account-days per second through the real engine, and where time goes.

    .venv/bin/python bench/simulate.py --borrowers 2000 --months 12 [--json]
        [--scenario FILE] [--db sqlite|postgresql] [--pg URL] [--no-batch] [--progress-days N]
        [--sqlite-pragma NAME=VALUE ...]

Runs a scenario (the shipped default unless ``--scenario``; ``--borrowers`` and ``--months``
override its size, the macro shock moves to the horizon's two-thirds if it falls outside) on a
fresh database — SQLite file (WAL, the engine's durable settings) or a fresh PostgreSQL schema —
and reports account-days closed per second with the wall time split into:

- **end of day**: ``run_end_of_day`` for every business date (servicing step, kernels, writes);
- **commands**: the ``Servicing`` commands the simulator issues (open, draw, purchase, convert,
  repay, outage), including the commit of each batch;
- **simulator**: the rest — population, behaviour draws, reading what is due from the store;

and, cutting across the first two, **SQL in the driver**: time inside the database driver's
``execute`` (SQLAlchemy cursor events; commits not included). The JSON object on the last line
has ``account_days``, ``seconds``, ``account_days_per_s`` and the split.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

from sqlalchemy import event

from creditguard.servicing.service import Servicing
from creditguard.simulate import run as sim_run
from creditguard.simulate.scenario import MacroShock, load_scenario, shipped_scenario
from creditguard.store.db import connect
from servicing import DEFAULT_PG, fresh_database

COMMANDS = (
    "open_line",
    "disburse",
    "purchase",
    "convert_to_installments",
    "repay",
    "declare_outage",
)


class Clock:
    """Wall time per part, collected by wrappers; nested calls count once (outermost)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth = 0

    def wrap(self, part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` timed into ``part`` when not already inside a timed call."""

        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return fn(*args, **kwargs)
            self._depth += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[part] += time.perf_counter() - started
                self.calls[part] += 1
                self._depth -= 1

        return timed

    def wrap_context(self, part: str, factory: Callable[..., Any]) -> Callable[..., Any]:
        """A context-manager factory whose enter and exit (a batch's commit) count to ``part``."""

        @wraps(factory)
        @contextmanager
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            started = time.perf_counter()
            manager = factory(*args, **kwargs)
            value = manager.__enter__()
            self.seconds[part] += time.perf_counter() - started
            try:
                yield value
            except BaseException as exc:
                if not manager.__exit__(type(exc), exc, exc.__traceback__):
                    raise
            else:
                started = time.perf_counter()
                manager.__exit__(None, None, None)
                self.seconds[part] += time.perf_counter() - started

        return timed


def _scenario(args: argparse.Namespace) -> Any:
    base = load_scenario(Path(args.scenario)) if args.scenario else shipped_scenario("default")
    months = args.months or base.months
    macro = tuple(
        m if m.month <= months else MacroShock(max(1, months * 2 // 3), m.multiplier, m.label)
        for m in base.macro
    )
    horizon_end = replace(base, months=months).end
    outages = tuple(o for o in base.outages if o.end <= horizon_end)
    return replace(
        base,
        borrowers=args.borrowers or base.borrowers,
        months=months,
        macro=macro,
        outages=outages,
    )


def _override_pragmas(engine: Any, pragmas: list[str]) -> None:
    """Run ``PRAGMA name=value`` on every new SQLite connection, after the engine's own settings
    (so they override them): for measuring a storage setting against the default side by side.
    Settings fixed when a database is created (``page_size``) cannot be changed this way."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(f"PRAGMA {pragma}")
        finally:
            cursor.close()


def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run the scenario once with the timers in place; return the measurements."""
    scenario = _scenario(args)
    clock = Clock()
    sql = {"seconds": 0.0, "statements": 0}
    originals = {name: getattr(Servicing, name) for name in (*COMMANDS, "batch")}
    original_eod = sim_run.run_end_of_day
    with fresh_database(args.db, args.pg) as url:
        engine = connect(url)
        if args.sqlite_pragma:
            _override_pragmas(engine, args.sqlite_pragma)

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, *_: Any) -> None:
            conn.info["cg_started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, *_: Any) -> None:
            sql["seconds"] += time.perf_counter() - conn.info.pop("cg_started")
            sql["statements"] += 1

        try:
            for name in COMMANDS:
                setattr(Servicing, name, clock.wrap("commands", originals[name]))
            Servicing.batch = clock.wrap_context("commands", originals["batch"])  # type: ignore[method-assign]
            sim_run.run_end_of_day = clock.wrap("end_of_day", original_eod)
            started = time.perf_counter()
            days: list[int] = []

            def progress(summary: Any) -> None:
                # A line on stderr every --progress-days simulated days, so that a run too long
                # to finish still says how fast it went and where the time went.
                days.append(summary.accounts)
                if args.progress_days and len(days) % args.progress_days == 0:
                    elapsed = time.perf_counter() - started
                    line = {
                        "days": len(days),
                        "business_date": str(summary.business_date),
                        "account_days": sum(days),
                        "seconds": round(elapsed, 1),
                        "account_days_per_s": round(sum(days) / elapsed, 1),
                        "end_of_day_s": round(clock.seconds["end_of_day"], 1),
                        "commands_s": round(clock.seconds["commands"], 1),
                        "sql_driver_s": round(sql["seconds"], 1),
                    }
                    print(
                        "progress " + json.dumps(line, sort_keys=True), file=sys.stderr, flush=True
                    )

            result = sim_run.simulate(scenario, engine, batch=not args.no_batch, progress=progress)
            seconds = time.perf_counter() - started
        finally:
            for name, fn in originals.items():
                setattr(Servicing, name, fn)
            sim_run.run_end_of_day = original_eod
            engine.dispose()
    eod_s = clock.seconds["end_of_day"]
    cmd_s = clock.seconds["commands"]
    return {
        "database": args.db,
        "borrowers": scenario.borrowers,
        "months": scenario.months,
        "batch": not args.no_batch,
        "account_days": result.account_days,
        "commands": sum(result.commands.values()),
        "seconds": round(seconds, 2),
        "account_days_per_s": round(result.account_days / seconds, 1),
        "end_of_day_s": round(eod_s, 2),
        "commands_s": round(cmd_s, 2),
        "simulator_s": round(seconds - eod_s - cmd_s, 2),
        "sql_driver_s": round(sql["seconds"], 2),
        "sql_statements": sql["statements"],
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=None)
    parser.add_argument("--months", type=int, default=None)
    parser.add_argument("--scenario", default=None, help="a scenario YAML (default: shipped)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--no-batch", action="store_true", help="one transaction per command")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument(
        "--sqlite-pragma",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="SQLite: a PRAGMA run on each connection after the engine's own (repeatable)",
    )
    parser.add_argument(
        "--progress-days", type=int, default=0, help="a progress line on stderr every N days"
    )
    args = parser.parse_args(argv)
    out = bench(args)
    for key, value in out.items():
        print(f"  {key:<22} {value}", flush=True)
    if args.json:
        sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
