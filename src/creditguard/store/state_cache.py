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
from collections import OrderedDict
from typing import Any

from creditguard.money import InputError

__all__ = ["STATES", "Key", "StateCache"]


Key = tuple[type, bytes]


class StateCache:
    """A bounded LRU map (state class, digest of the document text) → decoded state.

    The repository discards the entry of the text an account was loaded from when it saves a
    new one, so a book's live entries are about one per account; size the cache to the book
    (``CREDITGUARD_STATE_CACHE``): when a daily cycle over more accounts than fit meets LRU
    eviction, every load misses.
    """

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("cache size must not be negative")
        self.size = size
        self._states: OrderedDict[Key, Any] = OrderedDict()
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
        self._states.move_to_end(key)
        self.hits += 1
        return state

    def put(self, key: Key, state: Any) -> None:
        """Remember ``state`` under ``key`` (dropping the least recently used beyond the size)."""
        if self.size == 0:
            return
        self._states[key] = state
        self._states.move_to_end(key)
        while len(self._states) > self.size:
            self._states.popitem(last=False)

    def discard(self, key: Key) -> None:
        """Forget ``key`` (its text was replaced by a newer one)."""
        self._states.pop(key, None)

    def __len__(self) -> int:
        return len(self._states)

    def clear(self) -> None:
        """Forget every state (tests use it to compare with fresh decoding)."""
        self._states.clear()


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
