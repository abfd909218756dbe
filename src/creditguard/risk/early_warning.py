"""Early warning: behaviour features, a monotone LightGBM model, per-account reasons, alerts.

The target is "30+ DPD within the next 3 months" (1 = bad). Features come from monthly
repayment history (:func:`behaviour_features`): utilisation and its trend, payment-to-bill
ratio, minimum-only payments, DPD history, months since the last delinquency and cash-loan use.
LightGBM is trained with monotone constraints where they make business sense (more
utilisation never lowers risk, paying more of the bill never raises it, ...), so every alert's
direction can be defended. Reasons are LightGBM's exact per-feature contributions
(``pred_contrib``, SHAP values on the log-odds scale): the features pushing the account's risk
up the most. :meth:`EarlyWarningModel.alerts` turns probabilities over a threshold into
:class:`EarlyWarning` events for collections and hardship to consume.

The artifact is JSON holding LightGBM's own text model format (no pickle).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.money import InputError
from creditguard.risk import metrics
from creditguard.risk.scorecard import (
    DEFAULT_PROTECTED_TERMS,
    DEFAULT_PROXY_COLUMNS,
    check_target,
    frame_sha256,
    read_artifact,
    refuse_protected,
)

__all__ = [
    "BEHAVIOUR_MONOTONE",
    "BEHAVIOUR_NAMES",
    "HISTORY_COLUMNS",
    "EarlyWarning",
    "EarlyWarningModel",
    "WarningReason",
    "behaviour_features",
    "early_warning_panel",
    "future_target",
]

ARTIFACT_FORMAT = "creditguard.early_warning"
ARTIFACT_VERSION = 1

HISTORY_COLUMNS = (
    "account_id", "month", "limit", "balance", "bill", "min_due", "paid", "dpd", "cash_advance",
)  # fmt: skip

# +1: a larger value never lowers risk; -1: never raises it.
BEHAVIOUR_MONOTONE: dict[str, int] = {
    "util_last": 1,
    "util_trend_6m": 1,
    "pay_ratio_6m": -1,
    "min_only_6m": 1,
    "max_dpd_12m": 1,
    "months_since_delinquency": -1,
    "late_months_6m": 1,
    "cash_months_6m": 1,
}
BEHAVIOUR_NAMES: dict[str, tuple[str, str]] = {
    "util_last": ("额度使用率", "credit utilisation"),
    "util_trend_6m": ("近6月使用率上升", "utilisation rising over 6 months"),
    "pay_ratio_6m": ("近6月还款比例低", "low share of bills repaid over 6 months"),
    "min_only_6m": ("近6月仅还最低还款次数", "minimum-only payments in 6 months"),
    "max_dpd_12m": ("近12月最长逾期天数", "longest days past due in 12 months"),
    "months_since_delinquency": ("距上次逾期月数少", "recent delinquency"),
    "late_months_6m": ("近6月逾期月数", "months with a late payment in 6 months"),
    "cash_months_6m": ("近6月借现月数", "months with cash loans in 6 months"),
}
# Never delinquent in the window reads as this many months since (a large, finite number keeps
# the feature monotone and numeric).
_NEVER = 99


def behaviour_features(history: pl.DataFrame, window: int = 12) -> pl.DataFrame:
    """One row per account: behaviour features at each account's latest month.

    ``history`` has one row per account and statement month with the columns
    :data:`HISTORY_COLUMNS` (money in fen; ``month`` any sortable period; ``dpd`` days past due
    at month end). Months older than ``window`` months before an account's latest are ignored.

    An optional ``worst_dpd`` column (the worst DPD reached *during* the month) replaces ``dpd``
    in the DPD-history features (``max_dpd_12m``, ``months_since_delinquency``,
    ``late_months_6m``): a bill paid three days late is paid by month end, and month-end DPD
    alone would never see it.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise InputError(missing[0], "history column missing")
    if history.height == 0:
        raise InputError("history", "no rows")
    h = (
        history.sort("account_id", "month")
        .with_columns(
            (pl.col("month").cum_count().over("account_id") - 1).alias("_t"),
            pl.len().over("account_id").alias("_n"),
        )
        .with_columns((pl.col("_n") - 1 - pl.col("_t")).alias("_age"))  # 0 = latest month
        .filter(pl.col("_age") < window)
        .with_columns(
            (pl.col("worst_dpd") if "worst_dpd" in history.columns else pl.col("dpd")).alias(
                "_dpd"
            ),
            (pl.col("balance") / pl.col("limit").clip(lower_bound=1)).alias("_util"),
            pl.when(pl.col("bill") > 0)
            .then((pl.col("paid") / pl.col("bill")).clip(upper_bound=1.0))
            .otherwise(None)
            .alias("_pay"),
            (
                (pl.col("paid") >= pl.col("min_due"))
                & (pl.col("paid") < pl.col("bill"))
                & (pl.col("paid") * 10 <= pl.col("min_due") * 11)
                & (pl.col("min_due") > 0)
            ).alias("_min_only"),
        )
    )
    recent = pl.col("_age") < 6
    t6 = pl.col("_t").filter(recent).cast(pl.Float64)
    u6 = pl.col("_util").filter(recent)
    slope = ((t6 - t6.mean()) * (u6 - u6.mean())).sum() / ((t6 - t6.mean()) ** 2).sum()
    out = h.group_by("account_id", maintain_order=True).agg(
        pl.col("month").last().alias("as_of"),
        pl.col("_util").last().alias("util_last"),
        pl.when(recent.sum() >= 2).then(slope).otherwise(0.0).alias("util_trend_6m"),
        pl.col("_pay").filter(recent).mean().fill_null(1.0).alias("pay_ratio_6m"),
        pl.col("_min_only").filter(recent).sum().cast(pl.Int64).alias("min_only_6m"),
        pl.col("_dpd").max().alias("max_dpd_12m"),
        pl.col("_age")
        .filter(pl.col("_dpd") > 0)
        .min()
        .fill_null(_NEVER)
        .cast(pl.Int64)
        .alias("months_since_delinquency"),
        (pl.col("_dpd") > 0).filter(recent).sum().cast(pl.Int64).alias("late_months_6m"),
        (pl.col("cash_advance") > 0).filter(recent).sum().cast(pl.Int64).alias("cash_months_6m"),
    )
    return out.with_columns(pl.col("util_trend_6m").fill_nan(0.0))


