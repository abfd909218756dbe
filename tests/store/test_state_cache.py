"""The decoded-state cache returns exactly what decoding the stored document returns."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.simulate import run as sim_run
from creditguard.simulate.scenario import shipped_scenario
from creditguard.store import document_text
from creditguard.store.account_repo import AccountRepository
from creditguard.store.db import connect
from creditguard.store.state_cache import STATES, StateCache


def _all_states(engine: Engine) -> dict[str, object]:
    with engine.begin() as conn:
        repo = AccountRepository(conn, ACCOUNT_TYPES)
        return {s.account: s for s in repo.all()}


def test_cached_states_equal_fresh_decoding(engine: Engine) -> None:
    """After a simulation (saves fill the cache) every account loads equal to a fresh decode."""
    scenario = replace(shipped_scenario("default"), borrowers=40, months=3)
    sim_run.simulate(scenario, engine)
    hits = STATES.hits
    cached = _all_states(engine)
    if engine.dialect.name == "sqlite":
        assert STATES.hits > hits  # the loads above were served from saves' entries
    STATES.clear()
    fresh = _all_states(engine)
    assert len(fresh) > 20
    assert cached == fresh


def test_cache_is_bounded_and_content_keyed() -> None:
    """Oldest entries go first; the same text under another class is another entry."""
    cache = StateCache(2)
    a, b, c = (cache.key(int, t) for t in "abc")
    cache.put(a, 1)
    cache.put(b, 2)
    assert cache.get(a) == 1  # now "b" is the oldest
    cache.put(c, 3)
    assert cache.get(b) is None
    assert cache.get(a) == 1 and cache.get(c) == 3
    assert cache.get(cache.key(str, "a")) is None
    cache.discard(a)
    assert cache.get(a) is None and len(cache) == 1
    StateCache(0).put(a, 1)


def test_a_save_replaces_the_entry_it_was_loaded_from(tmp_path: Path) -> None:
    """Live entries stay about one per account: a save discards the text it replaced.

    SQLite only: PostgreSQL's driver returns JSONB parsed, so nothing is cached there."""
    engine = connect(f"sqlite:///{tmp_path / 'cache.sqlite'}")
    STATES.clear()
    scenario = replace(shipped_scenario("default"), borrowers=40, months=3)
    sim_run.simulate(scenario, engine)
    accounts = len(_all_states(engine))
    # (a command refused after its save, rolled back, may leave one orphan entry)
    assert accounts <= len(STATES) <= accounts + accounts // 20 + 2


def test_joined_document_text_is_the_canonical_text(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every save of a simulation joins reused and fresh pieces into exactly the text that
    encoding the whole document gives (document_text.VERIFY raises on any difference), and
    the pieces were reused: aged accounts append to tuples they loaded."""
    monkeypatch.setattr(document_text, "VERIFY", True)
    calls: list[int] = []
    original = document_text._shared_prefix

    def counting(new: tuple[object, ...], old: tuple[object, ...]) -> int:
        k = original(new, old)
        calls.append(k)
        return k

    monkeypatch.setattr(document_text, "_shared_prefix", counting)
    scenario = replace(shipped_scenario("default"), borrowers=40, months=3)
    sim_run.simulate(scenario, engine)
    if engine.dialect.name == "sqlite":
        assert sum(k > 0 for k in calls) > 100
