"""Balances and trial balance derived from postings."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from creditguard.ledger.balances import balances, postings_of, trial_balance
from creditguard.ledger.chart import GL
from creditguard.ledger.journal import JournalEntry, Posting

D = date(2026, 1, 5)


def _entry(key: str, *postings: Posting) -> JournalEntry:
    return JournalEntry(key, D, "test", "L1", postings, "t")


def test_loan_lifecycle_by_hand() -> None:
    # Disburse 1000.00; accrue 12.50 interest; repay 512.50 (interest first, then 500.00
    # principal). By hand: principal 1000 - 500 = 500.00; interest receivable 12.50 - 12.50 = 0;
    # interest income 12.50 (credit-normal, positive); cash -1000 + 512.50 = -487.50.
    entries = [
        _entry(
            "d", Posting.dr(GL.PRINCIPAL_CURRENT, "L1", 100_000), Posting.cr(GL.CASH, "L1", 100_000)
        ),
        _entry(
            "a",
            Posting.dr(GL.INTEREST_RECEIVABLE, "L1", 1_250),
            Posting.cr(GL.INTEREST_INCOME, "L1", 1_250),
        ),
        _entry(
            "r",
            Posting.dr(GL.CASH, "L1", 51_250),
            Posting.cr(GL.INTEREST_RECEIVABLE, "L1", 1_250),
            Posting.cr(GL.PRINCIPAL_CURRENT, "L1", 50_000),
        ),
    ]
    b = balances(postings_of(entries))
    assert b == {
        (GL.PRINCIPAL_CURRENT, "L1"): 50_000,
        (GL.CASH, "L1"): -48_750,
        (GL.INTEREST_RECEIVABLE, "L1"): 0,
        (GL.INTEREST_INCOME, "L1"): 1_250,
    }
    tb = trial_balance(postings_of(entries))
    # Debits: 100000 + 1250 + 51250 = 152500 = credits: 100000 + 1250 + 1250 + 50000.
    assert (tb.debits, tb.credits, tb.balanced) == (152_500, 152_500, True)
    assert [line.gl for line in tb.lines] == [
        GL.CASH,
        GL.PRINCIPAL_CURRENT,
        GL.INTEREST_RECEIVABLE,
        GL.INTEREST_INCOME,
    ]
    assert tb.balance(GL.CASH) == -48_750
    assert tb.balance(GL.INTEREST_INCOME) == 1_250
    assert tb.balance(GL.FEE_INCOME) == 0


def test_accounts_are_kept_apart() -> None:
    ps = [Posting.dr(GL.FEE_RECEIVABLE, "A", 3), Posting.dr(GL.FEE_RECEIVABLE, "B", 4)]
    assert balances(ps) == {(GL.FEE_RECEIVABLE, "A"): 3, (GL.FEE_RECEIVABLE, "B"): 4}


_gls = st.sampled_from(list(GL))
_amounts = st.integers(min_value=1, max_value=10**12)


@st.composite
def _balanced_entries(draw: st.DrawFn) -> list[Posting]:
    out: list[Posting] = []
    for _ in range(draw(st.integers(1, 8))):
        amount = draw(_amounts)
        out.append(Posting.dr(draw(_gls), draw(st.sampled_from("AB")), amount))
        out.append(Posting.cr(draw(_gls), draw(st.sampled_from("AB")), amount))
    return out


@given(_balanced_entries())
def test_balanced_postings_give_a_balanced_trial_balance(postings: list[Posting]) -> None:
    tb = trial_balance(postings)
    assert tb.balanced
    # Signed balances: debit-normal accounts sum minus credit-normal accounts sum is zero.
    total = sum(v if gl.side.value == "debit" else -v for (gl, _), v in balances(postings).items())
    assert total == 0
    assert (
        sum(line.balance if line.gl.side.value == "debit" else -line.balance for line in tb.lines)
        == 0
    )
