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
from collections import OrderedDict
from typing import Any

__all__ = ["STATES", "StateCache"]


class StateCache:
    """A bounded LRU map (state class, document text) → decoded state."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("cache size must not be negative")
        self.size = size
        self._states: OrderedDict[tuple[type, bytes], Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(cls: type, text: str) -> tuple[type, bytes]:
        return cls, hashlib.blake2b(text.encode("utf-8"), digest_size=20).digest()

    def get(self, cls: type, text: str) -> Any:
        """The state decoded from ``text`` as ``cls``, or ``None`` if not cached."""
        key = self._key(cls, text)
        state = self._states.get(key)
        if state is None:
            self.misses += 1
            return None
        self._states.move_to_end(key)
        self.hits += 1
        return state

    def put(self, cls: type, text: str, state: Any) -> None:
        """Remember that ``text`` decodes as ``cls`` to ``state`` (dropping the oldest)."""
        if self.size == 0:
            return
        key = self._key(cls, text)
        self._states[key] = state
        self._states.move_to_end(key)
        while len(self._states) > self.size:
            self._states.popitem(last=False)

    def clear(self) -> None:
        """Forget every state (tests use it to compare with fresh decoding)."""
        self._states.clear()


# ~10k aged accounts fit in a few hundred MB; a larger book just misses more often.
STATES = StateCache(8192)
