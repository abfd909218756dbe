"""Portfolio analytics over frames read from the store (Polars): the tables of the risk report.

Month-end account facts come from ``bureau_months`` (one row per account and calendar month,
written by the end of day: DPD, delinquent at month end, balance, overdue amount, class,
write-off date); accounts from ``accounts``; money movements from the journal
(``postings`` × ``journal_entries``); the scheduled cash from ``obligations``.

Definitions (money in integer fen; rates are floats — they are statistics, not money):

- **bucket** at month end: ``WO`` if written off, else ``M0`` unless delinquent (DPD beyond
  grace), else M1 1–30, M2 31–60, M3 61–90, M4 91–120, M5 121–150, M6 151–180, M7+ above;
- **overdue rate** M1+ / M3+ by count (open accounts) and by balance (their balance over the
  portfolio's month-end balance), per month. A line's month-end balance in ``bureau_months``
  is what is billed or fallen due; purchases not yet billed are not in it;
- **roll rate**: share of accounts in bucket *a* at one month end found in bucket *b* at the
  next; **flow rate**: balance in bucket k+1 at a month end over the balance in bucket k a
  month earlier (M0→M1, M1→M2, …); **cure rate**: share of accounts delinquent at a month
  end that are M0 at the next;
- **vintage**: per origination month and months on book, the share of the vintage's accounts
  ever 30+ DPD (DPD ≥ 30) and ever 90+ (DPD ≥ 90) so far;
- **losses / recoveries**: GL WRITE_OFF_LOSS debits and RECOVERIES credits per month;
- **ECL** = PD × LGD × EAD by IFRS 9 stage (stage from month-end DPD: 3 above 90 or written
  off, 2 at 31–90, else 1 — restructuring and early-warning flags are not in the month facts,
  so they are not used here). Assumptions (documented, not estimated): 12-month PD stage 1
  3%, lifetime PD stage 2 30%, stage 3 100%; LGD 75% (unsecured consumer credit, no
  collateral); EAD = month-end balance (drawn only; no credit conversion of undrawn limits).
  Written-off balances are excluded from EAD (already lost);
- **liquidity**: per month, cash scheduled (principal + interest + fee of obligations falling
  due that month, at their current due dates) vs cash received (GL CASH debits) and lent out
  (GL CASH credits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from creditguard.ledger.chart import GL

__all__ = [
    "BUCKETS",
    "ECL_ASSUMPTIONS",
    "StoreFrames",
    "bucket_expr",
    "cure_rates",
    "expected_loss",
    "flow_rates",
    "liquidity",
    "losses",
    "mix",
    "overdue_rates",
    "portfolio_tables",
    "roll_rates",
    "vintages",
]

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+", "WO")
CLASSES = ("normal", "special-mention", "substandard", "doubtful", "loss")
ECL_ASSUMPTIONS: dict[int, tuple[float, float]] = {1: (0.03, 0.75), 2: (0.30, 0.75), 3: (1.0, 0.75)}


@dataclass(frozen=True)
class StoreFrames:
    """What the analytics read from the store, as frames."""

    months: pl.DataFrame
    accounts: pl.DataFrame
    money: pl.DataFrame
    scheduled: pl.DataFrame


def bucket_expr() -> pl.Expr:
    """The month-end bucket of a month-facts row (see the module docstring)."""
    dpd = pl.col("dpd")
    return (
        pl.when(pl.col("written_off_on").is_not_null())
        .then(pl.lit("WO"))
        .when(~pl.col("delinquent") | (dpd <= 0))
        .then(pl.lit("M0"))
        .when(dpd <= 30)
        .then(pl.lit("M1"))
        .when(dpd <= 60)
        .then(pl.lit("M2"))
        .when(dpd <= 90)
        .then(pl.lit("M3"))
        .when(dpd <= 120)
        .then(pl.lit("M4"))
        .when(dpd <= 150)
        .then(pl.lit("M5"))
        .when(dpd <= 180)
        .then(pl.lit("M6"))
        .otherwise(pl.lit("M7+"))
    )


def _month_index(col: str) -> pl.Expr:
    parts = pl.col(col).str.split("-")
    return parts.list.get(0).cast(pl.Int64) * 12 + parts.list.get(1).cast(pl.Int64) - 1


def _facts(frames: StoreFrames) -> pl.DataFrame:
    return frames.months.with_columns(
        bucket=bucket_expr(),
        stage=pl.when((pl.col("dpd") > 90) | pl.col("written_off_on").is_not_null())
        .then(3)
        .when(pl.col("delinquent") & (pl.col("dpd") > 30))
        .then(2)
        .otherwise(1),
        m=_month_index("month"),
    )


def overdue_rates(facts: pl.DataFrame) -> pl.DataFrame:
    """Per month: M1+ and M3+ overdue rates by count and by balance.

    The count is over open accounts (not written off, not ended that month) — a credit-pay line
    paid in full shows no month-end balance (unbilled purchases are not in the month facts)
    but is still a customer; the balance rate is over the month-end balance.
    """
    live = facts.filter(
        (pl.col("bucket") != "WO")
        & (pl.col("ended_on").is_null() if "ended_on" in facts.columns else pl.lit(True))
    )
    m1 = pl.col("bucket") != "M0"
    m3 = pl.col("bucket").is_in(["M3", "M4", "M5", "M6", "M7+"])
    return (
        live.group_by("month")
        .agg(
            accounts=pl.len().cast(pl.Int64),
            balance=pl.col("balance").sum(),
            m1_accounts=m1.sum().cast(pl.Int64),
            m3_accounts=m3.sum().cast(pl.Int64),
            m1_balance=pl.when(m1).then(pl.col("balance")).otherwise(0).sum(),
            m3_balance=pl.when(m3).then(pl.col("balance")).otherwise(0).sum(),
        )
        .with_columns(
            m1_rate_count=pl.col("m1_accounts") / pl.col("accounts"),
            m3_rate_count=pl.col("m3_accounts") / pl.col("accounts"),
            m1_rate_balance=pl.col("m1_balance") / pl.col("balance"),
            m3_rate_balance=pl.col("m3_balance") / pl.col("balance"),
        )
        .sort("month")
    )


def roll_rates(facts: pl.DataFrame) -> pl.DataFrame:
    """Month-over-month transitions between buckets, pooled over all month pairs."""
    now = facts.select("account", "m", pl.col("bucket").alias("from_bucket"))
    nxt = facts.select("account", (pl.col("m") - 1).alias("m"), pl.col("bucket").alias("to_bucket"))
    pairs = now.join(nxt, on=["account", "m"], how="inner")
    counts = pairs.group_by("from_bucket", "to_bucket").agg(accounts=pl.len().cast(pl.Int64))
    return (
        counts.with_columns(rate=pl.col("accounts") / pl.col("accounts").sum().over("from_bucket"))
        .with_columns(
            _f=pl.col("from_bucket").replace_strict(BUCKETS, list(range(len(BUCKETS)))),
            _t=pl.col("to_bucket").replace_strict(BUCKETS, list(range(len(BUCKETS)))),
        )
        .sort("_f", "_t")
        .drop("_f", "_t")
    )


_DELINQUENT = ("M1", "M2", "M3", "M4", "M5", "M6", "M7+")


def flow_rates(facts: pl.DataFrame) -> pl.DataFrame:
    """Per month and bucket: balance-weighted flow from the previous bucket a month earlier.

    ``flow(M1, t) = balance in M1 at t / balance in M0 at t−1``; ``flow(M2, t) = balance in M2
    at t / balance in M1 at t−1``; and so on (the classic net flow of a collections book).
    """
    by = facts.group_by("m", "month", "bucket").agg(balance=pl.col("balance").sum())
    order = ("M0", *_DELINQUENT)
    prev = by.filter(pl.col("bucket").is_in(order[:-1])).select(
        (pl.col("m") + 1).alias("m"),
        pl.col("bucket")
        .replace_strict(order[:-1], order[1:], return_dtype=pl.String)
        .alias("bucket"),
        pl.col("balance").alias("from_balance"),
    )
    now = by.filter(pl.col("bucket").is_in(_DELINQUENT))
    return (
        now.join(prev, on=["m", "bucket"], how="inner")
        .filter(pl.col("from_balance") > 0)
        .with_columns(flow_rate=pl.col("balance") / pl.col("from_balance"))
        .with_columns(_o=pl.col("bucket").replace_strict(order, list(range(len(order)))))
        .sort("m", "_o")
        .select("month", "bucket", "from_balance", "balance", "flow_rate")
    )


def cure_rates(facts: pl.DataFrame) -> pl.DataFrame:
    """Per month: accounts delinquent at the previous month end, and the share now M0."""
    prev = facts.filter(~pl.col("bucket").is_in(["M0", "WO"])).select(
        "account", (pl.col("m") + 1).alias("m")
    )
    now = facts.select("account", "m", "month", "bucket")
    joined = prev.join(now, on=["account", "m"], how="inner")
    return (
        joined.group_by("month")
        .agg(
            delinquent_before=pl.len().cast(pl.Int64),
            cured=(pl.col("bucket") == "M0").sum().cast(pl.Int64),
        )
        .with_columns(cure_rate=pl.col("cured") / pl.col("delinquent_before"))
        .sort("month")
    )


def vintages(facts: pl.DataFrame, accounts_frame: pl.DataFrame) -> pl.DataFrame:
    """Ever 30+ / ever 90+ shares by origination month and months on book.

    "Ever" is cumulative: an account counts from the first month it reached the threshold in
    every later month on book, also after it settled or was cured (so each curve never falls).
    """
    opened = accounts_frame.select(
        "account",
        pl.col("opened_on").dt.strftime("%Y-%m").alias("vintage"),
        (pl.col("opened_on").dt.year() * 12 + pl.col("opened_on").dt.month() - 1).alias("m0"),
    )
    f = facts.join(opened, on="account", how="inner").with_columns(mob=pl.col("m") - pl.col("m0"))
    firsts = f.group_by("account", "vintage").agg(
        first30=pl.col("mob").filter((pl.col("dpd") >= 30) & pl.col("delinquent")).min(),
        first90=pl.col("mob").filter((pl.col("dpd") >= 90) & pl.col("delinquent")).min(),
    )
    grid = f.select("vintage", "mob").unique()
    size = opened.group_by("vintage").agg(vintage_accounts=pl.len().cast(pl.Int64))
    return (
        grid.join(firsts, on="vintage", how="left")
        .group_by("vintage", "mob")
        .agg(
            ever30=(pl.col("first30") <= pl.col("mob")).sum().cast(pl.Int64),
            ever90=(pl.col("first90") <= pl.col("mob")).sum().cast(pl.Int64),
        )
        .join(size, on="vintage")
        .with_columns(
            ever30_rate=pl.col("ever30") / pl.col("vintage_accounts"),
            ever90_rate=pl.col("ever90") / pl.col("vintage_accounts"),
        )
        .sort("vintage", "mob")
    )


def _month_of(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m")


def losses(money: pl.DataFrame) -> pl.DataFrame:
    """Per month: written off (WRITE_OFF_LOSS debits) and recovered (RECOVERIES credits)."""
    return (
        money.filter(pl.col("gl").is_in([GL.WRITE_OFF_LOSS.value, GL.RECOVERIES.value]))
        .group_by(_month_of("date").alias("month"))
        .agg(
            written_off=pl.when(pl.col("gl") == GL.WRITE_OFF_LOSS.value)
            .then(pl.col("debit") - pl.col("credit"))
            .otherwise(0)
            .sum(),
            recoveries=pl.when(pl.col("gl") == GL.RECOVERIES.value)
            .then(pl.col("credit") - pl.col("debit"))
            .otherwise(0)
            .sum(),
        )
        .sort("month")
    )


def mix(facts: pl.DataFrame, column: str, order: tuple[str, ...]) -> pl.DataFrame:
    """Per month and category of ``column``: accounts and balance (accounts with a balance)."""
    live = facts.filter(pl.col("balance") > 0)
    return (
        live.group_by("month", column)
        .agg(accounts=pl.len().cast(pl.Int64), balance=pl.col("balance").sum())
        .with_columns(_o=pl.col(column).replace_strict(order, list(range(len(order))), default=99))
        .sort("month", "_o")
        .drop("_o")
    )


def expected_loss(facts: pl.DataFrame) -> pl.DataFrame:
    """ECL by IFRS 9 stage at the latest month end (assumptions in the module docstring)."""
    if facts.height == 0:
        return pl.DataFrame(
            schema={"month": pl.String, "stage": pl.Int32, "accounts": pl.Int64,
                    "ead": pl.Int64, "pd": pl.Float64, "lgd": pl.Float64, "ecl": pl.Int64}
        )  # fmt: skip
    last = facts.get_column("month").max()
    live = facts.filter(
        (pl.col("month") == last) & (pl.col("balance") > 0) & pl.col("written_off_on").is_null()
    )
    stages = pl.DataFrame(
        {
            "stage": [1, 2, 3],
            "pd": [ECL_ASSUMPTIONS[s][0] for s in (1, 2, 3)],
            "lgd": [ECL_ASSUMPTIONS[s][1] for s in (1, 2, 3)],
        },
        schema={"stage": pl.Int32, "pd": pl.Float64, "lgd": pl.Float64},
    )
    per = live.group_by("stage").agg(accounts=pl.len().cast(pl.Int64), ead=pl.col("balance").sum())
    return (
        stages.join(per.with_columns(pl.col("stage").cast(pl.Int32)), on="stage", how="left")
        .with_columns(pl.col("accounts").fill_null(0), pl.col("ead").fill_null(0))
        .with_columns(
            month=pl.lit(last),
            # ECL is an estimate, not posted money: a float product rounded to the fen.
            ecl=(pl.col("ead") * pl.col("pd") * pl.col("lgd")).round(0).cast(pl.Int64),
        )
        .select("month", "stage", "accounts", "ead", "pd", "lgd", "ecl")
    )


def liquidity(frames: StoreFrames) -> pl.DataFrame:
    """Per month: cash scheduled to come in, received, and lent out."""
    sched = frames.scheduled.group_by(_month_of("due_date").alias("month")).agg(
        scheduled=(pl.col("principal") + pl.col("interest") + pl.col("fee")).sum()
    )
    cash = (
        frames.money.filter(pl.col("gl") == GL.CASH.value)
        .group_by(_month_of("date").alias("month"))
        .agg(received=pl.col("debit").sum(), lent=pl.col("credit").sum())
    )
    months = frames.months.select("month").unique() if frames.months.height else pl.DataFrame()
    out = sched.join(cash, on="month", how="full", coalesce=True)
    if months.height:
        out = out.filter(pl.col("month").is_in(months.get_column("month").to_list()))
    return out.with_columns(
        pl.col("scheduled").fill_null(0), pl.col("received").fill_null(0),
        pl.col("lent").fill_null(0),
    ).sort("month")  # fmt: skip


def kpis(tables: dict[str, pl.DataFrame], facts: pl.DataFrame) -> pl.DataFrame:
    """Headline figures (one row each): metric, Chinese label, English label, value."""
    rates = tables["overdue_rates"]
    last = rates.tail(1).to_dicts()[0] if rates.height else {}
    loss = tables["losses"]
    ecl = tables["ecl"]
    rows: list[tuple[str, str, str, float]] = [
        ("accounts", "账户数", "Accounts", float(facts.get_column("account").n_unique())),
        ("balance", "余额(元)", "Balance (yuan)", float(last.get("balance", 0)) / 100),
        ("m1_rate_count", "M1+逾期率(户数)", "M1+ rate (count)",
         float(last.get("m1_rate_count", 0.0))),
        ("m3_rate_count", "M3+逾期率(户数)", "M3+ rate (count)",
         float(last.get("m3_rate_count", 0.0))),
        ("m1_rate_balance", "M1+逾期率(余额)", "M1+ rate (balance)",
         float(last.get("m1_rate_balance", 0.0))),
        ("written_off", "核销(元)", "Written off (yuan)",
         float(loss.get_column("written_off").sum() if loss.height else 0) / 100),
        ("recoveries", "回收(元)", "Recoveries (yuan)",
         float(loss.get_column("recoveries").sum() if loss.height else 0) / 100),
        ("ecl", "预期信用损失(元)", "Expected credit loss (yuan)",
         float(ecl.get_column("ecl").sum() if ecl.height else 0) / 100),
    ]  # fmt: skip
    return pl.DataFrame(
        rows, schema={"metric": pl.String, "zh": pl.String, "en": pl.String, "value": pl.Float64},
        orient="row",
    )  # fmt: skip


def portfolio_tables(
    frames: StoreFrames, markers: pl.DataFrame | None = None
) -> dict[str, pl.DataFrame]:
    """Every table of the report, by name, deterministic for the same store contents.

    ``markers`` (optional: ``date``, ``kind``, ``label``) are events to mark on the time charts
    — the macro shock and outages of a simulator scenario; kept as a table of their own.
    """
    facts = _facts(frames)
    tables: dict[str, pl.DataFrame] = {
        "overdue_rates": overdue_rates(facts),
        "roll_rates": roll_rates(facts),
        "cure_rates": cure_rates(facts),
        "flow_rates": flow_rates(facts),
        "vintages": vintages(facts, frames.accounts),
        "losses": losses(frames.money),
        "bucket_mix": mix(facts, "bucket", BUCKETS),
        "class_mix": mix(facts, "classification", CLASSES),
        "ecl": expected_loss(facts),
        "liquidity": liquidity(frames),
    }
    tables["kpis"] = kpis(tables, facts)
    if markers is not None:
        tables["markers"] = markers.sort("date", "kind")
    return tables


def describe(tables: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """Row counts per table (for logs and the CLI)."""
    return {name: t.height for name, t in sorted(tables.items())}
