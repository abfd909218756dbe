"""Decoded account states, found again by the exact text of their stored document.

Decoding an aged credit-pay line's document (hundreds of purchases and logged commands) into
frozen dataclasses costs more than the rest of a command's reads. The repository saves an
account's document as text it has just encoded from a state it holds, and the next command on
that account reads that very text back, so the decoded value is known. The cache is keyed by
content — the state class and a digest of the text — never by account or version, so a rolled
back save, another database or another writer can only miss, never return a wrong state.
States are immutable (frozen dataclasses of tuples), so one decoded value can be shared.
"""

from __future__ import annotations

import hashlib
import os
import random
from typing import Any

from creditguard.money import InputError

__all__ = ["STATES", "Key", "StateCache"]


Key = tuple[type, bytes]


class StateCache:
    """A bounded map (state class, digest of the document text) → decoded state, evicting a
    random entry when full.

    Why random and not least-recently-used: the simulator and the end of day touch every
    account once a day in id order, and a daily cycle over more accounts than fit is LRU's
    worst case — every load misses (a 10,000-borrower run took 1.5× as long with 8,192
    entries). Random eviction keeps a share of such a book cached, and still keeps hot entries
    in a service whose traffic repeats (an evicted one comes back on its next load). The
    repository discards the entry of the text an account was loaded from when it saves a new
    one, so live entries are about one per account.
    """

    def __init__(self, size: int, *, seed: int = 0) -> None:
        if size < 0:
            raise ValueError("cache size must not be negative")
        self.size = size
        self._states: dict[Key, Any] = {}
        # The keys again, in a list (random choice and removal in O(1): swap with the last).
        self._keys: list[Key] = []
        self._at: dict[Key, int] = {}
        self._random = random.Random(seed)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(cls: type, text: str) -> Key:
        """The cache key of ``text`` decoded as ``cls``."""
        return cls, hashlib.blake2b(text.encode("utf-8"), digest_size=20).digest()

    def get(self, key: Key) -> Any:
        """The state cached under ``key``, or ``None``."""
        state = self._states.get(key)
        if state is None:
            self.misses += 1
            return None
        self.hits += 1
        return state

    def put(self, key: Key, state: Any) -> None:
        """Remember ``state`` under ``key`` (dropping a random entry beyond the size)."""
        if self.size == 0:
            return
        if key not in self._states:
            while len(self._keys) >= self.size:
                self.discard(self._keys[self._random.randrange(len(self._keys))])
            self._at[key] = len(self._keys)
            self._keys.append(key)
        self._states[key] = state

    def discard(self, key: Key) -> None:
        """Forget ``key`` (its text was replaced by a newer one)."""
        if self._states.pop(key, None) is None:
            return
        i = self._at.pop(key)
        last = self._keys.pop()
        if last != key:
            self._keys[i] = last
            self._at[last] = i

    def __len__(self) -> int:
        return len(self._states)

    def clear(self) -> None:
        """Forget every state (tests use it to compare with fresh decoding)."""
        self._states.clear()
        self._keys.clear()
        self._at.clear()


def _size() -> int:
    raw = os.environ.get("CREDITGUARD_STATE_CACHE", "")
    if not raw:
        return 16_384
    try:
        return int(raw)
    except ValueError:
        raise InputError(
            "CREDITGUARD_STATE_CACHE", f"must be a whole number, got {raw!r}"
        ) from None


# 16,384 aged accounts (a 10,000-borrower book) take about 1.5 GB.
STATES = StateCache(_size())
