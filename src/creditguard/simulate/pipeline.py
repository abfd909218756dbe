"""One call from a scenario to the report, for ``creditguard demo`` / ``simulate`` / ``report``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from creditguard.reporting.analytics import load_frames, portfolio_tables
from creditguard.reporting.report_html import write_report
from creditguard.servicing.end_of_day import DaySummary
from creditguard.simulate.run import SimulationResult, scenario_markers, simulate
from creditguard.simulate.scenario import SimScenario

__all__ = ["report_from_db", "simulate_and_report"]


def report_from_db(
    engine: Engine, out_dir: str | Path, markers: pl.DataFrame | None = None
) -> Path:
    """Read the store behind ``engine``, compute the analytics, write ``out_dir/report.html``."""
    return write_report(portfolio_tables(load_frames(engine), markers), out_dir)


def simulate_and_report(
    scenario: SimScenario,
    engine: Engine,
    out_dir: str | Path,
    *,
    progress: Callable[[DaySummary], None] | None = None,
) -> tuple[SimulationResult, Path]:
    """Run ``scenario`` through the engine on an empty database, then write the report."""
    result = simulate(scenario, engine, progress=progress)
    return result, report_from_db(engine, out_dir, scenario_markers(scenario))
