"""The simulator through the real engine (small, fixed seeds): determinism, shock, outage,
reminders. Sizes are small so the module runs in well under a minute; margins are honest
(the shock and reminder runs share the seed, so their random draws are the same numbers and
only the parameter under test differs).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, select

from creditguard.reporting.analytics import portfolio_tables
from creditguard.reporting.report_html import write_tables
from creditguard.simulate import behaviour as bh
from creditguard.simulate.pipeline import report_from_db
from creditguard.simulate.run import SimulationResult, scenario_markers, simulate
from creditguard.simulate.scenario import Behaviour, MacroShock, Outage, SimScenario
from creditguard.store.db import connect
from creditguard.store.overdue_tables import bureau_months
from creditguard.store.portfolio_frames import load_frames
from creditguard.store.servicing_tables import obligations
from creditguard.store.tables import journal_entries, outbox_events

OUTAGE = Outage(date(2026, 3, 9), date(2026, 3, 11), relief_days=3)
BASE = SimScenario(
    name="test",
    seed=11,
    borrowers=80,
    months=3,
    start=date(2026, 1, 1),
    onboarding_months=1,
    outages=(OUTAGE,),
    behaviour=Behaviour(forget_scale=2.0),
)


Run = tuple[SimulationResult, Engine]


def _run(tmp: Path, name: str, scenario: SimScenario) -> Run:
    engine = connect(f"sqlite:///{tmp / name}.sqlite", durable=False)
    return simulate(scenario, engine), engine


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    tmp = tmp_path_factory.mktemp("sim")
    return {
        "base": _run(tmp, "base", BASE),
        "again": _run(tmp, "again", BASE),
        "shock": _run(tmp, "shock", replace(BASE, macro=(MacroShock(1, 15.0),))),
        "no_reminder": _run(
            tmp, "no_reminder", replace(BASE, behaviour=replace(BASE.behaviour, reminder_effect=0))
        ),
    }


def _events(engine: Engine, type_: str) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox_events.c.account_ref, outbox_events.c.business_date).where(
                outbox_events.c.type == type_
            )
        ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows], schema={"account": pl.String, "date": pl.Date}, orient="row"
    )


def test_same_seed_gives_byte_identical_tables(runs: dict[str, Run], tmp_path: Path) -> None:
    out: dict[str, dict[str, bytes]] = {}
    for name in ("base", "again"):
        result, engine = runs[name]
        tables = portfolio_tables(load_frames(engine), scenario_markers(result.scenario))
        paths = write_tables(tables, tmp_path / name)
        out[name] = {p.name: p.read_bytes() for p in paths}
    assert out["base"] == out["again"]
    assert len(out["base"]) == 2 * 12  # every table as CSV and Parquet
    assert runs["base"][0].commands == runs["again"][0].commands
    assert runs["base"][0].commands["repay"] > 50  # the run did real work


def test_shock_raises_the_overdue_rate(runs: dict[str, Run]) -> None:
    def m1(engine: Engine) -> int:
        rates = portfolio_tables(load_frames(engine))["overdue_rates"]
        return int(rates.get_column("m1_accounts").sum())

    base, shock = m1(runs["base"][1]), m1(runs["shock"][1])
    # A 15× job-loss hazard from month 1: borrowers without income stop paying. Pooled over
    # the months, the shocked portfolio has more M1+ account-months than the calm one.
    assert shock >= base + 5


def test_outage_causes_no_overdue_penalty_or_negative_record(runs: dict[str, Run]) -> None:
    result, engine = runs["base"]
    failures = [f for f in result.outage_failures if f["mode"] != bh.MODE_PARTIAL]
    past_due = _events(engine, "PastDue")
    # A PastDue on the window's first day is for a date before it: the borrower's own lateness.
    before = set(past_due.filter(pl.col("date") <= OUTAGE.start).get_column("account").to_list())
    moved_to = OUTAGE.end + timedelta(days=OUTAGE.relief_days)
    with engine.connect() as conn:
        moved = conn.execute(
            select(obligations.c.account_id, obligations.c.due_date).where(
                obligations.c.original_due_date.between(OUTAGE.start, OUTAGE.end)
            )
        ).all()
    due_inside = {a for a, _d in moved}
    covered = sorted(({f["account"] for f in failures} & due_inside) - before)
    assert len(covered) >= 5, "the outage must have hit repayments for the test to mean much"
    with engine.connect() as conn:
        penalties = conn.execute(
            select(journal_entries.c.account_ref).where(
                journal_entries.c.kind == "overdue",
                journal_entries.c.business_date.between(OUTAGE.start, moved_to + timedelta(7)),
                journal_entries.c.account_ref.in_(covered),
            )
        ).all()
        march = {
            r.account_id: r
            for r in conn.execute(
                select(bureau_months).where(
                    bureau_months.c.month == "2026-03", bureau_months.c.account_id.in_(covered)
                )
            )
        }
    # The engine moved every due date inside the window to end + relief days.
    assert moved and all(d == moved_to for _a, d in moved)
    # Without relief these accounts (retrying the day after the window) would be 1–2 days late.
    window = past_due.filter(
        pl.col("date").is_between(OUTAGE.start, moved_to + timedelta(days=1))
        & pl.col("account").is_in(covered)
    )
    assert window.height == 0
    assert penalties == []
    later = set(past_due.filter(pl.col("date") > moved_to).get_column("account").to_list())
    for account in covered:
        row: Any = march[account]
        assert not row.delinquent_in_month or account in later, account


def test_reminders_cut_short_misses_among_forgetful_borrowers(runs: dict[str, Run]) -> None:
    def misses(name: str) -> int:
        result, engine = runs[name]
        pop = result.population
        cut = pop.get_column("forgetfulness").median()
        forgetful = pop.filter(pl.col("forgetfulness") > cut)
        accounts = set(forgetful.get_column("line").drop_nulls().to_list()) | set(
            forgetful.get_column("loan").drop_nulls().to_list()
        )
        past_due = _events(engine, "PastDue")
        return past_due.filter(pl.col("account").is_in(sorted(accounts))).height

    with_reminders, without = misses("base"), misses("no_reminder")
    # A reminder cuts the chance of forgetting by 60%; the draws are shared, so the reminded
    # run forgets a subset of the due dates the other run forgets.
    assert without >= 5
    assert with_reminders < without


def test_report_from_a_simulated_database(runs: dict[str, Run], tmp_path: Path) -> None:
    result, engine = runs["base"]
    page = report_from_db(engine, tmp_path / "report", scenario_markers(result.scenario))
    rates = pl.read_csv(page.parent / "overdue_rates.csv")
    assert rates.get_column("month").to_list() == ["2026-01", "2026-02", "2026-03"]
    assert (rates.get_column("accounts") > 0).all()
    markers = pl.read_csv(page.parent / "markers.csv")
    assert markers.get_column("kind").to_list() == ["outage"]
    # Money was lent, and repayments came in every month after the first.
    liq = pl.read_csv(page.parent / "liquidity.csv")
    assert (liq.get_column("lent").sum()) > 0
    assert (liq.filter(pl.col("month") > "2026-01").get_column("received") > 0).all()


def test_report_rebuilt_from_a_database_keeps_the_simulations_markers(
    runs: dict[str, Run], tmp_path: Path
) -> None:
    from creditguard.simulate.pipeline import save_markers, stored_markers

    result, engine = runs["base"]
    save_markers(engine, scenario_markers(result.scenario))
    stored = stored_markers(engine)
    assert stored is not None
    assert stored.get_column("kind").to_list() == ["outage"]
    # `creditguard report --db …` passes no markers: the stored ones are used.
    page = report_from_db(engine, tmp_path / "again")
    assert pl.read_csv(page.parent / "markers.csv").get_column("kind").to_list() == ["outage"]
