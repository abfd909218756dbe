"""Canonical JSON: one text for one value, so request hashes and digests are stable."""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

__all__ = ["canonical_json", "to_plain"]


def _default(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Rates travel as decimal strings, never as floats.
        return str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=canonical_json)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ``json.dumps`` with these options builds this encoder anew for every call; it is every JSON
# column's serializer (account documents, events, audit rows), so one is built once.
_ENCODER = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    default=_default,
)
# What ``JSONEncoder.encode`` ends in for these options (no indent, the C accelerator present):
# one C encoder per call, over a fresh dict of the containers being encoded (the circular
# reference check). Calling it directly skips the Python layers in between.
_C_MAKE_ENCODER: Callable[..., Any] | None = getattr(json.encoder, "c_make_encoder", None)
_ENCODE_STR = json.encoder.encode_basestring


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys; dates, decimals, enums and fractions as strings.

    The text of ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False, default=...)``, character for character.
    """
    if _C_MAKE_ENCODER is None:  # pragma: no cover - CPython always has the accelerator
        return _ENCODER.encode(value)
    chunks = _C_MAKE_ENCODER({}, _default, _ENCODE_STR, None, ":", ",", True, False, False)(
        value, 0
    )
    return "".join(chunks)


def to_plain(value: Any) -> Any:
    """``value`` as it reads back from JSON storage (dates become strings, tuples lists)."""
    return json.loads(canonical_json(value))
