"""Journal entries: postings, balance validation, keys, reversals."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.ledger.chart import GL
from creditguard.ledger.journal import (
    JournalEntry,
    Posting,
    UnbalancedEntry,
    entry_key,
    mirrors,
    reversal_of,
    validate,
)
from creditguard.money import InputError

D = date(2026, 3, 10)


def _repayment(amount_interest: int = 1_250, amount_principal: int = 8_750) -> JournalEntry:
    return JournalEntry(
        key="L1|2026-03-10|repay|k1",
        business_date=D,
        kind="repay",
        account_ref="L1",
        postings=(
            Posting.dr(GL.CASH, "L1", 10_000),
            Posting.cr(GL.INTEREST_RECEIVABLE, "L1", amount_interest),
            Posting.cr(GL.PRINCIPAL_CURRENT, "L1", amount_principal),
        ),
        actor="cli",
    )


def test_posting_needs_exactly_one_positive_side() -> None:
    assert Posting.dr(GL.CASH, "A", 5) == Posting(GL.CASH, "A", 5, 0)
    assert Posting.cr(GL.CASH, "A", 5).amount == 5
    with pytest.raises(InputError, match="exactly one of debit and credit"):
        Posting(GL.CASH, "A", 0, 0)
    with pytest.raises(InputError, match="exactly one of debit and credit"):
        Posting(GL.CASH, "A", 1, 1)
    with pytest.raises(InputError, match="debit: must not be negative"):
        Posting(GL.CASH, "A", -1, 0)
    with pytest.raises(InputError, match="credit: must be int fen, not float"):
        Posting(GL.CASH, "A", 0, 1.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="debit: must be int fen, not bool"):
        Posting(GL.CASH, "A", True, 0)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="account_ref"):
        Posting(GL.CASH, " ", 1, 0)


def test_posting_accepts_a_code_and_refuses_an_unknown_one() -> None:
    assert Posting("1201", "A", 1, 0).gl is GL.PRINCIPAL_CURRENT  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not a GL account code"):
        Posting("7777", "A", 1, 0)  # type: ignore[arg-type]


def test_validate_balanced_entry() -> None:
    e = _repayment()
    assert validate(e) is e
    assert e.debits == e.credits == 10_000


def test_validate_unbalanced_names_key_and_totals() -> None:
    e = _repayment(amount_interest=1_251)
    with pytest.raises(UnbalancedEntry) as info:
        validate(e)
    err = info.value
    assert isinstance(err, InputError)
    assert (err.debits, err.credits) == (10_000, 10_001)
    assert "debits 100.00 ≠ credits 100.01" in str(err)
    assert "L1|2026-03-10|repay|k1" in str(err)


def test_validate_needs_two_postings() -> None:
    e = JournalEntry("k", D, "x", "A", (Posting.dr(GL.CASH, "A", 1),), "t")
    with pytest.raises(UnbalancedEntry, match="1 posting"):
        validate(e)
    with pytest.raises(UnbalancedEntry, match="0 posting"):
        validate(JournalEntry("k", D, "x", "A", (), "t"))


def test_entry_fields_are_checked() -> None:
    p = (Posting.dr(GL.CASH, "A", 1), Posting.cr(GL.FEE_INCOME, "A", 1))
    with pytest.raises(InputError, match="business_date"):
        JournalEntry("k", datetime(2026, 1, 1), "x", "A", p, "t")
    with pytest.raises(InputError, match="actor"):
        JournalEntry("k", D, "x", "A", p, "")
    with pytest.raises(InputError, match="key"):
        JournalEntry("", D, "x", "A", p, "t")
    # A list of postings is frozen into a tuple.
    assert isinstance(JournalEntry("k", D, "x", "A", list(p), "t").postings, tuple)  # type: ignore[arg-type]


def test_entry_key_is_canonical_and_unambiguous() -> None:
    assert entry_key("L1", D, "accrual:interest") == "L1|2026-03-10|accrual:interest"
    assert (
        entry_key("L1", D, "penalty", 3, date(2026, 2, 10)) == "L1|2026-03-10|penalty|3|2026-02-10"
    )
    # "|" inside a part is escaped, so ("a|b", kind) and ("a", "b|kind") differ.
    assert entry_key("a|b", D, "k") == "a%7Cb|2026-03-10|k"
    assert entry_key("a|b", D, "k") != entry_key("a", D, "b|k")
    assert entry_key("50%", D, "k") == "50%25|2026-03-10|k"
    with pytest.raises(InputError, match="business_date"):
        entry_key("L1", "2026-03-10", "k")  # type: ignore[arg-type]


_part = st.text(alphabet="ab|%7C", min_size=1).filter(lambda t: t.strip() != "")


@given(st.lists(_part, min_size=2, max_size=4), st.lists(_part, min_size=2, max_size=4))
def test_entry_key_is_injective(a: list[str], b: list[str]) -> None:
    # Parts drawn from the separator and escape characters themselves: different part lists
    # must never produce the same key.
    ka = entry_key(a[0], D, a[1], *a[2:])
    kb = entry_key(b[0], D, b[1], *b[2:])
    assert (ka == kb) == (a == b)


def test_reversal_swaps_every_posting() -> None:
    e = _repayment()
    r = reversal_of(e, "rev-1", date(2026, 3, 12), "ops", "chargeback")
    assert r.reverses == e.key
    assert r.kind == "reversal:repay"
    assert r.business_date == date(2026, 3, 12)
    assert r.postings == (
        Posting.cr(GL.CASH, "L1", 10_000),
        Posting.dr(GL.INTEREST_RECEIVABLE, "L1", 1_250),
        Posting.dr(GL.PRINCIPAL_CURRENT, "L1", 8_750),
    )
    assert validate(r) is r
    assert mirrors(r, e)
    assert not mirrors(e, r)  # e does not name r as the entry it reverses
    assert reversal_of(e, "rev-2", D, "ops", kind="chargeback").kind == "chargeback"


def test_reversal_cannot_predate_original() -> None:
    with pytest.raises(InputError, match="cannot be dated before"):
        reversal_of(_repayment(), "r", date(2026, 3, 9), "ops")


def test_mirrors_detects_a_partial_reversal() -> None:
    e = _repayment()
    r = reversal_of(e, "r", D, "ops")
    partial = JournalEntry(
        "r",
        D,
        "reversal:repay",
        "L1",
        (Posting.cr(GL.CASH, "L1", 10_000), Posting.dr(GL.PRINCIPAL_CURRENT, "L1", 10_000)),
        "ops",
        reverses=e.key,
    )
    assert mirrors(r, e)
    assert not mirrors(partial, e)
