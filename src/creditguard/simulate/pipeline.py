"""One call from a scenario to the report, for ``creditguard demo`` / ``simulate`` / ``report``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from creditguard.reporting.analytics import portfolio_tables
from creditguard.reporting.report_html import write_report
from creditguard.servicing.end_of_day import DaySummary
from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.simulate.run import SimulationResult, scenario_markers, simulate
from creditguard.simulate.scenario import SimScenario
from creditguard.store.account_repo import AccountRepository
from creditguard.store.portfolio_frames import load_frames
from creditguard.store.uow import UnitOfWork

__all__ = ["report_from_db", "save_markers", "simulate_and_report", "stored_markers"]


MARKERS_KEY = "report_markers"


def save_markers(engine: Engine, markers: pl.DataFrame) -> None:
    """Keep a simulation's chart markers (shock, outages) in the database it ran on."""
    rows = [
        {"date": d.isoformat(), "kind": k, "label": lbl}
        for d, k, lbl in markers.select("date", "kind", "label").iter_rows()
    ]
    with UnitOfWork(engine) as uow:
        AccountRepository(uow.connection, ACCOUNT_TYPES).set_setting(MARKERS_KEY, rows)


def stored_markers(engine: Engine) -> pl.DataFrame | None:
    """The markers a simulation left in the database, if any."""
    with UnitOfWork(engine) as uow:
        rows = AccountRepository(uow.connection, ACCOUNT_TYPES).setting(MARKERS_KEY)
    if not rows:
        return None
    return pl.DataFrame(rows).with_columns(pl.col("date").str.to_date())


def report_from_db(
    engine: Engine, out_dir: str | Path, markers: pl.DataFrame | None = None
) -> Path:
    """Read the store behind ``engine``, compute the analytics, write ``out_dir/report.html``.

    Without ``markers``, those a simulation stored in the database are used.
    """
    chosen = markers if markers is not None else stored_markers(engine)
    return write_report(portfolio_tables(load_frames(engine), chosen), out_dir)


def simulate_and_report(
    scenario: SimScenario,
    engine: Engine,
    out_dir: str | Path,
    *,
    progress: Callable[[DaySummary], None] | None = None,
) -> tuple[SimulationResult, Path]:
    """Run ``scenario`` through the engine on an empty database, then write the report."""
    result = simulate(scenario, engine, progress=progress)
    markers = scenario_markers(scenario)
    save_markers(engine, markers)
    return result, report_from_db(engine, out_dir, markers)
