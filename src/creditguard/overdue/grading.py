"""Buckets, five-category classification, IFRS 9 stage, non-accrual and write-off (SPEC §6).

Array kernels per account. Only the DPD of a *delinquent* account grades it: in grace (DPD ≤
grace) the account is M0, ``normal`` and stage 1 as far as DPD goes (SPEC §6 "Grace"); an early
warning flag or a restructuring still apply in grace, as they do not come from DPD.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "bucket_index",
    "bucket_label",
    "classify",
    "non_accrual",
    "stage",
    "write_off",
]

Array = NDArray[Any]
NORMAL, SPECIAL_MENTION, SUBSTANDARD, DOUBTFUL, LOSS = range(5)
# Class minimums by DPD: 1–90 special mention, 91–270 substandard, 271–360 doubtful, > 360 loss.
_CLASS_EDGES = np.array([0, 90, 270, 360], dtype=np.int64)


def bucket_index(graded_dpd: Array, product: Array, edges: Sequence[Sequence[int]]) -> Array:
    """Bucket number: 0 (M0) for DPD 0, else 1 + the number of edges below the DPD.

    ``edges[k]`` are product k's sorted edges, e.g. 30, 60, …, 180: DPD 30 → M1, 31 → M2,
    180 → M6, 181 → M7 (shown ``M7+``, the last bucket). ``product`` indexes ``edges``.
    """
    index = np.zeros(graded_dpd.shape[0], dtype=np.int8)
    rows = np.flatnonzero(graded_dpd > 0)
    dpd, prod = graded_dpd[rows], product[rows]
    for k, product_edges in enumerate(edges):
        mine = prod == k
        found = np.searchsorted(np.asarray(product_edges, dtype=np.int64), dpd[mine], side="left")
        index[rows[mine]] = found + 1
    return index


def bucket_label(index: int, n_edges: int) -> str:
    """``M0`` … ``M<n>`` and ``M<n+1>+`` for the open last bucket (``M7+`` by default)."""
    return f"M{index}+" if index == n_edges + 1 else f"M{index}"


def classify(
    t: int,
    graded_dpd: Array,
    written_off: Array,
    observation_end: Array,
    restructured_class: Array,
) -> Array:
    """Five-category class index (0 normal … 4 loss): the DPD minimum and the floors.

    ``observation_end`` is a day number (or a value below ``t`` when there is none);
    ``restructured_class`` the class index when restructured (−1 when none). During the
    observation period the class is at least special mention, and no better than the class at
    restructuring when that was substandard or worse; after it the DPD rule alone applies.
    """
    by_dpd = np.searchsorted(_CLASS_EDGES, graded_dpd, side="left")
    in_observation = observation_end >= t
    floor = np.where(
        in_observation,
        np.maximum(
            SPECIAL_MENTION, np.where(restructured_class >= SUBSTANDARD, restructured_class, 0)
        ),
        NORMAL,
    )
    cls: Array = np.where(written_off, LOSS, np.maximum(by_dpd, floor)).astype(np.int8)
    return cls


def stage(
    t: int, graded_dpd: Array, written_off: Array, observation_end: Array, early_warning: Array
) -> Array:
    """IFRS 9 stage: 3 over 90 DPD or written off; 2 at 31–90 DPD, restructured in observation
    or early warning (the only significant-increase triggers); else 1."""
    three = (graded_dpd > 90) | written_off
    two = (graded_dpd > 30) | (observation_end >= t) | early_warning
    result: Array = np.where(three, np.int8(3), np.where(two, np.int8(2), np.int8(1)))
    return result


def non_accrual(dpd: Array, written_off: Array) -> Array:
    """Above 90 DPD (or written off): interest and penalties go to suspense, not income."""
    result: Array = (dpd > 90) | written_off
    return result


def write_off(dpd: Array, write_off_dpd: Array, already: Array) -> Array:
    """True where the account is written off today: DPD reached the product's threshold."""
    result: Array = ~already & (dpd >= write_off_dpd)
    return result
