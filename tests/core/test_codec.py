"""The store's exact JSON codec round-trips domain values without loss."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction

from creditguard.servicing.model import Amounts, Component, Obligation, ObligationKind
from creditguard.store.codec import decode, encode


def test_obligation_round_trip_through_json_text() -> None:
    ob = Obligation(
        ref="3",
        kind=ObligationKind.STATEMENT,
        due_date=date(2026, 2, 10),
        original_due_date=date(2026, 2, 10),
        due=Amounts(100_00, 5, 0, 2),
        paid=Amounts(1, 2, 3, 4),
        minimum=1005,
    )
    text = json.dumps(encode(ob))
    assert decode(Obligation, json.loads(text)) == ob
    assert '"due_date": "2026-02-10"' in text


def test_exact_numbers_and_containers() -> None:
    value = {"r": Decimal("0.0004"), "f": Fraction(1, 3), "c": Component.FEE, "t": (1, 2)}
    raw = json.loads(json.dumps(encode(value)))
    assert raw == {"r": "0.0004", "f": "1/3", "c": "fee", "t": [1, 2]}
    assert decode(Decimal, raw["r"]) == Decimal("0.0004")
    assert decode(Fraction, raw["f"]) == Fraction(1, 3)
    assert decode(tuple[int, ...], raw["t"]) == (1, 2)
    assert decode(dict[str, Fraction | None], {"a": "2/5", "b": None}) == {
        "a": Fraction(2, 5),
        "b": None,
    }
