"""Hypothesis properties of schedules, the batch kernel and the annualized rate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from creditguard.calendar import DayCount, add_months
from creditguard.money import Rounding
from creditguard.pricing import (
    LoanTerms,
    Method,
    amortize,
    build_schedule,
    build_schedules,
    schedule_apr,
)

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
rates = st.decimals(min_value=0, max_value=Decimal("0.36"), places=6)
wild_rates = st.one_of(rates, st.decimals(min_value=0, max_value=10, places=4))
principals = st.one_of(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=1, max_value=100),
    st.integers(min_value=10**14, max_value=10**16),
)


@st.composite
def loan_terms(draw: st.DrawFn, max_term: int = 60) -> LoanTerms:
    method = draw(st.sampled_from(list(Method)))
    fee_installment = method is Method.FEE_INSTALLMENT
    return LoanTerms(
        principal=draw(principals),
        term=draw(st.integers(min_value=1, max_value=max_term)),
        start=draw(dates),
        method=method,
        annual_rate=Decimal(0) if fee_installment else draw(wild_rates),
        day_count=draw(st.sampled_from(list(DayCount))),
        fee_rate=draw(st.decimals(0, 1, places=4)) if fee_installment else Decimal(0),
        rounding=draw(st.sampled_from(list(Rounding))),
    )


@settings(max_examples=300, deadline=None)
@given(loan_terms())
def test_schedule_invariants(terms: LoanTerms) -> None:
    schedule = build_schedule(terms)
    items = schedule.installments
    assert schedule.total_principal == terms.principal
    assert items[-1].balance == 0
    assert all(i.balance >= 0 and i.principal >= 0 and i.interest >= 0 for i in items)
    # Every payment covers its interest and fee: the principal part is never negative.
    assert all(i.payment == i.principal + i.interest + i.fee for i in items)
    balances = [terms.principal] + [i.balance for i in items]
    assert all(b - i.principal == a for b, i, a in zip(balances, items, balances[1:], strict=False))
    if terms.method is Method.BULLET:
        assert len(items) == 1 and items[0].due_date == add_months(terms.start, terms.term)
    else:
        assert [i.due_date for i in items] == [
            add_months(terms.start, k) for k in range(1, terms.term + 1)
        ]
    if terms.method is Method.FEE_INSTALLMENT:
        assert schedule.total_interest == 0
        fee = terms.principal * terms.fee_rate
        assert abs(schedule.total_fee - fee) <= Decimal("0.5")


@settings(max_examples=60, deadline=None)
@given(loan_terms(max_term=24))
def test_zero_rate_zero_fee_loan_costs_nothing(terms: LoanTerms) -> None:
    free = LoanTerms(
        principal=terms.principal,
        term=terms.term,
        start=terms.start,
        method=terms.method,
        day_count=terms.day_count,
    )
    apr = schedule_apr(free)
    assert apr.apr_nominal == 0 and apr.apr_effective == 0


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=10_000, max_value=10**8),
    st.sampled_from([3, 6, 9, 12, 24]),
    st.decimals(0, Decimal("0.3"), places=4),
    st.decimals(0, Decimal("0.3"), places=4),
)
def test_apr_rises_with_the_fee_rate(principal: int, term: int, a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))

    def plan(fee_rate: Decimal) -> LoanTerms:
        return LoanTerms(
            principal=principal,
            term=term,
            start=date(2026, 1, 31),
            method=Method.FEE_INSTALLMENT,
            fee_rate=fee_rate,
        )

    low_plan, high_plan = plan(low), plan(high)
    low_fee = build_schedule(low_plan).total_fee
    high_fee = build_schedule(high_plan).total_fee
    low_apr, high_apr = schedule_apr(low_plan).apr_nominal, schedule_apr(high_plan).apr_nominal
    if high_fee > low_fee:
        assert high_apr > low_apr
    else:
        assert high_apr == low_apr


@settings(max_examples=40, deadline=None)
@given(st.lists(loan_terms(max_term=40), min_size=1, max_size=12))
def test_vectorized_equals_scalar(loans: list[LoanTerms]) -> None:
    frame = pl.DataFrame(
        {
            "loan_id": [f"L{k}" for k in range(len(loans))],
            "principal": [t.principal for t in loans],
            "term": [t.term for t in loans],
            "start": [t.start for t in loans],
            "method": [str(t.method) for t in loans],
            "annual_rate": [str(t.annual_rate) for t in loans],
            "day_count": [str(t.day_count) for t in loans],
            "fee_rate": [str(t.fee_rate) for t in loans],
            "rounding": [str(t.rounding) for t in loans],
        },
        schema_overrides={"principal": pl.Int64},
    )
    got = build_schedules(frame)
    expected = [
        (f"L{k}", i.period, i.due_date, i.principal, i.interest, i.fee, i.payment, i.balance)
        for k, t in enumerate(loans)
        for i in build_schedule(t).installments
    ]
    assert got.rows() == expected


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=100_000, max_value=10**9),
    rates.filter(lambda r: r > 0),
    st.integers(min_value=2, max_value=60),
    st.sampled_from([DayCount.THIRTY_360, DayCount.ACT_365]),
    dates,
    st.data(),
)
def test_reduce_term_keeps_the_payment_and_never_adds_periods(
    principal: int, rate: Decimal, term: int, day_count: DayCount, start: date, data: st.DataObject
) -> None:
    terms = LoanTerms(
        principal=principal,
        term=term,
        start=start,
        method=Method.ANNUITY,
        annual_rate=rate,
        day_count=day_count,
    )
    original = build_schedule(terms).installments
    paid = data.draw(st.integers(min_value=0, max_value=term - 2), label="paid periods")
    held = original[paid - 1].balance if paid else principal
    extra = data.draw(st.integers(min_value=0, max_value=held - 1), label="prepaid")
    since = original[paid - 1].due_date if paid else start
    # Prepaid on a date inside the next period (an irregular first period) or on the due date.
    on = data.draw(st.sampled_from([since, since + timedelta(days=9)]), label="prepaid on")
    remaining = [i.due_date for i in original[paid:]]
    kept = original[0].payment
    shorter = amortize(
        held - extra, rate, on, remaining, Method.ANNUITY, day_count=day_count, payment=kept
    ).installments
    assert 1 <= len(shorter) <= len(remaining)
    assert [i.due_date for i in shorter] == remaining[: len(shorter)]
    assert all(i.payment == kept for i in shorter[:-1])
    assert sum(i.principal for i in shorter) == held - extra
    assert shorter[-1].balance == 0
    assert all(i.principal >= 0 for i in shorter)
    same_count = amortize(
        held - extra, rate, on, remaining, Method.ANNUITY, day_count=day_count
    ).installments
    assert len(same_count) == len(remaining)
    assert sum(i.principal for i in same_count) == held - extra
