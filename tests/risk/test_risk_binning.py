"""Optimal binning: hand-checked WOE/IV, exactness against brute force, optbinning as oracle."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditguard.money import InputError
from creditguard.risk.binning import OptimalBinning, optimal_merge, quantile_prebin_splits


def test_woe_iv_by_hand() -> None:
    # x = 1..10, bad at x = 3, 7, 8, 9, 10, so B = 5 and G = 5. With the user split 5 and no
    # trend the bins are x < 5 (x = 1..4: 1 bad, 3 good) and x >= 5 (x = 5..10: 4 bad, 2 good).
    # Bin 0: %bad 1/5, %good 3/5 → WOE ln(1/3) = -1.0986, IV (0.2 - 0.6)·WOE = 0.4·ln 3 = 0.4394
    # Bin 1: %bad 4/5, %good 2/5 → WOE ln 2 = 0.6931, IV (0.8 - 0.4)·ln 2 = 0.2773
    x = np.arange(1, 11, dtype=float)
    y = np.array([0, 0, 1, 0, 0, 0, 1, 1, 1, 1])
    ob = OptimalBinning(user_splits=[5.0], min_bin_size=0.0, monotonic_trend="none").fit(x, y)
    assert ob.splits_.tolist() == [5.0]
    assert ob.counts_.tolist() == [4, 6, 0]
    assert ob.events_.tolist() == [1, 4, 0]
    assert ob.woe_[:2] == pytest.approx([math.log(1 / 3), math.log(2)])
    assert ob.iv_ == pytest.approx(0.4 * math.log(3) + 0.4 * math.log(2))
    assert ob.transform([4.99, 5.0, np.nan]).tolist() == pytest.approx(
        [math.log(1 / 3), math.log(2), 0.0]
    )


def test_missing_values_get_their_own_bin() -> None:
    # 10 missing rows of which 8 bad: %bad 8/20, %good 2/20 → WOE ln 4.
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(size=200), np.full(10, np.nan)])
    y = np.concatenate([(rng.random(200) < 0.06).astype(int), [1] * 8 + [0] * 2])
    ob = OptimalBinning().fit(x, y)
    b_tot, g_tot = y.sum(), (1 - y).sum()
    assert ob.counts_[-1] == 10
    assert ob.events_[-1] == 8
    assert ob.woe_[-1] == pytest.approx(math.log((8 / b_tot) / (2 / g_tot)))
    assert ob.labels()[-1] == "Missing"
    assert (ob.bin_index(np.array([np.nan])) == ob.n_bins_ - 1).all()


def test_categorical_bins_group_by_bad_rate_and_unseen_goes_to_missing_bin() -> None:
    x = np.array(["a"] * 40 + ["b"] * 40 + ["c"] * 40 + [None] * 5, dtype=object)
    y = np.array([1] * 4 + [0] * 36 + [1] * 20 + [0] * 20 + [1] * 5 + [0] * 35 + [1, 0, 0, 0, 0])
    ob = OptimalBinning(min_bin_size=0.05).fit(x, y)
    assert ob.kind_ == "categorical"
    # Three categories, each big enough and with distinct bad rates: best IV keeps them apart,
    # ordered by bad rate a (10%) < c (12.5%) < b (50%).
    assert ob.categories_ == [["a"], ["c"], ["b"]]
    idx = ob.bin_index(np.array(["b", "zzz", None], dtype=object))
    assert idx.tolist() == [2, 3, 3]


def _z_test_pvalue(n1: int, e1: int, n2: int, e2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test, written out from its textbook form."""
    p1, p2, p = e1 / n1, e2 / n2, (e1 + e2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))  # 2 · (1 − Φ(|z|))


def test_z_test_pvalue_by_hand() -> None:
    # 20/100 vs 35/100 bad: pooled p = 0.275, s.e. = sqrt(0.275 · 0.725 · 0.02) = 0.063147,
    # z = 0.15 / 0.063147 = 2.3754, two-sided p = 0.01753 (normal table).
    assert _z_test_pvalue(100, 20, 100, 35) == pytest.approx(0.01753, abs=5e-5)


