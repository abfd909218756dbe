"""Monitoring: PSI/CSI on a real shift, HTML is self-contained, CLI commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from creditguard.model_cli import model_app
from creditguard.risk import metrics
from creditguard.risk.monitor import monitor, render_html
from creditguard.risk.scorecard import Scorecard

runner = CliRunner()


@pytest.fixture(scope="module")
def card_and_data(german):  # type: ignore[no-untyped-def]
    x, y = german
    df = x.with_columns(pl.Series("bad", y))
    card = Scorecard().fit(x[:700], y[:700])
    return card, df


def test_same_population_is_stable(card_and_data) -> None:  # type: ignore[no-untyped-def]
    card, df = card_and_data
    rep = monitor(card, df, df, target="bad")
    assert rep.score_psi == pytest.approx(0.0, abs=1e-12)
    assert rep.score_level == "stable" and rep.alerts == []
    assert all(f.csi == pytest.approx(0.0, abs=1e-12) for f in rep.features)
    assert rep.performance is not None
    assert rep.performance["current"]["auc"] == pytest.approx(
        metrics.auc(df["bad"].to_numpy(), card.predict_proba(df)[:, 1])
    )


def test_shifted_population_alerts(card_and_data) -> None:  # type: ignore[no-untyped-def]
    card, df = card_and_data
    # Current = only long loans: duration's CSI and the score PSI must both move.
    current = df.filter(pl.col("duration_in_month") >= 24)
    rep = monitor(card, df, current)
    dur = next(f for f in rep.features if f.feature == "duration_in_month")
    # CSI recomputed by hand from the card's bins.
    ob = card.binnings_["duration_in_month"]
    e = np.bincount(ob.bin_index(df["duration_in_month"]), minlength=ob.n_bins_)
    a = np.bincount(ob.bin_index(current["duration_in_month"]), minlength=ob.n_bins_)
    es = np.maximum(e / e.sum(), 1e-4)
    as_ = np.maximum(a / a.sum(), 1e-4)
    assert dur.csi == pytest.approx(float(np.sum((as_ - es) * np.log(as_ / es))))
    assert dur.level == "alert"
    assert rep.score_level in ("warn", "alert")
    assert any("duration_in_month" in al for al in rep.alerts)
    assert rep.score_summary["current"]["mean"] < rep.score_summary["baseline"]["mean"]


def test_html_is_self_contained(card_and_data) -> None:  # type: ignore[no-untyped-def]
    card, df = card_and_data
    page = render_html(monitor(card, df, df[:300], target="bad"))
    assert page.count("plotly.js v") >= 1  # the library itself is inlined
    # No script is loaded from elsewhere (the bundle itself mentions CDN URLs in its config).
    assert re.search(r"<script[^>]*\bsrc=", page) is None
    assert "模型监控" in page and "Calibration" in page


def test_monitor_cli(card_and_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    card, df = card_and_data
    card_path = tmp_path / "card.json"
    card_path.write_text(card.to_json(), encoding="utf-8")
    base, cur = tmp_path / "base.csv", tmp_path / "cur.csv"
    df.write_csv(base)
    df.filter(pl.col("duration_in_month") >= 24).write_csv(cur)
    out = tmp_path / "mon"
    r = runner.invoke(
        model_app,
        ["monitor", "--card", str(card_path), "--baseline", str(base), "--current", str(cur),
         "--out", str(out), "--target", "bad"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "monitor.json").read_text(encoding="utf-8"))
    assert doc["n_current"] == df.filter(pl.col("duration_in_month") >= 24).height
    assert (out / "monitor.html").stat().st_size > 1_000_000  # plotly.js inlined
    assert "CSI" in r.output


def test_early_warning_cli(taiwan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    x, y = taiwan
    data = tmp_path / "tw.csv"
    x.with_columns(pl.Series("bad", y), pl.Series("acct", np.arange(len(y)))).write_csv(data)
    model = tmp_path / "ew.json"
    r = runner.invoke(
        model_app,
        ["fit-early-warning", "--data", str(data), "--target", "bad", "--out", str(model),
         "--exclude", "acct", "--monotone", "LIMIT_BAL=-1", "--n-estimators", "40"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    alerts = tmp_path / "alerts.csv"
    r = runner.invoke(
        model_app,
        ["early-warning", "--model", str(model), "--data", str(data), "--out", str(alerts),
         "--id", "acct"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    a = pl.read_csv(alerts)
    assert a.height > 0 and (a["probability"] >= 0.2).all()
    assert set(a["level"]) <= {"watch", "act"}
    r = runner.invoke(
        model_app,
        ["fit-early-warning", "--data", str(data), "--target", "bad", "--out", str(model),
         "--monotone", "LIMIT_BAL=up"],
    )  # fmt: skip
    assert r.exit_code == 2 and "--monotone" in r.output
