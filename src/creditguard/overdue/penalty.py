"""Penalties of business date t (SPEC §6), exact and under the cost ceiling, as array kernels.

**What day t charges.** The penalty of business date t covers day t. An obligation due on d,
with grace g, accrues for the days d+g+1 … t (its own days past due, ``t − d > g``). Grace days
accrue nothing, unless the product is ``grace_retroactive``: then each grace day's exact penalty
is computed on that day's base and held in ``pen_pending_num``; on the first day past grace it
is charged together with that day's own penalty (so day d+g+1 books g+1 days), and if the
obligation stops being past due within grace the pending amount is dropped (grace honoured).

**Base.** Multiplier kind (借呗-style): the unpaid principal of the past-due installment (plus its
unpaid interest when ``compound_overdue_interest``) at ``penalty_daily_num / D`` — multiplier ×
the contract daily rate. Daily-fee kind (花呗-style): the whole unpaid non-penalty amount of the
past-due statement at the overdue-fee daily rate. Penalties never accrue on penalties.

**Exactness** (SPEC §1). A run is one obligation's accrual on one base; it ends when the base
changes (a payment, a waiver). Within a run the exact cumulative ``pen_run_num / D`` is kept and
``round(cum_t) − round(cum_(t−1))`` is booked, with ``money.round_div`` semantics (half-up, or
half-even by product): the booked total of a run always equals its rounded exact total.

**Cost ceiling.** Each day after the due date (grace days included) adds ``cap × unpaid
non-penalty that day / 365`` to ``ceiling_num``. The day's exact increment is cut to the room
left under the ceiling (after everything charged so far by this engine and by others,
``other_overdue_charged``), and the booked whole fen are also kept at or below
``floor(ceiling)``, so what is charged never exceeds the ceiling even by a rounding half-fen.

**Non-accrual.** Booked fen go to income, or to suspense when the account is above 90 DPD or
written off (the caller passes that per obligation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from creditguard.money import InputError
from creditguard.pricing.kernel import round_div

__all__ = ["PenaltyState", "accrue_penalties"]

Array = NDArray[Any]
# Numerators stay below this so that no int64 product or running sum can overflow.
_INT64_SAFE = 2**62

PenaltyState = dict[str, Array]
STATE_COLUMNS = (
    "pen_run_base",
    "pen_run_num",
    "pen_run_booked",
    "pen_pending_num",
    "pen_charged",
    "ceiling_num",
)


def _check_bounds(
    base: Array,
    unpaid: Array,
    state: PenaltyState,
    other: Array,
    *,
    rate: Array,
    cap: Array,
    den: Array,
) -> None:
    """Refuse a day whose exact numerators could leave int64 (estimated in float64).

    The largest values of a day are the new ceiling, the run's exact total (with a held grace
    amount) and the charged total scaled by D; with ordinary rates this allows balances of
    billions of yuan over decades, and an exotic rate denominator fails loudly, never wraps.
    """
    if base.size == 0:
        return
    f = np.float64
    ceiling = state["ceiling_num"].astype(f) + unpaid.astype(f) * cap.astype(f)
    run = (
        state["pen_run_num"].astype(f)
        + state["pen_pending_num"].astype(f)
        + base.astype(f) * rate.astype(f)
    )
    charged = (state["pen_charged"].astype(f) + other.astype(f)) * den.astype(f)
    largest = max(float(ceiling.max()), float(run.max()), float(charged.max()))
    if largest >= _INT64_SAFE:
        raise InputError(
            "accrual_den",
            "rate denominators too large for exact int64 accrual on these balances "
            f"(a numerator would reach {largest:.3g})",
        )


def accrue_penalties(
    t: int,
    due_date: Array,
    is_past_due: Array,
    principal_unpaid: Array,
    interest_unpaid: Array,
    nonpenalty_unpaid: Array,
    state: PenaltyState,
    other_overdue_charged: Array,
    product: Array,
    tables: dict[str, Array],
    to_suspense: Array,
) -> tuple[PenaltyState, dict[str, Array]]:
    """One business day of penalties for every obligation: ``(new state, booked amounts)``.

    Arrays are per obligation; ``product`` is each obligation's product index into
    ``tables``, the per-product parameter arrays (``penalty_kind`` as a bool "is multiplier",
    ``compound_overdue_interest``, ``penalty_daily_num``, ``cap_daily_num``, ``accrual_den``,
    ``grace_days``, ``grace_retroactive``, ``half_even``). Returns the new
    :data:`STATE_COLUMNS` and ``{"booked", "income", "suspense"}`` in fen. Only obligations
    after their due date with something unpaid (or a held grace-day amount) can change; the
    arithmetic runs on those rows and the others keep their state.
    """
    active = ((t > due_date) & (nonpenalty_unpaid > 0)) | (state["pen_pending_num"] != 0)
    rows = np.flatnonzero(active)
    m = due_date.shape[0]
    new_state = {c: state[c].copy() for c in STATE_COLUMNS}
    booked = np.zeros(m, dtype=np.int64)
    if rows.size:
        prod = product[rows]
        sub_new, sub_booked = _accrue(
            t,
            due_date[rows],
            is_past_due[rows],
            principal_unpaid[rows],
            interest_unpaid[rows],
            nonpenalty_unpaid[rows],
            {c: state[c][rows] for c in STATE_COLUMNS},
            other_overdue_charged[rows],
            *(
                tables[k][prod]
                for k in (
                    "penalty_kind",
                    "compound_overdue_interest",
                    "penalty_daily_num",
                    "cap_daily_num",
                    "accrual_den",
                    "grace_days",
                    "grace_retroactive",
                    "half_even",
                )
            ),
        )
        for c in STATE_COLUMNS:
            new_state[c][rows] = sub_new[c]
        booked[rows] = sub_booked
    amounts = {
        "booked": booked,
        "income": np.where(to_suspense, 0, booked),
        "suspense": np.where(to_suspense, booked, 0),
    }
    return new_state, amounts


def _accrue(
    t: int,
    due_date: Array,
    is_past_due: Array,
    principal_unpaid: Array,
    interest_unpaid: Array,
    nonpenalty_unpaid: Array,
    state: PenaltyState,
    other_overdue_charged: Array,
    is_multiplier: Array,
    compound: Array,
    rate_num: Array,
    cap_num: Array,
    den: Array,
    grace_days: Array,
    retroactive: Array,
    half_even: Array,
) -> tuple[PenaltyState, Array]:
    base = np.where(
        is_multiplier,
        principal_unpaid + np.where(compound, interest_unpaid, 0),
        nonpenalty_unpaid,
    )
    base = np.maximum(base, 0)
    unpaid = np.maximum(nonpenalty_unpaid, 0)
    _check_bounds(base, unpaid, state, other_overdue_charged, rate=rate_num, cap=cap_num, den=den)
    days_late = t - due_date
    accrues = is_past_due & (days_late > grace_days)
    in_grace = is_past_due & ~accrues & retroactive

    ceiling = state["ceiling_num"] + np.where(days_late > 0, unpaid, 0) * cap_num
    day_exact = base * rate_num
    pending = np.where(in_grace, state["pen_pending_num"] + day_exact, 0)
    wanted = np.where(accrues, day_exact + state["pen_pending_num"], 0)

    new_run = accrues & (base != state["pen_run_base"])
    run_base = np.where(new_run, base, state["pen_run_base"])
    run_num = np.where(new_run, 0, state["pen_run_num"])
    run_booked = np.where(new_run, 0, state["pen_run_booked"])
    prior_booked = state["pen_charged"] - run_booked  # closed runs: rounded, hence exact

    charged_exact = (prior_booked + other_overdue_charged) * den + run_num
    room = np.maximum(ceiling - charged_exact, 0)
    run_num = run_num + np.minimum(wanted, room)

    target = round_div(run_num, den, half_even)
    limit = (ceiling // den) - other_overdue_charged - prior_booked
    target = np.maximum(run_booked, np.minimum(target, limit))
    booked = np.where(accrues, target - run_booked, 0)

    new_state = {
        "pen_run_base": run_base,
        "pen_run_num": run_num,
        "pen_run_booked": run_booked + booked,
        "pen_pending_num": pending,
        "pen_charged": state["pen_charged"] + booked,
        "ceiling_num": ceiling,
    }
    return new_state, booked