def _brute_force(n, e, n_tot, e_tot, min_size, max_bins, trend, max_pvalue=None):  # type: ignore[no-untyped-def]
    """Best IV over every contiguous partition, checked constraint by constraint."""
    m = len(n)
    g_tot = n_tot - e_tot
    best = -math.inf
    for k in range(m):
        for cuts in itertools.combinations(range(1, m), k):
            bounds = [0, *cuts, m]
            groups = [(sum(n[a:b]), sum(e[a:b])) for a, b in itertools.pairwise(bounds)]
            if max_bins is not None and len(groups) > max_bins:
                continue
            if any(c < min_size * n_tot or ev == 0 or ev == c for c, ev in groups):
                continue
            r = [ev / c for c, ev in groups]
            d = [b - a for a, b in itertools.pairwise(r)]
            if trend == "ascending" and any(v < 0 for v in d):
                continue
            if trend == "descending" and any(v > 0 for v in d):
                continue
            if trend == "peak" and any(a < 0 and b > 0 for a, b in itertools.combinations(d, 2)):
                continue
            if trend == "valley" and any(a > 0 and b < 0 for a, b in itertools.combinations(d, 2)):
                continue
            if max_pvalue is not None and any(
                _z_test_pvalue(c1, e1, c2, e2) >= max_pvalue
                for (c1, e1), (c2, e2) in itertools.pairwise(groups)
            ):
                continue
            iv = sum(
                (ev / e_tot - (c - ev) / g_tot) * math.log((ev / e_tot) / ((c - ev) / g_tot))
                for c, ev in groups
            )
            best = max(best, iv)
    return best


@settings(max_examples=250, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(1, 40), st.integers(0, 40)), min_size=1, max_size=7).map(
        lambda rows: [(c, min(ev, c)) for c, ev in rows]
    ),
    trend=st.sampled_from(["ascending", "descending", "peak", "valley", "none"]),
    min_size=st.sampled_from([0.0, 0.05, 0.2]),
    max_bins=st.sampled_from([None, 2, 3]),
    max_pvalue=st.sampled_from([None, None, 0.05, 0.3]),
)
def test_dynamic_programme_matches_brute_force(data, trend, min_size, max_bins, max_pvalue):  # type: ignore[no-untyped-def]
    n = [c for c, _ in data]
    e = [ev for _, ev in data]
    n_tot, e_tot = sum(n) + 5, sum(e) + 2  # 5 rows (2 bad) in the missing bin
    starts, iv = optimal_merge(
        n,
        e,
        n_total=n_tot,
        events_total=e_tot,
        min_bin_size=min_size,
        max_n_bins=max_bins,
        trend=trend,
        max_pvalue=max_pvalue,
    )
    expected = _brute_force(n, e, n_tot, e_tot, min_size, max_bins, trend, max_pvalue)
    if math.isinf(expected):
        assert starts == [0]  # nothing feasible: one bin
    else:
        assert iv == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert starts[0] == 0 and starts == sorted(set(starts))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), trend=st.sampled_from(["ascending", "descending"]))
def test_fitted_bins_respect_constraints(seed: int, trend: str) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=600)
    y = (rng.random(600) < 1 / (1 + np.exp(-x))).astype(int)
    ob = OptimalBinning(min_bin_size=0.08, max_n_bins=4, monotonic_trend=trend).fit(x, y)  # type: ignore[arg-type]
    cnt, ev = ob.counts_[:-1], ob.events_[:-1]
    assert len(cnt) <= 4
    assert (cnt >= 0.08 * 600).all()
    rates = ev / cnt
    diffs = np.diff(rates)
    assert (diffs >= -1e-12).all() if trend == "ascending" else (diffs <= 1e-12).all()
    assert ob.iv_ == pytest.approx(float(ob.bin_iv_.sum()))


def test_prebin_splits_are_observed_values_and_respect_min_size() -> None:
    x = np.concatenate([np.zeros(500), np.arange(1, 501, dtype=float)])
    s = quantile_prebin_splits(x, 20, 0.05)
    assert set(s.tolist()) <= set(x.tolist())
    counts = np.bincount(np.searchsorted(s, x, side="right"))
    assert counts.min() >= 50
    assert counts[0] == 500  # the tied zeros stay together


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InputError, match="0/1"):
        OptimalBinning().fit([1.0, 2.0], [0, 2])
    with pytest.raises(InputError, match="both"):
        OptimalBinning().fit([1.0, 2.0], [1, 1])
    with pytest.raises(InputError, match="monotonic_trend"):
        OptimalBinning(monotonic_trend="up").fit([1.0, 2.0], [0, 1])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="max_pvalue"):
        OptimalBinning(max_pvalue=0.0).fit([1.0, 2.0], [0, 1])


def test_round_trip_through_dict() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    y = (rng.random(300) < 0.3).astype(int)
    ob = OptimalBinning().fit(x, y)
    ob2 = OptimalBinning.from_dict(ob.to_dict())
    assert np.array_equal(ob2.transform(x), ob.transform(x))
    assert ob2.labels() == ob.labels()


# -- optbinning as the oracle -------------------------------------------------------------------


