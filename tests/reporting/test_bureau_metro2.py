"""Metro 2: payment history profile, account status codes and the 426-byte base segment."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from creditguard.money import InputError
from creditguard.reporting.bureau_metro2 import (
    BASE_LENGTH,
    Metro2Account,
    base_segment,
    metro2_month,
)


def run(
    dpd: list[int], charged_off: list[bool], closed: list[bool], prev: list[str | None]
) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "account": [f"A{i}" for i in range(len(dpd))],
            "dpd": dpd,
            "charged_off": charged_off,
            "closed": closed,
            "prev_codes": pl.Series(prev, dtype=pl.String),
        }
    )
    return metro2_month(frame)


@pytest.mark.parametrize(
    ("dpd", "status", "code"),
    [
        (0, "11", "0"),
        (29, "11", "0"),
        (30, "71", "1"),
        (59, "71", "1"),
        (60, "78", "2"),
        (89, "78", "2"),
        (90, "80", "3"),
        (119, "80", "3"),
        (120, "82", "4"),
        (150, "83", "5"),
        (179, "83", "5"),
        (180, "84", "6"),
        (400, "84", "6"),
    ],
)
def test_status_and_profile_code_by_dpd(dpd: int, status: str, code: str) -> None:
    out = run([dpd], [False], [False], [None])
    assert out["account_status"][0] == status
    assert out["codes"][0] == code


def test_charge_off_paid_and_closed_codes() -> None:
    out = run([200, 200, 0, 0], [True, True, False, False], [False, True, True, False], [None] * 4)
    assert out["account_status"].to_list() == ["97", "64", "13", "11"]
    assert out["payment_rating"].to_list() == [None, "L", "0", None]
    assert out["codes"].to_list() == ["L", "L", "0", "0"]


def test_profile_is_the_24_months_before_newest_first() -> None:
    # New account: no history before → all B; it reports this month in the status.
    new = run([35], [False], [False], [None])
    assert new["profile"][0] == "B" * 24
    assert new["codes"][0] == "1"
    # Next month: the profile starts with last month's code; history rolls, capped at 24.
    nxt = run([65], [False], [False], [new["codes"][0]])
    assert nxt["profile"][0] == "1" + "B" * 23
    assert nxt["codes"][0] == "21"
    long = run([0], [False], [False], ["6" * 24])
    assert long["profile"][0] == "6" * 24
    assert long["codes"][0] == "0" + "6" * 23


def test_base_segment_positions() -> None:
    account = Metro2Account(
        account="L-0001",
        portfolio="loan",
        opened_on=date(2025, 11, 15),
        as_of=date(2026, 4, 30),
        account_status="71",
        profile="0" + "B" * 23,
        original_amount=1_000_050,  # 10000.50 yuan → 10000 (cents truncated)
        terms_months=12,
        scheduled_payment=90_099,
        balance=850_075,
        past_due=90_099,
        first_delinquent_on=date(2026, 3, 15),
    )
    rec = base_segment(account, "CREDITGUARD")
    assert len(rec) == BASE_LENGTH

    def field(pos: int, length: int) -> str:  # 1-based positions as in the module table
        return rec[pos - 1 : pos - 1 + length]

    assert field(1, 4) == "0426"
    assert field(6, 14) == "04302026000000"
    assert field(21, 20) == "CREDITGUARD".ljust(20)
    assert field(43, 30) == "L-0001".ljust(30)
    assert (field(73, 1), field(74, 2)) == ("I", "01")
    assert field(76, 8) == "11152025"
    assert field(93, 9) == "000010000"
    assert (field(102, 3), field(105, 1)) == ("012", "M")
    assert field(106, 9) == "000000900"
    assert field(124, 2) == "71"
    assert field(126, 1) == " "
    assert field(127, 24) == "0" + "B" * 23
    assert field(155, 9) == "000008500"
    assert field(164, 9) == "000000900"
    assert field(182, 8) == "04302026"
    assert field(190, 8) == "03152026"
    assert field(198, 8) == "00000000"
    assert field(325, 1) == "1"


def test_base_segment_refuses_what_does_not_fit() -> None:
    bad = Metro2Account(
        account="x" * 31,
        portfolio="line",
        opened_on=date(2025, 1, 1),
        as_of=date(2026, 4, 30),
        account_status="11",
        profile="0" * 24,
    )
    with pytest.raises(InputError, match="account"):
        base_segment(bad, "CG")
