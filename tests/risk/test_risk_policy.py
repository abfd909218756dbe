"""Limit and pricing policy: hand-calculated limits, every decline reason, file validation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.money import InputError
from creditguard.risk.policy import (
    Applicant,
    band_table,
    decide,
    decide_frame,
    decide_many,
    default_policy,
    load_policy,
)

POLICY = default_policy()
TEXT = (Path(__file__).resolve().parents[2] / "src/creditguard/risk/default_policy.toml").read_text(
    encoding="utf-8"
)


def test_default_policy_loads_in_band_order() -> None:
    assert [b.name for b in POLICY.bands] == ["A", "B", "C", "D"]
    assert POLICY.max_apr == Decimal("0.24")
    assert all(b.annual_rate <= POLICY.max_apr for b in POLICY.bands)
    assert band_table(POLICY)[0]["max_limit"] == "50000.00"


def test_band_a_limit_by_hand() -> None:
    # Score 650 → band A. Income 10000.00, debts 2000.00 a month:
    #   income × 3 = 30000.00; band max 50000.00;
    #   DTI room (10000 × 0.50 − 2000) / 0.10 = 30000.00 → limit 30000.00 at 7.30%.
    d = decide(POLICY, Applicant(650, 1_000_000, 200_000))
    assert d.approved and d.band == "A"
    assert d.limit == 3_000_000
    assert d.annual_rate == Decimal("0.0730")
    assert d.reasons == ()


def test_dti_room_binds_by_hand() -> None:
    # Score 590 → band B. Income 8000.00, debts 3500.00 (DTI 0.4375 ≤ 0.5):
    #   2 × 8000 = 16000.00; room (4000 − 3500) / 0.10 = 5000.00 → limit 5000.00.
    d = decide(POLICY, Applicant(590, 800_000, 350_000))
    assert (d.approved, d.band, d.limit) == (True, "B", 500_000)
    # Debts 3950.00: room 50 / 0.10 = 500.00, exactly the minimum limit → still approved.
    assert decide(POLICY, Applicant(590, 800_000, 395_000)).limit == 50_000
    # Debts 3960.00: room 400.00 < 500.00 → declined for capacity.
    d = decide(POLICY, Applicant(590, 800_000, 396_000))
    assert not d.approved and d.limit == 0 and d.annual_rate is None
    assert [r.code for r in d.reasons] == ["CAPACITY_LOW"]


def test_limit_rounds_down_to_the_step() -> None:
    # Score 570 → band C (×1). Income 3333.33 → 3333.33 → rounded down to 3300.00.
    d = decide(POLICY, Applicant(570, 333_333, 0))
    assert (d.band, d.limit, d.annual_rate) == ("C", 330_000, Decimal("0.1460"))


def test_band_boundaries_are_inclusive() -> None:
    assert decide(POLICY, Applicant(600, 1_000_000)).band == "A"
    assert decide(POLICY, Applicant(599.99, 1_000_000)).band == "B"
    d = decide(POLICY, Applicant(539.99, 1_000_000))
    assert [r.code for r in d.reasons] == ["SCORE_LOW"]


def test_every_applicable_reason_is_listed_with_score_reasons() -> None:
    # Income 1500.00 < 2000.00; DTI 1000/1500 = 0.67 > 0.5; score 530 < 540.
    d = decide(POLICY, Applicant(530, 150_000, 100_000, score_reasons=("duration_in_month",)))
    assert not d.approved
    assert [r.code for r in d.reasons] == ["INCOME_LOW", "DTI_HIGH", "SCORE_LOW"]
    assert d.score_reasons == ("duration_in_month",)
    text = d.reasons[0].text()
    assert text.startswith("月收入低于2000.00元") and text.endswith("2000.00 yuan")
    assert [r.code for r in decide(POLICY, Applicant(700, 0)).reasons] == ["INCOME_LOW", "DTI_HIGH"]


@given(
    score=st.floats(500, 750),
    income=st.integers(0, 10_000_000),
    debt=st.integers(0, 5_000_000),
)
def test_invariants(score: float, income: int, debt: int) -> None:
    d = decide(POLICY, Applicant(score, income, debt))
    if d.approved:
        assert d.limit % POLICY.limit_step == 0
        assert POLICY.min_limit <= d.limit
        band = next(b for b in POLICY.bands if b.name == d.band)
        assert d.limit <= band.max_limit
        assert d.limit <= income * band.limit_multiple
        # The new line's minimum payment keeps total DTI within the cap.
        assert debt + d.limit * POLICY.min_payment_rate <= income * POLICY.max_dti
        assert d.annual_rate is not None and d.annual_rate <= POLICY.max_apr
    else:
        assert d.reasons and d.limit == 0


def test_policy_file_validation() -> None:
    with pytest.raises(InputError, match=r"0\.25 exceeds the cost cap max_apr 0\.24"):
        load_policy(TEXT.replace('annual_rate = "0.0730"', 'annual_rate = "0.25"'))
    with pytest.raises(InputError, match="max_limit"):
        load_policy(TEXT.replace('max_limit = "50000.00"', "max_limit = 50000.00"))
    with pytest.raises(InputError, match="version"):
        load_policy(TEXT.replace("version = 1", "version = 2"))
    with pytest.raises(InputError, match="unique"):
        load_policy(TEXT.replace('name = "B"', 'name = "A"'))
    with pytest.raises(InputError, match="policy"):
        load_policy("not = [toml")


def _reference(score: float, income: int, debt: int) -> tuple[bool, str | None, int, list[str]]:
    """The policy written out with Fractions, one applicant at a time (independent oracle)."""
    from fractions import Fraction

    p = POLICY
    reasons = []
    if income < p.min_monthly_income:
        reasons.append("INCOME_LOW")
    if income == 0 or Fraction(debt, income) > Fraction(p.max_dti):
        reasons.append("DTI_HIGH")
    band = next((b for b in p.bands if score >= b.min_score), None)
    if band is None:
        reasons.append("SCORE_LOW")
    limit = 0
    if band is not None and not reasons:
        room = (income * Fraction(p.max_dti) - debt) / Fraction(p.min_payment_rate)
        exact = min(income * Fraction(band.limit_multiple), Fraction(band.max_limit), room)
        limit = int(exact // p.limit_step) * p.limit_step if exact > 0 else 0
        if limit < p.min_limit:
            reasons.append("CAPACITY_LOW")
    ok = not reasons
    return ok, band.name if band else None, limit if ok else 0, reasons


@given(
    st.lists(
        st.tuples(st.floats(540, 660), st.integers(0, 5_000_000), st.integers(0, 3_000_000)),
        min_size=1,
        max_size=40,
    )
)
def test_frame_kernel_matches_the_fraction_reference(rows: list[tuple[float, int, int]]) -> None:
    frame = decide_frame(
        POLICY,
        pl.DataFrame(
            {
                "score": [r[0] for r in rows],
                "monthly_income": [r[1] for r in rows],
                "monthly_debt_payments": [r[2] for r in rows],
            }
        ),
    )
    for r, out in zip(rows, frame.iter_rows(named=True), strict=True):
        ok, band, limit, reasons = _reference(*r)
        assert (out["approved"], out["limit"], out["reasons"]) == (ok, limit, reasons)
        assert out["band"] == band
    many = decide_many(POLICY, [Applicant(*r) for r in rows])
    assert [d.limit for d in many] == frame["limit"].to_list()


def test_frame_kernel_refuses_bad_money() -> None:
    with pytest.raises(InputError, match="fen"):
        decide_frame(
            POLICY,
            pl.DataFrame({"score": [600.0], "monthly_income": [-1], "monthly_debt_payments": [0]}),
        )
    with pytest.raises(InputError, match="score"):
        decide_frame(POLICY, pl.DataFrame({"monthly_income": [1], "monthly_debt_payments": [0]}))