@pytest.fixture(name="optbinning")
def _optbinning() -> Any:
    """The oracle, from the `peers` dependency group; only the oracle tests need it."""
    return pytest.importorskip("optbinning")


# optbinning's own binning table trips a pandas deprecation warning; not ours to fix.
oracle_warning = pytest.mark.filterwarnings("ignore:Setting an item of incompatible dtype")


def _oracle_cases(german, taiwan):  # type: ignore[no-untyped-def]
    for frame, y in (german, taiwan):
        for c in frame.columns:
            yield c, frame[c], y


@oracle_warning
@pytest.mark.parametrize("trend", ["ascending", "descending", "peak", "valley"])
def test_iv_at_least_optbinning_on_same_prebins_numeric(german, taiwan, trend, optbinning) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for name, s, y in _oracle_cases(german, taiwan):
        if not s.dtype.is_numeric():
            continue
        x = s.cast(pl.Float64).to_numpy()
        ours = OptimalBinning(monotonic_trend=trend, min_bin_size=0.05).fit(x, y)
        pre = quantile_prebin_splits(x, 20, 0.05)
        theirs = optbinning.OptimalBinning(
            name=name,
            dtype="numerical",
            monotonic_trend=trend,
            min_bin_size=0.05,
            user_splits=pre,
        ).fit(x, y)
        their_iv = float(theirs.binning_table.build().loc["Totals", "IV"])
        assert ours.iv_ >= their_iv * 0.995 - 1e-12, (name, ours.iv_, their_iv)
        checked += 1
    assert checked == 11  # 7 German + 4 Taiwan numeric features


@oracle_warning
@pytest.mark.parametrize("trend", ["ascending", "descending"])
def test_iv_at_least_optbinning_with_max_pvalue(german, taiwan, trend, optbinning) -> None:  # type: ignore[no-untyped-def]
    # Same pre-bins, same adjacent-bin z-test (optbinning's max_pvalue_policy="consecutive").
    checked = 0
    for name, s, y in _oracle_cases(german, taiwan):
        if not s.dtype.is_numeric():
            continue
        x = s.cast(pl.Float64).to_numpy()
        ours = OptimalBinning(monotonic_trend=trend, min_bin_size=0.05, max_pvalue=0.05).fit(x, y)
        pre = quantile_prebin_splits(x, 20, 0.05)
        theirs = optbinning.OptimalBinning(
            name=name,
            dtype="numerical",
            monotonic_trend=trend,
            min_bin_size=0.05,
            max_pvalue=0.05,
            user_splits=pre,
        ).fit(x, y)
        their_iv = float(theirs.binning_table.build().loc["Totals", "IV"])
        assert ours.iv_ >= their_iv * 0.995 - 1e-12, (name, ours.iv_, their_iv)
        cnt, ev = ours.counts_[:-1], ours.events_[:-1]
        for i in range(cnt.size - 1):
            assert _z_test_pvalue(cnt[i], ev[i], cnt[i + 1], ev[i + 1]) < 0.05
        checked += 1
    assert checked == 11


@oracle_warning
def test_iv_at_least_optbinning_categorical(german, optbinning) -> None:  # type: ignore[no-untyped-def]
    frame, y = german
    checked = 0
    for name in frame.columns:
        s = frame[name]
        if s.dtype.is_numeric():
            continue
        x = s.to_numpy()
        ours = OptimalBinning(min_bin_size=0.05).fit(x, y)
        theirs = optbinning.OptimalBinning(
            name=name, dtype="categorical", monotonic_trend="ascending", min_bin_size=0.05
        ).fit(x, y)
        their_iv = float(theirs.binning_table.build().loc["Totals", "IV"])
        assert ours.iv_ >= their_iv * 0.995 - 1e-12, (name, ours.iv_, their_iv)
        checked += 1
    assert checked == 11


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 200), min_size=1, max_size=25).filter(lambda c: sum(c) > 0),
    max_n_prebins=st.integers(2, 24),
    min_prebin_size=st.sampled_from([0.0, 0.02, 0.05, 0.1]),
    extra=st.integers(0, 50),
)
def test_category_cuts_equal_quantile_cuts_on_ranks(
    counts: list[int], max_n_prebins: int, min_prebin_size: float, extra: int
) -> None:
    from creditguard.risk.binning import _category_cuts

    c = np.asarray(counts, dtype=float)
    ranks = np.repeat(np.arange(c.size, dtype=float), counts)
    n_total = int(c.sum()) + extra
    expected = quantile_prebin_splits(ranks, max_n_prebins, min_prebin_size, n_total=n_total)
    got = _category_cuts(c, max_n_prebins, min_prebin_size, float(n_total))
    assert np.array_equal(got, expected)
