"""The decoded-state cache and the incremental document text, on the engine's real saves.

SQLite only: there the repository stores the document as the text it encoded and the driver
returns it as text. PostgreSQL's driver returns JSONB parsed, so the repository decodes and
encodes whole documents there (the rest of the suite covers that path on both databases).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.simulate import run as sim_run
from creditguard.simulate.scenario import shipped_scenario
from creditguard.store import account_repo, document_text
from creditguard.store.account_repo import AccountRepository
from creditguard.store.db import connect
from creditguard.store.servicing_tables import obligations
from creditguard.store.state_cache import STATES, StateCache


def _all_states(engine: Engine) -> dict[str, object]:
    with engine.begin() as conn:
        repo = AccountRepository(conn, ACCOUNT_TYPES)
        return {s.account: s for s in repo.all()}


@dataclass
class _Run:
    engine: Engine
    entries_after_run: int  # live cache entries when the simulation ended
    prefixes: list[int]  # shared-prefix lengths document_text found, one per tuple field


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Run]:
    """A 40 × 3 simulation with every joined document text checked against the whole-document
    encoding (``document_text.VERIFY`` raises on any difference, failing the run)."""
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('cache') / 'sim.sqlite'}")
    prefixes: list[int] = []
    original = document_text._shared_prefix

    def counting(new: tuple[object, ...], old: tuple[object, ...]) -> int:
        k = original(new, old)
        prefixes.append(k)
        return k

    STATES.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(document_text, "VERIFY", True)
        mp.setattr(document_text, "_shared_prefix", counting)
        sim_run.simulate(replace(shipped_scenario("default"), borrowers=40, months=3), engine)
    yield _Run(engine, len(STATES), prefixes)
    engine.dispose()


def test_joined_texts_reused_pieces(simulated: _Run) -> None:
    """Saves reused the pieces they loaded: aged accounts append to tuples they read."""
    assert sum(k > 0 for k in simulated.prefixes) > 100


def test_cached_states_equal_fresh_decoding(simulated: _Run) -> None:
    """Loads after the run are served from the saves' entries and equal a fresh decode (of
    the document and of every obligation row)."""
    hits = STATES.hits
    cached = _all_states(simulated.engine)
    assert STATES.hits - hits == len(cached) > 20  # every load hit
    STATES.clear()
    account_repo._LOADED_ROWS.clear()
    assert _all_states(simulated.engine) == cached


def test_unchanged_obligation_rows_are_neither_rebuilt_nor_rewritten(simulated: _Run) -> None:
    """A second load shares the first's obligation objects (the rows' cache), and saving a
    state as loaded queues no row write; changing one obligation queues exactly one update:
    of its amounts alone when its place and dates are as loaded, of the whole row otherwise.
    Both land in the row as the state holds it."""
    first = _all_states(simulated.engine)
    again = _all_states(simulated.engine)
    line = next(s for s in first.values() if len(getattr(s, "statements", ())) >= 2)
    assert all(a is b for a, b in zip(again[line.account].statements, line.statements, strict=True))
    with simulated.engine.begin() as conn:
        repo = AccountRepository(conn, ACCOUNT_TYPES, staged=True)
        state = repo.get(line.account)
        repo._stage_rows(state)
        writes = repo._row_writes
        empty: tuple[list[Any], ...] = ([], [], [], [], [])
        assert (writes.replaced, writes.gone, writes.changed, writes.amounts, writes.added) == empty
        repo.get(line.account)  # loaded again: the baseline is back
        ob = state.statements[0]
        bumped = replace(ob, minimum=ob.minimum + 1)
        repo._stage_rows(replace(state, statements=(bumped, *state.statements[1:])))
        assert len(writes.amounts) == 1 and writes.amounts[0]["v_minimum"] == ob.minimum + 1
        assert "v_due_date" not in writes.amounts[0]  # the due-date indexes are left alone
        assert (writes.replaced, writes.gone, writes.changed, writes.added) == ([], [], [], [])
        repo._write_staged_rows()
        repo.get(line.account)
        moved = replace(bumped, due_date=ob.due_date + timedelta(days=3))
        repo._stage_rows(replace(state, statements=(moved, *state.statements[1:])))
        writes = repo._row_writes
        assert len(writes.changed) == 1 and writes.amounts == []
        assert writes.changed[0]["v_due_date"] == moved.due_date
        repo._write_staged_rows()
        row = conn.execute(
            select(obligations.c.minimum, obligations.c.due_date, obligations.c.original_due_date)
            .where(obligations.c.account_id == line.account)
            .where(obligations.c.ref == ob.ref)
        ).one()
        assert tuple(row) == (ob.minimum + 1, moved.due_date, ob.original_due_date)
        conn.rollback()


def test_a_save_replaces_the_entry_it_was_loaded_from(simulated: _Run) -> None:
    """Live entries stay about one per account: a save discards the text it replaced."""
    accounts = len(_all_states(simulated.engine))
    # (a command refused after its save, rolled back, may leave an orphan entry)
    assert accounts <= simulated.entries_after_run <= accounts + accounts // 20 + 2


def test_cache_is_bounded_and_content_keyed() -> None:
    """Never more than ``size`` entries; the same text under another class is another entry."""
    cache = StateCache(2)
    a, b, c = (cache.key(int, t) for t in "abc")
    cache.put(a, 1)
    cache.put(b, 2)
    assert cache.get(a) == 1 and cache.get(b) == 2
    cache.put(c, 3)  # full: one of a and b makes room
    assert len(cache) == 2 and cache.get(c) == 3
    assert [cache.get(a), cache.get(b)].count(None) == 1
    assert cache.get(cache.key(str, "c")) is None
    cache.discard(c)
    assert cache.get(c) is None and len(cache) == 1
    cache.put(c, 4)
    cache.put(c, 5)  # the same key again replaces, evicts nothing
    assert cache.get(c) == 5 and len(cache) == 2
    off = StateCache(0)
    off.put(a, 1)
    assert len(off) == 0 and off.get(a) is None


def test_a_daily_cycle_over_more_accounts_than_fit_still_hits() -> None:
    """The simulator's pattern: every account once a day, in the same order, each load a miss
    put back. With least-recently-used eviction every load of a cycle over 2 × size keys
    misses; random eviction keeps a fair share (expected about a third here)."""
    size, accounts = 1_000, 2_000
    cache = StateCache(size, seed=7)
    keys = [cache.key(int, str(i)) for i in range(accounts)]
    for _day in range(5):
        for k in keys:
            if cache.get(k) is None:
                cache.put(k, 0)
    cache.hits = cache.misses = 0
    for k in keys:
        if cache.get(k) is None:
            cache.put(k, 0)
    assert len(cache) == size
    assert cache.hits > accounts // 5, cache.hits


def test_cache_size_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``CREDITGUARD_STATE_CACHE`` sizes the cache; a bad value names the variable."""
    from creditguard.money import InputError
    from creditguard.store import state_cache

    monkeypatch.setenv("CREDITGUARD_STATE_CACHE", "12")
    assert state_cache._size() == 12
    monkeypatch.delenv("CREDITGUARD_STATE_CACHE")
    assert state_cache._size() == 16_384
    monkeypatch.setenv("CREDITGUARD_STATE_CACHE", "lots")
    with pytest.raises(InputError, match="CREDITGUARD_STATE_CACHE"):
        state_cache._size()
