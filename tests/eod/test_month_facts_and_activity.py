"""The end of day's leaner reads and writes leave exactly what the previous ones did.

Two parts of the overdue step were reshaped for speed; each is checked against the code it
replaced (kept below, verbatim apart from names; the active-borrower reference shares the
per-account rule and keeps only its previous queries), on every business date of a seeded
simulation, inside the same transaction:

- the **month facts** are read in fewer statements and only changed rows are rewritten: the
  previous implementation runs first in a savepoint that is rolled back, then the new one, and
  the month table must end up with exactly the previous implementation's rows;
- the **active-borrower test** reads the chunk's accounts once (the cross-borrower loan query
  only when such a loan is there): it must choose the same borrowers as the previous queries.

The simulation runs on SQLite; the cross-borrower test below and the golden scenarios run on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import (
    BindParameter,
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
)

from creditguard.reporting.bureau_pboc import SPECIAL_EVENT_TYPES, special_codes
from creditguard.servicing import end_of_day
from creditguard.servicing.service import Servicing
from creditguard.simulate import run as sim_run
from creditguard.simulate.scenario import Behaviour, MacroShock, Outage, SimScenario
from creditguard.store.db import connect
from creditguard.store.overdue_tables import account_status, bureau_months
from creditguard.store.servicing_tables import accounts, obligations, unpaid
from creditguard.store.tables import journal_entries, outbox_events

SCENARIO = SimScenario(
    name="bulk-writes",
    seed=11,
    borrowers=60,
    months=5,
    start=date(2026, 1, 1),
    onboarding_months=1,
    macro=(MacroShock(month=1, multiplier=10.0, label="shock"),),
    outages=(Outage(date(2026, 2, 9), date(2026, 2, 11), relief_days=3),),
    behaviour=Behaviour(forget_scale=4.0, min_payer_share=0.4, prepay_rate=0.3),
)


def _month_rows(conn: Connection) -> list[tuple[Any, ...]]:
    # ``special`` (a JSON list) as a tuple, so rows can be looked up in a set.
    return [
        tuple(tuple(v) if isinstance(v, list) else v for v in r)
        for r in conn.execute(
            select(bureau_months).order_by(bureau_months.c.account_id, bureau_months.c.month)
        )
    ]


# -- the month facts as they were written before (reference; verbatim apart from names) ---------

_NAMES: BindParameter[Any] = bindparam("names", expanding=True)
_OLD_MONTH_PAID = (
    select(journal_entries.c.account_ref)
    .where(journal_entries.c.business_date == bindparam("on"))
    .where(journal_entries.c.kind == "repay")
    .where(journal_entries.c.account_ref.in_(_NAMES))
)
_OLD_MONTH_PRINCIPAL = select(accounts.c.account_id, accounts.c.principal_balance).where(
    accounts.c.account_id.in_(_NAMES)
)
_OLD_MONTH_EXISTING = (
    select(bureau_months)
    .where(bureau_months.c.month == bindparam("month"))
    .where(bureau_months.c.account_id.in_(_NAMES))
)
_OLD_MONTH_DELETE = (
    delete(bureau_months)
    .where(bureau_months.c.month == bindparam("month"))
    .where(bureau_months.c.account_id.in_(_NAMES))
)
_OLD_MONTH_SPECIAL = (
    select(outbox_events.c.account_ref, outbox_events.c.type, outbox_events.c.payload)
    .where(outbox_events.c.business_date == bindparam("on"))
    .where(outbox_events.c.type.in_(SPECIAL_EVENT_TYPES))
    .where(outbox_events.c.account_ref.in_(_NAMES))
)
_OLD_MONTH_ENDED = (
    select(bureau_months.c.account_id)
    .where(bureau_months.c.month < bindparam("month"))
    .where(bureau_months.c.ended_on.is_not(None))
    .where(bureau_months.c.account_id.in_(_NAMES))
)


def _old_save_month_facts(
    conn: Connection, on: date, after: pl.DataFrame, obs: pl.DataFrame
) -> None:
    month = f"{on.year:04d}-{on.month:02d}"
    names = after.get_column("account").to_list()
    paid_today = {
        str(a) for a in conn.execute(_OLD_MONTH_PAID, {"on": on, "names": names}).scalars()
    }
    fell_due, charges, overdue = end_of_day._month_amounts(on, after.height, obs)
    principal = {str(a): int(b) for a, b in conn.execute(_OLD_MONTH_PRINCIPAL, {"names": names})}
    existing = {
        r.account_id: r for r in conn.execute(_OLD_MONTH_EXISTING, {"month": month, "names": names})
    }
    conn.execute(_OLD_MONTH_DELETE, {"month": month, "names": names})
    special: dict[str, set[int]] = defaultdict(set)
    for account, type_, payload in conn.execute(_OLD_MONTH_SPECIAL, {"on": on, "names": names}):
        special[str(account)].update(special_codes(type_, payload))
    ended_before = {
        str(a) for a in conn.execute(_OLD_MONTH_ENDED, {"month": month, "names": names}).scalars()
    }
    columns = after.select(
        "dpd", "delinquent", "classification", "written_off_on", "status", "notice_sent_on"
    ).get_columns()
    rows = []
    for i, (account, dpd, delinquent, classification, written_off_on, status, notice) in enumerate(
        zip(names, *(c.to_list() for c in columns), strict=True)
    ):
        if account in ended_before:
            continue
        old = existing.get(account)
        settled = status == "settled"
        rows.append(
            {
                "account_id": account,
                "month": month,
                "dpd": int(dpd),
                "delinquent_at_end": bool(delinquent),
                "delinquent_in_month": bool(delinquent)
                or bool(old is not None and old.delinquent_in_month),
                "activity": bool(fell_due[i])
                or account in paid_today
                or bool(old is not None and old.activity),
                "balance": principal.get(account, 0) + int(charges[i]),
                "overdue_amount": int(overdue[i]),
                "classification": classification,
                "written_off_on": written_off_on,
                "ended_on": (old.ended_on if old is not None and old.ended_on else on)
                if settled
                else None,
                "ended_how": "settled" if settled else None,
                "special": sorted(special[account].union(old.special or []))
                if old is not None
                else sorted(special[account]),
                "notice_sent_on": notice,
            }
        )
    if rows:
        conn.execute(insert(bureau_months), rows)


# -- the active-borrower test as it was (reference) ---------------------------------------------

_CHUNK: BindParameter[Any] = bindparam("borrowers", expanding=True)
_LINE = accounts.alias("line")
# The quiet-status rule (end_of_day._QUIET_STATUS) is shared. What changed, and what this
# checks, is how the rest is asked (one correlated EXISTS over all of an account's obligations
# then; date-indexed lists and the partial index of open obligations now) and how borrowers are
# found from it (one pass with the line's borrower, the pairs asked only when such a loan is in
# the chunk), against the previous queries.
_OLD_ACTIVE_ACCOUNT = or_(
    account_status.c.account_id.is_(None),
    ~end_of_day._QUIET_STATUS,
    accounts.c.status.not_in(("active", "settled")),
    exists()
    .where(obligations.c.account_id == accounts.c.account_id)
    .where(
        or_(
            and_(
                unpaid() > 0,
                or_(
                    obligations.c.due_date <= bindparam("soon"),
                    obligations.c.original_due_date <= bindparam("soon"),
                ),
            ),
            obligations.c.due_date == bindparam("on"),
        )
    ),
    exists()
    .where(journal_entries.c.account_ref == accounts.c.account_id)
    .where(journal_entries.c.business_date == bindparam("on")),
    exists()
    .where(outbox_events.c.account_ref == accounts.c.account_id)
    .where(outbox_events.c.business_date == bindparam("on")),
)
_OLD_ACTIVE = (
    select(accounts.c.borrower_id)
    .distinct()
    .select_from(accounts.outerjoin(account_status))
    .where(accounts.c.borrower_id.in_(_CHUNK))
    .where(_OLD_ACTIVE_ACCOUNT)
)
_OLD_CROSS = (
    select(accounts.c.borrower_id, _LINE.c.borrower_id)
    .join(_LINE, _LINE.c.account_id == accounts.c.line_ref)
    .where(accounts.c.borrower_id.in_(_CHUNK))
    .where(_LINE.c.borrower_id.in_(_CHUNK))
    .where(accounts.c.borrower_id != _LINE.c.borrower_id)
)


def _old_active_borrowers(conn: Connection, borrowers: Sequence[str], on: date) -> list[str]:
    soon = on + timedelta(days=3)
    chunk = list(borrowers)
    rows = conn.execute(_OLD_ACTIVE, {"borrowers": chunk, "on": on, "soon": soon}).scalars()
    active = {str(b) for b in rows}
    for loan_borrower, line_borrower in conn.execute(_OLD_CROSS, {"borrowers": chunk}):
        if loan_borrower in active or line_borrower in active:
            active.update((str(loan_borrower), str(line_borrower)))
    return sorted(active)


# -- the run ------------------------------------------------------------------------------------


def test_month_facts_and_active_borrowers_equal_the_previous_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = defaultdict(int)
    month_facts = end_of_day._save_month_facts
    active_borrowers = end_of_day._active_borrowers

    def checked_month_facts(
        conn: Connection,
        on: date,
        after: pl.DataFrame,
        obs: pl.DataFrame,
        *,
        rewrite_all: bool = False,
    ) -> None:
        before = set(_month_rows(conn))
        savepoint = conn.begin_nested()
        _old_save_month_facts(conn, on, after, obs)
        expected = _month_rows(conn)
        savepoint.rollback()
        month_facts(conn, on, after, obs, rewrite_all=rewrite_all)
        got = _month_rows(conn)
        assert got == expected, on
        month = f"{on.year:04d}-{on.month:02d}"
        names = set(after.get_column("account").to_list())
        kept = [r for r in got if r[1] == month and r[0] in names and r in before]
        seen["month rows kept"] += len(kept)
        seen["month rows written"] += sum(1 for r in got if r[1] == month and r not in before)
        seen["accounts ended before"] += sum(
            1 for r in got if r[0] in names and r[1] < month and r[10] is not None
        )

    def checked_active(conn: Connection, borrowers: Sequence[str], on: date) -> list[str]:
        chosen = active_borrowers(conn, borrowers, on)
        assert chosen == _old_active_borrowers(conn, borrowers, on), on
        seen["active days"] += 1
        seen["skipped borrowers"] += len(borrowers) - len(chosen)
        return chosen

    monkeypatch.setattr(end_of_day, "_save_month_facts", checked_month_facts)
    monkeypatch.setattr(end_of_day, "_active_borrowers", checked_active)
    engine = connect(f"sqlite:///{tmp_path / 'bulk.sqlite'}", durable=False)
    try:
        result = sim_run.simulate(SCENARIO, engine)
    finally:
        engine.dispose()
    assert len(result.days) > 100
    # Every path was exercised: month rows left alone and rewritten, accounts that ended in an
    # earlier month, quiet borrowers skipped.
    assert seen["month rows kept"] > 100 and seen["month rows written"] > 100, dict(seen)
    assert seen["accounts ended before"] > 0, dict(seen)
    assert seen["active days"] > 100 and seen["skipped borrowers"] > 1000, dict(seen)


def test_a_loan_drawn_from_another_borrowers_line_goes_with_it(engine: Any) -> None:
    """Borrower B's loan drawn from borrower A's line: when either is active, both are chosen
    (the one-pass query asks for the pairs only then), as the previous queries chose them."""
    svc = Servicing(engine, actor="test")
    svc.set_business_date(date(2026, 1, 20))
    for borrower in ("A", "B", "Q"):
        svc.add_borrower(borrower, borrower.lower())
    svc.open_line("C1", "credit-pay", 100_000, "A")
    svc.disburse("L1", "cash-loan", 300_000, 6, line="C1", borrower="B")
    svc.open_line("C2", "credit-pay", 100_000, "Q")
    for _ in range(3):
        svc.end_of_day(svc.business_date())

    def chosen() -> list[str]:
        with engine.connect() as conn:
            on = svc.business_date()
            everyone = end_of_day._borrowers(conn)
            new = end_of_day._active_borrowers(conn, everyone, on)
            assert new == _old_active_borrowers(conn, everyone, on)
            return new

    assert chosen() == []  # a quiet day: nothing due soon, nothing posted
    svc.purchase("C1", 20_000, purchase_id="p1")  # A's line is active today ...
    assert chosen() == ["A", "B"]  # ... so B's loan drawn from it goes through with it
    svc.end_of_day(svc.business_date())
    assert chosen() == []
    svc.repay("L1", 5_000, payment_id="r1")  # B's loan is active: A's line goes along
    assert chosen() == ["A", "B"]
