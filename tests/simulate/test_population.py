"""Applicants: reproducible by seed, correlated as documented, onboarded by the shipped
scorecard and the real limit policy."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl

from creditguard.money import parse_amount
from creditguard.risk.policy import decide_frame, default_policy
from creditguard.risk.scorecard import Scorecard
from creditguard.simulate.population import (
    HIDDEN,
    OBSERVABLE,
    application_features,
    draw_population,
    onboard,
    onboarding_card,
    onboarding_override,
)


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


def test_scores_are_the_shipped_cards_on_observable_columns() -> None:
    pop = draw_population(2000, np.random.default_rng(5))
    decided = onboard(pop)
    card = onboarding_card()
    assert set(card.features_) <= set(OBSERVABLE)
    assert not set(card.training_["columns"]) & {*HIDDEN, "utc_offset"}
    x = application_features(pop)
    assert x.columns == list(OBSERVABLE)
    # DTI by hand: existing monthly debt payments over monthly income.
    row = pop.row(0, named=True)
    assert x.row(0, named=True)["dti"] == row["monthly_debt_payments"] / row["monthly_income"]
    expected = np.round(card.predict_score(x), 1)
    assert np.array_equal(decided.get_column("score").to_numpy(), expected)
    # The decision is the policy's on exactly those scores.
    direct = decide_frame(default_policy(), pop.with_columns(pl.Series("score", expected)))
    cols = ["approved", "band", "limit", "annual_rate", "reasons"]
    assert decided.select(cols).equals(direct.select(cols))
    reasons = decided.get_column("score_reasons").to_list()
    assert all(set(r) <= set(card.features_) and len(r) <= 3 for r in reasons)


def test_hidden_traits_are_not_inputs() -> None:
    pop = draw_population(1500, np.random.default_rng(6))
    rng = np.random.default_rng(0)
    scrambled = pop.with_columns(
        [pl.Series(c, rng.permutation(pop.get_column(c).to_numpy())) for c in (*HIDDEN,
         "utc_offset")]
    )  # fmt: skip
    assert not scrambled.get_column("forgetfulness").equals(pop.get_column("forgetfulness"))
    cols = ["score", "approved", "band", "limit", "reasons"]
    assert onboard(pop).select(cols).equals(onboard(scrambled).select(cols))


def test_a_different_card_changes_the_decisions() -> None:
    pop = draw_population(2000, np.random.default_rng(8))
    doc = json.loads(onboarding_card().to_json())
    doc["intercept"] += 1.0  # one more unit of log-odds of bad for everyone
    worse = Scorecard.from_json(json.dumps(doc))
    base = onboard(pop)
    other = onboard(pop, card=worse)
    # Points = offset − factor·logit(P(bad)): every score falls by factor = pdo / ln 2.
    drop = (base.get_column("score") - other.get_column("score")).to_numpy()
    assert np.allclose(drop, 20.0 / math.log(2.0), atol=0.11)  # scores are rounded to 0.1
    assert other.get_column("approved").sum() < base.get_column("approved").sum()


def test_an_override_decides_only_inside_its_block() -> None:
    pop = draw_population(50, np.random.default_rng(9))

    def everyone(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(pl.lit(True).alias("approved"), pl.lit(123_400).alias("limit"))

    with onboarding_override(everyone):
        inside = onboard(pop)
    assert inside.get_column("approved").all() and "score" not in inside.columns
    assert "score" in onboard(pop).columns
