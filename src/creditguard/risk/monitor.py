"""Model monitoring: score PSI, feature CSI, score shift, performance and calibration.

Compares a *baseline* population (usually the training or validation sample) with a *current*
one, through a fitted :class:`~creditguard.risk.scorecard.Scorecard`:

- **PSI** of the score over the baseline's score deciles (bands cut on the baseline, ties kept
  together), with levels stable < 0.10 ≤ warn < 0.25 ≤ alert;
- **CSI** of every feature the card uses, over the card's own bins;
- the score distribution (mean and percentiles) of both;
- when the target is present: AUC, KS, Gini for both, and calibration of the current
  population by score band (predicted vs observed bad rate).

:func:`render_html` writes one self-contained HTML page (Plotly inlined, nothing fetched).
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.money import InputError
from creditguard.risk import metrics
from creditguard.risk.scorecard import Scorecard

__all__ = ["FeatureShift", "MonitorReport", "monitor", "render_html"]


@dataclass(frozen=True)
class FeatureShift:
    """CSI of one feature over the card's bins."""

    feature: str
    csi: float
    level: str
    bins: list[str]
    baseline_share: list[float]
    current_share: list[float]


@dataclass(frozen=True)
class MonitorReport:
    """Everything the monitor measured; plain values, JSON-ready via :meth:`to_json`."""

    n_baseline: int
    n_current: int
    score_psi: float
    score_level: str
    score_bands: list[str]
    baseline_band_share: list[float]
    current_band_share: list[float]
    score_summary: dict[str, dict[str, float]]
    features: list[FeatureShift]
    performance: dict[str, dict[str, float]] | None
    calibration: list[dict[str, float]] | None
    alerts: list[str]

    def to_json(self) -> str:
        """The report as JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)


def _summary(score: npt.NDArray[np.float64]) -> dict[str, float]:
    q = np.percentile(score, [10, 50, 90])
    return {"mean": float(score.mean()), "p10": float(q[0]), "p50": float(q[1]),
            "p90": float(q[2])}  # fmt: skip


def _target(df: pl.DataFrame, target: str) -> npt.NDArray[np.int64]:
    if target not in df.columns:
        raise InputError(target, "target column not found")
    s = df[target]
    if s.null_count() or not s.dtype.is_numeric() or not s.is_in([0, 1]).all():
        raise InputError(target, "target must be 0/1 (1 = bad) with no missing values")
    return np.asarray(s.to_numpy(), dtype=np.int64)


def monitor(
    card: Scorecard,
    baseline: pl.DataFrame,
    current: pl.DataFrame,
    *,
    target: str | None = None,
    n_bands: int = 10,
) -> MonitorReport:
    """Compare ``current`` with ``baseline`` through ``card``."""
    if baseline.height == 0 or current.height == 0:
        raise InputError("data", "baseline and current need rows")
    s_base = card.predict_score(baseline)
    s_cur = card.predict_score(current)
    edges = np.unique(np.quantile(s_base, np.linspace(0, 1, n_bands + 1)[1:-1], method="higher"))
    nb = edges.size + 1
    base_counts = np.bincount(np.searchsorted(edges, s_base, side="right"), minlength=nb)
    cur_counts = np.bincount(np.searchsorted(edges, s_cur, side="right"), minlength=nb)
    psi = metrics.psi(base_counts, cur_counts)
    bounds = [-np.inf, *edges.tolist(), np.inf]
    band_labels = [f"[{bounds[i]:.0f}, {bounds[i + 1]:.0f})" for i in range(nb)]

    shifts = []
    b_bins = card.bins(baseline)
    c_bins = card.bins(current)
    for j, f in enumerate(card.features_):
        ob = card.binnings_[f]
        bcol = b_bins[:, j]
        ccol = c_bins[:, j]
        r = metrics.psi(
            np.bincount(bcol, minlength=ob.n_bins_), np.bincount(ccol, minlength=ob.n_bins_)
        )
        shifts.append(
            FeatureShift(f, r.value, r.level, ob.labels(), r.expected_share, r.actual_share)
        )

    performance = None
    calibration = None
    if target is not None:
        y_base = _target(baseline, target)
        y_cur = _target(current, target)
        performance = {}
        for name, y, x in (("baseline", y_base, baseline), ("current", y_cur, current)):
            p = card.predict_proba(x)[:, 1]
            a = metrics.auc(y, p)
            performance[name] = {"auc": a, "ks": metrics.ks(y, p), "gini": 2 * a - 1,
                                 "bad_rate": float(y.mean()), "n": float(y.size)}  # fmt: skip
        p_cur = card.predict_proba(current)[:, 1]
        calibration = [asdict(b) for b in metrics.calibration_by_band(y_cur, p_cur, s_cur, n_bands)]

    alerts = []
    if psi.level != "stable":
        alerts.append(
            f"评分分布偏移 PSI={psi.value:.3f}（{psi.level}） / "
            f"score PSI {psi.value:.3f} ({psi.level})"
        )
    for sh in shifts:
        if sh.level != "stable":
            alerts.append(
                f"特征{sh.feature}分布偏移 CSI={sh.csi:.3f}（{sh.level}） / "
                f"feature {sh.feature} CSI {sh.csi:.3f} ({sh.level})"
            )
    if performance is not None:
        drop = performance["baseline"]["auc"] - performance["current"]["auc"]
        if drop > 0.05:
            alerts.append(f"AUC下降{drop:.3f} / AUC dropped by {drop:.3f}")

    return MonitorReport(
        n_baseline=baseline.height,
        n_current=current.height,
        score_psi=psi.value,
        score_level=psi.level,
        score_bands=band_labels,
        baseline_band_share=psi.expected_share,
        current_band_share=psi.actual_share,
        score_summary={"baseline": _summary(s_base), "current": _summary(s_cur)},
        features=shifts,
        performance=performance,
        calibration=calibration,
        alerts=alerts,
    )


def render_html(report: MonitorReport, title: str = "Scorecard monitor") -> str:
    """A self-contained HTML page: Plotly inlined once, no network access needed to view."""
    import plotly.graph_objects as go

    figs: list[Any] = []
    f1 = go.Figure()
    f1.add_bar(name="baseline 基准", x=report.score_bands, y=report.baseline_band_share)
    f1.add_bar(name="current 当前", x=report.score_bands, y=report.current_band_share)
    f1.update_layout(
        title=f"评分分布 / Score distribution — PSI {report.score_psi:.3f} ({report.score_level})",
        barmode="group", yaxis_title="share",
    )  # fmt: skip
    figs.append(f1)
    f2 = go.Figure()
    f2.add_bar(x=[s.feature for s in report.features], y=[s.csi for s in report.features])
    for level, color in ((metrics.PSI_WARN, "orange"), (metrics.PSI_ALERT, "red")):
        f2.add_hline(y=level, line_dash="dash", line_color=color)
    f2.update_layout(title="特征稳定性 / Feature stability (CSI)", yaxis_title="CSI")
    figs.append(f2)
    if report.calibration:
        f3 = go.Figure()
        mid = [(b["lower"] + b["upper"]) / 2 for b in report.calibration]
        f3.add_scatter(name="predicted 预测", x=mid, y=[b["predicted"] for b in report.calibration])
        f3.add_scatter(name="observed 实际", x=mid, y=[b["observed"] for b in report.calibration])
        f3.update_layout(
            title="校准 / Calibration by score band", xaxis_title="score", yaxis_title="bad rate"
        )
        figs.append(f3)
    divs = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_width="100%")
        for i, fig in enumerate(figs)
    ]
    alerts = "".join(f"<li>{html.escape(a)}</li>" for a in report.alerts) or (
        "<li>无告警 / no alerts</li>"
    )
    perf = ""
    if report.performance:
        rows = "".join(
            f"<tr><td>{k}</td><td>{v['auc']:.4f}</td><td>{v['ks']:.4f}</td>"
            f"<td>{v['gini']:.4f}</td><td>{v['bad_rate']:.4f}</td><td>{v['n']:.0f}</td></tr>"
            for k, v in report.performance.items()
        )
        perf = (
            "<h2>区分度 / Performance</h2><table><tr><th></th><th>AUC</th><th>KS</th>"
            f"<th>Gini</th><th>bad rate</th><th>n</th></tr>{rows}</table>"
        )
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>模型监控 / {html.escape(title)}</h1>"
        f"<p>基准 / baseline n={report.n_baseline}; 当前 / current n={report.n_current}</p>"
        f"<h2>告警 / Alerts</h2><ul>{alerts}</ul>{perf}{''.join(divs)}</body></html>"
    )
