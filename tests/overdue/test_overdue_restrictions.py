"""Line restrictions and events: freeze → cure → restore, close at 30, line_ref, cross-default.

Line product ``pay`` (defaults: freeze at DPD 1, close at DPD 30, grace 0); loan product
``cash``. A statement of 50000 fen with minimum 5000 is due on DUE.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl

from creditguard.overdue import DayResult, params_frame, run_day
from creditguard.overdue.frames import accounts_frame, obligations_frame
from creditguard.products.schema import InstallmentProduct, RevolvingProduct

DUE = date(2026, 1, 10)
PAY = RevolvingProduct(name="pay", kind="revolving")
CASH = InstallmentProduct(name="cash", kind="installment", daily_rate=Decimal("0.0004"))
CASH_X = InstallmentProduct(
    name="cash-x", kind="installment", daily_rate=Decimal("0.0004"), cross_default=True
)
PARAMS = params_frame([PAY, CASH, CASH_X])


def statement(account: str = "C", **kw: Any) -> dict[str, Any]:
    return {
        "account": account,
        "ref": "s1",
        "kind": "statement",
        "due_date": DUE,
        "due_principal": 50_000,
        "minimum": 5_000,
        **kw,
    }


def installment(account: str = "L", **kw: Any) -> dict[str, Any]:
    return {"account": account, "ref": "1", "due_date": DUE, "due_principal": 10_000, **kw}


def day(accounts: pl.DataFrame, obligations: list[dict[str, Any]], k: int) -> DayResult:
    return run_day(
        obligations_frame(obligations, accounts), accounts, PARAMS, DUE + timedelta(days=k)
    )


def events(result: DayResult, account: str) -> list[str]:
    return result.events.filter(pl.col("account") == account)["type"].to_list()


def line(name: str = "C", borrower: str = "b", **kw: Any) -> dict[str, Any]:
    return {"account": name, "product": "pay", "kind": "line", "borrower": borrower, **kw}


def test_freeze_then_cure_then_restore() -> None:
    accounts = accounts_frame([line()])
    d1 = day(accounts, [statement()], 1)
    assert d1.accounts["line_status"][0] == "frozen"
    assert d1.accounts["line_reason"][0] == "dpd 1 ≥ 1 (freeze rule of pay)"
    assert events(d1, "C") == [
        "PastDue",
        "BucketChanged",
        "NegativeReportNotice",
        "ClassificationChanged",
        "LineFrozen",
    ]
    frozen = json.loads(d1.events.filter(pl.col("type") == "LineFrozen")["payload"][0])
    assert frozen == {"from": "active", "to": "frozen", "reason": "dpd 1 ≥ 1 (freeze rule of pay)"}
    # Day 5: the minimum was paid — cured, restored.
    d5 = day(d1.accounts, [statement(paid_principal=5_000)], 5)
    assert d5.accounts["line_status"][0] == "active"
    assert d5.accounts["status"][0] == "active"
    assert events(d5, "C") == ["Cured", "BucketChanged", "ClassificationChanged", "LineRestored"]


def test_close_at_30_is_not_undone_by_a_cure() -> None:
    accounts = accounts_frame([line(line_status="frozen", dpd=29, bucket="M1")])
    d29 = day(accounts, [statement()], 29)
    assert d29.accounts["line_status"][0] == "frozen"
    d30 = day(d29.accounts, [statement()], 30)
    assert d30.accounts["line_status"][0] == "closed"
    assert d30.accounts["line_reason"][0] == "dpd 30 ≥ 30 (close rule of pay)"
    assert "LineClosed" in events(d30, "C")
    d31 = day(d30.accounts, [statement(paid_principal=50_000)], 31)
    assert d31.accounts["dpd"][0] == 0
    assert d31.accounts["line_status"][0] == "closed"
    assert "LineRestored" not in events(d31, "C")


def test_close_only_product_does_not_freeze() -> None:
    close_only = RevolvingProduct(
        name="pay60", kind="revolving", restrictions=[{"dpd": 60, "action": "close"}]
    )
    accounts = accounts_frame([{**line(), "product": "pay60"}])
    frame = obligations_frame([statement()], accounts)
    params = params_frame([close_only])
    d59 = run_day(frame, accounts, params, DUE + timedelta(days=59))
    d60 = run_day(frame, accounts, params, DUE + timedelta(days=60))
    assert (d59.accounts["line_status"][0], d60.accounts["line_status"][0]) == ("active", "closed")


def test_loan_drawn_from_a_line_restricts_the_line() -> None:
    accounts = accounts_frame(
        [line(), {"account": "L", "product": "cash", "borrower": "b", "line_ref": "C"}]
    )
    d1 = day(accounts, [installment()], 1)
    assert d1.accounts["line_status"].to_list() == ["frozen", None]
    assert d1.accounts["line_reason"][0] == "dpd 1 ≥ 1 (freeze rule of cash, account L)"
    assert events(d1, "C") == ["LineFrozen"]
    d30 = day(d1.accounts, [installment()], 30)
    assert d30.accounts["line_status"][0] == "closed"


def test_cross_default_restricts_every_line_of_the_borrower() -> None:
    # cash-x has cross_default: its delinquent loan freezes both lines of borrower b, not the
    # line of borrower z.
    accounts = accounts_frame(
        [
            line("C1"),
            line("C2"),
            line("Z", borrower="z"),
            {"account": "L", "product": "cash-x", "borrower": "b"},
        ]
    )
    d2 = day(accounts, [installment()], 2)
    assert d2.accounts["line_status"].to_list() == ["frozen", "frozen", "active", None]


def test_without_cross_default_other_lines_stay_active() -> None:
    accounts = accounts_frame([line("C1"), {"account": "L", "product": "cash", "borrower": "b"}])
    d2 = day(accounts, [installment()], 2)
    assert d2.accounts["line_status"].to_list() == ["active", None]


def test_write_off_closes_the_line_it_was_drawn_from() -> None:
    accounts = accounts_frame(
        [line(), {"account": "L", "product": "cash", "borrower": "b", "line_ref": "C"}]
    )
    d180 = day(accounts, [installment()], 180)
    assert d180.accounts["line_status"][0] == "closed"
    assert d180.accounts["line_reason"][0] == "written off at dpd 180 (line closed, account L)"


def test_past_due_fires_in_grace_and_notice_on_first_delinquent_day() -> None:
    graced = RevolvingProduct(name="pay3", kind="revolving", grace_days=3)
    params = params_frame([graced])
    accounts = accounts_frame([{**line(), "product": "pay3"}])
    seen: list[list[str]] = []
    for k in range(1, 6):
        result = run_day(
            obligations_frame([statement()], accounts), accounts, params, DUE + timedelta(days=k)
        )
        accounts = result.accounts
        seen.append(events(result, "C"))
    assert seen[0] == ["PastDue"]  # DPD 1, in grace: a reminder, no restriction
    assert seen[1] == seen[2] == []
    assert seen[3] == [
        "BucketChanged",
        "NegativeReportNotice",
        "ClassificationChanged",
        "LineFrozen",
    ]  # DPD 4: delinquent
    assert seen[4] == []  # the notice is sent once
    assert accounts["notice_sent_on"][0] == DUE + timedelta(days=4)


def test_payment_due_soon_at_t_minus_3_and_t_minus_1() -> None:
    accounts = accounts_frame([{"account": "L", "product": "cash"}])
    kinds = [events(day(accounts, [installment()], k), "L") for k in (-4, -3, -2, -1, 0)]
    assert kinds == [[], ["PaymentDueSoon"], [], ["PaymentDueSoon"], []]
    reminder = day(accounts, [installment(due_interest=55)], -3).events
    assert json.loads(reminder["payload"][0]) == {
        "days_before": 3,
        "due_date": "2026-01-10",
        "ref": "1",
        "unpaid": "100.55",
    }
    paid = day(accounts, [installment(paid_principal=10_000)], -1)
    assert events(paid, "L") == []


def test_a_frozen_line_stays_frozen_while_still_delinquent_below_the_freeze_rule() -> None:
    # Freeze at DPD 5. Statements due DUE and DUE+4, minimums unpaid: DPD 6 on DUE+6 → frozen.
    # DUE+7: s1's minimum paid, DPD 3 (from s2) — still delinquent → stays frozen (SPEC: active
    # again only when no longer delinquent). DUE+8: s2 paid too → restored.
    late = RevolvingProduct(
        name="pay5",
        kind="revolving",
        restrictions=[{"dpd": 5, "action": "freeze"}, {"dpd": 30, "action": "close"}],
    )
    params = params_frame([late])
    accounts = accounts_frame([{**line(), "product": "pay5"}])
    s2 = {**statement(), "ref": "s2", "due_date": DUE + timedelta(days=4)}
    status = []
    for k, paid in ((6, (0, 0)), (7, (5_000, 0)), (8, (5_000, 5_000))):
        frame = obligations_frame(
            [statement(paid_principal=paid[0]), {**s2, "paid_principal": paid[1]}], accounts
        )
        result = run_day(frame, accounts, params, DUE + timedelta(days=k))
        accounts = result.accounts
        status.append((accounts["dpd"][0], accounts["line_status"][0], events(result, "C")))
    assert status[0][:2] == (6, "frozen") and "LineFrozen" in status[0][2]
    assert status[1][:2] == (3, "frozen") and "LineRestored" not in status[1][2]
    assert status[2][:2] == (0, "active") and "LineRestored" in status[2][2]


def test_an_active_line_is_not_frozen_below_the_freeze_rule() -> None:
    late = RevolvingProduct(
        name="pay5",
        kind="revolving",
        restrictions=[{"dpd": 5, "action": "freeze"}, {"dpd": 30, "action": "close"}],
    )
    accounts = accounts_frame([{**line(), "product": "pay5"}])
    result = run_day(
        obligations_frame([statement()], accounts),
        accounts,
        params_frame([late]),
        DUE + timedelta(days=4),
    )
    assert (result.accounts["delinquent"][0], result.accounts["line_status"][0]) == (
        True,
        "active",
    )
