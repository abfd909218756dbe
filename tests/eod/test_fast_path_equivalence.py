"""The fast end of day equals the reference one on a simulated portfolio.

The fast path skips quiet borrowers, charges most penalties in bulk (folded into the state
document at the account's next load) and writes only changed status and penalty rows. The
reference path (``run_end_of_day(reference=True)``) takes every borrower through the kernels
every day and every penalty through the domain one account at a time. The same seeded
simulation is run once each way; everything a user or a report can see must be identical.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from creditguard.servicing import end_of_day
from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.simulate import run as sim_run
from creditguard.simulate.scenario import Behaviour, MacroShock, Outage, SimScenario
from creditguard.store.account_repo import AccountRepository
from creditguard.store.codec import encode
from creditguard.store.db import connect
from creditguard.store.overdue_tables import (
    account_status,
    bureau_months,
    penalty_pending,
    penalty_state,
)
from creditguard.store.servicing_tables import obligations
from creditguard.store.tables import journal_entries, outbox_events, postings

SCENARIO = SimScenario(
    name="equivalence",
    seed=5,
    borrowers=80,
    months=5,
    start=date(2026, 1, 1),
    onboarding_months=1,
    macro=(MacroShock(month=1, multiplier=10.0, label="shock"),),
    outages=(Outage(date(2026, 3, 9), date(2026, 3, 11), relief_days=3),),
    behaviour=Behaviour(forget_scale=4.0, min_payer_share=0.4),
)


def _simulate(tmp: Path, name: str, monkeypatch: pytest.MonkeyPatch, reference: bool) -> Engine:
    engine = connect(f"sqlite:///{tmp / name}.sqlite", durable=False)
    with monkeypatch.context() as m:
        eod = partial(end_of_day.run_end_of_day, reference=reference)
        m.setattr(sim_run, "run_end_of_day", eod)
        sim_run.simulate(SCENARIO, engine)
    return engine


def _picture(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        repo = AccountRepository(conn, ACCOUNT_TYPES)
        entries = conn.execute(
            select(
                journal_entries.c.entry_id,
                journal_entries.c.key,
                journal_entries.c.business_date,
                journal_entries.c.kind,
                journal_entries.c.account_ref,
            ).order_by(journal_entries.c.entry_id)
        ).all()
        lines = conn.execute(
            select(
                postings.c.entry_id,
                postings.c.line_no,
                postings.c.gl,
                postings.c.account_ref,
                postings.c.debit,
                postings.c.credit,
            ).order_by(postings.c.entry_id, postings.c.line_no)
        ).all()
        status_cols = [c for c in account_status.c if c.name != "updated_on"]
        return {
            "entries": [tuple(r) for r in entries],
            "postings": [tuple(r) for r in lines],
            "states": {a: encode(repo.get(a)) for a in repo.ids()},
            "obligations": sorted(tuple(r) for r in conn.execute(select(obligations))),
            "status": sorted(tuple(r) for r in conn.execute(select(*status_cols))),
            "penalty_state": sorted(tuple(r) for r in conn.execute(select(penalty_state))),
            "bureau": sorted(tuple(r) for r in conn.execute(select(bureau_months))),
            "events": [
                tuple(r)
                for r in conn.execute(
                    select(
                        outbox_events.c.business_date,
                        outbox_events.c.account_ref,
                        outbox_events.c.type,
                        outbox_events.c.payload,
                    ).order_by(outbox_events.c.seq)
                )
            ],
            "pending": conn.execute(select(penalty_pending)).all(),
        }


def test_fast_end_of_day_equals_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _picture(_simulate(tmp_path, "fast", monkeypatch, reference=False))
    slow = _picture(_simulate(tmp_path, "reference", monkeypatch, reference=True))
    # The scenario exercises what the fast path changes: penalties charged in bulk and
    # folded later, freezes, cures, reminders, month rows.
    overdue = [e for e in fast["entries"] if e[3] == "overdue"]
    assert len({e[4] for e in overdue}) >= 3 and len(overdue) >= 30
    kinds = {e[2] for e in fast["events"]}
    assert {"PastDue", "Cured", "PaymentDueSoon"} <= kinds
    assert fast["pending"], "some bulk-charged penalties are still waiting for a load"
    assert slow["pending"] == []
    for part in ("entries", "postings", "states", "obligations", "status", "penalty_state",
                 "bureau", "events"):  # fmt: skip
        assert fast[part] == slow[part], part
