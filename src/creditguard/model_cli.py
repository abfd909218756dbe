"""``creditguard model …``: fit, apply and evaluate scorecards from CSV files.

Mounted by the main CLI as a Typer sub-app. Bad input (a missing or non-binary target, an empty
file, an all-missing column, a scoring file without a column the card uses) prints one line
naming the problem and exits with code 2.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
import typer

from creditguard.money import InputError
from creditguard.risk import metrics
from creditguard.risk.scorecard import Scorecard

__all__ = ["model_app"]

model_app = typer.Typer(
    no_args_is_help=True,
    help="评分卡：训练、打分、评估 / Scorecards: fit, score, evaluate.",
)

T = TypeVar("T")


def _run(fn: Callable[[], T]) -> T:
    """Run a command body; bad input → one line on stderr and exit code 2."""
    try:
        return fn()
    except InputError as exc:
        typer.echo(f"错误 / error: {exc}", err=True)
        raise typer.Exit(2) from None


def _read_text(path: Path) -> str:
    _need_file(path)
    return path.read_text(encoding="utf-8")


def _need_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(str(path), "file not found")


def read_csv(path: Path, text_columns: tuple[str, ...] = ()) -> pl.DataFrame:
    """Read a CSV (optionally gzip-compressed) with empty strings and NA as missing.

    ``text_columns`` stay text (money columns are parsed exactly, never via float).
    """
    _need_file(path)
    try:
        df = pl.read_csv(
            path,
            infer_schema_length=None,
            null_values=["", "NA", "NaN"],
            schema_overrides={c: pl.String for c in text_columns},
        )
    except pl.exceptions.NoDataError:
        raise InputError(str(path), "file is empty") from None
    except pl.exceptions.ComputeError as exc:
        raise InputError(str(path), f"not a readable CSV ({str(exc).splitlines()[0]})") from None
    if df.height == 0:
        raise InputError(str(path), "file has no data rows")
    return df


def target_vector(df: pl.DataFrame, target: str, bad: str | None) -> npt.NDArray[np.int64]:
    """The 0/1 target (1 = bad), or ``column == bad`` when a bad label is given."""
    if target not in df.columns:
        raise InputError(target, "target column not found")
    s = df[target]
    if s.null_count():
        raise InputError(target, f"target has {s.null_count()} missing values")
    if bad is not None:
        values = set(s.cast(pl.String).unique().to_list())
        if bad not in values or len(values) != 2:
            raise InputError(target, f"needs exactly two values, one of them {bad!r}")
        return np.asarray((s.cast(pl.String) == bad).cast(pl.Int64).to_numpy(), dtype=np.int64)
    if not s.dtype.is_numeric():
        raise InputError(target, "target must be 0/1 (1 = bad); use --bad LABEL for text labels")
    arr = s.to_numpy()
    if not np.isin(arr, (0, 1)).all():
        raise InputError(target, "target must be 0/1 (1 = bad)")
    if arr.sum() in (0, arr.size):
        raise InputError(target, "target needs both goods (0) and bads (1)")
    return np.asarray(arr, dtype=np.int64)


def _split_names(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _parse_overrides(items: list[str]) -> dict[str, str]:
    out = {}
    for it in items:
        col, sep, reason = it.partition("=")
        if not sep or not col.strip() or not reason.strip():
            raise InputError("--allow-protected", f"expected COLUMN=REASON, got {it!r}")
        out[col.strip()] = reason.strip()
    return out


def read_labels(path: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    """Feature names for reasons from a TOML file: ``[column]`` tables with ``zh`` and ``en``."""
    if path is None:
        return {}, {}
    try:
        doc = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"not valid TOML ({exc})") from None
    zh, en = {}, {}
    for col, names in doc.items():
        if not isinstance(names, dict) or not {"zh", "en"} <= set(names):
            raise InputError(f"{path}: {col}", "needs zh and en names")
        zh[col], en[col] = str(names["zh"]), str(names["en"])
    return zh, en


def load_card(path: Path) -> Scorecard:
    """Load a scorecard artifact from a JSON file."""
    return Scorecard.from_json(_read_text(path))


@model_app.command("fit-scorecard")
def fit_scorecard(
    data: Annotated[Path, typer.Option(help="训练数据 CSV / training CSV")],
    target: Annotated[str, typer.Option(help="目标列，1 = 坏 / target column, 1 = bad")],
    out: Annotated[Path, typer.Option(help="评分卡 JSON / scorecard JSON to write")],
    exclude: Annotated[
        str | None, typer.Option(help="排除的列，逗号分隔 / columns to leave out")
    ] = None,
    bad: Annotated[
        str | None, typer.Option(help="文本目标中的坏标签 / bad label of a text target")
    ] = None,
    allow_protected: Annotated[
        list[str] | None,
        typer.Option(
            help="COLUMN=REASON：允许受保护属性并记录理由 / allow a protected column, with a reason"
        ),
    ] = None,
    selection: Annotated[str, typer.Option(help="none | stepwise | l1")] = "none",
    base_score: Annotated[float, typer.Option(help="base score")] = 600.0,
    base_odds: Annotated[float, typer.Option(help="good:bad odds at the base score")] = 50.0,
    pdo: Annotated[float, typer.Option(help="points to double the odds")] = 20.0,
    monotonic_trend: Annotated[
        str, typer.Option(help="auto|ascending|descending|peak|valley|none")
    ] = "auto",
    max_n_bins: Annotated[int | None, typer.Option(help="max bins per feature")] = None,
    min_bin_size: Annotated[float, typer.Option(help="min share of rows per bin")] = 0.05,
    iv_min: Annotated[float, typer.Option(help="drop features with IV below this")] = 0.0,
    categorical: Annotated[
        str | None,
        typer.Option(help="按类别处理的数值列 / numeric code columns to bin as categories"),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="特征中英文名 TOML / feature names TOML for reasons")
    ] = None,
) -> None:
    """训练评分卡 / Fit a WOE logistic scorecard and write its JSON artifact."""

    def body() -> None:
        df = read_csv(data)
        y = target_vector(df, target, bad)
        drop = _split_names(exclude)
        unknown = [c for c in drop if c not in df.columns]
        if unknown:
            raise InputError("--exclude", f"unknown column {unknown[0]!r}")
        if selection not in ("none", "stepwise", "l1"):
            raise InputError("--selection", "must be none, stepwise or l1")
        x = df.drop([target, *drop])
        names_zh, names_en = read_labels(labels)
        card = Scorecard(
            selection=selection,  # type: ignore[arg-type]
            base_score=base_score,
            base_odds=base_odds,
            pdo=pdo,
            monotonic_trend=monotonic_trend,  # type: ignore[arg-type]
            max_n_bins=max_n_bins,
            min_bin_size=min_bin_size,
            iv_min=iv_min,
            categorical=_split_names(categorical),
            names_zh=names_zh,
            names_en=names_en,
            allow_protected=_parse_overrides(allow_protected or []),
        ).fit(x, y)
        out.write_text(card.to_json(), encoding="utf-8")
        m = card.metrics_
        typer.echo(
            f"已写入 / wrote {out}: {len(card.features_)} features, "
            f"train AUC {m['train_auc']:.4f}, KS {m['train_ks']:.4f}"
        )

    _run(body)


@model_app.command("score")
def score(
    card: Annotated[Path, typer.Option(help="评分卡 JSON / scorecard JSON")],
    data: Annotated[Path, typer.Option(help="待打分 CSV / CSV to score")],
    out: Annotated[Path, typer.Option(help="输出 CSV / scores CSV to write")],
    id_column: Annotated[str | None, typer.Option("--id", help="carried-over id column")] = None,
    top: Annotated[int, typer.Option(help="reasons per row")] = 3,
) -> None:
    """打分并给出原因 / Score rows: score, probability of bad, top reasons."""

    def body() -> None:
        sc = load_card(card)
        df = read_csv(data)
        if id_column is not None and id_column not in df.columns:
            raise InputError(id_column, "id column not found")
        scores = sc.predict_score(df)
        p_bad = sc.predict_proba(df)[:, 1]
        reasons = sc.reasons(df, top_n=top)
        cols: dict[str, Any] = {}
        if id_column is not None:
            cols[id_column] = df[id_column]
        cols["score"] = np.round(scores, 2)
        cols["prob_bad"] = p_bad
        for k in range(top):
            cols[f"reason_{k + 1}"] = [r[k].feature if len(r) > k else None for r in reasons]
            cols[f"reason_{k + 1}_text"] = [r[k].text() if len(r) > k else None for r in reasons]
        pl.DataFrame(cols).write_csv(out)
        typer.echo(f"已写入 / wrote {out}: {df.height} rows")

    _run(body)


@model_app.command("evaluate")
def evaluate(
    card: Annotated[Path, typer.Option(help="评分卡 JSON / scorecard JSON")],
    data: Annotated[Path, typer.Option(help="带目标的 CSV / CSV with the target")],
    target: Annotated[str, typer.Option(help="目标列，1 = 坏 / target column, 1 = bad")],
    bad: Annotated[str | None, typer.Option(help="文本目标中的坏标签 / bad label")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """评估区分度 / Evaluate a scorecard: AUC, KS, Gini."""

    def body() -> None:
        sc = load_card(card)
        df = read_csv(data)
        y = target_vector(df, target, bad)
        p = sc.predict_proba(df)[:, 1]
        a = metrics.auc(y, p)
        res = {"auc": a, "ks": metrics.ks(y, p), "gini": 2 * a - 1, "n": int(y.size)}
        if as_json:
            typer.echo(json.dumps(res))
        else:
            typer.echo(
                f"AUC {res['auc']:.4f}  KS {res['ks']:.4f}  Gini {res['gini']:.4f}  n {res['n']}"
            )

    _run(body)


@model_app.command("monitor")
def monitor_cmd(
    card: Annotated[Path, typer.Option(help="评分卡 JSON / scorecard JSON")],
    baseline: Annotated[Path, typer.Option(help="基准样本 CSV / baseline CSV")],
    current: Annotated[Path, typer.Option(help="当前样本 CSV / current CSV")],
    out: Annotated[Path, typer.Option(help="输出目录 / output directory")],
    target: Annotated[
        str | None, typer.Option(help="目标列（可选）/ target column, optional")
    ] = None,
) -> None:
    """模型监控 / Monitor a scorecard: PSI, CSI, performance → monitor.json + monitor.html."""

    def body() -> None:
        from creditguard.risk.monitor import monitor, render_html

        sc = load_card(card)
        rep = monitor(sc, read_csv(baseline), read_csv(current), target=target)
        out.mkdir(parents=True, exist_ok=True)
        (out / "monitor.json").write_text(rep.to_json(), encoding="utf-8")
        (out / "monitor.html").write_text(render_html(rep), encoding="utf-8")
        typer.echo(f"PSI {rep.score_psi:.4f} ({rep.score_level}); 已写入 / wrote {out}")
        for a in rep.alerts:
            typer.echo(a)

    _run(body)


def _parse_monotone(items: list[str]) -> dict[str, int]:
    out = {}
    for it in items:
        col, sep, sign = it.partition("=")
        if not sep or sign.strip() not in ("+1", "1", "-1", "0"):
            raise InputError("--monotone", f"expected COLUMN=+1|-1|0, got {it!r}")
        out[col.strip()] = int(sign.strip())
    return out


@model_app.command("fit-early-warning")
def fit_early_warning(
    out: Annotated[Path, typer.Option(help="模型 JSON / model JSON to write")],
    data: Annotated[Path | None, typer.Option(help="行为特征 CSV / behaviour-feature CSV")] = None,
    target: Annotated[
        str | None, typer.Option(help="目标列：未来3个月30+逾期 / 30+ DPD in 3 months")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="模拟数据库（URL 或路径），代替 CSV / a simulated database (URL or path) "
            "instead of a CSV",
        ),
    ] = None,
    exclude: Annotated[str | None, typer.Option(help="排除的列 / columns to leave out")] = None,
    monotone: Annotated[
        list[str] | None, typer.Option(help="COLUMN=+1|-1 单调约束 / monotone constraint")
    ] = None,
    n_estimators: Annotated[int, typer.Option(help="boosting rounds")] = 200,
    holdout: Annotated[
        float, typer.Option(help="--db：按账户留出比例 / share of accounts held out")
    ] = 0.3,
    seed: Annotated[int, typer.Option(help="--db：划分种子 / split seed")] = 0,
    min_child_samples: Annotated[int, typer.Option(help="min rows per leaf")] = 50,
    panel_out: Annotated[
        Path | None,
        typer.Option(help="--db：写出训练面板 CSV / write the as-of panel as CSV"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print metrics as JSON")] = False,
) -> None:
    """训练预警模型 / Fit the LightGBM early-warning model (monotone constraints).

    Either from a behaviour-feature CSV (``--data`` and ``--target``), or from a simulated
    database (``--db``): monthly history per line, target 30+ DPD in the next 3 months, an
    account-level train/holdout split, holdout AUC reported.
    """

    def body() -> None:
        from creditguard.risk.early_warning import BEHAVIOUR_MONOTONE, EarlyWarningModel

        if db is not None:
            if data is not None or target is not None:
                raise InputError("--db", "give either --db or --data/--target, not both")
            _fit_early_warning_db(db, out, n_estimators, holdout, seed, min_child_samples,
                                  panel_out, as_json)  # fmt: skip
            return
        if data is None or target is None:
            raise InputError("--data", "give --data and --target (or --db)")
        df = read_csv(data)
        y = target_vector(df, target, None)
        drop = _split_names(exclude)
        unknown = [c for c in drop if c not in df.columns]
        if unknown:
            raise InputError("--exclude", f"unknown column {unknown[0]!r}")
        x = df.drop([target, *drop])
        mono = _parse_monotone(monotone) if monotone else dict(BEHAVIOUR_MONOTONE)
        model = EarlyWarningModel(
            monotone=mono, n_estimators=n_estimators, min_child_samples=min_child_samples
        ).fit(x, y)
        out.write_text(model.to_json(), encoding="utf-8")
        if as_json:
            typer.echo(json.dumps({"train_auc": model.metrics_["train_auc"], "n": x.height}))
            return
        typer.echo(
            f"已写入 / wrote {out}: {len(model.features_)} features, "
            f"train AUC {model.metrics_['train_auc']:.4f}"
        )

    _run(body)


def _fit_early_warning_db(
    db: str,
    out: Path,
    n_estimators: int,
    holdout: float,
    seed: int,
    min_child_samples: int,
    panel_out: Path | None,
    as_json: bool,
) -> None:
    """``fit-early-warning --db``: the simulator-output path (see :mod:`simulate.training`)."""
    from creditguard.simulate.training import fit_early_warning_db
    from creditguard.store.db import connect

    if "://" not in db and not Path(db).is_file():
        raise InputError(db, "database file not found")
    engine = connect(db)
    try:
        fit = fit_early_warning_db(
            engine,
            holdout=holdout,
            seed=seed,
            n_estimators=n_estimators,
            min_child_samples=min_child_samples,
        )
    finally:
        engine.dispose()
    out.write_text(fit.model.to_json(), encoding="utf-8")
    if panel_out is not None:
        fit.panel.write_csv(panel_out)
    m = fit.metrics
    if as_json:
        typer.echo(json.dumps(m))
        return
    auc = f"{m['holdout_auc']:.4f}" if "holdout_auc" in m else "n/a (one class)"
    typer.echo(
        f"已写入 / wrote {out}: {int(m['rows'])} account-months of {int(m['accounts'])} "
        f"accounts, bad rate {m['bad_rate']:.3f}; train AUC {m['train_auc']:.4f}, "
        f"holdout AUC {auc} ({int(m['holdout_rows'])} rows)"
    )


@model_app.command("fit-onboarding-card")
def fit_onboarding_card_cmd(
    out: Annotated[Path, typer.Option(help="评分卡 JSON / card JSON to write")],
    scenario: Annotated[
        str | None,
        typer.Option(
            help="训练场景 YAML，默认内置 through-the-door / training scenario YAML "
            "(default: the shipped through-the-door)"
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="保留模拟的数据库（路径会被覆盖）/ keep the simulation in this database "
            "(a path is overwritten); default a temporary file",
        ),
    ] = None,
    reuse: Annotated[
        bool,
        typer.Option(
            help="--db 已含该场景的模拟：只重新打标并拟合 / the database already holds the "
            "run: relabel and refit only"
        ),
    ] = False,
    holdout: Annotated[float, typer.Option(help="留出比例 / holdout share")] = 0.3,
    seed: Annotated[int, typer.Option(help="划分种子 / split seed")] = 0,
) -> None:
    """训练模拟器准入评分卡 / Fit the simulator's onboarding scorecard on a through-the-door run.

    Every applicant of the scenario is approved at one small starter limit and run through the
    real engine; bad = any account 30+ DPD within the horizon; the card sees only observable
    application columns. Regenerates ``src/creditguard/simulate/onboarding_card.json``.
    """

    def body() -> None:
        import tempfile

        from rich.progress import Progress

        from creditguard.demo import fast_sqlite
        from creditguard.simulate.scenario import load_scenario, shipped_scenario
        from creditguard.simulate.training import TRAINING_SCENARIO, train_onboarding_card
        from creditguard.store.db import connect

        chosen = shipped_scenario(TRAINING_SCENARIO) if scenario is None else (
            load_scenario(Path(scenario))
        )  # fmt: skip
        if reuse and db is None:
            raise InputError("--reuse", "needs --db with the finished simulation")
        with tempfile.TemporaryDirectory() as tmp:
            if reuse:
                engine = connect(db)
            elif db is None or "://" not in db:
                engine = fast_sqlite(Path(db) if db is not None else Path(tmp) / "ttd.sqlite")
            else:
                engine = connect(db)
            try:
                days = (chosen.end - chosen.start).days + 1
                with Progress(console=None, transient=True) as progress:
                    task = progress.add_task("模拟 Simulating (through the door)", total=days)
                    res = train_onboarding_card(
                        engine,
                        chosen,
                        out=out,
                        holdout=holdout,
                        seed=seed,
                        simulate_first=not reuse,
                        progress=lambda _s: progress.update(task, advance=1),
                    )
            finally:
                engine.dispose()
        m = res.metrics
        typer.echo(
            f"已写入 / wrote {out}: {len(res.card.features_)} features "
            f"({', '.join(res.card.features_)}); bad rate {res.bad_rate:.3f} of "
            f"{res.sample.height}; holdout AUC {m['holdout_auc']:.4f}, KS {m['holdout_ks']:.4f}"
        )

    _run(body)


@model_app.command("early-warning")
def early_warning(
    model: Annotated[Path, typer.Option(help="预警模型 JSON / early-warning model JSON")],
    data: Annotated[Path, typer.Option(help="行为特征 CSV / behaviour-feature CSV")],
    out: Annotated[Path, typer.Option(help="预警 CSV / alerts CSV to write")],
    id_column: Annotated[str, typer.Option("--id", help="账户列 / account id column")],
    as_of: Annotated[str, typer.Option(help="观察日 / as-of date")] = "",
) -> None:
    """生成预警 / Emit early-warning alerts with reasons for accounts over the thresholds."""

    def body() -> None:
        from creditguard.risk.early_warning import EarlyWarningModel

        m = EarlyWarningModel.from_json(_read_text(model))
        df = read_csv(data)
        if id_column not in df.columns:
            raise InputError(id_column, "id column not found")
        events = m.alerts(df, df[id_column].to_list(), [as_of] * df.height)
        pl.DataFrame(
            {
                "account_id": [e.account_id for e in events],
                "level": [e.level for e in events],
                "probability": [e.probability for e in events],
                "reasons": ["; ".join(r.text() for r in e.reasons) for e in events],
            },
            schema={
                "account_id": pl.String,
                "level": pl.String,
                "probability": pl.Float64,
                "reasons": pl.String,
            },
        ).write_csv(out)
        typer.echo(f"已写入 / wrote {out}: {len(events)} alerts of {df.height} accounts")

    _run(body)


@model_app.command("decide")
def decide_cmd(
    card: Annotated[Path, typer.Option(help="评分卡 JSON / scorecard JSON")],
    data: Annotated[Path, typer.Option(help="申请人 CSV / applicants CSV")],
    out: Annotated[Path, typer.Option(help="决策 CSV / decisions CSV to write")],
    income: Annotated[str, typer.Option(help="月收入列（元）/ monthly income column, yuan")],
    debt: Annotated[str, typer.Option(help="月还款列（元）/ monthly debt payments column, yuan")],
    policy: Annotated[
        Path | None, typer.Option(help="策略 TOML，默认内置 / policy TOML, default built in")
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="carried-over id column")] = None,
) -> None:
    """准入决策 / Onboarding decisions: score, then approve or decline with limit, rate, reasons."""

    def body() -> None:
        from creditguard.money import format_amount, parse_amount
        from creditguard.risk.policy import decide_frame, default_policy, load_policy, reason_for

        sc = load_card(card)
        pol = default_policy() if policy is None else load_policy(_read_text(policy))
        df = read_csv(data, text_columns=(income, debt))
        for c in (income, debt, *([id_column] if id_column else [])):
            if c not in df.columns:
                raise InputError(c, "column not found")
        inc = [parse_amount(v, income) for v in df[income].to_list()]
        dbt = [parse_amount(v, debt) for v in df[debt].to_list()]
        scores = sc.predict_score(df)
        reasons = sc.reasons(df, top_n=3)
        dec = decide_frame(
            pol,
            pl.DataFrame({"score": scores, "monthly_income": inc, "monthly_debt_payments": dbt}),
        )
        cols: dict[str, Any] = {}
        if id_column is not None:
            cols[id_column] = df[id_column]
        cols["score"] = np.round(scores, 2)
        cols["approved"] = dec["approved"]
        cols["band"] = dec["band"]
        cols["limit"] = [format_amount(int(v)) for v in dec["limit"]]
        cols["annual_rate"] = dec["annual_rate"]
        codes = dec["reasons"].to_list()
        cols["decline_codes"] = [";".join(cs) for cs in codes]
        cols["decline_reasons"] = ["; ".join(reason_for(pol, c).text() for c in cs) for cs in codes]
        cols["score_reasons"] = ["; ".join(r.text() for r in rs) for rs in reasons]
        pl.DataFrame(cols).write_csv(out)
        n_ok = int(dec["approved"].sum())
        typer.echo(f"已写入 / wrote {out}: {n_ok} approved, {df.height - n_ok} declined")

    _run(body)
