"""Property: whatever balanced entries are posted, stored balances equal derived balances."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from creditguard.ledger import GL, JournalEntry, Posting, balances, postings_of, reversal_of
from creditguard.ledger.balances import trial_balance as pure_trial_balance
from creditguard.store.uow import UnitOfWork
from creditguard.store.verify import trial_balance, verify_ledger

_counter = itertools.count()
_accounts = st.sampled_from(["L1", "L2", "A1"])
_gls = st.sampled_from(list(GL))


@st.composite
def _entry(draw: st.DrawFn) -> JournalEntry:
    account = draw(_accounts)
    lines: list[Posting] = []
    for _ in range(draw(st.integers(1, 3))):
        amount = draw(st.integers(1, 10**9))
        # One debit split into up to two credits, so entries have 2 to 6 lines.
        part = draw(st.integers(0, amount - 1))
        lines.append(Posting.dr(draw(_gls), account, amount))
        lines.append(Posting.cr(draw(_gls), draw(_accounts), amount - part))
        if part:
            lines.append(Posting.cr(draw(_gls), account, part))
    day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 60)))
    return JournalEntry(f"e{next(_counter)}", day, "test", account, tuple(lines), "prop")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_entry(), min_size=1, max_size=6), st.booleans())
def test_stored_balances_always_equal_derived(
    engine: Engine, entries: list[JournalEntry], reverse_first: bool
) -> None:
    # The database accumulates across examples: compare against everything posted so far.
    with UnitOfWork(engine) as uow:
        uow.post_all(entries)
        if reverse_first:
            uow.post(reversal_of(entries[0], f"{entries[0].key}-rev", date(2026, 3, 15), "p"))
    with UnitOfWork(engine) as uow:
        everything = uow.entries()
        derived = balances(postings_of(everything))
        for (gl, account), value in derived.items():
            assert uow.balance(gl, account) == value
    assert verify_ledger(engine) == []
    as_of = date(2026, 1, 31)
    expected = pure_trial_balance(postings_of(e for e in everything if e.business_date <= as_of))
    assert trial_balance(engine, as_of) == expected