def future_target(history: pl.DataFrame, *, horizon: int = 3, dpd_bad: int = 30) -> pl.DataFrame:
    """Per account and as-of month: 1 when DPD reaches ``dpd_bad`` in the next ``horizon`` months.

    The calendar is the sorted distinct ``month`` values of the whole history (one per period,
    no gaps). An as-of month qualifies only when all ``horizon`` later months are in the
    calendar (the outcome is fully observed) and the account is not already at ``dpd_bad`` or
    worse at as-of month end (it is in collections, not a warning case). The DPD looked at is
    ``worst_dpd`` when present, else ``dpd``; an account with no row in a later month (ended)
    counts as not delinquent there. Columns: ``account_id``, ``as_of``, ``target``.
    """
    for c in ("account_id", "month", "dpd"):
        if c not in history.columns:
            raise InputError(c, "history column missing")
    if horizon < 1:
        raise InputError("horizon", "must be at least 1 month")
    worst = "worst_dpd" if "worst_dpd" in history.columns else "dpd"
    calendar = history.get_column("month").unique().sort()
    index = pl.DataFrame({"month": calendar, "_k": np.arange(calendar.len(), dtype=np.int64)})
    h = history.select("account_id", "month", "dpd", pl.col(worst).alias("_w")).join(
        index, on="month"
    )
    last = calendar.len() - 1
    asof = h.filter((pl.col("_k") + horizon <= last) & (pl.col("dpd") < dpd_bad))
    future = h.select("account_id", pl.col("_k").alias("_fk"), pl.col("_w").alias("_fw"))
    joined = asof.join(future, on="account_id", how="inner").filter(
        (pl.col("_fk") > pl.col("_k")) & (pl.col("_fk") <= pl.col("_k") + horizon)
    )
    hits = joined.group_by("account_id", "_k").agg((pl.col("_fw") >= dpd_bad).any().alias("_hit"))
    return (
        asof.join(hits, on=["account_id", "_k"], how="left")
        .select(
            "account_id",
            pl.col("month").alias("as_of"),
            pl.col("_hit").fill_null(False).cast(pl.Int64).alias("target"),
        )
        .sort("account_id", "as_of")
    )


