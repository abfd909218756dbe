"""Credit-pay line (SPEC §5): authorisation, billing window, minimum payment, revolving interest.

Every expected figure is worked out by hand in the comments. The default product: statement on
the 1st, due the 10th, minimum 10% of new purchases, revolving interest 0.05% a day. Amounts
are fen (100 fen = 1 yuan). Each test drives the line through ``Book``, which checks after every
command that the postings balance and that the receivables in the ledger equal the line's
unpaid amounts (the receivable invariant).
"""

from __future__ import annotations

from datetime import date

import pytest
from line_book import PRODUCT, Book

from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing import line as L
from creditguard.servicing.model import Amounts


def test_purchase_within_and_over_available() -> None:
    book = Book(limit=100_000)
    out = book.do(L.purchase, 60_000, date(2026, 1, 5))
    # Dr PRINCIPAL_CURRENT 600.00 / Cr CASH 600.00 (the merchant is paid).
    assert {(p.gl, p.debit, p.credit) for p in out.postings} == {
        (GL.PRINCIPAL_CURRENT, 60_000, 0),
        (GL.CASH, 0, 60_000),
    }
    assert out.events[0].type == "PurchaseAuthorized"
    assert L.available(book.line) == 40_000  # 1000.00 − 600.00
    book.do(L.purchase, 40_000, date(2026, 1, 6))  # exactly the available amount
    with pytest.raises(L.LineRefused) as err:
        book.do(L.purchase, 1, date(2026, 1, 6))
    assert err.value.field == "amount" and "0.00" in err.value.rule


def test_frozen_and_closed_lines_refuse_purchases() -> None:
    book = Book()
    book.do(L.set_status, "frozen", date(2026, 1, 2), "DPD 1")
    assert book.events[-1].type == "LineFrozen"
    with pytest.raises(L.LineRefused) as err:
        book.do(L.purchase, 100, date(2026, 1, 3))
    assert err.value.field == "status" and "frozen" in err.value.rule
    book.do(L.set_status, "active", date(2026, 1, 4))
    assert book.events[-1].type == "LineRestored"
    book.do(L.purchase, 100, date(2026, 1, 4))
    book.do(L.set_status, "closed", date(2026, 1, 5))
    assert book.line.limit == 0 and L.available(book.line) == 0
    with pytest.raises(L.LineRefused):
        book.do(L.purchase, 100, date(2026, 1, 6))
    with pytest.raises(L.LineRefused):
        book.do(L.change_limit, 100_000, date(2026, 1, 6))
    with pytest.raises(L.LineRefused):
        book.do(L.set_status, "active", date(2026, 1, 6))


def test_limit_below_unpaid_principal_leaves_nothing_available() -> None:
    book = Book(limit=100_000)
    book.do(L.purchase, 80_000, date(2026, 1, 5))
    book.do(L.change_limit, 50_000, date(2026, 1, 6))
    assert L.available(book.line) == 0  # max(0, 500.00 − 800.00)
    with pytest.raises(L.LineRefused):
        book.do(L.purchase, 1, date(2026, 1, 6))
    with pytest.raises(InputError) as err:
        book.do(L.change_limit, -1, date(2026, 1, 6))
    assert err.value.field == "limit"


def test_backdating_and_bad_amounts_are_refused() -> None:
    book = Book()
    book.do(L.purchase, 100, date(2026, 1, 5))
    with pytest.raises(InputError) as err:
        book.do(L.purchase, 100, date(2026, 1, 4))
    assert err.value.field == "on"
    for bad in (0, -5, True):
        with pytest.raises(InputError) as err:
            book.do(L.purchase, bad, date(2026, 1, 5))
        assert err.value.field == "amount"


def test_billing_window_purchase_on_statement_day_goes_to_next_statement() -> None:
    book = Book()
    book.do(L.purchase, 10_000, date(2026, 1, 1))  # first day of the window
    book.do(L.purchase, 20_000, date(2026, 1, 31))  # last day of the window
    book.do(L.purchase, 5_000, date(2026, 2, 1))  # the statement day itself: next statement
    out = book.do(L.issue_statement, date(2026, 2, 1))
    st = out.result["statement"]
    # Bills [2026-01-01, 2026-02-01): 100.00 + 200.00 = 300.00, due 2026-02-10, minimum 10%.
    assert (st["amount"], st["minimum"], st["due_date"]) == (30_000, 3_000, "2026-02-10")
    assert book.events[-1].type == "StatementIssued"
    book.do(L.repay, 30_000, date(2026, 2, 5))
    out = book.do(L.issue_statement, date(2026, 3, 1))
    assert out.result["statement"]["amount"] == 5_000  # the 2026-02-01 purchase
    assert out.result["statement"]["minimum"] == 500
    with pytest.raises(InputError) as err:
        book.do(L.issue_statement, date(2026, 3, 2))  # not a statement day
    assert err.value.field == "on"


