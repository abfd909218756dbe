"""Canonical JSON: one text for one value, so request hashes and digests are stable."""

from __future__ import annotations

import json
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


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys; dates, decimals, enums and fractions as strings."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def to_plain(value: Any) -> Any:
    """``value`` as it reads back from JSON storage (dates become strings, tuples lists)."""
    return json.loads(canonical_json(value))
