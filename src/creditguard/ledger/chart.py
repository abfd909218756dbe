"""The chart of accounts: every general-ledger (GL) account a posting may touch.

Each :class:`GL` member's value is its four-digit code, which is what the database stores. The
first digit is the account class, as in most charts: 1 assets, 2 liabilities (and contra-asset
suspense), 4 income, 5 expenses, 9 memo (off-balance-sheet). ``docs/ledger.md`` shows the table
and the usual entries.

Balances are signed by the account's *normal side*: a debit-normal account's balance is
debits − credits, a credit-normal account's is credits − debits, so a healthy receivable, an
income account and a liability all show positive numbers.

Memo accounts (class 9) record written-off debt that is still collectible (SPEC §6: "the debt
stays collectible … penalties keep accruing off balance sheet"). They come as a pair so that
memo entries are double-entry and balanced like any other: ``OFF_BALANCE`` (debit-normal) holds
the written-off debt still owed by the borrower; ``OFF_BALANCE_CONTRA`` (credit-normal) is its
mirror. At write-off the lender books the loss on balance sheet (Dr ``WRITE_OFF_LOSS`` / Cr the
receivables) and, in the same command, Dr ``OFF_BALANCE`` / Cr ``OFF_BALANCE_CONTRA`` for the
same amount; penalties accruing after write-off add to the pair; a recovery is booked Dr
``CASH`` / Cr ``RECOVERIES`` and shrinks the pair (Dr ``OFF_BALANCE_CONTRA`` / Cr
``OFF_BALANCE``). The pair nets to zero in every trial balance and never touches the balance
sheet or income.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from creditguard.money import InputError

__all__ = ["GL", "RECEIVABLES", "GLSpec", "GLType", "Side", "gl_from_code"]


class Side(StrEnum):
    """The normal side of an account: the side its balance grows on."""

    DEBIT = "debit"
    CREDIT = "credit"


class GLType(StrEnum):
    """What kind of account a GL is."""

    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    MEMO = "memo"


@dataclass(frozen=True)
class GLSpec:
    """The fixed attributes of one GL account."""

    name: str
    type: GLType
    side: Side
    description: str


class GL(StrEnum):
    """General-ledger accounts, valued by their code (what the database stores)."""

    CASH = "1001"
    PRINCIPAL_CURRENT = "1201"
    PRINCIPAL_OVERDUE = "1202"
    INTEREST_RECEIVABLE = "1211"
    FEE_RECEIVABLE = "1212"
    PENALTY_RECEIVABLE = "1213"
    CUSTOMER_CREDIT = "2201"
    SUSPENSE = "2301"
    INTEREST_INCOME = "4001"
    FEE_INCOME = "4002"
    PENALTY_INCOME = "4003"
    RECOVERIES = "4101"
    WRITE_OFF_LOSS = "5001"
    WAIVER_EXPENSE = "5002"
    OFF_BALANCE = "9001"
    OFF_BALANCE_CONTRA = "9002"

    @property
    def code(self) -> str:
        """The four-digit code (same as the value)."""
        return self.value

    @property
    def spec(self) -> GLSpec:
        """Type, normal side and description of this account."""
        return _SPECS[self]

    @property
    def side(self) -> Side:
        """The normal side (the side its balance grows on)."""
        return _SPECS[self].side

    @property
    def type(self) -> GLType:
        """Asset, liability, income, expense or memo."""
        return _SPECS[self].type

    def signed(self, debit: int, credit: int) -> int:
        """The balance effect of ``debit`` and ``credit`` on this account, by its normal side."""
        return debit - credit if self.side is Side.DEBIT else credit - debit


_A, _L, _I, _E, _M = GLType.ASSET, GLType.LIABILITY, GLType.INCOME, GLType.EXPENSE, GLType.MEMO
_DR, _CR = Side.DEBIT, Side.CREDIT

_SPECS: dict[GL, GLSpec] = {
    GL.CASH: GLSpec(
        "cash", _A, _DR, "Clearing account for money in and out (disbursements, repayments)."
    ),
    GL.PRINCIPAL_CURRENT: GLSpec(
        "principal current", _A, _DR, "Principal owed and not past due (billed or not)."
    ),
    GL.PRINCIPAL_OVERDUE: GLSpec(
        "principal overdue", _A, _DR, "Principal of obligations that are past due."
    ),
    GL.INTEREST_RECEIVABLE: GLSpec(
        "interest receivable", _A, _DR, "Interest accrued or billed and not yet paid."
    ),
    GL.FEE_RECEIVABLE: GLSpec(
        "fee receivable", _A, _DR, "Fees (installment fees) owed and not yet paid."
    ),
    GL.PENALTY_RECEIVABLE: GLSpec(
        "penalty receivable", _A, _DR, "Penalty interest and overdue fees owed and not paid."
    ),
    GL.CUSTOMER_CREDIT: GLSpec(
        "customer credit",
        _L,
        _CR,
        "Credit balance on a line (over-payment, refund after payment): owed to the customer.",
    ),
    GL.SUSPENSE: GLSpec(
        "interest in suspense",
        _L,
        _CR,
        "Non-accrual (SPEC §6, above 90 DPD): interest and penalties accrued on the borrower's"
        " account but not recognised as income. Contra to the receivables; released to income"
        " when paid.",
    ),
    GL.INTEREST_INCOME: GLSpec("interest income", _I, _CR, "Interest recognised as income."),
    GL.FEE_INCOME: GLSpec("fee income", _I, _CR, "Fees recognised as income."),
    GL.PENALTY_INCOME: GLSpec(
        "penalty income", _I, _CR, "Penalty interest and overdue fees recognised as income."
    ),
    GL.RECOVERIES: GLSpec(
        "recoveries", _I, _CR, "Money collected on debt after it was written off."
    ),
    GL.WRITE_OFF_LOSS: GLSpec(
        "write-off loss", _E, _DR, "Receivables written off (charge-off) as a loss."
    ),
    GL.WAIVER_EXPENSE: GLSpec(
        "waiver expense", _E, _DR, "Penalty, fee or interest waived after it was recognised."
    ),
    GL.OFF_BALANCE: GLSpec(
        "off-balance written-off debt",
        _M,
        _DR,
        "Memo: written-off debt the borrower still owes (collectible), including penalties"
        " accrued after write-off.",
    ),
    GL.OFF_BALANCE_CONTRA: GLSpec(
        "off-balance contra",
        _M,
        _CR,
        "Memo contra of OFF_BALANCE, so memo entries balance; the pair always nets to zero.",
    ),
}


# What a borrower owes on the balance sheet, in the order a write-off moves it to the loss.
RECEIVABLES: tuple[GL, ...] = (
    GL.PRINCIPAL_CURRENT,
    GL.PRINCIPAL_OVERDUE,
    GL.INTEREST_RECEIVABLE,
    GL.FEE_RECEIVABLE,
    GL.PENALTY_RECEIVABLE,
)


def gl_from_code(code: str, field: str = "gl") -> GL:
    """The GL account with ``code``; an unknown code raises ``InputError`` naming it."""
    try:
        return GL(code)
    except ValueError:
        raise InputError(field, f"{code!r} is not a GL account code") from None
