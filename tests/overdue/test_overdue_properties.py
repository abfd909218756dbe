"""Properties of the kernels over random portfolios (Hypothesis).

- a portfolio run equals the row-wise concatenation of single-account runs (no mixing);
- DPD is never negative;
- over many days with random payments, what is charged never exceeds the cost ceiling;
- penalties never accrue on penalties: unpaid penalty amounts do not change what accrues.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from creditguard.overdue import params_frame, run_day
from creditguard.overdue.frames import accounts_frame, obligations_frame
from creditguard.products.schema import InstallmentProduct, RevolvingProduct

T = date(2026, 3, 1)
PRODUCTS = [
    InstallmentProduct(name="cash", kind="installment", daily_rate=Decimal("0.0004")),
    InstallmentProduct(
        name="steep",
        kind="installment",
        daily_rate=Decimal("0.0006"),
        penalty_rate_multiplier=Decimal("3"),
        grace_days=2,
        grace_retroactive=True,
        compound_overdue_interest=True,
        rounding="half-even",
    ),
    RevolvingProduct(name="pay", kind="revolving", grace_days=3),
]
PARAMS = params_frame(PRODUCTS)
KIND = {"cash": "loan", "steep": "loan", "pay": "line"}

amount = st.integers(min_value=0, max_value=2_000_000)


@st.composite
def obligation(draw: st.DrawFn, statement: bool) -> dict[str, Any]:
    principal = draw(amount)
    interest = draw(st.integers(0, 50_000))
    return {
        "ref": f"r{draw(st.integers(0, 99))}",
        "kind": "statement" if statement else "installment",
        "due_date": T - timedelta(days=draw(st.integers(-5, 400))),
        "due_principal": principal,
        "due_interest": interest,
        "due_penalty": draw(st.integers(0, 10_000)),
        "paid_principal": draw(st.integers(0, principal)),
        "paid_interest": draw(st.integers(0, interest)),
        "minimum": draw(st.integers(0, principal + interest)) if statement else None,
    }


@st.composite
def account(draw: st.DrawFn, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    product = draw(st.sampled_from([p.name for p in PRODUCTS]))
    row = {
        "account": name,
        "product": product,
        "kind": KIND[product],
        "dpd": draw(st.integers(0, 400)),
        "early_warning": draw(st.booleans()),
    }
    if draw(st.booleans()):
        row["written_off_on"] = T - timedelta(days=draw(st.integers(1, 100)))
    obligations = draw(st.lists(obligation(KIND[product] == "line"), max_size=3))
    return row, [{"account": name, **o} for o in obligations]


portfolios = st.integers(1, 5).flatmap(lambda n: st.tuples(*(account(f"A{i}") for i in range(n))))


@settings(max_examples=40, deadline=None)
@given(portfolios)
def test_portfolio_equals_concatenation_of_single_accounts(portfolio: Any) -> None:
    rows = [row for row, _ in portfolio]
    obligations = [o for _, obs in portfolio for o in obs]
    accounts = accounts_frame(rows)
    whole = run_day(obligations_frame(obligations, accounts), accounts, PARAMS, T)
    singles = []
    for row, obs in portfolio:
        acc = accounts_frame([row])
        singles.append(run_day(obligations_frame(obs, acc), acc, PARAMS, T))
    assert_frame_equal(whole.accounts, pl.concat([s.accounts for s in singles]))
    assert_frame_equal(
        whole.obligations.drop("account_row"),
        pl.concat([s.obligations for s in singles]).drop("account_row"),
    )
    assert_frame_equal(whole.events, pl.concat([s.events for s in singles]))
    assert (whole.accounts["dpd"] >= 0).all()


@settings(max_examples=25, deadline=None)
@given(
    product=st.sampled_from(["cash", "steep", "pay"]),
    principal=st.integers(1, 5_000_000),
    payments=st.lists(st.integers(0, 300_000), min_size=40, max_size=40),
    other=st.lists(st.integers(0, 50), min_size=40, max_size=40),
)
def test_charges_never_exceed_the_cost_ceiling(
    product: str, principal: int, payments: list[int], other: list[int]
) -> None:
    accounts = accounts_frame([{"account": "A", "product": product, "kind": KIND[product]}])
    kind = "statement" if product == "pay" else "installment"
    frame = obligations_frame(
        [
            {
                "account": "A",
                "ref": "1",
                "kind": kind,
                "due_date": T,
                "due_principal": principal,
                "due_interest": principal // 50,
            }
        ],
        accounts,
    )
    den = PARAMS.filter(pl.col("product") == product)["accrual_den"][0]
    for k in range(40):
        paid = min(payments[k], int(frame["due_principal"][0] - frame["paid_principal"][0]))
        frame = frame.with_columns(
            pl.col("paid_principal") + paid, pl.col("other_overdue_charged") + other[k]
        )
        result = run_day(frame, accounts, PARAMS, T + timedelta(days=k + 1))
        frame, accounts = result.obligations, result.accounts
        charged = int(frame["pen_charged"][0]) + int(frame["other_overdue_charged"][0])
        ceiling = int(frame["ceiling_num"][0])
        booked = int(frame["penalty_booked"][0])
        assert booked >= 0
        # Charges added today by this engine never push the total over floor(ceiling).
        if booked:
            assert charged <= ceiling // den
        assert int(frame["pen_charged"][0]) == int(frame["due_penalty"][0])
        assert accounts["dpd"][0] >= 0


@settings(max_examples=30, deadline=None)
@given(portfolios, st.integers(0, 10_000_000))
def test_penalty_amounts_do_not_change_what_accrues(portfolio: Any, extra: int) -> None:
    rows = [row for row, _ in portfolio]
    obligations = [o for _, obs in portfolio for o in obs]
    accounts = accounts_frame(rows)
    base = obligations_frame(obligations, accounts)
    more = base.with_columns(pl.col("due_penalty") + extra)
    a = run_day(base, accounts, PARAMS, T).obligations
    b = run_day(more, accounts, PARAMS, T).obligations
    assert a["penalty_booked"].to_list() == b["penalty_booked"].to_list()
    assert a["past_due"].to_list() == b["past_due"].to_list()
