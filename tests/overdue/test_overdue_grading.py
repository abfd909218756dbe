"""Past due, DPD, grace, buckets, classification, stage and write-off through run_day.

One installment of 100000 fen due DUE; running EOD at DUE + k gives DPD k (grace 0).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from creditguard.money import InputError
from creditguard.overdue import DayResult, params_frame, run_day
from creditguard.overdue.frames import accounts_frame, obligations_frame
from creditguard.products.schema import InstallmentProduct, RevolvingProduct

DUE = date(2026, 1, 10)


def cash(**kw: Any) -> InstallmentProduct:
    return InstallmentProduct(
        name=kw.pop("name", "cash"), kind="installment", daily_rate=Decimal("0.0004"), **kw
    )


def one(
    days: int,
    product: InstallmentProduct | RevolvingProduct | None = None,
    account: dict[str, Any] | None = None,
    obligations: list[dict[str, Any]] | None = None,
    bucket_edges: dict[str, list[int]] | None = None,
) -> DayResult:
    product = product or cash()
    accounts = accounts_frame([{"account": "A", "product": product.name, **(account or {})}])
    rows = obligations or [{"ref": "1", "due_date": DUE, "due_principal": 100_000}]
    frame = obligations_frame([{"account": "A", **row} for row in rows], accounts)
    params = params_frame([product], bucket_edges)
    return run_day(frame, accounts, params, DUE + timedelta(days=days))


def test_due_today_is_not_past_due() -> None:
    result = one(0)
    assert not result.obligations["past_due"][0]
    assert result.accounts["dpd"][0] == 0


@pytest.mark.parametrize(("unpaid", "past_due"), [(100, False), (101, True)])
def test_tolerance(unpaid: int, past_due: bool) -> None:
    # Tolerance 1.00 yuan = 100 fen: 100 fen unpaid is not past due, 101 is.
    result = one(
        5,
        cash(tolerance=100),
        obligations=[
            {"ref": "1", "due_date": DUE, "due_principal": 1_000, "paid_principal": 1_000 - unpaid}
        ],
    )
    assert result.obligations["past_due"][0] is past_due
    assert result.accounts["dpd"][0] == (5 if past_due else 0)


@pytest.mark.parametrize(
    ("paid", "waived", "past_due"), [(5_000, 0, False), (4_999, 0, True), (4_999, 1, False)]
)
def test_statement_past_due_until_minimum_paid(paid: int, waived: int, past_due: bool) -> None:
    # Minimum 5000 of 50000: paid + waived ≥ 5000 → not past due though 45000 is unpaid.
    line = RevolvingProduct(name="pay", kind="revolving")
    result = one(
        3,
        line,
        account={"kind": "line"},
        obligations=[
            {
                "ref": "s1",
                "kind": "statement",
                "due_date": DUE,
                "due_principal": 50_000,
                "minimum": 5_000,
                "paid_principal": paid,
                "waived_fee": waived,
            }
        ],
    )
    assert result.obligations["past_due"][0] is past_due


def test_penalties_paid_count_toward_a_statements_minimum() -> None:
    # Minimum 5000: 4800 principal + 200 penalty paid = 5000 → minimum met.
    line = RevolvingProduct(name="pay", kind="revolving")
    result = one(
        3,
        line,
        account={"kind": "line"},
        obligations=[
            {
                "ref": "s1",
                "kind": "statement",
                "due_date": DUE,
                "due_principal": 50_000,
                "due_penalty": 200,
                "minimum": 5_000,
                "paid_principal": 4_800,
                "paid_penalty": 200,
            }
        ],
    )
    assert not result.obligations["past_due"][0]


def test_dpd_counts_from_the_oldest_past_due_obligation() -> None:
    # Due 01-10 and 02-10, both unpaid, t = 02-15: DPD 36 (31 + 5). Oldest paid: DPD 5.
    second = DUE + timedelta(days=31)
    both = [
        {"ref": "1", "due_date": DUE, "due_principal": 1_000},
        {"ref": "2", "due_date": second, "due_principal": 1_000},
    ]
    assert one(36, obligations=both).accounts["dpd"][0] == 36
    both[0]["paid_principal"] = 1_000
    assert one(36, obligations=both).accounts["dpd"][0] == 5


def test_dpd_keeps_counting_after_write_off() -> None:
    result = one(200, account={"written_off_on": DUE + timedelta(days=180)})
    assert result.accounts["dpd"][0] == 200
    assert result.accounts["status"][0] == "written-off"


@pytest.mark.parametrize(
    ("dpd", "in_grace", "bucket", "cls", "stage"),
    [
        (3, True, "M0", "normal", 1),
        (4, False, "M1", "special-mention", 1),
    ],
)
def test_grace_window(dpd: int, in_grace: bool, bucket: str, cls: str, stage: int) -> None:
    result = one(dpd, cash(grace_days=3)).accounts
    assert result["dpd"][0] == dpd  # the raw DPD is shown even in grace
    assert result["in_grace"][0] is in_grace
    assert result["delinquent"][0] is not in_grace
    assert (result["bucket"][0], result["classification"][0], result["stage"][0]) == (
        bucket,
        cls,
        stage,
    )


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (90, "M3"),
        (91, "M4"),
        (120, "M4"),
        (121, "M5"),
        (150, "M5"),
        (151, "M6"),
        (180, "M6"),
        (181, "M7+"),
        (400, "M7+"),
    ],
)
def test_bucket_walk_at_the_edges(dpd: int, bucket: str) -> None:
    assert one(dpd).accounts["bucket"][0] == bucket


def test_configurable_bucket_edges() -> None:
    # Edges 15, 45: M1 = 1–15, M2 = 16–45, M3+ over 45.
    edges = {"cash": [15, 45]}
    assert [one(d, bucket_edges=edges).accounts["bucket"][0] for d in (15, 16, 45, 46)] == [
        "M1",
        "M2",
        "M2",
        "M3+",
    ]


@pytest.mark.parametrize(
    ("dpd", "cls", "stage"),
    [
        (0, "normal", 1),
        (30, "special-mention", 1),
        (31, "special-mention", 2),
        (90, "special-mention", 2),
        (91, "substandard", 3),
        (270, "substandard", 3),
        (271, "doubtful", 3),
        (360, "doubtful", 3),
        (361, "loss", 3),
    ],
)
def test_classification_and_stage_by_dpd(dpd: int, cls: str, stage: int) -> None:
    # write_off_dpd 400 so that 361 is "loss" by DPD, not by write-off.
    accounts = one(dpd, cash(write_off_dpd=400)).accounts
    assert (accounts["classification"][0], accounts["stage"][0]) == (cls, stage)


def test_restructured_floor_during_observation() -> None:
    # DPD 0 but in observation until DUE+100: at least special mention, stage 2.
    in_obs = one(
        0,
        cash(),
        account={"observation_end": DUE + timedelta(days=100)},
        obligations=[{"ref": "1", "due_date": DUE, "due_principal": 0}],
    ).accounts
    assert (in_obs["classification"][0], in_obs["stage"][0]) == ("special-mention", 2)


def test_restructured_no_better_than_class_at_restructuring() -> None:
    # Restructured as doubtful: stays doubtful (not just special mention) in observation.
    result = one(
        0,
        account={"observation_end": DUE + timedelta(days=100), "restructured_class": "doubtful"},
        obligations=[{"ref": "1", "due_date": DUE, "due_principal": 0}],
    ).accounts
    assert result["classification"][0] == "doubtful"
    # Restructured as special mention: the floor is special mention, DPD 91 still grades worse.
    worse = one(
        91,
        account={
            "observation_end": DUE + timedelta(days=100),
            "restructured_class": "special-mention",
        },
    ).accounts
    assert worse["classification"][0] == "substandard"


def test_after_observation_the_dpd_rule_alone_applies() -> None:
    result = one(
        1,
        account={"observation_end": DUE, "restructured_class": "doubtful"},
        obligations=[{"ref": "1", "due_date": DUE, "due_principal": 0}],
    ).accounts
    assert (result["classification"][0], result["stage"][0]) == ("normal", 1)


def test_early_warning_moves_to_stage_2_only() -> None:
    result = one(0, account={"early_warning": True}).accounts
    assert (result["classification"][0], result["stage"][0]) == ("normal", 2)


def test_write_off_at_180_and_its_consequences() -> None:
    before = one(179)
    assert before.accounts["written_off_on"][0] is None
    assert before.accounts["status"][0] == "past-due"
    at = one(180)
    accounts = at.accounts
    assert accounts["written_off_on"][0] == DUE + timedelta(days=180)
    assert (accounts["status"][0], accounts["classification"][0], accounts["stage"][0]) == (
        "written-off",
        "loss",
        3,
    )
    assert accounts["non_accrual"][0]
    assert "WrittenOff" in at.events["type"].to_list()
    # Penalties keep accruing after write-off, off balance sheet (suspense).
    assert at.obligations["penalty_suspense"][0] == 60


def test_configurable_write_off_threshold() -> None:
    assert one(90, cash(write_off_dpd=90)).accounts["status"][0] == "written-off"


def test_unknown_product_is_refused() -> None:
    accounts = accounts_frame([{"account": "A", "product": "nope"}])
    frame = obligations_frame([{"account": "A", "ref": "1", "due_date": DUE}], accounts)
    with pytest.raises(InputError, match=r"accounts\.product"):
        run_day(frame, accounts, params_frame([cash()]), DUE)


def test_mismatched_account_row_is_refused() -> None:
    accounts = accounts_frame(
        [{"account": "A", "product": "cash"}, {"account": "B", "product": "cash"}]
    )
    frame = obligations_frame([{"account": "A", "ref": "1", "due_date": DUE, "account_row": 1}])
    with pytest.raises(InputError, match="account_row"):
        run_day(frame, accounts, params_frame([cash()]), DUE)


def test_empty_frames_and_an_account_without_obligations() -> None:
    params = params_frame([cash()])
    empty = obligations_frame([])
    nothing = run_day(empty, accounts_frame([]), params, DUE)
    assert (nothing.accounts.height, nothing.obligations.height, nothing.events.height) == (0, 0, 0)
    idle = run_day(empty, accounts_frame([{"account": "A", "product": "cash"}]), params, DUE)
    assert idle.accounts.select("dpd", "bucket", "classification", "stage", "status").row(0) == (
        0,
        "M0",
        "normal",
        1,
        "active",
    )
