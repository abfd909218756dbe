"""The simulator in batch mode leaves byte-identical outputs to one transaction per command.

A small scenario (outage, shock, onboarding over a month) runs twice with the same seed on two
fresh SQLite databases: ``batch=False`` and the default batch mode. Every table's rows, the
ledger digest, the portfolio tables written as CSV/Parquet, the day summaries and the command
counts must be identical.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from creditguard.reporting.analytics import portfolio_tables
from creditguard.reporting.report_html import write_tables
from creditguard.simulate.run import SimulationResult, scenario_markers, simulate
from creditguard.simulate.scenario import Behaviour, MacroShock, Outage, SimScenario
from creditguard.store.db import connect
from creditguard.store.digest import ledger_digest
from creditguard.store.portfolio_frames import load_frames

SCENARIO = SimScenario(
    name="batch-equivalence",
    seed=7,
    borrowers=40,
    months=2,
    start=date(2026, 1, 1),
    onboarding_months=1,
    macro=(MacroShock(2, 5.0),),
    outages=(Outage(date(2026, 2, 9), date(2026, 2, 11), relief_days=3),),
    behaviour=Behaviour(forget_scale=2.0),
)


def _run(path: Path, *, batch: bool) -> tuple[SimulationResult, Engine]:
    engine = connect(f"sqlite:///{path}", durable=False)
    return simulate(SCENARIO, engine, batch=batch), engine


def _dump(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        names = sorted(n for n in inspect(conn).get_table_names() if n != "alembic_version")
        return {
            t: sorted(repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {t}")))
            for t in names
        }


def test_batched_simulation_is_byte_identical_to_one_by_one(tmp_path: Path) -> None:
    plain, e1 = _run(tmp_path / "plain.sqlite", batch=False)
    batched, e2 = _run(tmp_path / "batched.sqlite", batch=True)
    try:
        assert batched.commands == plain.commands
        assert batched.refused == plain.refused
        assert batched.days == plain.days
        assert batched.outage_failures == plain.outage_failures
        assert batched.population.equals(plain.population)
        assert plain.commands["repay"] > 10 and plain.commands["purchase"] > 50  # real work
        assert ledger_digest(e2) == ledger_digest(e1)
        assert _dump(e2) == _dump(e1)
        files = {}
        for name, engine, result in (("plain", e1, plain), ("batched", e2, batched)):
            tables = portfolio_tables(load_frames(engine), scenario_markers(result.scenario))
            paths = write_tables(tables, tmp_path / name)
            files[name] = {p.name: p.read_bytes() for p in paths}
        assert files["batched"] == files["plain"]
    finally:
        e1.dispose()
        e2.dispose()
