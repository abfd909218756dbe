"""Metrics against scikit-learn, SciPy and hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from creditguard.money import InputError
from creditguard.risk import metrics


def test_auc_ks_gini_by_hand() -> None:
    # bads score 0.9, 0.4; goods score 0.8, 0.3, 0.2. Pairs (bad > good): 0.9 beats all 3,
    # 0.4 beats 0.3 and 0.2 → 5 of 6 → AUC 5/6, Gini 2/3.
    # KS: descending by score, cumulative bad share 1/2, 1/2, 1, 1, 1 and good share 0, 1/3,
    # 1/3, 2/3, 1 → gaps 1/2, 1/6, 2/3, 1/3, 0 → KS 2/3.
    y = [1, 0, 1, 0, 0]
    p = [0.9, 0.8, 0.4, 0.3, 0.2]
    assert metrics.auc(y, p) == pytest.approx(5 / 6)
    assert metrics.gini(y, p) == pytest.approx(2 / 3)
    assert metrics.ks(y, p) == pytest.approx(2 / 3)


def test_ties_count_half_and_are_never_split() -> None:
    # All scores tied: AUC ½, and no threshold separates anything → KS 0.
    assert metrics.auc([0, 1, 0, 1], [0.5] * 4) == pytest.approx(0.5)
    assert metrics.ks([0, 1, 0, 1], [0.5] * 4) == 0.0


# Only the KS statistic is compared; scipy warns when its exact p-value fails on some samples.
@pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful:RuntimeWarning")
@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20)), min_size=2, max_size=200).filter(
        lambda r: 0 < sum(y for y, _ in r) < len(r)
    )
)
def test_auc_and_ks_match_sklearn_and_scipy(rows: list[tuple[int, int]]) -> None:
    y = np.array([r[0] for r in rows])
    p = np.array([r[1] for r in rows], dtype=float)  # small integers → many ties
    assert metrics.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    # KS between the bads' and goods' score distributions is the two-sample KS statistic.
    assert metrics.ks(y, p) == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)


def test_psi_by_hand_and_levels() -> None:
    # expected shares 0.5/0.5, actual 0.7/0.3:
    # (0.7-0.5)·ln(0.7/0.5) + (0.3-0.5)·ln(0.3/0.5) = 0.2·0.33647 + 0.2·0.51083 = 0.16946
    r = metrics.psi([50, 50], [70, 30])
    assert r.value == pytest.approx(0.2 * math.log(1.4) + 0.2 * math.log(5 / 3))
    assert r.level == "warn"
    assert metrics.psi([10, 10], [10, 10]).level == "stable"
    assert metrics.psi([90, 10], [10, 90]).level == "alert"
    assert metrics.psi_level(0.0999) == "stable"
    assert metrics.psi_level(0.1) == "warn"
    assert metrics.psi_level(0.25) == "alert"
    # Empty bin: share floored at 1e-4 instead of an infinite PSI.
    assert math.isfinite(metrics.psi([50, 50, 0], [40, 40, 20]).value)


def test_calibration_bands() -> None:
    # Scores 1..10, two bands of 5; predicted = observed in the low band by construction.
    score = np.arange(1, 11, dtype=float)
    p = np.array([0.6] * 5 + [0.2] * 5)
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 1])
    bands = metrics.calibration_by_band(y, p, score, n_bands=2)
    assert [(b.lower, b.upper, b.n) for b in bands] == [(1, 5, 5), (6, 10, 5)]
    assert bands[0].observed == pytest.approx(0.6)
    assert bands[0].predicted == pytest.approx(0.6)
    assert bands[1].observed == pytest.approx(0.2)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="both"):
        metrics.auc([1, 1], [0.1, 0.2])
    with pytest.raises(InputError, match="0/1"):
        metrics.ks([0, 2], [0.1, 0.2])
    with pytest.raises(InputError, match="counts"):
        metrics.psi([1, 2], [1])