def test_nothing_to_bill_issues_no_statement() -> None:
    book = Book()
    out = book.do(L.issue_statement, date(2026, 2, 1))
    assert out.result == {"statement": None} and book.line.statements == ()


def test_minimum_new_purchases_ten_percent_installments_in_full() -> None:
    book = Book()
    book.do(L.purchase, 50_000, date(2026, 1, 5))
    book.do(L.purchase, 100_000, date(2026, 1, 6))
    book.do(L.convert_to_installments, 3, date(2026, 1, 7), purchase_id="P2")
    out = book.do(L.issue_statement, date(2026, 2, 1))
    st = out.result["statement"]
    # Plan of 1000.00 over 3: fee round(100000 × 2.5%) = 2500 → 833, 833, 834; principal
    # 33333, 33333, 33334. The statement bills 500.00 of purchases and installment 1:
    # minimum = 10% × 50000 + 33333 + 833 = 5000 + 34166 = 39166; amount = 50000 + 34166.
    assert st["new"] == {"principal": 83_333, "interest": 0, "fee": 833, "penalty": 0}
    assert (st["amount"], st["minimum"]) == (84_166, 39_166)
    # The fee is recognised when billed: Dr FEE_RECEIVABLE / Cr FEE_INCOME 8.33.
    assert {(p.gl, p.debit, p.credit) for p in out.postings} == {
        (GL.FEE_RECEIVABLE, 833, 0),
        (GL.FEE_INCOME, 0, 833),
    }


def test_paid_in_full_by_due_date_no_interest() -> None:
    book = Book()
    book.do(L.purchase, 111_111, date(2026, 1, 5))
    book.eod(date(2026, 2, 1))
    book.do(L.repay, 111_111, date(2026, 2, 10))
    book.eod(date(2026, 3, 1))
    assert book.gl.get(GL.INTEREST_INCOME, 0) == 0
    assert book.line.statements[-1].ref == "S2026-02-01"  # nothing to bill on 2026-03-01


def test_minimum_only_accrues_revolving_interest_from_day_after_due() -> None:
    book = Book()
    book.do(L.purchase, 111_111, date(2026, 1, 5))
    book.eod(date(2026, 2, 1))
    # Minimum = round(10% × 111111) = round(11111.1) = 11111; paying it on the due date
    # leaves 100000 (1000.00), which accrues 1000.00 × 0.0005 = 0.50 a day from 2026-02-11.
    assert book.line.statements[0].minimum == 11_111
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 11_111, date(2026, 2, 10))
    book.eod(date(2026, 2, 19))
    # 2026-02-11 … 2026-02-19 = 9 days × 50 fen = 450 fen, accrued not yet billed.
    assert L.accrued_interest(book.line) == 450
    assert L.past_due_statements(book.line, date(2026, 2, 19)) == ()
    # Paying 500.00 on 2026-02-20 halves the balance for that day already (算头不算尾):
    # 2026-02-20 … 2026-02-28 = 9 days × 25 fen = 225; total billed on 2026-03-01: 675.
    book.do(L.repay, 50_000, date(2026, 2, 20))
    book.eod(date(2026, 3, 1))
    st = book.line.bills[-1]
    march = book.line.statements[-1]
    assert march.due == Amounts(0, 675, 0, 0)
    # March minimum: 100% of the 6.75 interest + 10% of the carried 500.00 = 675 + 5000.
    assert st.minimum == 5_675
    assert st.amount == 50_675 and st.carried == 50_000
    # The end of day of 2026-03-01 accrued that day after the statement: 25 more, billed in April.
    assert L.accrued_interest(book.line) == 25
    assert book.gl[GL.INTEREST_INCOME] == -(675 + 25)


