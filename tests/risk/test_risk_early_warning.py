"""Early warning: behaviour features by hand, monotone constraints, exact reasons, alerts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from creditguard.money import InputError
from creditguard.risk import metrics
from creditguard.risk.early_warning import (
    BEHAVIOUR_MONOTONE,
    EarlyWarningModel,
    behaviour_features,
)


def test_behaviour_features_by_hand() -> None:
    h = pl.DataFrame(
        {
            "account_id": ["a", "a", "a", "b", "b"],
            "month": [1, 2, 3, 1, 2],
            "limit": [10_000] * 5,
            "balance": [2_000, 4_000, 6_000, 5_000, 5_000],
            "bill": [2_000, 4_000, 6_000, 5_000, 5_000],
            "min_due": [200, 400, 600, 500, 500],
            "paid": [2_000, 400, 600, 0, 5_000],
            "dpd": [0, 0, 0, 15, 0],
            "cash_advance": [0, 100, 0, 0, 0],
        }
    )
    f = behaviour_features(h).sort("account_id")
    a, b = f.row(0, named=True), f.row(1, named=True)
    # a: utilisation 0.2, 0.4, 0.6 → last 0.6, OLS slope 0.2 a month;
    #    paid/bill 1, 0.1, 0.1 → mean 0.4; months 2 and 3 paid exactly the minimum → 2;
    #    never past due → 99; one month with a cash loan.
    assert a["util_last"] == pytest.approx(0.6)
    assert a["util_trend_6m"] == pytest.approx(0.2)
    assert a["pay_ratio_6m"] == pytest.approx(0.4)
    assert (a["min_only_6m"], a["max_dpd_12m"], a["months_since_delinquency"]) == (2, 0, 99)
    assert a["cash_months_6m"] == 1 and a["as_of"] == 3
    # b: 15 DPD one month before the latest → max 15, 1 month since; flat utilisation.
    assert (b["max_dpd_12m"], b["months_since_delinquency"]) == (15, 1)
    # One month of b's two was past due; a never was.
    assert (a["late_months_6m"], b["late_months_6m"]) == (0, 1)
    assert b["util_trend_6m"] == pytest.approx(0.0)
    assert b["pay_ratio_6m"] == pytest.approx(0.5)
    with pytest.raises(InputError, match="dpd"):
        behaviour_features(h.drop("dpd"))


def _synthetic(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Accounts whose risk rises with utilisation and past DPD and falls with repayment."""
    rng = np.random.default_rng(seed)
    months = 12
    acc = np.repeat(np.arange(n), months)
    month = np.tile(np.arange(months), n)
    stress = rng.normal(size=n)
    util = np.clip(
        0.4 + 0.15 * stress[acc] + 0.02 * month * (stress[acc] > 1) + rng.normal(0, 0.1, acc.size),
        0,
        1.2,
    )
    limit = np.full(acc.size, 1_000_000)
    balance = (util * limit).astype(np.int64)
    min_due = balance // 10
    pay_share = np.clip(1.0 - 0.5 * stress[acc] + rng.normal(0, 0.3, acc.size), 0, 1)
    paid = (balance * pay_share).astype(np.int64)
    dpd = np.where(rng.random(acc.size) < 0.03 * (1 + 2 * (stress[acc] > 1)), 30, 0)
    cash = np.where(rng.random(acc.size) < 0.1 + 0.1 * (stress[acc] > 0.5), 50_000, 0)
    h = pl.DataFrame(
        {
            "account_id": acc,
            "month": month,
            "limit": limit,
            "balance": balance,
            "bill": balance,
            "min_due": min_due,
            "paid": paid,
            "dpd": dpd,
            "cash_advance": cash,
        }
    )
    f = behaviour_features(h).sort("account_id")
    logit = -2.5 + 1.2 * stress
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return f.drop("account_id", "as_of"), y


