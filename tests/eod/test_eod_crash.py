"""Exactly once: an end of day killed by SIGKILL anywhere, then rerun, equals an uncrashed run.

A small portfolio (four repayment behaviours on a line and a loan each: the demo's) is built to
a business date; one copy of the database runs the end of day through a later date without
interruption, another is killed with SIGKILL at random hook points — between and inside
transactions — and rerun until it finishes. Both must end with the same ledger digest, the same
account states, obligations, overdue status, penalty state, bureau facts and outbox events.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from creditguard.demo import demo_scenario
from creditguard.servicing.replay import replay_on
from creditguard.servicing.scenario import parse_scenario
from creditguard.store.db import connect
from creditguard.store.digest import ledger_digest

DRIVER = Path(__file__).with_name("crash_driver.py")
THROUGH = date(2026, 2, 20)  # a statement day, due dates, grace and the first penalties
TABLES = {
    "accounts": "account_id",
    "obligations": "account_id, field, ref",
    "account_status": "account_id",
    "penalty_state": "account_id, ref",
    "bureau_months": "account_id, month",
    "eod_runs": "business_date",
    "system_state": "key",
}


def _state(url: str) -> dict[str, Any]:
    engine = connect(url)
    try:
        out: dict[str, Any] = {"digest": ledger_digest(engine, order="key")}
        with engine.connect() as conn:
            for table, order in TABLES.items():
                out[table] = [
                    tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
                ]
            out["events"] = [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT business_date, account_ref, type, payload"
                        " FROM outbox_events ORDER BY seq"
                    )
                )
            ]
        return out
    finally:
        engine.dispose()


def _run(url: str, crash_at: int) -> int:
    proc = subprocess.run(
        [sys.executable, str(DRIVER), url, THROUGH.isoformat(), str(crash_at)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, -9):
        raise AssertionError(f"driver failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.returncode


@pytest.mark.slow
def test_sigkill_anywhere_then_rerun_equals_uncrashed_run(tmp_path: Path) -> None:
    # The portfolio up to 2026-02-01 (the events before it), end of day run through 2026-01-31.
    full = demo_scenario()
    base = parse_scenario(
        {
            "products": dict(full.products),
            "events": [
                {"date": e.date.isoformat(), "op": e.op, **_raw(e.fields)}
                for e in sorted(full.by_index.values(), key=lambda e: e.index)
                if e.date < date(2026, 2, 1)
            ],
            "until": "2026-01-31",
        }
    )
    seed_db = tmp_path / "seed.sqlite"
    engine = connect(f"sqlite:///{seed_db}")
    replay_on(engine, base)
    engine.dispose()

    reference = tmp_path / "reference.sqlite"
    shutil.copy(seed_db, reference)
    assert _run(f"sqlite:///{reference}", 0) == 0
    expected = _state(f"sqlite:///{reference}")
    seed = _state(f"sqlite:///{seed_db}")
    # The reference run did the work: 02-01 … 02-20 closed, one eod_runs row a day, and the
    # business date moved on.
    assert len(expected["eod_runs"]) - len(seed["eod_runs"]) == 20
    assert expected["system_state"] != seed["system_state"]

    rng = random.Random(20261128)
    # About 4 hook points a day over 20 days: kill at random points, rerun until done.
    for round_no in range(2):
        crashed = tmp_path / f"crashed-{round_no}.sqlite"
        shutil.copy(seed_db, crashed)
        url = f"sqlite:///{crashed}"
        kills = 0
        while _run(url, rng.randint(1, 70)) == -9:
            kills += 1
        assert kills >= 1, "the run was never killed: the crash points are out of range"
        assert _state(url) == expected, f"round {round_no}: state differs after {kills} kills"


def _raw(fields: Any) -> dict[str, Any]:
    """Scenario fields back to their file form (amounts as decimal strings)."""
    from creditguard.money import format_amount

    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key in ("limit", "amount", "principal"):
            out[key] = format_amount(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out
