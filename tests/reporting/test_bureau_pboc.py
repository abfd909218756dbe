"""PBOC monthly status codes, the 60-month history, special transactions and prior notice."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import pytest

from creditguard.money import InputError
from creditguard.reporting.bureau_pboc import (
    DAILY_SCHEMA,
    MONTH_SCHEMA,
    SpecialTransaction,
    month_summary,
    pboc_records,
    to_jsonl,
)

NOTICED = date(2026, 3, 5)


def month(**kw: Any) -> dict[str, Any]:
    return {
        "account": "A",
        "month": "2026-04",
        "dpd": 0,
        "delinquent_at_end": False,
        "delinquent_in_month": False,
        "activity": False,
        "balance": 100_000,
        "overdue_amount": 0,
        "classification": "normal",
        "written_off_on": None,
        "ended_on": None,
        "ended_how": None,
        "special": [],
        "notice_sent_on": NOTICED,
        "prev_history": None,
        **kw,
    }


def status_of(**kw: Any) -> str:
    records, errors = pboc_records(pl.DataFrame([month(**kw)], schema=MONTH_SCHEMA))
    assert errors.height == 0
    return str(records["status"][0])


@pytest.mark.parametrize(
    ("dpd", "code"),
    [(1, "1"), (30, "1"), (31, "2"), (60, "2"), (61, "3"), (150, "5"), (180, "6"), (181, "7")],
)
def test_digit_by_dpd_when_delinquent_at_month_end(dpd: int, code: str) -> None:
    assert status_of(dpd=dpd, delinquent_at_end=True, delinquent_in_month=True) == code


def test_m_when_delinquent_during_the_month_only() -> None:
    assert status_of(delinquent_in_month=True, activity=True) == "M"


def test_n_when_something_fell_due_or_was_paid() -> None:
    # A payment within grace: in grace (not delinquent) at month end → on time, N.
    assert status_of(dpd=2, activity=True) == "N"


def test_star_when_nothing_happened() -> None:
    assert status_of() == "*"


def test_b_from_the_write_off_month_on() -> None:
    wo = date(2026, 4, 20)
    # Written off in April: April is B (not 7); May, still unpaid, is B.
    assert status_of(dpd=181, delinquent_at_end=True, written_off_on=wo) == "B"
    assert status_of(month="2026-05", dpd=211, delinquent_at_end=True, written_off_on=wo) == "B"
    # Written off after the month end: the month still shows the digit.
    assert status_of(month="2026-03", dpd=150, delinquent_at_end=True, written_off_on=wo) == "5"


def test_c_when_a_written_off_debt_is_fully_paid() -> None:
    ended = {"ended_on": date(2026, 6, 3), "ended_how": "settled"}
    assert status_of(month="2026-06", written_off_on=date(2026, 4, 20), **ended) == "C"


def test_c_settled_and_g_ended_otherwise() -> None:
    assert status_of(ended_on=date(2026, 4, 9), ended_how="settled", activity=True) == "C"
    assert status_of(ended_on=date(2026, 4, 9), ended_how="closed") == "C"
    assert status_of(ended_on=date(2026, 4, 9), ended_how="other") == "G"


def test_negative_record_without_prior_notice_is_an_error_not_a_record() -> None:
    rows = [
        month(account="A", dpd=5, delinquent_at_end=True, notice_sent_on=None),
        month(account="B", dpd=5, delinquent_at_end=True, notice_sent_on=date(2026, 5, 1)),
        month(account="C", delinquent_in_month=True, notice_sent_on=date(2026, 4, 30)),
        month(account="D", activity=True, notice_sent_on=None),  # N is not negative
    ]
    records, errors = pboc_records(pl.DataFrame(rows, schema=MONTH_SCHEMA))
    assert records["account"].to_list() == ["C", "D"]
    assert errors["account"].to_list() == ["A", "B"]  # B's notice came after the month end
    assert errors["status"].to_list() == ["1", "1"]
    assert "NegativeReportNotice" in errors["rule"][0]


def test_history_is_60_months_newest_last() -> None:
    prev = "/" * 57 + "NN1"
    records, _ = pboc_records(
        pl.DataFrame(
            [month(dpd=40, delinquent_at_end=True, prev_history=prev)], schema=MONTH_SCHEMA
        )
    )
    assert records["history"][0] == "/" * 56 + "NN12"
    first, _ = pboc_records(pl.DataFrame([month(activity=True)], schema=MONTH_SCHEMA))
    assert first["history"][0] == "/" * 59 + "N"


def test_special_transactions_and_jsonl() -> None:
    rows = [
        month(
            activity=True,
            special=[SpecialTransaction.EXTENSION, SpecialTransaction.DEBT_RELIEF],
            overdue_amount=1_205,
        )
    ]
    records, _ = pboc_records(pl.DataFrame(rows, schema=MONTH_SCHEMA))
    line = to_jsonl(records)
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == {
        "account": "A",
        "balance": "1000.00",
        "classification": "normal",
        "dpd": 0,
        "history": "/" * 59 + "N",
        "month": "2026-04",
        "overdue_amount": "12.05",
        "special": [{"code": 1, "name": "extension"}, {"code": 11, "name": "debt_relief"}],
        "status": "N",
    }
    assert [int(c) for c in SpecialTransaction] == [1, 4, 5, 8, 11, 14, 16]


def test_unknown_special_code_is_refused() -> None:
    with pytest.raises(InputError, match="special"):
        pboc_records(pl.DataFrame([month(special=[2])], schema=MONTH_SCHEMA))


def test_month_summary_from_daily_snapshots() -> None:
    def snap(d: int, dpd: int, delinquent: bool, **kw: Any) -> dict[str, Any]:
        return {
            "account": "A",
            "date": date(2026, 4, d),
            "dpd": dpd,
            "delinquent": delinquent,
            "fell_due": False,
            "paid": False,
            "balance": 50_000,
            "overdue_amount": 5_000 if dpd else 0,
            "classification": "special-mention" if delinquent else "normal",
            "written_off_on": None,
            "ended_on": None,
            "ended_how": None,
            "special_code": None,
            **kw,
        }

    daily = pl.DataFrame(
        [
            snap(1, 0, False),
            snap(10, 0, False, fell_due=True),
            snap(15, 5, True),
            snap(20, 0, False, paid=True, special_code=4),
            snap(30, 0, False),
            {**snap(1, 0, False), "date": date(2026, 5, 1), "dpd": 99},  # other month
        ],
        schema=DAILY_SCHEMA,
    )
    notices = pl.DataFrame({"account": ["A"], "notice_sent_on": [date(2026, 4, 15)]})
    summary = month_summary(daily, "2026-04", notices=notices)
    row = summary.row(0, named=True)
    assert (row["dpd"], row["delinquent_at_end"], row["delinquent_in_month"], row["activity"]) == (
        0,
        False,
        True,
        True,
    )
    assert row["special"] == [4]
    records, errors = pboc_records(summary)
    assert records["status"].to_list() == ["M"] and errors.height == 0
