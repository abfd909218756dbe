"""The decoded-state cache returns exactly what decoding the stored document returns."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.simulate import run as sim_run
from creditguard.simulate.scenario import shipped_scenario
from creditguard.store import document_text
from creditguard.store.account_repo import AccountRepository
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
    cache.put(int, "a", 1)
    cache.put(int, "b", 2)
    assert cache.get(int, "a") == 1  # now "b" is the oldest
    cache.put(int, "c", 3)
    assert cache.get(int, "b") is None
    assert cache.get(int, "a") == 1 and cache.get(int, "c") == 3
    assert cache.get(str, "a") is None
    StateCache(0).put(int, "a", 1)


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
