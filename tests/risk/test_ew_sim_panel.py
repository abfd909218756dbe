"""Early-warning training rows from a monthly history: the target and the as-of panel, by hand."""

from __future__ import annotations

import polars as pl
import pytest

from creditguard.money import InputError
from creditguard.risk.early_warning import (
    BEHAVIOUR_MONOTONE,
    behaviour_features,
    early_warning_panel,
    future_target,
)


def _history() -> pl.DataFrame:
    """Four accounts over months 1–6 (d ends after month 2)."""
    rows = {
        # month-end DPD, worst DPD in the month
        "a": ([0, 0, 0, 0, 35, 0], [0, 0, 0, 0, 35, 0]),  # 30+ at month 5
        "b": ([0, 0, 0, 0, 0, 0], [0, 0, 0, 31, 0, 0]),  # touched 31 in month 4, cured by its end
        "c": ([0, 40, 0, 0, 0, 0], [0, 40, 0, 0, 0, 0]),  # 40 at the end of month 2
        "d": ([0, 0], [0, 0]),  # ended after month 2
    }
    out = []
    for acc, (dpd, worst) in rows.items():
        for m, (d, w) in enumerate(zip(dpd, worst, strict=True), start=1):
            out.append(
                {
                    "account_id": acc,
                    "month": m,
                    "limit": 10_000,
                    "balance": 1_000 * m,
                    "bill": 1_000,
                    "min_due": 100,
                    "paid": 1_000,
                    "dpd": d,
                    "cash_advance": 0,
                    "worst_dpd": w,
                }
            )
    return pl.DataFrame(out)


def _targets(t: pl.DataFrame) -> dict[tuple[str, int], int]:
    return {(a, m): y for a, m, y in t.iter_rows()}


def test_future_target_by_hand() -> None:
    # Calendar 1..6, horizon 3: as-of months 1, 2, 3 (each needs 3 observed months after it).
    got = _targets(future_target(_history(), horizon=3, dpd_bad=30))
    assert got == {
        # a: 35 at month 5 → in the window of as-of 2 (3–5) and 3 (4–6), not of as-of 1 (2–4).
        ("a", 1): 0, ("a", 2): 1, ("a", 3): 1,
        # b: worst 31 in month 4 counts although month 4 ended current.
        ("b", 1): 1, ("b", 2): 1, ("b", 3): 1,
        # c: 40 at month 2 → as-of 1 is bad; as-of 2 is already 30+ (excluded); as-of 3 clean.
        ("c", 1): 1, ("c", 3): 0,
        # d: no rows after month 2 → never delinquent there.
        ("d", 1): 0, ("d", 2): 0,
    }  # fmt: skip


def test_future_target_without_worst_uses_month_end_dpd() -> None:
    got = _targets(future_target(_history().drop("worst_dpd"), horizon=3))
    assert (got[("b", 1)], got[("b", 2)], got[("b", 3)]) == (0, 0, 0)
    assert got[("a", 2)] == 1
    # A shorter horizon gives more as-of months: 1..4 with horizon 2.
    short = _targets(future_target(_history(), horizon=2))
    assert {m for _, m in short} == {1, 2, 3, 4}
    assert short[("a", 3)] == 1 and short[("a", 2)] == 0  # month 5 is within 2 of 3, not of 2
    with pytest.raises(InputError, match="horizon"):
        future_target(_history(), horizon=0)


def test_panel_features_see_only_the_past() -> None:
    h = _history()
    panel = early_warning_panel(h, horizon=3)
    features = [c for c in panel.columns if c not in ("account_id", "as_of", "target")]
    assert set(features) == set(BEHAVIOUR_MONOTONE)
    assert panel.height == 10 and panel.get_column("target").sum() == 6
    # Changing what happens after month 3 changes targets, never features.
    later = h.with_columns(
        pl.when(pl.col("month") > 3).then(pl.col("balance") * 7).otherwise("balance"),
        pl.when(pl.col("month") > 3).then(0).otherwise("worst_dpd").alias("worst_dpd"),
        pl.when(pl.col("month") > 3).then(0).otherwise("dpd").alias("dpd"),
    )
    other = early_warning_panel(later, horizon=3)
    assert other.select(features).equals(panel.select(features))
    assert other.get_column("target").sum() == 1  # only c's as-of 1 (40 at month 2) is left
    # Account a as of month 2: utilisation 0.1, 0.2 → last 0.2, slope 0.1; never late.
    a2 = panel.filter((pl.col("account_id") == "a") & (pl.col("as_of") == 2)).row(0, named=True)
    assert a2["util_last"] == pytest.approx(0.2)
    assert a2["util_trend_6m"] == pytest.approx(0.1)
    assert (a2["max_dpd_12m"], a2["months_since_delinquency"], a2["late_months_6m"]) == (0, 99, 0)


def test_worst_dpd_feeds_the_dpd_history_features() -> None:
    h = _history().filter(pl.col("account_id") == "b")
    with_worst = behaviour_features(h).row(0, named=True)
    # Worst 31 in month 4; the latest month is 6 → 2 months since, one late month in 6.
    assert (with_worst["max_dpd_12m"], with_worst["months_since_delinquency"]) == (31, 2)
    assert with_worst["late_months_6m"] == 1
    month_end = behaviour_features(h.drop("worst_dpd")).row(0, named=True)
    assert (month_end["max_dpd_12m"], month_end["months_since_delinquency"]) == (0, 99)
    assert month_end["late_months_6m"] == 0
