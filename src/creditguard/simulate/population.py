"""Applicants with correlated attributes, drawn in one vectorized pass, and their onboarding.

Attributes (all drawn from one seeded ``np.random.Generator``, in a fixed order):

- ``age`` 18–65; ``employment`` salaried / self-employed / gig / student (students are young);
- ``region_tier`` 1–3 (tier-1 cities pay more) and ``utc_offset`` (China: +8; a few abroad);
- ``monthly_income`` (fen): log-normal around 6,000 yuan, shifted by employment, age, tier;
- ``income_stability`` 0–1: salaried high, gig low;
- ``monthly_debt_payments`` (fen): existing debts on other platforms, higher for big spenders;
- ``bureau_years`` and ``prior_delinquencies``: a credit-history proxy, worse when unstable;
- behaviour traits used later: ``spend_propensity``, ``forgetfulness``, ``min_payer``
  (believes the minimum payment is the whole bill), ``savings_months`` (buffer after job loss).

Onboarding is the real limit policy (:func:`creditguard.risk.policy.decide_frame`) on a
**documented proxy score**, until the scorecard issue supplies a trained one:

    score = 585 + 60·(stability − 0.6) + 25·ln(income / 6,000 yuan) + 1.5·bureau_years
            − 22·prior_delinquencies − 60·DTI + N(0, 12)

(points: higher = safer, as the policy's bands expect).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from creditguard.risk.policy import decide_frame, default_policy

__all__ = ["EMPLOYMENT", "draw_population", "onboard"]

EMPLOYMENT = ("salaried", "self-employed", "gig", "student")
_EMP_INCOME = np.array([0.15, 0.25, -0.15, -0.6])  # log-income shift by employment
_EMP_STABILITY = np.array([0.85, 0.6, 0.4, 0.5])
_TIER_INCOME = np.array([0.35, 0.1, -0.15])


def draw_population(
    n: int, rng: np.random.Generator, *, min_payer_share: float = 0.15
) -> pl.DataFrame:
    """``n`` applicants with correlated attributes (see the module docstring)."""
    age = np.clip(np.round(rng.normal(33.0, 9.0, n)), 18, 65).astype(np.int64)
    young = age < 24
    emp_u = rng.random(n)
    employment = np.where(
        young & (emp_u < 0.45),
        3,
        np.where(emp_u < 0.62, 0, np.where(emp_u < 0.80, 1, 2)),
    ).astype(np.int64)
    employment = np.where((employment == 3) & ~young, 0, employment)
    tier = rng.choice(3, size=n, p=[0.25, 0.4, 0.35]).astype(np.int64)
    utc_offset = np.where(rng.random(n) < 0.02, rng.choice([-5, 0, 1, 9], size=n), 8)
    log_income = (
        np.log(600_000.0)
        + _EMP_INCOME[employment]
        + _TIER_INCOME[tier]
        + 0.012 * (np.minimum(age, 50) - 30)
        + rng.normal(0.0, 0.45, n)
    )
    income = np.round(np.exp(log_income) / 100.0).astype(np.int64) * 100  # whole yuan, in fen
    stability = np.clip(_EMP_STABILITY[employment] + rng.normal(0.0, 0.12, n), 0.02, 0.99)
    spend = np.clip(rng.beta(2.0, 5.0, n) + 0.15 * young, 0.01, 0.99)
    debt_share = np.clip(rng.beta(1.5, 8.0, n) + 0.25 * (spend - 0.3), 0.0, 0.9)
    debt = np.round(income * debt_share / 100.0).astype(np.int64) * 100
    bureau_years = np.clip(np.round((age - 18) * rng.uniform(0.2, 0.9, n)), 0, 30).astype(np.int64)
    prior = rng.poisson(0.15 + 0.9 * (1.0 - stability) + 0.5 * spend)
    forget = np.clip(rng.beta(1.2, 9.0, n) + 0.05 * young, 0.0, 0.9)
    min_payer = rng.random(n) < min_payer_share * (1.0 + young)
    savings = np.clip(rng.exponential(1.2, n) * (0.5 + stability), 0.0, 12.0)
    dti = debt / np.maximum(income, 1)
    score = (
        585.0
        + 60.0 * (stability - 0.6)
        + 25.0 * np.log(np.maximum(income, 1) / 600_000.0)
        + 1.5 * bureau_years
        - 22.0 * prior
        - 60.0 * dti
        + rng.normal(0.0, 12.0, n)
    )
    width = max(5, len(str(n)))
    return pl.DataFrame(
        {
            "borrower": [f"S{i:0{width}d}" for i in range(n)],
            "age": age,
            "employment": [EMPLOYMENT[e] for e in employment],
            "region_tier": tier + 1,
            "utc_offset": utc_offset.astype(np.int64),
            "monthly_income": income,
            "income_stability": stability,
            "monthly_debt_payments": debt,
            "bureau_years": bureau_years,
            "prior_delinquencies": prior.astype(np.int64),
            "spend_propensity": spend,
            "forgetfulness": forget,
            "min_payer": min_payer,
            "savings_months": savings,
            "score": np.round(score, 1),
        }
    )


def onboard(applicants: pl.DataFrame) -> pl.DataFrame:
    """The applicants with the default policy's decision: ``approved``, ``limit`` (fen), rate.

    Declined applicants stay in the frame (the approval rate is a KPI); the policy's decline
    reasons are kept as a list of codes.
    """
    return decide_frame(default_policy(), applicants)
