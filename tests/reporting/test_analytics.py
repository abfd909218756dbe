"""Portfolio analytics on a hand-made three-account store, every figure worked out by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from creditguard.ledger.chart import GL
from creditguard.reporting.analytics import StoreFrames, overdue_rates, portfolio_tables

MONTH_SCHEMA = {
    "account": pl.String,
    "month": pl.String,
    "dpd": pl.Int64,
    "delinquent": pl.Boolean,
    "balance": pl.Int64,
    "overdue_amount": pl.Int64,
    "classification": pl.String,
    "written_off_on": pl.Date,
    "ended_on": pl.Date,
}


def store() -> StoreFrames:
    """A: M0 → M1 (15 DPD) → M2 (45 DPD); B: current throughout (2 DPD in grace in March);
    C (opened in February): M1 (10 DPD) → cured. Balances in fen."""
    n, sm = "normal", "special-mention"
    months = pl.DataFrame(
        [
            ("A", "2026-01", 0, False, 1000, 0, n, None, None),
            ("A", "2026-02", 15, True, 1000, 300, sm, None, None),
            ("A", "2026-03", 45, True, 1000, 600, sm, None, None),
            ("B", "2026-01", 0, False, 2000, 0, n, None, None),
            ("B", "2026-02", 0, False, 2000, 0, n, None, None),
            ("B", "2026-03", 2, False, 1500, 0, n, None, None),
            ("C", "2026-02", 10, True, 500, 100, sm, None, None),
            ("C", "2026-03", 0, False, 500, 0, n, None, None),
        ],
        schema=MONTH_SCHEMA,
        orient="row",
    )
    accounts = pl.DataFrame(
        {
            "account": ["A", "B", "C"],
            "kind": ["line", "loan", "line"],
            "product": ["credit-pay", "cash-loan", "credit-pay"],
            "opened_on": [date(2026, 1, 5), date(2026, 1, 20), date(2026, 2, 3)],
        }
    )
    money = pl.DataFrame(
        {
            "date": [date(2026, 1, 5), date(2026, 2, 10), date(2026, 3, 15), date(2026, 3, 20)],
            "gl": [GL.CASH.value, GL.CASH.value, GL.WRITE_OFF_LOSS.value, GL.RECOVERIES.value],
            "debit": [0, 300, 700, 0],
            "credit": [1000, 0, 0, 50],
        }
    )
    scheduled = pl.DataFrame(
        {
            "due_date": [date(2026, 2, 10), date(2026, 3, 10)],
            "principal": [250, 100],
            "interest": [30, 20],
            "fee": [0, 5],
        }
    )
    return StoreFrames(months, accounts, money, scheduled)


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return portfolio_tables(store())


def test_overdue_rates_by_count_and_balance(tables: dict[str, pl.DataFrame]) -> None:
    r = {row["month"]: row for row in tables["overdue_rates"].iter_rows(named=True)}
    assert r["2026-01"]["accounts"] == 2 and r["2026-01"]["m1_accounts"] == 0
    # February: A (M1, 1000) and C (M1, 500) of 3 accounts, balance 3500.
    assert r["2026-02"]["m1_rate_count"] == pytest.approx(2 / 3)
    assert r["2026-02"]["m1_rate_balance"] == pytest.approx(1500 / 3500)
    # March: only A (M2, 1000) of 3000; B's 2 DPD is within grace, so M0.
    assert r["2026-03"]["m1_rate_count"] == pytest.approx(1 / 3)
    assert r["2026-03"]["m1_rate_balance"] == pytest.approx(1000 / 3000)
    assert r["2026-03"]["m3_accounts"] == 0


def test_roll_rates_pooled_over_month_pairs(tables: dict[str, pl.DataFrame]) -> None:
    # Jan→Feb: A M0→M1, B M0→M0. Feb→Mar: A M1→M2, B M0→M0, C M1→M0.
    got = {(a, b): x for a, b, _n, x in tables["roll_rates"].iter_rows()}
    assert got == pytest.approx(
        {("M0", "M0"): 2 / 3, ("M0", "M1"): 1 / 3, ("M1", "M0"): 0.5, ("M1", "M2"): 0.5}
    )


def test_flow_rates(tables: dict[str, pl.DataFrame]) -> None:
    # February M1 balance (A 1000 + C 500) over January M0 balance (A 1000 + B 2000) = 0.5;
    # March M2 (A 1000) over February M1 (1500) = 2/3; March M1 is empty: no row.
    assert tables["flow_rates"].rows() == [
        ("2026-02", "M1", 3000, 1500, 0.5),
        ("2026-03", "M2", 1500, 1000, pytest.approx(2 / 3)),
    ]


def test_cure_rate(tables: dict[str, pl.DataFrame]) -> None:
    # Delinquent at February's end: A and C; in March C is current again.
    assert tables["cure_rates"].to_dicts() == [
        {"month": "2026-03", "delinquent_before": 2, "cured": 1, "cure_rate": 0.5}
    ]


def test_vintage_curves(tables: dict[str, pl.DataFrame]) -> None:
    v = tables["vintages"]
    jan = v.filter(pl.col("vintage") == "2026-01")
    # Vintage 2026-01 = A and B; A reaches 45 DPD (≥ 30) at 2 months on book.
    assert jan.get_column("ever30_rate").to_list() == [0.0, 0.0, 0.5]
    assert jan.get_column("ever90").sum() == 0
    feb = v.filter(pl.col("vintage") == "2026-02")
    assert feb.get_column("mob").to_list() == [0, 1]
    assert feb.get_column("ever30").sum() == 0


def test_losses_ecl_and_liquidity(tables: dict[str, pl.DataFrame]) -> None:
    assert tables["losses"].to_dicts() == [
        {"month": "2026-03", "written_off": 700, "recoveries": 50}
    ]
    ecl = {r["stage"]: r for r in tables["ecl"].iter_rows(named=True)}
    # March: A at 45 DPD is stage 2 (EAD 1000); B and C stage 1 (EAD 2000).
    assert ecl[1]["ead"] == 2000 and ecl[1]["ecl"] == 45  # 2000 × 3% × 75%
    assert ecl[2]["ead"] == 1000 and ecl[2]["ecl"] == 225  # 1000 × 30% × 75%
    assert ecl[3]["accounts"] == 0 and ecl[3]["ecl"] == 0
    assert tables["liquidity"].rows() == [
        ("2026-01", 0, 0, 1000),
        ("2026-02", 280, 300, 0),
        ("2026-03", 125, 0, 0),
    ]


def test_mixes_and_kpis(tables: dict[str, pl.DataFrame]) -> None:
    march = tables["bucket_mix"].filter(pl.col("month") == "2026-03")
    assert march.select("bucket", "accounts").rows() == [("M0", 2), ("M2", 1)]
    classes = tables["class_mix"].filter(pl.col("month") == "2026-02")
    assert classes.select("classification", "accounts").rows() == [
        ("normal", 1),
        ("special-mention", 2),
    ]
    k = dict(tables["kpis"].select("metric", "value").iter_rows())
    assert k["accounts"] == 3
    assert k["written_off"] == 7.0 and k["recoveries"] == 0.5  # yuan
    assert k["ecl"] == pytest.approx(2.70)  # 45 + 225 fen


def test_count_rate_is_over_open_accounts() -> None:
    """A line paid in full has no month-end balance but is still open; an ended one is not."""
    facts = pl.DataFrame(
        [
            ("A", "2026-03", 40, True, 800, 800, "special-mention", None, None, "M2"),
            ("B", "2026-03", 0, False, 0, 0, "normal", None, None, "M0"),
            ("C", "2026-03", 0, False, 0, 0, "normal", None, date(2026, 3, 12), "M0"),
        ],
        schema={**MONTH_SCHEMA, "bucket": pl.String},
        orient="row",
    )
    row = overdue_rates(facts).to_dicts()[0]
    assert row["accounts"] == 2  # A and B; C ended in March
    assert row["m1_rate_count"] == 0.5
    assert row["m1_rate_balance"] == 1.0  # all 800 fen of balance is A's


def test_vintage_ever_counts_stay_after_an_account_ends() -> None:
    from creditguard.reporting.analytics import vintages

    # One January vintage of two accounts. D reaches 35 DPD in February (1 month on book) and
    # ends: it has no March row. E stays current. "Ever 30+" is 1/2 from month 1 on, including
    # month 2, where only E still reports (the curve never falls).
    def m(month: int) -> int:
        return 2026 * 12 + month - 1

    facts = pl.DataFrame(
        {
            "account": ["D", "D", "E", "E", "E"],
            "m": [m(1), m(2), m(1), m(2), m(3)],
            "dpd": [0, 35, 0, 0, 0],
            "delinquent": [False, True, False, False, False],
        }
    )
    opened = pl.DataFrame({"account": ["D", "E"], "opened_on": [date(2026, 1, 5)] * 2})
    v = vintages(facts, opened)
    assert v.get_column("mob").to_list() == [0, 1, 2]
    assert v.get_column("ever30_rate").to_list() == [0.0, 0.5, 0.5]
