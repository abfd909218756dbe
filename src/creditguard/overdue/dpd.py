"""Past due, days past due and grace (SPEC §6): array kernels over obligations and accounts.

Dates are int64 day numbers (days since 1970-01-01, Polars' physical Date); money int64 fen.
Every function works on arrays of any length, one obligation or thirty million alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["NO_DUE", "account_dpd", "grace_state", "past_due", "unpaid_amounts"]

Array = NDArray[Any]
I64 = np.int64
# Larger than any day number: "no past-due obligation" in a minimum over due dates.
NO_DUE = np.iinfo(I64).max


def unpaid_amounts(
    due: dict[str, Array], paid: dict[str, Array], waived: dict[str, Array], minimum: Array
) -> dict[str, Array]:
    """Per obligation: unpaid principal, interest, non-penalty total and minimum still unpaid.

    A statement's minimum counts everything paid or waived on it, penalties included (SPEC §5);
    an installment's ``minimum`` is its non-penalty total, so the same formula serves both.
    """
    left = {c: due[c] - paid[c] - waived[c] for c in ("principal", "interest", "fee")}
    settled = sum((paid[c] + waived[c] for c in due), start=np.zeros_like(minimum))
    return {
        "principal": left["principal"],
        "interest": left["interest"],
        "nonpenalty": left["principal"] + left["interest"] + left["fee"],
        "minimum": np.maximum(minimum - settled, 0),
    }


def past_due(
    t: int,
    due_date: Array,
    is_statement: Array,
    nonpenalty_unpaid: Array,
    minimum_unpaid: Array,
    tolerance: Array,
) -> Array:
    """True where the obligation is past due at business date ``t`` (SPEC §6).

    Installment: t after its due date and unpaid non-penalty amount over the tolerance.
    Statement: t after its due date and its minimum not fully paid (the unpaid part of the
    minimum over the tolerance, so a tolerance of 0 means "not fully paid").
    """
    owed = np.where(is_statement, minimum_unpaid, nonpenalty_unpaid)
    result: Array = (t > due_date) & (owed > tolerance)
    return result


def account_dpd(t: int, account_row: Array, due_date: Array, is_past_due: Array, n: int) -> Array:
    """DPD per account: t − the due date of its oldest past-due obligation, 0 when none.

    ``account_row`` maps each obligation to its account (0 … n−1). Write-off does not stop the
    count: the caller passes written-off accounts' obligations like any other.
    """
    oldest = np.full(n, NO_DUE, dtype=I64)
    rows = account_row[is_past_due]
    np.minimum.at(oldest, rows, due_date[is_past_due])
    dpd: Array = np.where(oldest == NO_DUE, 0, t - oldest)
    return dpd


def grace_state(dpd: Array, grace_days: Array) -> tuple[Array, Array]:
    """``(in_grace, delinquent)``: 0 < DPD ≤ grace, and DPD > grace (SPEC §6)."""
    in_grace: Array = (dpd > 0) & (dpd <= grace_days)
    delinquent: Array = dpd > grace_days
    return in_grace, delinquent
