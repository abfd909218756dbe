"""The simulator gives the same run on PostgreSQL as on SQLite.

The simulator reads the store between its commands (what is due, reminders sent, line statuses)
through driver-level reads that differ by backend (SQLite hands dates over as text). A small
scenario with an outage and a shock runs on the ``engine`` fixture's backend and on a fresh
SQLite file: the commands issued and refused, the day summaries and the ledger must agree.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from creditguard.simulate.run import simulate
from creditguard.simulate.scenario import Behaviour, MacroShock, Outage, SimScenario
from creditguard.store.db import connect
from creditguard.store.digest import ledger_digest

SCENARIO = SimScenario(
    name="backends",
    seed=11,
    borrowers=40,
    months=2,
    start=date(2026, 1, 1),
    onboarding_months=1,
    macro=(MacroShock(2, 5.0),),
    outages=(Outage(date(2026, 2, 9), date(2026, 2, 11), relief_days=3),),
    behaviour=Behaviour(forget_scale=2.0),
)


def test_the_same_run_on_either_backend(engine: Engine, tmp_path: Path) -> None:
    here = simulate(SCENARIO, engine)
    sqlite = connect(f"sqlite:///{tmp_path / 'reference.sqlite'}", durable=False)
    try:
        there = simulate(SCENARIO, sqlite)
        assert here.commands == there.commands
        assert here.refused == there.refused
        assert here.days == there.days
        assert here.outage_failures == there.outage_failures
        assert here.commands["repay"] > 10 and here.commands["purchase"] > 50  # real work
        assert ledger_digest(engine, order="key") == ledger_digest(sqlite, order="key")
    finally:
        sqlite.dispose()
