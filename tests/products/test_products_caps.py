"""The annualized-rate screen of products (SPEC §4) and the revolving cycle arithmetic (§5).

Golden APRs are recomputed here from cash flows written out by hand and checked with
numpy-financial's IRR, independently of creditguard.pricing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy_financial as npf
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from creditguard.calendar import DayCount
from creditguard.money import Rounding
from creditguard.pricing import CapRule, rate_cap
from creditguard.products import (
    REFERENCE_START,
    InstallmentProduct,
    Method,
    ProductError,
    RevolvingProduct,
    caps,
    load_catalogue,
    load_product_file,
    product_from_mapping,
)
from creditguard.products.caps import ReferenceLoan


def test_every_offer_of_an_installment_product_is_screened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[ReferenceLoan, Decimal, str]] = []
    monkeypatch.setattr(
        caps, "check_reference_loan", lambda loan, cap, *, what: seen.append((loan, cap, what))
    )
    product_from_mapping(
        "p",
        {
            "kind": "installment",
            "daily_rate": "0.0004",
            "days_in_year": 360,
            "methods": ["annuity", "bullet"],
            "terms": [3, 12],
            "apr_cap": "0.20",
            "rounding": "half-even",
        },
    )
    assert [(loan.method, loan.term) for loan, _, _ in seen] == [
        (Method.ANNUITY, 3),
        (Method.ANNUITY, 12),
        (Method.BULLET, 3),
        (Method.BULLET, 12),
    ]
    loan, cap, what = seen[0]
    assert cap == Decimal("0.20")
    assert (loan.daily_rate, loan.days_in_year, loan.annual_rate) == (Decimal("0.0004"), 360, None)
    assert loan.day_count is DayCount.ACT_360
    assert loan.rounding is Rounding.HALF_EVEN
    assert loan.fee_rate == 0
    assert what == "annuity over 3 months"


def test_every_fee_rate_of_a_line_is_screened(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ReferenceLoan] = []
    annual: list[Decimal] = []
    monkeypatch.setattr(caps, "check_reference_loan", lambda loan, cap, *, what: seen.append(loan))
    monkeypatch.setattr(caps, "check_annual_rate", lambda rate, cap, *, what: annual.append(rate))
    product_from_mapping("line", {"kind": "revolving", "revolving_daily_rate": "0.0004"})
    assert [(loan.method, loan.term, loan.fee_rate) for loan in seen] == [
        (Method.FEE_INSTALLMENT, 3, Decimal("0.025")),
        (Method.FEE_INSTALLMENT, 6, Decimal("0.045")),
        (Method.FEE_INSTALLMENT, 9, Decimal("0.065")),
        (Method.FEE_INSTALLMENT, 12, Decimal("0.088")),
    ]
    assert annual == [Decimal("0.146")]  # 0.0004 × 365


def test_daily_rate_over_the_cap_is_refused_naming_both_figures(tmp_path: Path) -> None:
    # 0.1% a day = 36.5% a year. The reference annuity over 3 months from 2026-07-01, act/365:
    #   r = 0.365 / 12; payment = round(1000000 · r / (1 − (1 + r)^−3)) = 353814 fen
    #   period 1 (31 days): interest round(1000000 · 0.001 · 31) = 31000, principal 322814
    #   period 2 (31 days): interest round(677186 · 0.001 · 31) = 20993, principal 332821
    #   period 3 (30 days): interest round(344365 · 0.001 · 30) = 10331, principal 344365
    # flows −1000000, 353814, 353814, 354696 → monthly IRR × 12 = 0.3700 (numpy-financial).
    flows = [-1_000_000, 353_814, 353_814, 354_696]
    assert round(float(npf.irr(flows)) * 12, 4) == 0.3700
    path = tmp_path / "greedy-loan.toml"
    path.write_text('kind = "installment"\ndaily_rate = "0.001"\n', "utf-8")
    with pytest.raises(ProductError) as info:
        load_product_file(path)
    err = info.value
    assert (err.source, err.key) == (str(path), "daily_rate")
    assert "annuity over 3 months" in err.rule
    assert "0.3700" in err.rule and "0.2400" in err.rule
    assert "年化利率 0.3700 超过上限 0.2400" in str(err)


def test_revolving_rate_over_the_cap_is_refused() -> None:
    # 0.07% a day × 365 = 25.55% > 24%.
    with pytest.raises(ProductError) as info:
        product_from_mapping("line", {"kind": "revolving", "revolving_daily_rate": "0.0007"})
    assert info.value.key == "revolving_daily_rate"
    assert "0.2555" in info.value.rule and "0.2400" in info.value.rule


def test_revolving_rate_exactly_at_the_cap_is_accepted() -> None:
    # 0.0005 × 365 = 0.1825 exactly: at the cap passes, a hair below refuses.
    product_from_mapping("line", {"kind": "revolving", "apr_cap": "0.1825"})
    with pytest.raises(ProductError, match="revolving_daily_rate"):
        product_from_mapping("line", {"kind": "revolving", "apr_cap": "0.1824"})


def test_fee_rate_over_the_cap_is_refused() -> None:
    # A 5% fee over 3 periods on 10000.00: principal 3333.33, 3333.33, 3333.34 and fee
    # 166.67, 166.67, 166.66 → three payments of 3500.00; IRR × 12 = 0.2976.
    assert round(float(npf.irr([-10000, 3500, 3500, 3500])) * 12, 4) == 0.2976
    with pytest.raises(ProductError) as info:
        product_from_mapping("line", {"kind": "revolving", "installment_fee_rates": {"3": "0.05"}})
    assert info.value.key == "installment_fee_rates.3"
    assert "0.2976" in info.value.rule and "0.2400" in info.value.rule


# Huabei's published table: 3/6/9/12 periods for 2.5/4.5/6.5/8.8% of the amount. Payments of a
# 10000.00 plan (principal and fee each split, the last part taking the remainder, SPEC §1):
#   3:  3333.33 + 83.33  ×2, last 3333.34 + 83.34
#   6:  1666.67 + 75.00  ×5, last 1666.65 + 75.00
#   9:  1111.11 + 72.22  ×8, last 1111.12 + 72.24
#   12:  833.33 + 73.33 ×11, last  833.37 + 73.37
HUABEI = {
    3: [341666] * 2 + [341668],
    6: [174167] * 5 + [174165],
    9: [118333] * 8 + [118336],
    12: [90666] * 11 + [90674],
}


@pytest.mark.parametrize("periods", sorted(HUABEI))
def test_huabei_fee_table_is_under_24_percent(periods: int) -> None:
    payments = HUABEI[periods]
    assert sum(payments) == 1_000_000 + 1_000_000 * {3: 25, 6: 45, 9: 65, 12: 88}[periods] // 1000
    apr = float(npf.irr([-1_000_000, *payments])) * 12
    assert 0.14 < apr < 0.16  # about 15%, as widely reported for 花呗分期
    product = load_catalogue().get("credit-pay")
    assert isinstance(product, RevolvingProduct)
    assert (
        product.installment_fee_rate(periods)
        == {
            3: Decimal("0.025"),
            6: Decimal("0.045"),
            9: Decimal("0.065"),
            12: Decimal("0.088"),
        }[periods]
    )
    # The product loaded, so pricing found the same plan under the cap; check its figure too.
    from creditguard.pricing import LoanTerms, schedule_apr

    terms = LoanTerms(
        principal=1_000_000,
        term=periods,
        start=REFERENCE_START,
        method=Method.FEE_INSTALLMENT,
        fee_rate=product.installment_fee_rate(periods),
        day_count=DayCount.ACT_365,
    )
    assert abs(float(schedule_apr(terms).apr_nominal) - apr) < 1e-9
    assert apr < float(product.apr_cap)


def test_shipped_products_meet_their_caps() -> None:
    catalogue = load_catalogue()
    bank = catalogue.get("cash-loan-30360")
    assert isinstance(bank, InstallmentProduct)
    assert bank.apr_cap == rate_cap(CapRule.PCT20)
    for product in catalogue.products():
        assert product.apr_cap <= rate_cap(CapRule.PCT24)


def test_cash_loan_one_month_at_a_24_percent_annual_rate_is_over_the_cap() -> None:
    # act/365 from 1 July: the first month has 31 days, so 23.99% nominal costs
    # 10000.00 · 0.2399 · 31/365 = 203.75 for one month → IRR × 12 = 0.2445 > 0.24.
    with pytest.raises(ProductError) as info:
        product_from_mapping(
            "short", {"kind": "installment", "annual_rate": "0.2399", "terms": [1]}
        )
    assert "annuity over 1 month," in info.value.rule
    assert "0.2445" in info.value.rule


def test_max_interest_free_days_default_is_41() -> None:
    # Purchase on 1 January (a statement day) → billed 1 February → due 10 February:
    # 31 days of January + 10 of February = 41 (花呗's "最长41天免息期").
    product = product_from_mapping("line", {"kind": "revolving"})
    assert isinstance(product, RevolvingProduct)
    assert product.max_interest_free_days == 41
    assert product.statement_due_date(date(2026, 2, 1)) == date(2026, 2, 10)


def test_due_day_before_statement_day_falls_next_month() -> None:
    product = product_from_mapping("line", {"kind": "revolving", "statement_day": 20, "due_day": 5})
    assert isinstance(product, RevolvingProduct)
    assert product.statement_due_date(date(2026, 1, 20)) == date(2026, 2, 5)
    # Purchase on 20 December → statement 20 January → due 5 February:
    # 12 days of December (20–31) + 31 of January + 5 of February = 48.
    assert product.max_interest_free_days == 48


@given(
    statement_day=st.integers(1, 28),
    due_day=st.integers(1, 28),
)
def test_max_interest_free_days_formula(statement_day: int, due_day: int) -> None:
    # The longest wait uses the longest months: 31 days to the next statement, and when the due
    # date falls the month after that statement, another 31-day month (July–August,
    # December–January). Counting the purchase day itself adds 1.
    assume(statement_day != due_day)
    product = RevolvingProduct(name="line", statement_day=statement_day, due_day=due_day)
    if due_day > statement_day:
        expected = 31 + (due_day - statement_day) + 1
    else:
        expected = 31 + 31 - statement_day + due_day + 1
    assert product.max_interest_free_days == expected
