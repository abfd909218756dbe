"""Applicants with correlated attributes, drawn in one vectorized pass, and their onboarding.

Attributes (all drawn from one seeded ``np.random.Generator``, in a fixed order). What a lender
sees (:data:`OBSERVABLE`):

- ``age`` 18–65; ``employment`` salaried / self-employed / gig / student (students are young);
- ``region_tier`` 1–3 (tier-1 cities pay more) and ``utc_offset`` (China: +8; a few abroad);
- ``monthly_income`` (fen): log-normal around 6,000 yuan, shifted by employment, age, tier;
- ``monthly_debt_payments`` (fen): existing debts on other platforms, so ``dti``;
- ``bureau_years`` (a thin file is < 2 years) and ``prior_delinquencies``.

What drives behaviour but no lender sees (:data:`HIDDEN`), tied to the observables the way
consumer-credit data shows (sources and magnitudes in ``docs/simulator.md``):

- ``discipline``: one latent factor (standard normal) behind spending, borrowing, forgetting,
  saving and the bureau's record — the "willingness / character" half of credit risk;
- ``income_stability`` 0–1: by employment type (salaried 0.82, self-employed 0.58, student
  0.50, gig 0.38), higher with age (tenure) and pay. It sets the job-loss hazard
  (:func:`creditguard.simulate.behaviour.job_loss_hazard`): economic pressure;
- ``spend_propensity``: higher when young, lower with discipline (over-consumption); existing
  debt (so ``dti``) rises with it;
- ``prior_delinquencies`` ~ Poisson(years on file (capped at 10) / 10 × 0.35 ×
  exp(−1.4·discipline + 2·(0.7 − stability) + 1.5·(dti − 0.2))): past delinquency comes from
  the same traits as future delinquency, but a thin file has had no time to record it;
- ``forgetfulness`` (forgets a due date): higher for the undisciplined and 1.6× for a thin file
  (inexperienced with repayment rules); ``min_payer`` (believes the minimum is the bill):
  more likely when undisciplined, thin-file, young or highly indebted; the weights are
  normalized so ``min_payer_share`` stays the population share (information asymmetry);
- ``savings_months`` (buffer after job loss, and against a cash squeeze): rises with pay
  (√ relative income) and discipline, falls with debt service (DTI) and spending propensity.

So the observables carry signal only through the behaviour mechanisms: an employment type and
age mean a job-loss hazard, a high DTI a thin buffer, prior delinquencies a low discipline.

Onboarding (:func:`onboard`) is the real limit policy (:func:`creditguard.risk.policy.decide_frame`)
on the score of a **trained scorecard** shipped with the package (``onboarding_card.json``, a
:class:`creditguard.risk.scorecard.Scorecard` artifact; higher points = safer, the scale the
policy's bands expect: 600 points at 50:1 good:bad, 20 points to double the odds). The card
sees only the observable columns: age, employment type, region tier, monthly income, existing
monthly debt payments and the debt-to-income ratio they imply, bureau years and prior
delinquencies. The hidden traits are never inputs; the time zone is left out too (living abroad
is a national-origin proxy). Each row keeps the card's top reason codes.

The card is fitted on a "through-the-door" simulation (every applicant approved at one small
starter limit, so the labels carry no selection bias) by :mod:`creditguard.simulate.training`;
regenerate it with ``creditguard model fit-onboarding-card`` (see ``docs/risk.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl

from creditguard.risk.policy import Policy, decide_frame, default_policy
from creditguard.risk.scorecard import Scorecard

__all__ = [
    "CARD_RESOURCE",
    "EMPLOYMENT",
    "HIDDEN",
    "OBSERVABLE",
    "application_features",
    "draw_population",
    "onboard",
    "onboarding_card",
    "onboarding_override",
]

CARD_RESOURCE = "onboarding_card.json"
# What a lender sees on an application (and in the bureau): the only scorecard inputs.
OBSERVABLE = (
    "age",
    "employment",
    "region_tier",
    "monthly_income",
    "monthly_debt_payments",
    "dti",
    "bureau_years",
    "prior_delinquencies",
)
# What drives behaviour in the simulator but no lender observes: never a scorecard input.
HIDDEN = (
    "income_stability",
    "spend_propensity",
    "forgetfulness",
    "min_payer",
    "savings_months",
    "discipline",
)

EMPLOYMENT = ("salaried", "self-employed", "gig", "student")
_EMP_INCOME = np.array([0.15, 0.25, -0.15, -0.6])  # log-income shift by employment
# Income stability by employment type (salaried contracts vs own business vs platform gig work;
# students live on allowances and part-time work). Drives the job-loss hazard in behaviour.
_EMP_STABILITY = np.array([0.82, 0.58, 0.38, 0.50])
_TIER_INCOME = np.array([0.35, 0.1, -0.15])
_LOG_INCOME_MEAN = np.log(600_000.0)
# Mean of the minimum-payer weight below over a large draw (seed 0, 10^6 applicants), so
# ``min_payer_share`` stays the population share whatever the weights (a fixed constant: one
# applicant's draw must not depend on who else applied).
_MIN_PAYER_WEIGHT_MEAN = 1.864


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
    # The latent financial discipline (hidden): one factor behind spending, debt, forgetting,
    # saving and the bureau's record of past delinquencies.
    discipline = rng.normal(0.0, 1.0, n)
    log_income = (
        _LOG_INCOME_MEAN
        + _EMP_INCOME[employment]
        + _TIER_INCOME[tier]
        + 0.012 * (np.minimum(age, 50) - 30)
        + rng.normal(0.0, 0.45, n)
    )
    income = np.round(np.exp(log_income) / 100.0).astype(np.int64) * 100  # whole yuan, in fen
    rel_income = np.exp(log_income - _LOG_INCOME_MEAN)
    # Tenure and pay level steady an income within an employment type.
    stability = np.clip(
        _EMP_STABILITY[employment]
        + 0.004 * (np.minimum(age, 50) - 30)
        + 0.05 * np.log(rel_income)
        + rng.normal(0.0, 0.08, n),
        0.02,
        0.99,
    )
    spend = np.clip(rng.beta(2.0, 5.0, n) + 0.15 * young - 0.06 * discipline, 0.01, 0.99)
    # Existing debts on other platforms: over-consumers and the undisciplined borrow more.
    debt_share = np.clip(rng.beta(1.5, 8.0, n) + 0.25 * (spend - 0.3) - 0.03 * discipline, 0.0, 0.9)
    debt = np.round(income * debt_share / 100.0).astype(np.int64) * 100
    dti = debt_share
    bureau_years = np.clip(np.round((age - 18) * rng.uniform(0.2, 0.9, n)), 0, 30).astype(np.int64)
    thin = bureau_years < 2
    # Past delinquencies come from the same traits that drive future ones, but a thin file has
    # had little time to record any (so a clean thin file says less than a clean thick one).
    exposure = np.minimum(bureau_years, 10) / 10.0
    prior = rng.poisson(
        exposure * 0.35 * np.exp(-1.4 * discipline + 2.0 * (0.7 - stability) + 1.5 * (dti - 0.2))
    )
    # Forgetting due dates and misreading the bill: less disciplined and inexperienced borrowers.
    forget = np.clip(
        rng.beta(1.2, 9.0, n) * np.exp(-0.35 * discipline) * (1.0 + 0.6 * thin) + 0.03 * young,
        0.0,
        0.9,
    )
    payer_w = np.exp(-0.4 * discipline) * (1.0 + 0.8 * thin) * (1.0 + 2.0 * dti) * (1.0 + young)
    min_payer = rng.random(n) < np.clip(min_payer_share * payer_w / _MIN_PAYER_WEIGHT_MEAN, 0, 1)
    # Savings buffer in months of spending: higher pay saves more; debt service and spending
    # propensity eat the surplus; discipline keeps it.
    savings = np.clip(
        rng.exponential(1.0, n)
        * np.sqrt(rel_income)
        * np.exp(0.7 * discipline)
        * np.clip(1.0 - 1.6 * dti, 0.1, 1.0)
        * (1.2 - spend)
        * 2.0,
        0.0,
        12.0,
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
            "discipline": discipline,
        }
    )


def application_features(applicants: pl.DataFrame) -> pl.DataFrame:
    """The observable application columns (:data:`OBSERVABLE`), in that order.

    ``dti`` is existing monthly debt payments over monthly income (a ratio, not money).
    """
    income = pl.col("monthly_income").cast(pl.Float64)
    return applicants.with_columns(
        (pl.col("monthly_debt_payments").cast(pl.Float64) / income.clip(lower_bound=1.0)).alias(
            "dti"
        )
    ).select(OBSERVABLE)


@lru_cache(maxsize=1)
def onboarding_card() -> Scorecard:
    """The shipped onboarding scorecard (``onboarding_card.json``), loaded once."""
    ref = resources.files("creditguard.simulate").joinpath(CARD_RESOURCE)
    return Scorecard.from_json(ref.read_text(encoding="utf-8"))


Onboarder = Callable[[pl.DataFrame], pl.DataFrame]
_OVERRIDE: ContextVar[Onboarder | None] = ContextVar("onboarding_override", default=None)


@contextmanager
def onboarding_override(fn: Onboarder) -> Iterator[None]:
    """Within the block, :func:`onboard` calls ``fn`` instead of card + policy.

    The training pipeline uses it to run a through-the-door simulation through the unchanged
    simulator (which calls :func:`onboard` itself); a context variable keeps it local to the
    caller's thread or task.
    """
    token = _OVERRIDE.set(fn)
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def onboard(
    applicants: pl.DataFrame,
    *,
    card: Scorecard | None = None,
    policy: Policy | None = None,
    top_reasons: int = 3,
) -> pl.DataFrame:
    """The applicants with a ``score`` from the card and the policy's decision.

    Adds ``score`` (points, higher = safer), ``score_reasons`` (the card's top reason codes:
    the observable features that lost most points), then the policy's ``approved``, ``band``,
    ``limit`` (fen), ``annual_rate`` and ``reasons`` (decline codes). Declined applicants stay
    in the frame (the approval rate is a KPI). Defaults: the shipped card and default policy;
    inside :func:`onboarding_override` the override decides instead.
    """
    override = _OVERRIDE.get()
    if override is not None and card is None and policy is None:
        return override(applicants)
    sc = onboarding_card() if card is None else card
    x = application_features(applicants)
    scores = sc.predict_score(x)
    reasons = sc.reasons(x, top_n=top_reasons) if top_reasons > 0 else [[] for _ in scores]
    scored = applicants.with_columns(
        pl.Series("score", np.round(scores, 1), dtype=pl.Float64),
        pl.Series(
            "score_reasons",
            [[r.feature for r in rs] for rs in reasons],
            dtype=pl.List(pl.String),
        ),
    )
    return decide_frame(default_policy() if policy is None else policy, scored)
