"""Credit-pay line (SPEC §5–6): repayment waterfall, credit balance, refunds, waivers,
payment reversal and outage relief.

Expected figures are worked out by hand in the comments (fen; 100 fen = 1 yuan). Default
product: statement on the 1st, due the 10th, minimum 10%, revolving interest 0.05% a day.
``Book`` checks after every command that the postings balance and that the ledger's
receivables equal the line's unpaid amounts.
"""

from __future__ import annotations

from datetime import date

import pytest
from line_book import Book, lines_of

from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing import line as L
from creditguard.servicing.model import Amounts, Component


def test_repayment_order_past_due_then_not_yet_due_then_unbilled_then_credit() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 14))  # S1 1000.00, minimum 100.00 unpaid on 2026-02-10: past due
    book.do(L.purchase, 50_000, date(2026, 2, 15))
    book.eod(date(2026, 3, 1))  # S2: 500.00 new, due 2026-03-10; S1 past due: no interest
    assert L.accrued_interest(book.line) == 0 and book.line.statements[1].due.interest == 0
    book.do(L.purchase, 20_000, date(2026, 3, 5))  # unbilled
    out = book.do(L.repay, 200_000, date(2026, 3, 6))
    # 2000.00: S1 (past due) 1000.00, S2 (billed, not yet due) 500.00, the unbilled purchase
    # 200.00 (restoring the available amount), the remaining 300.00 becomes a credit balance.
    assert out.result["allocations"] == [
        {"statement": "S2026-02-01", "component": "principal", "amount": 100_000},
        {"statement": "S2026-03-01", "component": "principal", "amount": 50_000},
    ]
    assert (out.result["to_unbilled"], out.result["to_credit"]) == (20_000, 30_000)
    assert lines_of(out) == {
        (GL.CASH, 200_000, 0),
        (GL.PRINCIPAL_CURRENT, 0, 170_000),
        (GL.CUSTOMER_CREDIT, 0, 30_000),
    }
    assert out.events[0].type == "PaymentReceived"
    assert L.available(book.line) == 500_000 and book.line.credit_balance == 30_000
    # The credit pays the next statement: 2026-04-01 bills a 100.00 purchase (the prepaid one
    # bills nothing); 100.00 of the credit is applied, 200.00 stays.
    book.do(L.purchase, 10_000, date(2026, 3, 20))
    book.eod(date(2026, 3, 31))
    out = book.do(L.issue_statement, date(2026, 4, 1))
    st = out.result["statement"]
    assert (st["credit_applied"], st["amount"], st["minimum"]) == (10_000, 0, 0)
    assert lines_of(out) == {(GL.CUSTOMER_CREDIT, 10_000, 0), (GL.PRINCIPAL_CURRENT, 0, 10_000)}
    assert book.line.credit_balance == 20_000


def test_within_a_statement_penalty_fee_interest_principal() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 10_000, date(2026, 2, 10))
    book.eod(date(2026, 3, 1))
    # S2 billed 810 interest (45 fen × 18 days); S1 carries a 9000 step due 2026-03-10.
    assert book.line.statements[1].due.interest == 810
    # (No end of day after 2026-03-01 here: the test is about allocation order only.)
    book.do(L.charge_penalty, "S2026-02-01", 300, date(2026, 3, 11))
    book.do(L.charge_penalty, "S2026-03-01", 20, date(2026, 3, 11))
    out = book.do(L.repay, 1_500, date(2026, 3, 12))
    # S1 first (oldest past due): its penalty 3.00, then 12.00 of principal.
    assert out.result["allocations"] == [
        {"statement": "S2026-02-01", "component": "penalty", "amount": 300},
        {"statement": "S2026-02-01", "component": "principal", "amount": 1_200},
    ]
    out = book.do(L.repay, 100_000, date(2026, 3, 12))
    # S1's remaining principal 90000 − 1200 = 88800; S2: penalty 20, interest 810; the rest
    # 100000 − 88800 − 830 = 10370 is credit.
    assert out.result["allocations"] == [
        {"statement": "S2026-02-01", "component": "principal", "amount": 88_800},
        {"statement": "S2026-03-01", "component": "penalty", "amount": 20},
        {"statement": "S2026-03-01", "component": "interest", "amount": 810},
    ]
    assert out.result["to_credit"] == 10_370


def test_repayment_never_prepays_future_installments() -> None:
    book = Book()
    book.do(L.purchase, 90_000, date(2026, 1, 5))
    book.do(L.convert_to_installments, 3, date(2026, 1, 6), purchase_id="P1")
    # Plan: principal 30000 × 3, fee round(90000 × 2.5%) = 2250 → 750 × 3.
    book.eod(date(2026, 2, 4))  # S1 bills installment 1: 30750
    out = book.do(L.repay, 100_000, date(2026, 2, 5))
    # 30750 clears S1; installments 2 and 3 are not prepaid: 69250 becomes credit.
    assert (out.result["to_unbilled"], out.result["to_credit"]) == (0, 69_250)
    assert book.line.plans[0].unbilled_principal == 60_000
    book.eod(date(2026, 3, 1))
    # S2 bills installment 2 (30750), paid from the credit at once: 69250 − 30750 = 38500.
    assert book.line.bills[-1].credit_applied == 30_750
    assert book.line.credit_balance == 38_500
    assert book.line.statements[-1].unpaid == Amounts()