def early_warning_panel(
    history: pl.DataFrame, *, horizon: int = 3, dpd_bad: int = 30, window: int = 12
) -> pl.DataFrame:
    """Training rows for early warning: one per account and qualifying as-of month.

    Features are :func:`behaviour_features` on the account's history up to and including the
    as-of month (nothing later leaks in); the target is :func:`future_target`'s. Columns:
    ``account_id``, ``as_of``, the behaviour features, ``target``.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise InputError(missing[0], "history column missing")
    target = future_target(history, horizon=horizon, dpd_bad=dpd_bad)
    cols = [*HISTORY_COLUMNS, *(["worst_dpd"] if "worst_dpd" in history.columns else [])]
    h = history.select(cols)
    parts = []
    for as_of in target.get_column("as_of").unique().sort().to_list():
        rows = target.filter(pl.col("as_of") == as_of)
        upto = h.filter(
            (pl.col("month") <= as_of)
            & pl.col("account_id").is_in(rows.get_column("account_id").to_list())
        )
        feats = behaviour_features(upto, window=window)
        parts.append(
            feats.join(rows, left_on=["account_id", "as_of"], right_on=["account_id", "as_of"])
        )
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts).sort("account_id", "as_of")


@dataclass(frozen=True)
class WarningReason:
    """A feature pushing risk up, with its contribution on the log-odds scale."""

    feature: str
    value: float
    contribution: float
    name_zh: str
    name_en: str

    def text(self) -> str:
        """Chinese first, then English."""
        return f"{self.name_zh}（{self.value:g}） / {self.name_en} ({self.value:g})"


@dataclass(frozen=True)
class EarlyWarning:
    """Event: an account's probability of 30+ DPD in 3 months crossed a threshold."""

    account_id: str
    as_of: str
    probability: float
    level: str
    reasons: tuple[WarningReason, ...]


