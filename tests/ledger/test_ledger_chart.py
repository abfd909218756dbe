"""The chart of accounts: codes, normal sides, types."""

from __future__ import annotations

import pytest

from creditguard.ledger.chart import GL, GLType, Side, gl_from_code
from creditguard.money import InputError


def test_codes_are_unique_four_digit_and_class_matches_type() -> None:
    codes = [gl.value for gl in GL]
    assert len(codes) == len(set(codes))
    # The first digit is the account class: 1 asset, 2 liability, 4 income, 5 expense, 9 memo.
    by_class = {
        "1": GLType.ASSET,
        "2": GLType.LIABILITY,
        "4": GLType.INCOME,
        "5": GLType.EXPENSE,
        "9": GLType.MEMO,
    }
    for gl in GL:
        assert len(gl.code) == 4 and gl.code.isdigit()
        assert gl.type is by_class[gl.code[0]], gl


@pytest.mark.parametrize(
    ("gl", "side"),
    [
        (GL.CASH, Side.DEBIT),
        (GL.PRINCIPAL_CURRENT, Side.DEBIT),
        (GL.PRINCIPAL_OVERDUE, Side.DEBIT),
        (GL.INTEREST_RECEIVABLE, Side.DEBIT),
        (GL.FEE_RECEIVABLE, Side.DEBIT),
        (GL.PENALTY_RECEIVABLE, Side.DEBIT),
        (GL.CUSTOMER_CREDIT, Side.CREDIT),
        (GL.SUSPENSE, Side.CREDIT),
        (GL.INTEREST_INCOME, Side.CREDIT),
        (GL.FEE_INCOME, Side.CREDIT),
        (GL.PENALTY_INCOME, Side.CREDIT),
        (GL.RECOVERIES, Side.CREDIT),
        (GL.WRITE_OFF_LOSS, Side.DEBIT),
        (GL.WAIVER_EXPENSE, Side.DEBIT),
        (GL.OFF_BALANCE, Side.DEBIT),
        (GL.OFF_BALANCE_CONTRA, Side.CREDIT),
    ],
)
def test_normal_sides(gl: GL, side: Side) -> None:
    assert gl.side is side
    # A debit of 5 and credit of 2 moves a debit-normal account by +3, a credit-normal by -3.
    assert gl.signed(5, 2) == (3 if side is Side.DEBIT else -3)


def test_every_account_is_covered_by_the_side_table() -> None:
    assert len(GL) == 16


def test_gl_from_code() -> None:
    assert gl_from_code("1001") is GL.CASH
    assert GL("4003") is GL.PENALTY_INCOME
    with pytest.raises(InputError, match="'9999' is not a GL account code"):
        gl_from_code("9999")
