"""Daily behaviour draws for the whole population at once — the four causes of overdue.

Every function takes the population's arrays and the seeded generator and returns arrays; no
per-borrower Python loop. Draws are made for *every* borrower in a fixed order each day (even
those the result ignores), so the random stream — and the whole simulation — depends only on
the seed and the scenario, never on which accounts happened to act.

Default risk is not a hidden flag: it comes out of these mechanisms, whose inputs are hidden
traits tied to the observable application (:mod:`creditguard.simulate.population`; sources
and magnitudes in ``docs/simulator.md``).

1. **Economic pressure**: a monthly job-loss hazard ``base × macro multiplier ×
   exp(slope × (0.5 − stability))`` (:func:`job_loss_hazard`: salaried ≈ 0.4×, gig ≈ 1.4×
   the base at the default slope 3); the unemployed find work again at ``reemployment ×
   (0.5 + stability)`` a month, and while their savings last they still pay. Without income
   and savings a due bill is paid late, in part, or not at all.
2. **Over-consumption**: purchases arrive with a daily probability from the borrower's spending
   propensity, growing with months on book (utilisation creep); amounts scale with the limit.
   Its cost shows in the buffer: a borrower with little savings (high spending, high DTI) meets
   a **cash squeeze** on a due bill with probability ``squeeze_rate × exp(−savings / 0.5)``
   and pays late (12 days on average) and in part; collections reach such a borrower half as
   fast (:func:`catch_up`).
3. **Information asymmetry**: forgetful borrowers miss a due date by 1–3 days (the reminder
   effect: a PaymentDueSoon reminder in the outbox cuts that probability by
   ``reminder_effect``); ``min_payer`` borrowers pay the minimum believing it is the bill.
4. **Platform faults**: in a declared outage window a repayment fails and is retried the day
   after the window (handled by :mod:`creditguard.simulate.run`, which knows the calendar).

:func:`sketch_worst_dpd` runs these draws month by month for one bill per borrower without
the engine: a fast check of which way the observables push default (calibration and tests).
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
    "job_loss_hazard",
    "plan_payments",
    "purchases",
    "sketch_worst_dpd",
    "squeeze_probability",
]

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

MODE_FULL, MODE_MINIMUM, MODE_PARTIAL = 0, 1, 2
NEVER = 10_000  # a delay long enough to mean "not this horizon"
SQUEEZE_BUFFER = 0.5  # months of savings: below this a borrower lives pay cheque to pay cheque
SQUEEZE_DAYS = 12.0  # mean delay of a squeezed payment


def job_loss_hazard(stability: Floats, multiplier: float, params: Behaviour) -> Floats:
    """The monthly job-loss hazard: ``base × macro multiplier × exp(slope × (0.5 − stability))``.

    A borrower of stability 0.5 has exactly the scenario's ``base_job_loss``; the slope makes
    a steady salaried income (≈ 0.8) about 3× less likely and platform gig work (≈ 0.4) about
    1.5× more likely to be lost than that (see ``docs/simulator.md`` for the sources).
    """
    factor = np.exp(params.job_loss_slope * (0.5 - stability))
    return np.clip(params.base_job_loss * multiplier * factor, 0.0, 0.9)


def employment_step(
    employed: Bools,
    stability: Floats,
    savings_left: Floats,
    multiplier: float,
    params: Behaviour,
    rng: np.random.Generator,
) -> tuple[Bools, Floats]:
    """One month: job losses (hazard rises with the macro multiplier), re-employment, savings.

    The hazard is :func:`job_loss_hazard`; an unstable profile also takes longer to find work
    (monthly chance ``reemployment × (0.5 + stability)``). Returns the new employment flags and
    the months of savings left (one month is spent per month without income).
    """
    u_loss = rng.random(employed.size)
    u_find = rng.random(employed.size)
    hazard = job_loss_hazard(stability, multiplier, params)
    lose = employed & (u_loss < hazard)
    find = ~employed & (u_find < np.clip(params.reemployment * (0.5 + stability), 0.0, 1.0))
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
    u_squeeze = rng.random(n)
    u_squeeze_delay = rng.geometric(1.0 / SQUEEZE_DAYS, n)
    p_forget = np.clip(forgetfulness * params.forget_scale, 0.0, 1.0)
    p_forget = np.where(reminded, p_forget * (1.0 - params.reminder_effect), p_forget)
    forgot = u_forget < p_forget
    broke = ~employed & (savings_left <= 0.0)
    # Living pay cheque to pay cheque: the thinner the buffer, the likelier a bill collides with
    # rent or an emergency and is paid late and in part (over-consumption and debt service).
    squeezed = ~broke & (u_squeeze < squeeze_probability(savings_left, params))
    delay = np.where(forgot, u_late, 0)
    delay = np.where(squeezed, np.maximum(delay, u_squeeze_delay), delay)
    # Without income: a third manage a late partial payment, the rest cannot pay this horizon.
    delay = np.where(broke, np.where(u_stress < 0.35, u_stress_delay, NEVER), delay)
    mode = np.full(n, MODE_FULL, dtype=np.int64)
    if is_line:
        mode = np.where(min_payer, MODE_MINIMUM, mode)
    mode = np.where(broke | squeezed, MODE_PARTIAL, mode)
    return PayPlan(delay.astype(np.int64), mode)


def squeeze_probability(savings_left: Floats, params: Behaviour) -> Floats:
    """Chance a due bill meets a cash squeeze: ``squeeze_rate × exp(−savings / 0.5 month)``."""
    return params.squeeze_rate * np.exp(-np.maximum(savings_left, 0.0) / SQUEEZE_BUFFER)


def catch_up(employed: Bools, savings_left: Floats, rng: np.random.Generator) -> Bools:
    """Which borrowers with past-due debt and no planned payment pay it today (collections).

    With income and a buffer 12% a day; with income but no buffer (pay cheque to pay cheque)
    half that; with neither 1% (a partial payment when collections reach them).
    """
    u = rng.random(employed.size)
    rate = np.where(
        employed,
        np.where(savings_left > SQUEEZE_BUFFER, 0.12, 0.06),
        np.where(savings_left > 0.0, 0.12, 0.01),
    )
    return u < rate


def sketch_worst_dpd(
    *,
    stability: Floats,
    forgetfulness: Floats,
    min_payer: Bools,
    savings: Floats,
    months: int,
    params: Behaviour,
    rng: np.random.Generator,
    multiplier: float = 1.0,
) -> Ints:
    """The worst DPD of one monthly bill per borrower over ``months``, without the engine.

    A fast, vectorized sketch of what :mod:`creditguard.simulate.run` does with these same
    draws (job losses each month, a bill due on day 10 of every month after the first,
    reminded, paid by :func:`plan_payments`'s plan, past-due debt chased by :func:`catch_up`):
    a full or minimum payment clears what is owed, a partial one does not. It calibrates the
    behaviour parameters and lets tests check which way observable attributes push default
    without running the engine; the engine's own run remains the measure of record.
    """
    n = stability.size
    employed = np.ones(n, dtype=np.bool_)
    savings_left = savings.astype(np.float64).copy()
    oldest = np.full(n, -1, dtype=np.int64)  # day the oldest unpaid bill fell due, or -1
    pay_on = np.full(n, -1, dtype=np.int64)
    mode = np.zeros(n, dtype=np.int64)
    worst = np.zeros(n, dtype=np.int64)
    reminded = np.ones(n, dtype=np.bool_)
    for t in range(30 * months):
        if t % 30 == 0:
            employed, savings_left = employment_step(
                employed, stability, savings_left, multiplier, params, rng
            )
        if t >= 30 and t % 30 == 9:
            plan = plan_payments(
                forgetfulness=forgetfulness, min_payer=min_payer, employed=employed,
                savings_left=savings_left, reminded=reminded, is_line=True, params=params,
                rng=rng,
            )  # fmt: skip
            oldest = np.where(oldest < 0, t, oldest)
            pay_on = t + plan.delay
            mode = plan.mode
        collect = catch_up(employed, savings_left, rng)
        chase = (oldest >= 0) & ((pay_on < t) | (pay_on > t + 90)) & collect
        pay_on = np.where(chase, t, pay_on)
        mode = np.where(chase, np.where(employed, MODE_FULL, MODE_PARTIAL), mode)
        clears = (pay_on == t) & (mode != MODE_PARTIAL)
        oldest = np.where(clears, -1, oldest)
        worst = np.maximum(worst, np.where(oldest >= 0, t - oldest, 0))
    return worst
