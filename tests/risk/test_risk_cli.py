"""``creditguard model …`` through Typer's CliRunner: the happy path and every bad-data exit."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from creditguard.model_cli import model_app
from creditguard.risk import metrics
from creditguard.risk.scorecard import Scorecard

DATA = Path(__file__).resolve().parents[2] / "data"
runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    src = pl.read_csv(DATA / "germancredit.csv.gz")
    df = src.with_columns((pl.col("creditability") == "bad").cast(pl.Int64).alias("bad")).drop(
        "creditability"
    )
    train, test = df[:700], df[700:]
    paths = {"train": d / "train.csv", "test": d / "test.csv", "card": d / "card.json"}
    train.write_csv(paths["train"])
    test.write_csv(paths["test"])
    return paths


def _fit(files: dict[str, Path]) -> object:
    return runner.invoke(
        model_app,
        [
            "fit-scorecard",
            "--data",
            str(files["train"]),
            "--target",
            "bad",
            "--exclude",
            "personal_status_and_sex,foreign_worker",
            "--out",
            str(files["card"]),
        ],
    )


def test_fit_score_evaluate(files: dict[str, Path], tmp_path: Path) -> None:
    r = _fit(files)
    assert r.exit_code == 0, r.output
    card = Scorecard.from_json(files["card"].read_text(encoding="utf-8"))
    assert "personal_status_and_sex" not in card.training_["columns"]

    out = tmp_path / "scores.csv"
    r = runner.invoke(
        model_app,
        ["score", "--card", str(files["card"]), "--data", str(files["test"]), "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    scores = pl.read_csv(out)
    assert scores.height == 300
    assert {"score", "prob_bad", "reason_1", "reason_2", "reason_3", "reason_1_text"} <= set(
        scores.columns
    )
    test = pl.read_csv(files["test"])
    np.testing.assert_allclose(scores["score"], np.round(card.predict_score(test), 2))
    # Reasons name features the card uses.
    assert set(scores["reason_1"].drop_nulls()) <= set(card.features_)

    r = runner.invoke(
        model_app,
        [
            "evaluate",
            "--card",
            str(files["card"]),
            "--data",
            str(files["test"]),
            "--target",
            "bad",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    y = test["bad"].to_numpy()
    p = card.predict_proba(test)[:, 1]
    assert res["n"] == 300
    assert res["auc"] == pytest.approx(metrics.auc(y, p))
    assert res["ks"] == pytest.approx(metrics.ks(y, p))
    assert res["gini"] == pytest.approx(2 * res["auc"] - 1)
    assert 0.7 < res["auc"] < 0.95


def test_text_target_with_bad_label_and_gzip(tmp_path: Path) -> None:
    out = tmp_path / "card.json"
    r = runner.invoke(
        model_app,
        [
            "fit-scorecard",
            "--data",
            str(DATA / "germancredit.csv.gz"),
            "--target",
            "creditability",
            "--bad",
            "bad",
            "--exclude",
            "personal_status_and_sex,foreign_worker",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8"))["training"]["n_bad"] == 300


def test_labels_file_names_the_reasons(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "card.json"
    r = runner.invoke(
        model_app,
        ["fit-scorecard", "--data", str(files["train"]), "--target", "bad",
         "--exclude", "personal_status_and_sex,foreign_worker",
         "--labels", str(DATA / "germancredit_labels.toml"), "--out", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    card = Scorecard.from_json(out.read_text(encoding="utf-8"))
    assert card.names_zh["duration_in_month"] == "借款期限（月）"
    long_loan = pl.read_csv(files["test"]).filter(pl.col("duration_in_month") >= 48)[:1]
    texts = [x.text() for x in card.reasons(long_loan, top_n=len(card.features_))[0]]
    assert any(t.startswith("借款期限（月）") and "loan term (months)" in t for t in texts)
    bad_labels = tmp_path / "labels.toml"
    bad_labels.write_text('[duration_in_month]\nzh = "期限"\n', encoding="utf-8")
    msg = _err(
        ["fit-scorecard", "--data", str(files["train"]), "--target", "bad",
         "--exclude", "personal_status_and_sex,foreign_worker",
         "--labels", str(bad_labels), "--out", str(out)]
    )  # fmt: skip
    assert "zh and en" in msg


def _err(args: list[str]) -> str:
    r = runner.invoke(model_app, args)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    return lines[0]


def test_bad_data_exits_2_with_one_line(files: dict[str, Path], tmp_path: Path) -> None:
    base = ["fit-scorecard", "--out", str(tmp_path / "c.json")]
    assert "target column not found" in _err(
        [*base, "--data", str(files["train"]), "--target", "nope"]
    )
    assert "0/1" in _err([*base, "--data", str(files["train"]), "--target", "duration_in_month"])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in _err([*base, "--data", str(empty), "--target", "bad"])
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,bad\n")
    assert "no data rows" in _err([*base, "--data", str(header_only), "--target", "bad"])
    missing_col = tmp_path / "allmissing.csv"
    pl.read_csv(files["train"]).with_columns(pl.lit(None, dtype=pl.Float64).alias("blank")).drop(
        "personal_status_and_sex", "foreign_worker"
    ).write_csv(missing_col)
    assert "blank: all values are missing" in _err(
        [*base, "--data", str(missing_col), "--target", "bad"]
    )
    # Protected attribute without an override.
    assert "personal_status_and_sex" in _err(
        [*base, "--data", str(files["train"]), "--target", "bad"]
    )
    with_null_target = tmp_path / "nulltarget.csv"
    gz = tmp_path / "x.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("a,bad\n1,0\n2,\n")
    assert "missing values" in _err([*base, "--data", str(gz), "--target", "bad"])
    with_null_target.write_text("a,bad\n1,0\n2,0\n")
    assert "both goods" in _err([*base, "--data", str(with_null_target), "--target", "bad"])


def test_scoring_file_missing_a_column(files: dict[str, Path], tmp_path: Path) -> None:
    assert _fit(files).exit_code == 0
    card = Scorecard.from_json(files["card"].read_text(encoding="utf-8"))
    gone = card.features_[0]
    partial = tmp_path / "partial.csv"
    pl.read_csv(files["test"]).drop(gone).write_csv(partial)
    msg = _err(
        [
            "score",
            "--card",
            str(files["card"]),
            "--data",
            str(partial),
            "--out",
            str(tmp_path / "s.csv"),
        ]
    )
    assert gone in msg and "missing" in msg
    msg = _err(
        [
            "evaluate",
            "--card",
            str(files["card"]),
            "--data",
            str(partial),
            "--target",
            "bad",
            "--json",
        ]
    )
    assert gone in msg
    assert "not found" in _err(
        [
            "score",
            "--card",
            str(tmp_path / "none.json"),
            "--data",
            str(files["test"]),
            "--out",
            str(tmp_path / "s.csv"),
        ]
    )


def test_decide_scores_then_applies_the_policy(files: dict[str, Path], tmp_path: Path) -> None:
    assert _fit(files).exit_code == 0
    card = Scorecard.from_json(files["card"].read_text(encoding="utf-8"))
    test = pl.read_csv(files["test"])[:50]
    # Money as exact decimal text, as SPEC §1 wants it on the way in.
    incomes = ["8000.00", "1500.00"] * 25
    debts = ["1000.00", "1000.00"] * 25
    apps = tmp_path / "apps.csv"
    test.with_columns(
        pl.Series("income", incomes), pl.Series("debt", debts), pl.Series("app", range(50))
    ).write_csv(apps)
    out = tmp_path / "decisions.csv"
    r = runner.invoke(
        model_app,
        ["decide", "--card", str(files["card"]), "--data", str(apps), "--out", str(out),
         "--income", "income", "--debt", "debt", "--id", "app"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = pl.read_csv(out, schema_overrides={"limit": pl.String})
    assert d.height == 50
    # Income 1500.00 < 2000.00 and DTI 1000/1500 > 0.5: every odd row is declined for both.
    odd = d.filter(pl.col("app") % 2 == 1)
    assert not odd["approved"].any()
    assert all(c.startswith("INCOME_LOW;DTI_HIGH") for c in odd["decline_codes"])
    assert all("月收入低于2000.00元" in t for t in odd["decline_reasons"])
    # Even rows: the score decides; approved limits are whole hundreds of yuan.
    from creditguard.risk.policy import Applicant, decide, default_policy

    scores = card.predict_score(test)
    for i in range(0, 50, 2):
        ref = decide(default_policy(), Applicant(scores[i], 800_000, 100_000))
        row = d.row(i, named=True)
        assert row["approved"] == ref.approved
        assert row["limit"] == f"{ref.limit // 100}.{ref.limit % 100:02d}"
    # Money that is not exact decimal text is refused, naming the column.
    apps.write_text(apps.read_text(encoding="utf-8").replace("8000.00", "8000.001"))
    msg = _err(["decide", "--card", str(files["card"]), "--data", str(apps), "--out", str(out),
                "--income", "income", "--debt", "debt"])  # fmt: skip
    assert msg.startswith("错误 / error: income")