def test_accrual_books_rounded_cumulative_differences() -> None:
    book = Book()
    book.do(L.purchase, 37_037, date(2026, 1, 5))
    book.eod(date(2026, 2, 1))
    book.do(L.repay, 3_704, date(2026, 2, 10))  # minimum round(3703.7) = 3704
    # Remainder 33333 × 0.0005 = 16.6665 fen a day; cumulative 16.6665, 33.333, 49.9995 rounds
    # to 17, 33, 50: booked 17, 16, 17 (no drift: 50 = round(3 × 16.6665)).
    booked = [
        book.do(L.accrue_revolving_interest, date(2026, 2, d)).result["interest"]
        for d in (11, 12, 13)
    ]
    assert booked == [17, 16, 17]


def test_minimum_unpaid_is_past_due_and_accrues_no_revolving_interest() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 4_000, date(2026, 2, 10))  # minimum 10000 not met
    book.eod(date(2026, 2, 28))
    assert L.accrued_interest(book.line) == 0
    (pd,) = L.past_due_statements(book.line, date(2026, 2, 11))
    assert (pd.ref, pd.since, pd.minimum_unpaid) == ("S2026-02-01", date(2026, 2, 10), 6_000)
    assert L.past_due_statements(book.line, date(2026, 2, 10)) == ()  # on the due date: not yet
    out = book.do(L.issue_statement, date(2026, 3, 1))
    # Carried: the unpaid 60.00 of the minimum carries as it is (still due 2026-02-10).
    assert out.result["statement"]["minimum"] == 6_000
    assert out.result["statement"]["amount"] == 96_000
    # Paying the rest of the minimum on 2026-03-03: from that day the remainder 900.00
    # accrues revolving interest, 45 fen a day: 2026-03-03 … 2026-03-05 = 135.
    book.eod(date(2026, 3, 2))
    assert L.accrued_interest(book.line) == 0
    book.do(L.repay, 6_000, date(2026, 3, 3))
    book.eod(date(2026, 3, 5))
    assert L.accrued_interest(book.line) == 135
    assert L.past_due_statements(book.line, date(2026, 3, 5)) == ()


def test_carried_minimum_attaches_to_its_own_statement() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 10_000, date(2026, 2, 10))  # minimum of S1 paid
    book.do(L.purchase, 20_000, date(2026, 2, 15))
    book.eod(date(2026, 3, 1))
    # S1 accrued 90000 × 0.0005 = 45 fen a day for 2026-02-11 … 02-28 = 18 days = 810.
    # S2 (2026-03-01): new 200.00 + interest 8.10; its own minimum 2000 + 810 = 2810.
    # S1 carried 900.00 with its minimum paid: a step of 10% × 90000 = 9000 on S1, due with
    # S2 on 2026-03-10. Shown minimum 2810 + 9000 = 11810; amount 90000 + 20810 = 110810.
    s1, s2 = book.line.statements
    assert s2.due == Amounts(20_000, 810, 0, 0) and s2.minimum == 2_810
    assert s1.minimum == 19_000 and s1.minimum_unpaid == 9_000
    assert (book.line.bills[1].minimum, book.line.bills[1].amount) == (11_810, 110_810)
    # Steps (owner, set by, amount, threshold on everything settled): S1's own 10000; S1's
    # carried 9000 and S2's own 2810, both due 2026-03-10.
    assert [(s.owner, s.set_by, s.amount, s.threshold) for s in book.line.requirements] == [
        ("S2026-02-01", "S2026-02-01", 10_000, 10_000),
        ("S2026-02-01", "S2026-03-01", 9_000, 19_000),
        ("S2026-03-01", "S2026-03-01", 2_810, 21_810),
    ]
    # Nothing paid by 2026-03-10: both statements are past due from 2026-03-10, S1 through
    # the step S2 set (DPD, penalties and allocation stay on S1, where the debt came from).
    book.eod(date(2026, 3, 11))
    past = {
        p.ref: (p.since, p.minimum_unpaid)
        for p in L.past_due_statements(book.line, date(2026, 3, 11))
    }
    assert past == {
        "S2026-02-01": (date(2026, 3, 10), 9_000),
        "S2026-03-01": (date(2026, 3, 10), 2_810),
    }
    # 90.00 paid on 2026-03-12 goes to the oldest statement first and cures S1 only.
    book.do(L.repay, 9_000, date(2026, 3, 12))
    assert [p.ref for p in L.past_due_statements(book.line, date(2026, 3, 12))] == ["S2026-03-01"]


