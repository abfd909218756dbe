"""Daily behaviour draws for the whole population at once — the four causes of overdue.

Every function takes the population's arrays and the seeded generator and returns arrays; no
per-borrower Python loop. Draws are made for *every* borrower in a fixed order each day (even
those the result ignores), so the random stream — and the whole simulation — depends only on
the seed and the scenario, never on which accounts happened to act.

1. **Economic pressure**: a monthly job-loss hazard ``base × macro multiplier × (1.5 −
   stability)``; the unemployed find work again at ``reemployment`` a month, and while their
   savings last they still pay. Without income a due bill is paid late, in part, or not at all.
2. **Over-consumption**: purchases arrive with a daily probability from the borrower's spending
   propensity, growing with months on book (utilisation creep); amounts scale with the limit.
3. **Information asymmetry**: forgetful borrowers miss a due date by 1–3 days (the reminder
   effect: a PaymentDueSoon reminder in the outbox cuts that probability by
   ``reminder_effect``); ``min_payer`` borrowers pay the minimum believing it is the bill.
4. **Platform faults**: in a declared outage window a repayment fails and is retried the day
   after the window (handled by :mod:`creditguard.simulate.run`, which knows the calendar).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from creditguard.simulate.scenario import Behaviour

__all__ = [
    "MODE_FULL",
    "MODE_MINIMUM",
    "MODE_PARTIAL",
    "PayPlan",
    "catch_up",
    "employment_step",
    "plan_payments",
    "purchases",
]

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

MODE_FULL, MODE_MINIMUM, MODE_PARTIAL = 0, 1, 2
NEVER = 10_000  # a delay long enough to mean "not this horizon"


def employment_step(
    employed: Bools,
    stability: Floats,
    savings_left: Floats,
    multiplier: float,
    params: Behaviour,
    rng: np.random.Generator,
) -> tuple[Bools, Floats]:
    """One month: job losses (hazard rises with the macro multiplier), re-employment, savings.

    Returns the new employment flags and the months of savings left.
    """
    u_loss = rng.random(employed.size)
    u_find = rng.random(employed.size)
    hazard = np.clip(params.base_job_loss * multiplier * (1.5 - stability), 0.0, 0.9)
    lose = employed & (u_loss < hazard)
    find = ~employed & (u_find < params.reemployment)
    new_employed = (employed & ~lose) | find
    savings = np.where(new_employed, savings_left, np.maximum(savings_left - 1.0, 0.0))
    return new_employed, savings


def purchases(
    spend: Floats,
    limit: Ints,
    months_on_book: Ints,
    eligible: Bools,
    params: Behaviour,
    rng: np.random.Generator,
) -> tuple[Ints, Ints]:
    """Today's purchases: the borrower rows that buy and the amounts in fen (whole yuan)."""
    u = rng.random(spend.size)
    size = rng.lognormal(-2.6, 0.8, spend.size)
    creep = 1.0 + params.utilisation_creep * months_on_book
    p = np.clip(params.spend_rate * spend * creep / 3.0, 0.0, 0.9)
    buys = eligible & (u < p)
    amount = np.clip(np.round(limit * size * creep / 100.0), 1, None).astype(np.int64) * 100
    rows = np.flatnonzero(buys)
    return rows.astype(np.int64), np.minimum(amount[rows], limit[rows])


@dataclass(frozen=True)
class PayPlan:
    """For each borrower row asked: days of delay after the due date, and the payment mode."""

    delay: Ints
    mode: Ints


def plan_payments(
    *,
    forgetfulness: Floats,
    min_payer: Bools,
    employed: Bools,
    savings_left: Floats,
    reminded: Bools,
    is_line: bool,
    params: Behaviour,
    rng: np.random.Generator,
) -> PayPlan:
    """How every borrower would meet an obligation falling due today (arrays for all rows)."""
    n = forgetfulness.size
    u_forget = rng.random(n)
    u_late = rng.integers(1, 4, n)  # a forgotten date is noticed 1–3 days later
    u_stress = rng.random(n)
    u_stress_delay = rng.geometric(1.0 / 40.0, n)
    p_forget = np.clip(forgetfulness * params.forget_scale, 0.0, 1.0)
    p_forget = np.where(reminded, p_forget * (1.0 - params.reminder_effect), p_forget)
    forgot = u_forget < p_forget
    broke = ~employed & (savings_left <= 0.0)
    delay = np.where(forgot, u_late, 0)
    # Without income: a third manage a late partial payment, the rest cannot pay this horizon.
    delay = np.where(broke, np.where(u_stress < 0.35, u_stress_delay, NEVER), delay)
    mode = np.full(n, MODE_FULL, dtype=np.int64)
    if is_line:
        mode = np.where(min_payer, MODE_MINIMUM, mode)
    mode = np.where(broke, MODE_PARTIAL, mode)
    return PayPlan(delay.astype(np.int64), mode)


def catch_up(employed: Bools, savings_left: Floats, rng: np.random.Generator) -> Bools:
    """Which borrowers with past-due debt and no planned payment pay it today (collections)."""
    u = rng.random(employed.size)
    can_pay = employed | (savings_left > 0.0)
    return u < np.where(can_pay, 0.12, 0.01)