@pytest.fixture(scope="module")
def fitted() -> tuple[EarlyWarningModel, pl.DataFrame, np.ndarray]:
    x, y = _synthetic(3000, 1)
    return EarlyWarningModel(n_estimators=80).fit(x, y), x, y


def test_learns_on_behaviour(fitted) -> None:  # type: ignore[no-untyped-def]
    model, _, _ = fitted
    xt, yt = _synthetic(2000, 2)
    assert metrics.auc(yt, model.predict_proba(xt)[:, 1]) > 0.70


def test_monotone_constraints_hold(fitted) -> None:  # type: ignore[no-untyped-def]
    model, x, _ = fitted
    base = x[:50]
    for feat, sign in BEHAVIOUR_MONOTONE.items():
        lo, hi = float(x[feat].min()), float(x[feat].max())
        prev = None
        for v in np.linspace(lo, hi, 9):
            p = model.predict_proba(base.with_columns(pl.lit(v).alias(feat)))[:, 1]
            if prev is not None:
                assert (sign * (p - prev) >= -1e-12).all(), feat
            prev = p


def test_reasons_are_exact_contributions(fitted) -> None:  # type: ignore[no-untyped-def]
    model, x, _ = fitted
    rows = x[:30]
    contrib = model.contributions(rows)
    p = model.predict_proba(rows)[:, 1]
    # SHAP values add up to the log-odds of the prediction.
    np.testing.assert_allclose(1 / (1 + np.exp(-contrib.sum(axis=1))), p, atol=1e-9)
    for i, rs in enumerate(model.reasons(rows)):
        positive = sorted(
            (c, f) for c, f in zip(contrib[i, :-1], model.features_, strict=True) if c > 0
        )[::-1][:3]
        assert [r.feature for r in rs] == [f for _, f in positive]
    r = next(rs for rs in model.reasons(rows) if rs)[0]
    assert r.text().index("/") > 0 and r.name_zh != r.name_en


def test_alerts_and_round_trip(fitted) -> None:  # type: ignore[no-untyped-def]
    model, x, _ = fitted
    p = model.predict_proba(x)[:, 1]
    ids = [f"acc{i}" for i in range(x.height)]
    events = model.alerts(x, ids, ["2026-11"] * x.height)
    assert len(events) == int((p >= 0.2).sum())
    for e in events:
        i = int(e.account_id[3:])
        assert e.probability == pytest.approx(p[i])
        assert e.level == ("act" if p[i] >= 0.4 else "watch")
        assert e.reasons
    back = EarlyWarningModel.from_json(model.to_json())
    assert np.array_equal(back.predict_proba(x), model.predict_proba(x))


def test_taiwan_with_a_monotone_limit(taiwan) -> None:  # type: ignore[no-untyped-def]
    x, y = taiwan
    model = EarlyWarningModel(monotone={"LIMIT_BAL": -1}, n_estimators=60).fit(x, y)
    assert model.metrics_["train_auc"] > 0.6
    rows = x[:40]
    low = model.predict_proba(rows.with_columns(pl.lit(10_000.0).alias("LIMIT_BAL")))[:, 1]
    high = model.predict_proba(rows.with_columns(pl.lit(500_000.0).alias("LIMIT_BAL")))[:, 1]
    assert (high <= low + 1e-12).all()  # a higher granted limit never reads as riskier


def test_refuses_protected_and_bad_target() -> None:
    x = pl.DataFrame({"gender": [0, 1] * 50, "util": np.linspace(0, 1, 100)})
    y = np.array([0, 1] * 50)
    with pytest.raises(InputError) as exc:
        EarlyWarningModel().fit(x, y)
    assert exc.value.field == "gender"
    with pytest.raises(InputError, match="0/1"):
        EarlyWarningModel().fit(x.drop("gender"), y * 3)


def test_fitting_twice_gives_a_byte_identical_artifact() -> None:
    x, y = _synthetic(800, 3)
    a = EarlyWarningModel(n_estimators=30).fit(x, y).to_json()
    assert a == EarlyWarningModel(n_estimators=30).fit(x, y).to_json()
