"""An account document's canonical JSON text, re-encoding only what changed since it was read.

A command changes a few fields of an account's state and appends to its tuples (purchases,
payments, the command log); the rest are the very objects the state was loaded with. Encoding
the whole document again — the largest cost of a command on an aged credit-pay line — is then
mostly repeated work. :func:`encode_document` keeps each field's text, and each tuple element's,
from the load, re-encodes only fields that are new objects and tuple elements past the longest
prefix of identical objects, and joins the pieces into exactly the text
``canonical_json(document)`` would give (frozen dataclasses: the same object, the same text).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from operator import is_
from typing import Any

from creditguard.store.codec import encode
from creditguard.store.jsonutil import canonical_json

__all__ = ["Encoded", "encode_document"]

# Tests set this to check every joined text against encoding the whole document.
VERIFY = False


@dataclass(frozen=True, slots=True)
class Encoded:
    """A document state (obligation fields empty) and, when known, the texts it encodes to."""

    state: Any
    # Kept once per piece (a cached state holds them for the account's next save): the texts of
    # fields that are not tuples; for each tuple field, its elements' texts joined by commas
    # (without the brackets) and the offset where each element's text ends, so that a prefix
    # of the elements is a prefix of the text.
    fields: dict[str, str] | None = None
    items: dict[str, tuple[str, list[int]]] | None = None


def _shared_prefix(new: tuple[Any, ...], old: tuple[Any, ...]) -> int:
    """How many leading elements ``new`` shares with ``old``, by identity.

    A command appends to its tuples or replaces their last element (a trailing accrual or
    penalty folded into the newest one), so those two cases are asked first, each in one C
    loop; anything else falls back to the element-by-element scan.
    """
    n = min(len(new), len(old))
    if all(map(is_, new[:n], old[:n])):
        return n
    if n and all(map(is_, new[: n - 1], old[: n - 1])):
        return n - 1
    for i in range(n):
        if new[i] is not old[i]:
            return i
    return n  # pragma: no cover - the first check returned already


def _joined(values: Any, text: str = "", ends: list[int] | None = None) -> tuple[str, list[int]]:
    """``text`` (whose element ends are ``ends``) with ``values``' texts appended."""
    ends = [] if ends is None else ends
    pieces = [text] if text else []
    at = len(text)
    for value in values:
        piece = canonical_json(encode(value))
        if at:
            at += 1  # the comma
        at += len(piece)
        pieces.append(piece)
        ends.append(at)
    return ",".join(pieces), ends


def encode_document(
    state: Any, names: tuple[str, ...], before: Encoded | None
) -> tuple[str, Encoded]:
    """``state``'s document text (its fields ``names``, sorted), reusing ``before``'s pieces;
    and the pieces, for the next save.

    ``state`` must already have its obligation fields emptied (they are rows, not document).
    """
    fields: dict[str, str] = {}
    items: dict[str, tuple[str, list[int]]] = {}
    old_fields = before.fields if before is not None else None
    old_items = before.items if before is not None else None
    for name in names:
        value = getattr(state, name)
        if before is not None and old_fields is not None and old_items is not None:
            prior = getattr(before.state, name)
            if value is prior:
                if name in old_items:
                    items[name] = old_items[name]
                else:
                    fields[name] = old_fields[name]
                continue
            if type(value) is tuple and name in old_items:
                k = _shared_prefix(value, prior)
                text, ends = old_items[name]
                kept = ends[k - 1] if k else 0
                items[name] = _joined(value[k:], text[:kept], ends[:k])
                continue
        if type(value) is tuple:
            items[name] = _joined(value)
        else:
            fields[name] = canonical_json(encode(value))
    # Field names are plain identifiers: their JSON is the name in quotes.
    text = "{" + ",".join(f'"{name}":{_piece(name, fields, items)}' for name in sorted(names)) + "}"
    if VERIFY:
        whole = canonical_json({name: encode(getattr(state, name)) for name in names})
        if text != whole:
            raise AssertionError(f"joined document text differs:\n{text}\n{whole}")
    return text, Encoded(state, fields, items)


def _piece(name: str, fields: dict[str, str], items: dict[str, tuple[str, list[int]]]) -> str:
    found = items.get(name)
    return fields[name] if found is None else "[" + found[0] + "]"


def document_names(cls: type, obligation_fields: tuple[str, ...]) -> tuple[str, ...]:
    """The fields of ``cls`` that its document holds (all but the obligation rows)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in obligation_fields)
