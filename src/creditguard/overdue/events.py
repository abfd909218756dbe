"""Domain events of a day as a frame (account, type, payload): built from before/after masks.

Payloads are JSON objects with sorted keys (deterministic bytes); money in them is a decimal
string ("12.34", SPEC §1), dates ISO strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from creditguard.overdue.frames import EVENTS_SCHEMA

__all__ = ["EVENT_ORDER", "amount_text", "event_frame", "events_of", "rows_of"]

Array = NDArray[Any]

# Within one account, events appear in the order of the EOD steps that cause them (SPEC §7).
EVENT_ORDER = (
    "PastDue",
    "Cured",
    "BucketChanged",
    "NegativeReportNotice",
    "ClassificationChanged",
    "LineFrozen",
    "LineClosed",
    "LineRestored",
    "WrittenOff",
    "PaymentDueSoon",
)
_RANK = {name: i for i, name in enumerate(EVENT_ORDER)}


def amount_text(column: pl.Expr) -> pl.Expr:
    """Non-negative fen as a decimal string with two places (``1234`` → ``"12.34"``)."""
    return pl.format(
        "{}.{}",
        column // 100,
        (column % 100).cast(pl.String).str.zfill(2),
    )


def event_frame(
    event_type: str, rows: Array, accounts: pl.Series, payload: Mapping[str, pl.Series | pl.Expr]
) -> pl.DataFrame:
    """Events of one type for the account ``rows`` (positions in ``accounts``).

    ``payload`` maps key → a Series aligned with ``rows`` (or an expression over those columns).
    """
    base = pl.DataFrame({"_row": pl.Series(rows, dtype=pl.Int64), "account": accounts.gather(rows)})
    series = {k: v for k, v in payload.items() if isinstance(v, pl.Series)}
    exprs = {k: v for k, v in payload.items() if isinstance(v, pl.Expr)}
    frame = base.with_columns(**series).with_columns(**exprs)
    keys = sorted(payload)
    return frame.select(
        "_row",
        "account",
        pl.lit(event_type).alias("type"),
        pl.lit(_RANK[event_type], dtype=pl.Int64).alias("_rank"),
        pl.struct(keys).struct.json_encode().alias("payload"),
    )


def events_of(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate event parts in account order, then EOD-step order; drop helper columns."""
    nonempty = [p for p in parts if p.height]
    if not nonempty:
        return pl.DataFrame(schema=EVENTS_SCHEMA)
    out = pl.concat(nonempty, how="vertical").sort(["_row", "_rank"], maintain_order=True)
    return out.select(list(EVENTS_SCHEMA))


def rows_of(mask: Array) -> Array:
    """Positions where ``mask`` is true, as int64."""
    return np.flatnonzero(mask).astype(np.int64)
