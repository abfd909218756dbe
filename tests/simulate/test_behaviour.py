"""Behaviour draws: vectorized, seeded, and pointing the way the four causes say."""

from __future__ import annotations

import numpy as np

from creditguard.simulate import behaviour as bh
from creditguard.simulate.scenario import Behaviour

N = 50_000


def _plan(reminded: bool, employed: bool = True, seed: int = 3) -> bh.PayPlan:
    rng = np.random.default_rng(seed)
    # The employed hold a year of savings: no cash squeeze (0.10 × e^−24), forgetting only.
    return bh.plan_payments(
        forgetfulness=np.full(N, 0.3),
        min_payer=np.zeros(N, dtype=np.bool_),
        employed=np.full(N, employed),
        savings_left=np.full(N, 12.0 if employed else 0.0),
        reminded=np.full(N, reminded),
        is_line=True,
        params=Behaviour(),
        rng=rng,
    )


def test_reminders_cut_short_misses() -> None:
    without = _plan(False).delay
    with_ = _plan(True).delay
    short_without = ((without >= 1) & (without <= 3)).mean()
    short_with = ((with_ >= 1) & (with_ <= 3)).mean()
    # Forget probability 0.3, cut by 60% after a reminder: 0.30 vs 0.12 (± sampling noise).
    assert abs(short_without - 0.30) < 0.01
    assert abs(short_with - 0.12) < 0.01


def test_broke_borrowers_pay_late_in_part_or_not_at_all() -> None:
    plan = _plan(False, employed=False)
    assert (plan.mode == bh.MODE_PARTIAL).all()
    # About 65% cannot pay within the horizon at all.
    assert abs((plan.delay == bh.NEVER).mean() - 0.65) < 0.01


def test_shock_raises_job_losses() -> None:
    stability = np.full(N, 0.5)
    employed = np.ones(N, dtype=np.bool_)
    calm, _ = bh.employment_step(employed, stability, np.ones(N), 1.0, Behaviour(),
                                 np.random.default_rng(1))  # fmt: skip
    shock, _ = bh.employment_step(employed, stability, np.ones(N), 3.0, Behaviour(),
                                  np.random.default_rng(1))  # fmt: skip
    # Hazard 0.008 × exp(3 × (0.5 − 0.5)) = 0.8% a month, tripled to 2.4% under the shock.
    assert abs((~calm).mean() - 0.008) < 0.002
    assert abs((~shock).mean() - 0.024) < 0.003


def test_purchases_grow_with_months_on_book() -> None:
    spend = np.full(N, 0.3)
    limit = np.full(N, 1_000_000, dtype=np.int64)
    eligible = np.ones(N, dtype=np.bool_)
    rows0, amt0 = bh.purchases(spend, limit, np.zeros(N, dtype=np.int64), eligible, Behaviour(),
                               np.random.default_rng(5))  # fmt: skip
    rows9, amt9 = bh.purchases(spend, limit, np.full(N, 9, dtype=np.int64), eligible,
                               Behaviour(), np.random.default_rng(5))  # fmt: skip
    assert rows9.size > rows0.size  # utilisation creep
    assert (amt0 % 100 == 0).all() and (amt0 <= limit[rows0]).all()
    assert amt9.mean() > amt0.mean()
