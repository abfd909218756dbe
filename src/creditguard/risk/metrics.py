"""Discrimination, calibration and stability metrics for credit models.

Conventions: ``y`` is 0/1 with 1 = bad; ``p`` is a predicted probability of bad (or any risk
score where larger means riskier). A credit *score* (higher = safer) is turned into a risk
ordering by negating it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from creditguard.money import InputError

__all__ = [
    "PSI_ALERT",
    "PSI_WARN",
    "CalibrationBand",
    "PsiResult",
    "auc",
    "calibration_by_band",
    "gini",
    "ks",
    "psi",
    "psi_level",
]

PSI_WARN = 0.10
PSI_ALERT = 0.25
# Empty bins would make PSI infinite; a share floor of 1e-4 is the usual practical guard.
_PSI_FLOOR = 1e-4


def _check(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], ...]:
    ya = np.asarray(y, dtype=np.float64)
    pa = np.asarray(p, dtype=np.float64)
    if ya.ndim != 1 or ya.shape != pa.shape:
        raise InputError("y", "y and scores must be one-dimensional and of the same length")
    if not np.isin(ya, (0.0, 1.0)).all():
        raise InputError("y", "target must be 0/1 (1 = bad)")
    n_bad = ya.sum()
    if n_bad == 0 or n_bad == ya.size:
        raise InputError("y", "target needs both goods (0) and bads (1)")
    if np.isnan(pa).any():
        raise InputError("scores", "scores contain missing values")
    return ya, pa


def _tie_groups(
    y: npt.NDArray[np.float64], p: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Bads and goods per distinct score, in ascending score order (one sort)."""
    order = np.argsort(p)
    ps = p[order]
    ys = y[order]
    starts = np.flatnonzero(np.concatenate(([True], ps[1:] != ps[:-1])))
    bads = np.add.reduceat(ys, starts)
    sizes = np.diff(np.append(starts, ps.size)).astype(np.float64)
    return bads, sizes - bads


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Area under the ROC curve: P(a random bad scores above a random good), ties count ½.

    The Mann–Whitney statistic over groups of tied scores.
    """
    ya, pa = _check(y, p)
    bads, goods = _tie_groups(ya, pa)
    goods_below = np.cumsum(goods) - goods
    n_bad, n_good = bads.sum(), goods.sum()
    return float(np.sum(bads * (goods_below + 0.5 * goods)) / (n_bad * n_good))


def gini(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Gini coefficient (accuracy ratio) = 2·AUC − 1."""
    return 2.0 * auc(y, p) - 1.0


def ks(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Kolmogorov–Smirnov statistic: max gap between the bads' and goods' cumulative shares.

    Thresholds sit between distinct score values, so tied scores are never split.
    """
    ya, pa = _check(y, p)
    bads, goods = _tie_groups(ya, pa)
    gap = np.cumsum(bads) / bads.sum() - np.cumsum(goods) / goods.sum()
    return float(np.max(np.abs(gap)))


@dataclass(frozen=True)
class CalibrationBand:
    """One score band: rows, mean predicted bad rate, observed bad rate."""

    lower: float
    upper: float
    n: int
    predicted: float
    observed: float


def calibration_by_band(
    y: npt.ArrayLike, p: npt.ArrayLike, score: npt.ArrayLike, n_bands: int = 10
) -> list[CalibrationBand]:
    """Predicted vs observed bad rate in ``n_bands`` score bands of near-equal size.

    Bands are cut at score quantiles; tied scores stay in one band.
    """
    ya, pa = _check(y, p)
    sa = np.asarray(score, dtype=np.float64)
    if sa.shape != ya.shape:
        raise InputError("score", "score must have the same length as y")
    edges = np.unique(np.quantile(sa, np.linspace(0, 1, n_bands + 1)[1:-1], method="higher"))
    band = np.searchsorted(edges, sa, side="right")
    out = []
    for b in range(edges.size + 1):
        sel = band == b
        if not sel.any():
            continue
        out.append(
            CalibrationBand(
                lower=float(sa[sel].min()),
                upper=float(sa[sel].max()),
                n=int(sel.sum()),
                predicted=float(pa[sel].mean()),
                observed=float(ya[sel].mean()),
            )
        )
    return out


@dataclass(frozen=True)
class PsiResult:
    """Population stability index with its per-bin terms and alert level."""

    value: float
    level: str
    expected_share: list[float]
    actual_share: list[float]
    terms: list[float]


def psi_level(value: float) -> str:
    """Alert level of a PSI/CSI value: stable < 0.1 ≤ warn < 0.25 ≤ alert."""
    if value >= PSI_ALERT:
        return "alert"
    if value >= PSI_WARN:
        return "warn"
    return "stable"


def psi(expected_counts: npt.ArrayLike, actual_counts: npt.ArrayLike) -> PsiResult:
    """PSI = Σ (a − e) · ln(a / e) over bins, with shares floored at 1e-4.

    Feed counts per score band for PSI, per feature bin for CSI (characteristic stability).
    """
    e = np.asarray(expected_counts, dtype=np.float64)
    a = np.asarray(actual_counts, dtype=np.float64)
    if e.shape != a.shape or e.ndim != 1 or e.size == 0:
        raise InputError("counts", "expected and actual counts must be 1-D of the same length")
    if e.sum() <= 0 or a.sum() <= 0 or (e < 0).any() or (a < 0).any():
        raise InputError("counts", "counts must be non-negative with a positive total")
    es = np.maximum(e / e.sum(), _PSI_FLOOR)
    as_ = np.maximum(a / a.sum(), _PSI_FLOOR)
    terms = (as_ - es) * np.log(as_ / es)
    value = float(terms.sum())
    return PsiResult(value, psi_level(value), es.tolist(), as_.tolist(), terms.tolist())
