"""Golden scenarios of the overdue engine (issue 4 item 5): one per rule of SPEC §6–9.

Each ``*.yaml`` here is a scenario (SPEC §10) plus a top-level ``expect:``, in the format of
``tests/scenarios/test_golden.py`` (loader and matcher in ``golden_support.py``): ``accounts``
(partial views, lists matched element by element and by length), ``events_include`` (events
with date, account and type that must be present) and ``events_exclude`` ((account, type)
pairs, optionally with a date, that must be absent) and ``event_dates`` (account → event type
→ the exact list of dates on which that account had that event, in order) and ``ledger`` (GL
account name → its net balance on the last day, signed by its normal side). The expected
values are worked out by hand in the comments of each file.

Besides the invariants of every scenario (balanced ledger, ``available = max(0, limit −
principal_balance)``), every overdue scenario checks the prior-notice rule (SPEC §9): an
account's first negative PBOC record (a digit, ``M`` or ``B``) is in the month of or after its
first NegativeReportNotice. On PostgreSQL the whole output must equal the SQLite output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from golden_support import assert_matches, check_invariants, load_golden
from sqlalchemy import Engine

from creditguard.ledger.chart import GL
from creditguard.money import format_amount
from creditguard.servicing.replay import replay, replay_on
from creditguard.store.verify import trial_balance

HERE = Path(__file__).parent / "overdue"
FILES = sorted(HERE.glob("*.yaml"))
NEGATIVE = set("1234567MB")


def check_prior_notice(out: Mapping[str, Any]) -> None:
    """No negative PBOC record before the account's first NegativeReportNotice (SPEC §9)."""
    for name, account in out["accounts"].items():
        negative = [r["month"] for r in account["bureau"]["pboc"] if r["status"] in NEGATIVE]
        if not negative:
            continue
        notices = [
            e["date"]
            for e in out["events"]
            if e["account"] == name and e["type"] == "NegativeReportNotice"
        ]
        assert notices, f"{name}: negative record in {negative[0]} without any notice"
        assert min(notices)[:7] <= negative[0], (
            f"{name}: first negative record {negative[0]} before the notice of {min(notices)}"
        )


def test_overdue_golden_files() -> None:
    assert len(FILES) >= 10
    for path in FILES:
        _, expect = load_golden(path)
        keys = {"accounts", "events_include", "events_exclude", "event_dates", "ledger"}
        assert set(expect) <= keys, path.name
        assert expect.get("accounts"), path.name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_overdue_golden(path: Path, engine: Engine, sqlite_outputs: Path) -> None:
    scenario, expect = load_golden(path)
    out = replay_on(engine, scenario)
    check_invariants(out)
    check_prior_notice(out)
    assert out["as_of"] == scenario.until.isoformat()
    assert_matches(out["accounts"], expect.get("accounts", {}), "accounts")
    for wanted in expect.get("events_include", []):
        assert wanted in out["events"], f"no event {wanted!r} in {out['events']!r}"
    for unwanted in expect.get("events_exclude", []):
        hits = [e for e in out["events"] if all(e[k] == v for k, v in unwanted.items())]
        assert not hits, f"unexpected events {hits!r}"
    for account, by_type in expect.get("event_dates", {}).items():
        for type_, dates in by_type.items():
            got = [
                e["date"] for e in out["events"] if e["account"] == account and e["type"] == type_
            ]
            assert got == dates, f"{account} {type_}: on {got}, expected {dates}"
    if "ledger" in expect:
        balances = trial_balance(engine, scenario.until)
        got = {name: format_amount(balances.balance(GL[name])) for name in expect["ledger"]}
        assert got == expect["ledger"]
    shared = sqlite_outputs / f"overdue-{path.stem}.json"
    if engine.dialect.name == "sqlite":
        # Written whole then renamed, so a reader never sees half a file.
        partial = shared.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(out), encoding="utf-8")
        partial.replace(shared)
    else:
        reference = (
            json.loads(shared.read_text(encoding="utf-8")) if shared.exists() else replay(scenario)
        )
        assert out == reference
