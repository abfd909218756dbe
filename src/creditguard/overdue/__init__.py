"""The overdue engine's pure columnar kernels (SPEC §6, §7): frames in, frames out.

:func:`run_day` runs one business day over a whole portfolio; the array kernels it composes
(:mod:`~creditguard.overdue.dpd`, :mod:`~creditguard.overdue.penalty`,
:mod:`~creditguard.overdue.grading`, :mod:`~creditguard.overdue.restrictions`) are each the one
place of their rule. Frame schemas: :mod:`~creditguard.overdue.frames`.
"""

from __future__ import annotations

from creditguard.overdue.eod import DayResult, day_number, run_day
from creditguard.overdue.frames import (
    ACCOUNTS_SCHEMA,
    EVENTS_SCHEMA,
    OBLIGATIONS_SCHEMA,
    PARAMS_SCHEMA,
    attach_account_rows,
    params_frame,
    params_row,
)

__all__ = [
    "ACCOUNTS_SCHEMA",
    "EVENTS_SCHEMA",
    "OBLIGATIONS_SCHEMA",
    "PARAMS_SCHEMA",
    "DayResult",
    "attach_account_rows",
    "day_number",
    "params_frame",
    "params_row",
    "run_day",
]
