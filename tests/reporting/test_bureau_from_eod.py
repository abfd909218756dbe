"""From daily EOD results to a PBOC month record: the notice sent by the EOD satisfies the rule.

A credit-pay line (grace 3) has a statement due 2026-04-10 with its minimum unpaid all month.
EOD runs 04-01 … 04-30: DPD 1–3 in grace, delinquent from 04-14 (DPD 4), when the
NegativeReportNotice is sent; at month end DPD 20 → PBOC status '1'.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from creditguard.overdue import params_frame, run_day
from creditguard.overdue.frames import accounts_frame, obligations_frame
from creditguard.products.schema import RevolvingProduct
from creditguard.reporting.bureau_pboc import DAILY_SCHEMA, month_summary, pboc_records

DUE = date(2026, 4, 10)


def daily_run(paid_on: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    params = params_frame([RevolvingProduct(name="pay", kind="revolving", grace_days=3)])
    accounts = accounts_frame([{"account": "C", "product": "pay", "kind": "line"}])
    statement = {
        "account": "C",
        "ref": "s1",
        "kind": "statement",
        "due_date": DUE,
        "due_principal": 50_000,
        "minimum": 5_000,
    }
    obligations = obligations_frame([statement], accounts)
    rows = []
    for k in range(30):
        t = date(2026, 4, 1) + timedelta(days=k)
        paid = paid_on == t
        if paid:
            obligations = obligations.with_columns(pl.col("paid_principal") + 5_000)
        result = run_day(obligations, accounts, params, t)
        obligations, accounts = result.obligations, result.accounts
        ob = obligations.row(0, named=True)
        rows.append(
            {
                "account": "C",
                "date": t,
                "dpd": accounts["dpd"][0],
                "delinquent": accounts["delinquent"][0],
                "fell_due": ob["due_date"] == t,
                "paid": paid,
                "balance": ob["due_principal"] + ob["due_penalty"] - ob["paid_principal"],
                "overdue_amount": ob["due_principal"] - ob["paid_principal"]
                if ob["past_due"]
                else 0,
                "classification": accounts["classification"][0],
                "written_off_on": None,
                "ended_on": None,
                "ended_how": None,
                "special_code": None,
            }
        )
    return pl.DataFrame(rows, schema=DAILY_SCHEMA), accounts.select("account", "notice_sent_on")


def test_unpaid_all_month_is_1_with_notice_sent_on_the_first_delinquent_day() -> None:
    daily, notices = daily_run()
    assert notices["notice_sent_on"][0] == date(2026, 4, 14)
    records, errors = pboc_records(month_summary(daily, "2026-04", notices=notices))
    assert errors.height == 0
    row = records.row(0, named=True)
    assert (row["status"], row["dpd"]) == ("1", 20)
    # 50000 principal + 17 days of fee (04-14 … 04-30) × 25 fen = 425 fen penalty.
    assert row["balance"] == 50_425


def test_paid_within_grace_is_n_and_needs_no_notice() -> None:
    daily, notices = daily_run(paid_on=date(2026, 4, 12))
    assert notices["notice_sent_on"][0] is None
    records, errors = pboc_records(month_summary(daily, "2026-04", notices=notices))
    assert errors.height == 0
    assert records["status"].to_list() == ["N"]


def test_paid_after_grace_in_the_month_is_m() -> None:
    daily, notices = daily_run(paid_on=date(2026, 4, 20))
    records, _ = pboc_records(month_summary(daily, "2026-04", notices=notices))
    assert records["status"].to_list() == ["M"]


def test_without_the_notice_the_negative_record_is_an_error() -> None:
    daily, _ = daily_run()
    records, errors = pboc_records(month_summary(daily, "2026-04"))
    assert records.height == 0
    assert errors["status"].to_list() == ["1"]
