"""Line restrictions (SPEC §6): freeze, close, restore — with the rule that decided each change.

Every account is a *source* with a level from its own product's rules: 0 none (not
delinquent), 1 hold (delinquent, below the freeze rule), 2 freeze (delinquent and DPD ≥ the
freeze rule), 3 close (delinquent and DPD ≥ the close rule, or written off: SPEC §6 "the line
is closed"). A source acts on *targets*: a line on itself, a loan drawn from a line
(``line_ref``) on that line, and a source whose product has ``cross_default`` on every line of
the same borrower. Each line takes the strongest level acting on it:

- closed yesterday → ``closed`` (permanent; a cure does not undo it);
- close → ``closed``; freeze → ``frozen``;
- hold → unchanged (a frozen line stays frozen while anything acting on it is delinquent: it is
  restored only when "no longer delinquent"; an active line is not frozen below the rule);
- none → ``active`` (restored).

Ties are broken by the higher DPD, then the lower account row, so the reason is deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ACTIVE",
    "CLOSE",
    "CLOSED",
    "FREEZE",
    "FROZEN",
    "HOLD",
    "STATUSES",
    "line_levels",
    "next_line_status",
    "source_level",
]

Array = NDArray[Any]
ACTIVE, FROZEN, CLOSED = 0, 1, 2  # line statuses
NONE, HOLD, FREEZE, CLOSE = 0, 1, 2, 3  # source levels
STATUSES = ("active", "frozen", "closed")
NONE_DPD = np.iinfo(np.int64).max
_ROW_BITS = 26
_DPD_BITS = 26


def source_level(
    dpd: Array, delinquent: Array, written_off: Array, freeze_dpd: Array, close_dpd: Array
) -> Array:
    """Level 0–3 per account from its own product's rules (``NONE_DPD``: rule absent)."""
    close = (delinquent & (dpd >= close_dpd)) | written_off
    freeze = delinquent & (dpd >= freeze_dpd)
    level: Array = np.where(
        close,
        np.int8(CLOSE),
        np.where(freeze, np.int8(FREEZE), np.where(delinquent, np.int8(HOLD), np.int8(NONE))),
    )
    return level


def line_levels(
    n: int, level: Array, dpd: Array, source_rows: Array, target_rows: Array
) -> tuple[Array, Array, Array]:
    """``(strongest, targets, sources)``: the strongest level acting on each of the n rows
    (int8, 0 where nothing acts), and for each row something acts on (``targets``, sorted)
    the source row that set its level.

    ``source_rows``/``target_rows`` are the (source → line) pairs; pairs of level 0 are
    ignored. Only the pairs are sorted (one key per pair: level, DPD, then lower row first), so
    the cost follows the number of delinquent accounts, not the portfolio size.
    """
    if n >= 2**_ROW_BITS:
        raise ValueError("line_levels packs rows in 26 bits: at most 67M accounts per batch")
    lvl = level[source_rows].astype(np.int64)
    keep = lvl > 0
    src, dst, lvl = source_rows[keep], target_rows[keep], lvl[keep]
    d = np.minimum(dpd[src], 2**_DPD_BITS - 1)
    key = (lvl << (_ROW_BITS + _DPD_BITS)) | (d << _ROW_BITS) | (2**_ROW_BITS - 1 - src)
    order = np.lexsort((key, dst))
    dst, key = dst[order], key[order]
    last = np.flatnonzero(np.append(dst[1:] != dst[:-1], True)) if dst.size else dst
    targets, best = dst[last], key[last]
    strongest = np.zeros(n, dtype=np.int8)
    strongest[targets] = best >> (_ROW_BITS + _DPD_BITS)
    sources: Array = 2**_ROW_BITS - 1 - (best & (2**_ROW_BITS - 1))
    return strongest, targets, sources


def next_line_status(previous: Array, strongest: Array) -> Array:
    """Today's line status code from yesterday's and the strongest level acting on it."""
    result: Array = np.where(
        previous == CLOSED,
        np.int8(CLOSED),
        np.where(
            strongest == CLOSE,
            np.int8(CLOSED),
            np.where(
                strongest == FREEZE,
                np.int8(FROZEN),
                np.where(strongest == HOLD, previous.astype(np.int8), np.int8(ACTIVE)),
            ),
        ),
    )
    return result