def test_refund_of_unbilled_purchase_shrinks_it() -> None:
    book = Book()
    book.do(L.purchase, 30_000, date(2026, 1, 5))
    out = book.do(L.refund, "P1", 10_000, date(2026, 1, 6))
    assert lines_of(out) == {(GL.CASH, 10_000, 0), (GL.PRINCIPAL_CURRENT, 0, 10_000)}
    assert book.line.purchases[0].unbilled == 20_000 and L.available(book.line) == 480_000
    assert out.events[0].type == "PurchaseRefunded"
    with pytest.raises(InputError) as err:
        book.do(L.refund, "P1", 20_001, date(2026, 1, 6))
    assert err.value.field == "amount" and "200.00" in err.value.rule
    with pytest.raises(InputError) as err:
        book.do(L.refund, "P9", 1, date(2026, 1, 6))
    assert err.value.field == "purchase"
    out = book.do(L.issue_statement, date(2026, 2, 1))
    assert out.result["statement"]["amount"] == 20_000


def test_refund_of_billed_purchase_is_credited_to_the_statement() -> None:
    book = Book()
    book.do(L.purchase, 30_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 1))  # S1 300.00, minimum 30.00
    out = book.do(L.refund, "P1", 10_000, date(2026, 2, 3))
    # Applied like a payment to S1's principal; it counts toward the minimum.
    assert out.result["allocations"] == [
        {"statement": "S2026-02-01", "component": "principal", "amount": 10_000}
    ]
    s1 = book.line.statements[0]
    assert s1.unpaid.principal == 20_000 and s1.minimum_unpaid == 0


def test_refund_after_payment_becomes_credit_balance() -> None:
    book = Book()
    book.do(L.purchase, 30_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 1))
    book.do(L.repay, 30_000, date(2026, 2, 5))
    out = book.do(L.refund, "P1", 30_000, date(2026, 2, 6))
    assert lines_of(out) == {(GL.CASH, 30_000, 0), (GL.CUSTOMER_CREDIT, 0, 30_000)}
    assert book.line.credit_balance == 30_000
    # A purchase repaid before billing and then refunded: the money goes back as credit too.
    book.do(L.purchase, 5_000, date(2026, 2, 7))
    book.do(L.repay, 5_000, date(2026, 2, 8))
    out = book.do(L.refund, "P2", 5_000, date(2026, 2, 9))
    assert out.result["to_purchase"] == 0 and out.result["to_credit"] == 5_000
    assert book.line.credit_balance == 35_000


def test_waive_interest_oldest_statement_first_never_principal() -> None:
    book = Book()
    book.do(L.purchase, 100_000, date(2026, 1, 5))
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 10_000, date(2026, 2, 10))
    book.eod(date(2026, 3, 1))  # S2 bills 810 interest
    out = book.do(L.waive, "interest", 500, "goodwill", "ops-lead", date(2026, 3, 2))
    assert lines_of(out) == {(GL.WAIVER_EXPENSE, 500, 0), (GL.INTEREST_RECEIVABLE, 0, 500)}
    s2 = book.line.statements[1]
    assert s2.unpaid.interest == 310 and s2.waived == Amounts(0, 500, 0, 0)
    # A waiver counts toward the minimum like a payment: the line's minimum 9000 (S1's carried
    # step) + 810 (S2's own) = 9810 drops to 9310. Steps are covered in order, so the 500 goes
    # to S1's step first: 8500 left on S1, 810 on S2.
    assert L.minimum_due(book.line) == 9_310
    assert L.minimum_unpaid(book.line, "S2026-02-01") == 8_500
    assert s2.minimum_unpaid == 810 == L.minimum_unpaid(book.line, "S2026-03-01")
    assert out.events[0].type == "WaiverApplied"
    assert out.events[0].payload["approver"] == "ops-lead"
    for component, amount, reason, field in [
        (Component.PRINCIPAL, 1, "x", "component"),
        ("interest", 311, "x", "amount"),
        ("interest", 10, " ", "reason"),
    ]:
        with pytest.raises(InputError) as err:
            book.do(L.waive, component, amount, reason, "ops-lead", date(2026, 3, 2))
        assert err.value.field == field


