"""Applicants: reproducible by seed, correlated as documented, onboarded by the real policy."""

from __future__ import annotations

import numpy as np
import polars as pl

from creditguard.money import parse_amount
from creditguard.risk.policy import default_policy
from creditguard.simulate.population import draw_population, onboard


def test_same_seed_same_population() -> None:
    a = draw_population(2000, np.random.default_rng(42))
    b = draw_population(2000, np.random.default_rng(42))
    c = draw_population(2000, np.random.default_rng(43))
    assert a.equals(b)
    assert not a.equals(c)


def test_attributes_are_correlated_as_documented() -> None:
    pop = draw_population(20_000, np.random.default_rng(7))
    by_emp = pop.group_by("employment").agg(
        pl.col("income_stability").mean(), pl.col("monthly_income").median()
    )
    stab = dict(by_emp.select("employment", "income_stability").iter_rows())
    assert stab["salaried"] > stab["self-employed"] > stab["gig"]
    # Students are young; tier-1 cities pay more than tier-3.
    assert pop.filter(pl.col("employment") == "student").get_column("age").max() < 24
    inc = dict(pop.group_by("region_tier").agg(pl.col("monthly_income").median()).iter_rows())
    assert inc[1] > inc[3]
    # Unstable incomes carry more prior delinquencies (the bureau-history proxy).
    unstable = pop.filter(pl.col("income_stability") < 0.45).get_column("prior_delinquencies")
    stable = pop.filter(pl.col("income_stability") > 0.8).get_column("prior_delinquencies")
    assert unstable.mean() > stable.mean()  # type: ignore[operator]
    assert pop.get_column("monthly_income").min() > 0  # type: ignore[operator]


def test_onboarding_uses_the_limit_policy() -> None:
    decided = onboard(draw_population(3000, np.random.default_rng(11)))
    policy = default_policy()
    approved = decided.filter(pl.col("approved"))
    declined = decided.filter(~pl.col("approved"))
    # A realistic funnel: most but not all applicants approved.
    assert 0.4 < approved.height / decided.height < 0.95
    assert declined.height > 0
    limits = approved.get_column("limit")
    assert (limits % policy.limit_step == 0).all()
    assert limits.min() >= policy.min_limit  # type: ignore[operator]
    assert limits.max() <= parse_amount("50000.00")  # type: ignore[operator]
    # Every declined applicant carries at least one reason code.
    assert declined.get_column("reasons").list.len().min() >= 1  # type: ignore[operator]
    # Rates come from the policy's bands, within the 24% cap.
    rates = {float(r) for r in approved.get_column("annual_rate").to_list()}
    assert rates and max(rates) <= 0.24