def test_paying_exactly_the_shown_minimum_leaves_nothing_past_due() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 10_000, date(2026, 2, 10))
    book.eod(date(2026, 3, 9))
    # The 2026-03-01 bill shows a minimum of 9000 (10% of S1's carried 900.00) + 810 (S2's
    # interest) = 9810. Paying it: the SPEC §6 waterfall puts all of it on S1, the oldest
    # statement past its due date (its principal) — and still both minimums are covered,
    # because what S1 receives beyond its own steps covers S2's (line-level thresholds).
    assert book.line.bills[1].minimum == 9_810
    out = book.do(L.repay, 9_810, date(2026, 3, 10))
    assert [a["statement"] for a in out.result["allocations"]] == ["S2026-02-01"]
    assert L.past_due_statements(book.line, date(2026, 3, 11)) == ()
    assert L.minimum_unpaid(book.line, "S2026-03-01") == 0
    # A fen less would have left S2 (whose step comes last) one fen short, past due.
    book2 = Book()
    book2.do(L.purchase, 100_000, date(2026, 1, 5))
    book2.eod(date(2026, 2, 9))
    book2.do(L.repay, 10_000, date(2026, 2, 10))
    book2.eod(date(2026, 3, 9))
    book2.do(L.repay, 9_809, date(2026, 3, 10))
    (pd,) = L.past_due_statements(book2.line, date(2026, 3, 11))
    assert (pd.ref, pd.since, pd.minimum_unpaid) == ("S2026-03-01", date(2026, 3, 10), 1)


def test_penalties_count_toward_the_minimum_and_are_billed_in_full() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 10))  # S1 minimum 10000, nothing paid
    book.do(L.charge_penalty, "S2026-02-01", 500, date(2026, 2, 11))  # the overdue engine's fee
    book.eod(date(2026, 3, 1))
    # S2 bills nothing new; S1's minimum is still unpaid: it carries (10000, due 02-10), and the
    # newly billed 5.00 penalty adds a step of 10000 + 500 = 10500 due with S2 on 03-10.
    s1 = book.line.statements[0]
    assert [(s.owner, s.set_by, s.amount, s.threshold) for s in book.line.requirements] == [
        ("S2026-02-01", "S2026-02-01", 10_000, 10_000),
        ("S2026-02-01", "S2026-03-01", 500, 10_500),
    ]
    assert book.line.bills[1].minimum == 10_500 and s1.minimum_unpaid == 10_500
    (pd,) = L.past_due_statements(book.line, date(2026, 3, 2))
    assert (pd.since, pd.minimum_unpaid) == (date(2026, 2, 10), 10_000)
    # 100.00 on 03-03 pays the penalty first (5.00) and 95.00 of principal: the 100.00 in force
    # is settled (penalties count), so S1 is no longer past due; 5.00 is still due by 03-10.
    book.do(L.repay, 10_000, date(2026, 3, 3))
    assert L.past_due_statements(book.line, date(2026, 3, 3)) == ()
    assert book.line.statements[0].minimum_unpaid == 500
    assert L.outstanding(book.line, date(2026, 3, 3)) == Amounts(90_500, 0, 0, 0)


def test_open_line_and_statement_view() -> None:
    book = Book(limit=200_000)
    assert book.events[0].type == "LineOpened" and book.events[0].payload["limit"] == 200_000
    assert book.line.product == "huabei" and book.line.status == "active"
    assert L.available(book.line) == 200_000
    book.do(L.purchase, 12_345, date(2026, 1, 9))
    book.eod(date(2026, 2, 1))
    book.do(L.repay, 2_000, date(2026, 2, 2))
    (view,) = L.statement_view(book.line)
    # 123.45 billed, minimum round(1234.5) = 1235 (half-up), 20.00 paid.
    assert (view["amount"], view["minimum"], view["paid"]) == (12_345, 1_235, 2_000)
    assert (view["date"], view["due_date"]) == (date(2026, 2, 1), date(2026, 2, 10))
    with pytest.raises(InputError) as err:
        L.open_line("A", "B", PRODUCT, -1, date(2026, 1, 1))
    assert err.value.field == "limit"


def test_line_state_round_trips_through_the_store_codec() -> None:
    import json

    from creditguard.store.codec import decode, encode

    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.do(L.purchase, 30_000, date(2026, 1, 6))
    book.do(L.convert_to_installments, 3, date(2026, 1, 7), purchase_id="P2")
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 20_000, date(2026, 2, 10))
    book.eod(date(2026, 2, 20))
    book.do(L.reverse_payment, "R1", date(2026, 2, 21))
    raw = json.loads(json.dumps(encode(book.line)))
    assert decode(L.Line, raw) == book.line