def test_reversal_rederives_later_payments_and_interest() -> None:
    book = Book()
    book.do(L.purchase, 111_111, date(2026, 1, 5))
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 11_111, date(2026, 2, 10))  # R1: the minimum, on time
    book.eod(date(2026, 2, 19))
    book.do(L.repay, 50_000, date(2026, 2, 20))  # R2
    book.eod(date(2026, 2, 24))
    # Interest so far: 2026-02-11…19 at 50 fen (9 days) + 02-20…24 at 25 fen (5 days) = 575.
    assert L.accrued_interest(book.line) == 575
    out = book.do(L.reverse_payment, "R1", date(2026, 2, 25))
    # Without R1 the minimum was not paid by the due date: past due 02-11…19, no revolving
    # interest. R2 (500.00 on 02-20) settles the 111.11 minimum, so from 02-20 the remainder
    # 61111 accrues 30.5555 fen a day: cumulative 152.7775 after 5 days → 153.
    # Ledger difference: CASH −11111; principal +11111; interest receivable 153 − 575 = −422.
    assert lines_of(out) == {
        (GL.CASH, 0, 11_111),
        (GL.PRINCIPAL_CURRENT, 11_111, 0),
        (GL.INTEREST_RECEIVABLE, 0, 422),
        (GL.INTEREST_INCOME, 422, 0),
    }
    assert L.accrued_interest(book.line) == 153
    assert book.line.statements[0].paid == Amounts(50_000, 0, 0, 0)
    assert L.past_due_statements(book.line, date(2026, 2, 25)) == ()
    assert book.line.reversed_payments == frozenset({"R1"})
    assert out.events[0].type == "PaymentReversed"
    with pytest.raises(InputError):
        book.do(L.reverse_payment, "R1", date(2026, 2, 25))
    with pytest.raises(InputError) as err:
        book.do(L.reverse_payment, "R7", date(2026, 2, 25))
    assert err.value.field == "payment_id"


def test_reversal_reallocates_a_later_payment_away_from_credit() -> None:
    book = Book()
    book.do(L.purchase, 111_111, date(2026, 1, 5))
    book.eod(date(2026, 2, 4))
    book.do(L.repay, 111_111, date(2026, 2, 5))  # R1 pays S1 in full
    book.do(L.repay, 10_000, date(2026, 2, 6))  # R2 becomes credit
    out = book.do(L.reverse_payment, "R1", date(2026, 2, 7))
    # Re-derived: R2 pays 100.00 of S1; the credit is gone. Old ledger: principal −111111,
    # credit −10000; new: principal −10000 → Dr principal 101111, Dr credit 10000, Cr cash.
    assert lines_of(out) == {
        (GL.CASH, 0, 111_111),
        (GL.PRINCIPAL_CURRENT, 101_111, 0),
        (GL.CUSTOMER_CREDIT, 10_000, 0),
    }
    assert book.line.credit_balance == 0
    assert book.line.statements[0].unpaid.principal == 101_111


def test_outage_declared_afterwards_reverses_relief_day_interest() -> None:
    book = Book()
    book.do(L.purchase, 111_111, date(2026, 1, 5))
    book.eod(date(2026, 2, 9))
    book.do(L.repay, 11_111, date(2026, 2, 10))
    book.eod(date(2026, 2, 19))
    assert L.accrued_interest(book.line) == 450  # 02-11…19, 9 days × 50 fen
    out = book.do(L.move_due_dates, date(2026, 2, 10), date(2026, 2, 10), 3, on=date(2026, 2, 20))
    # Due 2026-02-10 moves to 02-13: interest only from 02-14, 6 days × 50 = 300; the 150
    # already booked for the relief days is reversed.
    assert lines_of(out) == {(GL.INTEREST_INCOME, 150, 0), (GL.INTEREST_RECEIVABLE, 0, 150)}
    s1 = book.line.statements[0]
    assert (s1.due_date, s1.original_due_date) == (date(2026, 2, 13), date(2026, 2, 10))
    assert out.result["moved"] == {"S2026-02-01": {"from": "2026-02-10", "to": "2026-02-13"}}
    assert out.events[0].type == "DueDatesMoved"


def test_outage_makes_a_late_minimum_on_time() -> None:
    book = Book()
    book.do(L.purchase, 111_111, date(2026, 1, 5))
    book.eod(date(2026, 2, 11))
    assert [p.ref for p in L.past_due_statements(book.line, date(2026, 2, 11))] == ["S2026-02-01"]
    book.do(L.move_due_dates, date(2026, 2, 9), date(2026, 2, 11), 3, on=date(2026, 2, 12))
    book.do(L.repay, 11_111, date(2026, 2, 12))
    # Due now 2026-02-14: nothing was ever past due; interest from 02-15: 6 days to 02-20.
    assert L.past_due_statements(book.line, date(2026, 2, 12)) == ()
    assert L.past_due_statements(book.line, date(2026, 2, 11)) == ()
    book.eod(date(2026, 2, 20))
    assert L.accrued_interest(book.line) == 300


def test_outage_declared_in_advance_moves_future_statements() -> None:
    book = Book()
    book.do(L.move_due_dates, date(2026, 3, 8), date(2026, 3, 12), 3, on=date(2026, 1, 2))
    book.do(L.purchase, 1_000, date(2026, 2, 5))
    book.eod(date(2026, 3, 1))
    s = book.line.statements[0]
    assert (s.due_date, s.original_due_date) == (date(2026, 3, 15), date(2026, 3, 10))
    with pytest.raises(InputError) as err:
        book.do(L.move_due_dates, date(2026, 3, 9), date(2026, 3, 8), 3)
    assert err.value.field == "end"
