"""Annualized rates (SPEC §4): Huabei fee table, upfront fees, irregular periods, rate caps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest

from creditguard.money import InputError, format_rate
from creditguard.pricing import (
    CapRule,
    LoanTerms,
    Method,
    RateCapExceeded,
    annualized_rate,
    build_schedule,
    check_rate_cap,
    rate_cap,
    schedule_apr,
)


def bisect_irr(received: float, flows: list[tuple[float, float]]) -> float:
    """Independent monthly IRR: plain bisection on the present value, times in months."""
    lo, hi = -0.5, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        pv = sum(a / (1 + mid) ** t for t, a in flows) - received
        lo, hi = (mid, hi) if pv > 0 else (lo, mid)
    return (lo + hi) / 2


# The published Huabei (花呗) installment fee table: total fee 2.5% / 4.5% / 6.5% / 8.8% of the
# amount for 3 / 6 / 9 / 12 periods.
HUABEI = [(3, "0.025"), (6, "0.045"), (9, "0.065"), (12, "0.088")]


@pytest.mark.parametrize(("periods", "fee_rate"), HUABEI)
def test_huabei_fee_table(periods: int, fee_rate: str) -> None:
    principal = 100_000  # 1000.00
    terms = LoanTerms(
        principal=principal,
        term=periods,
        start=date(2026, 1, 20),
        method=Method.FEE_INSTALLMENT,
        fee_rate=Decimal(fee_rate),
    )
    schedule = build_schedule(terms)
    # Total fee = 1000.00 × rate: 25.00 / 45.00 / 65.00 / 88.00.
    assert schedule.total_fee == int(Decimal(fee_rate) * principal)
    assert schedule.total_interest == 0
    assert schedule.total_principal == principal
    fee_part = round(int(Decimal(fee_rate) * principal) / periods)
    assert [i.fee for i in schedule.installments[:-1]] == [fee_part] * (periods - 1)

    apr = schedule_apr(terms)
    flows = [(float(k + 1), float(i.payment)) for k, i in enumerate(schedule.installments)]
    expected = bisect_irr(principal, flows)
    assert float(apr.irr_period) == pytest.approx(expected, abs=1e-12)
    assert float(apr.apr_nominal) == pytest.approx(12 * expected, abs=1e-11)
    assert float(apr.apr_effective) == pytest.approx((1 + expected) ** 12 - 1, abs=1e-11)


def test_huabei_twelve_periods_against_numpy_financial_rate() -> None:
    # 1200.00 over 12 periods at 8.8%: fee 105.60 → 8.80 a period, principal 100.00 a period,
    # every payment 108.80; numpy_financial.rate solves the same level-payment annuity.
    terms = LoanTerms(
        principal=120_000,
        term=12,
        start=date(2026, 1, 20),
        method="fee-installment",
        fee_rate="0.088",
    )
    payments = {i.payment for i in build_schedule(terms).installments}
    assert payments == {10_880}
    expected = float(npf.rate(12, 10_880, -120_000, 0, tol=1e-14, maxiter=200))
    apr = schedule_apr(terms)
    assert float(apr.irr_period) == pytest.approx(expected, abs=1e-12)
    assert format_rate(apr.apr_nominal) == format_rate(Decimal(repr(12 * expected)))


def test_single_irregular_payment_with_upfront_fee_closed_form() -> None:
    # 10000.00 lent on 2026-01-01 with a 200.00 fee taken up front (9800.00 received), repaid by
    # one payment of 10100.00 on 2026-02-15: 45 days, not a monthly date → t = 45 / (365/12)
    # = 1.479452 months. (1 + i)^t = 10100 / 9800, so i = (10100/9800)^(1/t) − 1.
    t = 45 / (365 / 12)
    expected = (10_100 / 9_800) ** (1 / t) - 1
    apr = annualized_rate(
        1_000_000, date(2026, 1, 1), [(date(2026, 2, 15), 1_010_000)], upfront_fee=20_000
    )
    assert float(apr.irr_period) == pytest.approx(expected, rel=1e-12)
    assert float(apr.apr_nominal) == pytest.approx(12 * expected, rel=1e-12)
    assert float(apr.apr_effective) == pytest.approx((1 + expected) ** 12 - 1, rel=1e-12)
    # The fee raises the rate: without it, i = (10100/10000)^(1/t) − 1.
    no_fee = annualized_rate(1_000_000, date(2026, 1, 1), [(date(2026, 2, 15), 1_010_000)])
    assert float(no_fee.irr_period) == pytest.approx((1.01) ** (1 / t) - 1, rel=1e-12)
    assert no_fee.apr_nominal < apr.apr_nominal


def test_irregular_first_then_monthly_dates_against_bisection() -> None:
    # Start 2026-01-10, payments 02-25 (irregular: 46 days → t = 46·12/365), then on
    # 2026-03-10 and 2026-04-10, which are add_months(start, 2) and (start, 3): t = 2 and 3.
    start = date(2026, 1, 10)
    payments = [
        (date(2026, 2, 25), 350_000),
        (date(2026, 3, 10), 340_000),
        (date(2026, 4, 10), 340_000),
    ]
    apr = annualized_rate(1_000_000, start, payments, upfront_fee=5_000)
    flows = [(46 * 12 / 365, 350_000.0), (2.0, 340_000.0), (3.0, 340_000.0)]
    expected = bisect_irr(995_000, flows)
    assert float(apr.irr_period) == pytest.approx(expected, abs=1e-13)


def test_month_end_dates_count_as_whole_months() -> None:
    # From 2023-01-31 the dates 02-28, 03-31, 04-30 are add_months(start, 1..3): t = 1, 2, 3,
    # so a 3-period level payment gives numpy_financial.rate's answer.
    payments = [
        (date(2023, 2, 28), 34_000),
        (date(2023, 3, 31), 34_000),
        (date(2023, 4, 30), 34_000),
    ]
    apr = annualized_rate(100_000, date(2023, 1, 31), payments)
    expected = float(npf.rate(3, 34_000, -100_000, 0, tol=1e-14, maxiter=200))
    assert float(apr.irr_period) == pytest.approx(expected, abs=1e-12)


def test_zero_cost_loan_is_exactly_zero() -> None:
    terms = LoanTerms(principal=100_001, term=7, start=date(2026, 5, 31), method="annuity")
    apr = schedule_apr(terms)
    assert apr.irr_period == apr.apr_nominal == apr.apr_effective == Decimal(0)


def test_annuity_apr_is_its_nominal_rate() -> None:
    # A 30/360 annuity's cash flows are level payments at t = 1..n: its IRR is r = R/12 up to
    # the payment's rounding to the fen, so the disclosed rate (4 places) is R itself.
    terms = LoanTerms(
        principal=5_000_000,
        term=24,
        start=date(2026, 3, 31),
        method="annuity",
        annual_rate="0.1825",
    )
    assert format_rate(schedule_apr(terms).apr_nominal) == "0.1825"


def test_cap_rules() -> None:
    assert rate_cap() == Decimal("0.24")
    assert rate_cap(CapRule.PCT20) == Decimal("0.20")
    assert rate_cap(CapRule.LPR4X, lpr_one_year=Decimal("0.0310")) == Decimal("0.1240")
    with pytest.raises(InputError) as err:
        rate_cap(CapRule.LPR4X)
    assert err.value.field == "lpr_one_year"


def test_cap_priced_exactly_at_the_cap_passes() -> None:
    terms = LoanTerms(
        principal=1_000_000, term=12, start=date(2026, 1, 1), method="annuity", annual_rate="0.24"
    )
    apr = schedule_apr(terms)
    # The payment is rounded up a fraction of a fen, so the IRR is a hair above 2%/month …
    assert apr.apr_nominal > Decimal("0.24")
    # … but the disclosed figure is 0.2400 and the product is not refused.
    check_rate_cap(apr, rate_cap(), what="product cash-24")


def test_cap_exceeded_names_both_figures() -> None:
    terms = LoanTerms(
        principal=1_000_000, term=12, start=date(2026, 1, 1), method="annuity", annual_rate="0.25"
    )
    apr = schedule_apr(terms)
    with pytest.raises(RateCapExceeded) as err:
        check_rate_cap(apr, rate_cap(), what="offer 42")
    message = str(err.value)
    assert err.value.field == "offer 42"
    assert "0.2500" in message and "0.2400" in message
    assert message.index("年化利率") < message.index("annualized rate")
    assert isinstance(err.value, InputError)
    # Under 4 × LPR 3.10% = 12.40%, even 18% is refused; 12% passes.
    lpr_cap = rate_cap(CapRule.LPR4X, lpr_one_year=Decimal("0.0310"))
    eighteen = schedule_apr(
        LoanTerms(
            principal=1_000_000,
            term=12,
            start=date(2026, 1, 1),
            method="annuity",
            annual_rate="0.18",
        )
    )
    with pytest.raises(RateCapExceeded, match=r"0\.1240"):
        check_rate_cap(eighteen, lpr_cap, what="private loan")
    twelve = schedule_apr(
        LoanTerms(
            principal=1_000_000,
            term=12,
            start=date(2026, 1, 1),
            method="annuity",
            annual_rate="0.12",
        )
    )
    check_rate_cap(twelve, lpr_cap, what="private loan")
    # 20%: a Huabei 12-period plan (about 15.86%) passes, a 21% loan does not.
    huabei = LoanTerms(
        principal=120_000,
        term=12,
        start=date(2026, 1, 20),
        method="fee-installment",
        fee_rate="0.088",
    )
    check_rate_cap(schedule_apr(huabei), rate_cap(CapRule.PCT20), what="huabei 12")
    with pytest.raises(RateCapExceeded):
        check_rate_cap(
            schedule_apr(
                LoanTerms(
                    principal=1_000_000,
                    term=12,
                    start=date(2026, 1, 1),
                    method="annuity",
                    annual_rate="0.21",
                )
            ),
            rate_cap(CapRule.PCT20),
            what="product",
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"principal": 0}, "principal"),
        ({"upfront_fee": 1_000_000}, "upfront_fee"),
        ({"upfront_fee": -1}, "upfront_fee"),
        ({"payments": []}, "payments"),
        ({"payments": [(date(2025, 12, 31), 1_000_000)]}, "payments"),
        ({"payments": [(date(2026, 2, 1), -5)]}, "payments"),
    ],
)
def test_bad_apr_inputs(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "principal": 1_000_000,
        "start": date(2026, 1, 1),
        "payments": [(date(2026, 2, 1), 1_010_000)],
    }
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        annualized_rate(**args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_exact_roots_come_out_exact_to_twenty_places() -> None:
    # One payment on add_months(start, 1) (t = 1): 1000.00 → 1100.00 is exactly 10% a month,
    # → 500.00 is exactly −50%; effective: 1.1^12 − 1 = 2.138428376721 exactly.
    start = date(2026, 1, 31)
    up = annualized_rate(100_000, start, [(date(2026, 2, 28), 110_000)])
    assert up.irr_period == Decimal("0.1")
    assert up.apr_nominal == Decimal("1.2")
    assert up.apr_effective == Decimal("2.138428376721")
    down = annualized_rate(100_000, start, [(date(2026, 2, 28), 50_000)])
    assert down.irr_period == Decimal("-0.5")
    # A 1000.00 fee up front and 1000.00 repaid on the start date itself (t = 0) leave 8000.00
    # lent; 9680.00 comes back at t = 2.
    two = annualized_rate(
        1_000_000, start, [(start, 100_000), (date(2026, 3, 31), 968_000)], upfront_fee=100_000
    )
    # 968000 / 800000 = 1.21 = (1 + i)^2 → i = 0.1.
    assert two.irr_period == Decimal("0.1")