class EarlyWarningModel:
    """LightGBM early-warning model (scikit-learn style).

    ``monotone`` maps feature → +1/−1 (features not named are unconstrained); the default is
    :data:`BEHAVIOUR_MONOTONE`. Learned: ``features_``, ``booster_``, ``metrics_``,
    ``training_``, ``protected_overrides_``.
    """

    def __init__(
        self,
        *,
        monotone: Mapping[str, int] | None = None,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 50,
        seed: int = 0,
        thresholds: Mapping[str, float] | None = None,
        names: Mapping[str, tuple[str, str]] | None = None,
        allow_protected: Mapping[str, str] | None = None,
        protected_terms: Sequence[str] = DEFAULT_PROTECTED_TERMS,
        proxy_columns: Sequence[str] = DEFAULT_PROXY_COLUMNS,
    ) -> None:
        self.monotone = dict(BEHAVIOUR_MONOTONE if monotone is None else monotone)
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.seed = seed
        self.thresholds = dict(thresholds or {"watch": 0.2, "act": 0.4})
        self.names = dict(BEHAVIOUR_NAMES if names is None else names)
        self.allow_protected = dict(allow_protected or {})
        self.protected_terms = tuple(protected_terms)
        self.proxy_columns = tuple(proxy_columns)

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as plain JSON values."""
        return {
            "monotone": dict(self.monotone),
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "seed": self.seed,
            "thresholds": dict(self.thresholds),
            "names": {k: list(v) for k, v in self.names.items()},
            "allow_protected": dict(self.allow_protected),
            "protected_terms": list(self.protected_terms),
            "proxy_columns": list(self.proxy_columns),
        }

    def _matrix(self, x: pl.DataFrame) -> npt.NDArray[np.float64]:
        missing = [c for c in self.features_ if c not in x.columns]
        if missing:
            raise InputError(missing[0], "column missing from the data (the model uses it)")
        cols = []
        for c in self.features_:
            s = x[c]
            if not (s.dtype.is_numeric() or s.dtype == pl.Boolean):
                raise InputError(c, "early-warning features must be numeric")
            cols.append(s.cast(pl.Float64).fill_null(np.nan).to_numpy())
        return np.column_stack(cols)

    def fit(self, x: pl.DataFrame, y: npt.ArrayLike) -> EarlyWarningModel:
        """Train on numeric features ``x`` and the 0/1 target (1 = 30+ DPD within 3 months)."""
        if x.height == 0 or x.width == 0:
            raise InputError("data", "no rows or no feature columns")
        ya = check_target(y, x.height)
        self.protected_overrides_ = refuse_protected(
            x.columns, self.protected_terms, self.proxy_columns, self.allow_protected
        )
        unknown = [c for c in self.monotone if c not in x.columns]
        self.features_ = list(x.columns)
        for c in self.features_:
            if x[c].null_count() == x.height:
                raise InputError(c, "all values are missing")
        w = self._matrix(x)
        constraints = [int(self.monotone.get(c, 0)) for c in self.features_]
        params = {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "monotone_constraints": constraints,
            "monotone_constraints_method": "advanced",
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": 1,
            "verbose": -1,
        }
        ds = lgb.Dataset(w, label=ya.astype(np.float64), feature_name=self.features_)
        self.booster_ = lgb.train(params, ds, num_boost_round=self.n_estimators)
        p = self.booster_.predict(w)
        self.metrics_ = {"train_auc": metrics.auc(ya, p), "train_ks": metrics.ks(ya, p)}
        self.training_ = {
            "sha256": frame_sha256(x, ya),
            "n_rows": int(x.height),
            "n_bad": int(ya.sum()),
            "unused_constraints": unknown,
        }
        return self

    def predict_proba(self, x: pl.DataFrame) -> npt.NDArray[np.float64]:
        """``[P(good), P(bad)]`` per row."""
        p = np.asarray(self.booster_.predict(self._matrix(x)), dtype=np.float64)
        return np.column_stack([1.0 - p, p])

    def contributions(self, x: pl.DataFrame) -> npt.NDArray[np.float64]:
        """Exact per-feature log-odds contributions (last column: the expected value)."""
        return np.asarray(self.booster_.predict(self._matrix(x), pred_contrib=True))

    def reasons(self, x: pl.DataFrame, top_n: int = 3) -> list[list[WarningReason]]:
        """Per row, the ``top_n`` features with the largest positive contribution to risk."""
        contrib = self.contributions(x)[:, :-1]
        w = self._matrix(x)
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :top_n]
        out = []
        for i in range(x.height):
            row = []
            for j in order[i]:
                if contrib[i, j] <= 0:
                    break
                c = self.features_[j]
                zh, en = self.names.get(c, (c, c))
                row.append(WarningReason(c, float(w[i, j]), float(contrib[i, j]), zh, en))
            out.append(row)
        return out

    def alerts(
        self, x: pl.DataFrame, ids: Sequence[object], as_of: Sequence[object]
    ) -> list[EarlyWarning]:
        """EarlyWarning events for rows whose probability reaches a threshold (highest level)."""
        if len(ids) != x.height or len(as_of) != x.height:
            raise InputError("ids", "one id and one as-of per row")
        p = self.predict_proba(x)[:, 1]
        levels = sorted(self.thresholds.items(), key=lambda kv: -kv[1])
        hit = [next((name for name, t in levels if p[i] >= t), None) for i in range(x.height)]
        rows = [i for i, h in enumerate(hit) if h is not None]
        if not rows:
            return []
        reasons = self.reasons(x[rows])
        return [
            EarlyWarning(str(ids[i]), str(as_of[i]), float(p[i]), str(hit[i]), tuple(r))
            for i, r in zip(rows, reasons, strict=True)
        ]

    def to_json(self) -> str:
        """JSON artifact: settings, metrics, training hash and LightGBM's text model."""
        return json.dumps(
            {
                "format": ARTIFACT_FORMAT,
                "version": ARTIFACT_VERSION,
                "settings": self.get_params(),
                "features": self.features_,
                "metrics": self.metrics_,
                "training": self.training_,
                "protected_overrides": self.protected_overrides_,
                "model": self.booster_.model_to_string(),
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> EarlyWarningModel:
        """Load an artifact written by :meth:`to_json`."""
        doc = read_artifact(text, "model", ARTIFACT_FORMAT, ARTIFACT_VERSION)
        s = dict(doc["settings"])
        s["names"] = {k: (v[0], v[1]) for k, v in s["names"].items()}
        m = cls(**s)
        m.features_ = list(doc["features"])
        m.metrics_ = doc["metrics"]
        m.training_ = doc["training"]
        m.protected_overrides_ = doc["protected_overrides"]
        m.booster_ = lgb.Booster(model_str=doc["model"])
        return m
