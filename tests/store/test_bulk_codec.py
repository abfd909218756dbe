"""The compiled codec encodes exactly as the value-by-value encoder it replaced, and states
read back equal.

The oracle is the previous ``encode`` (copied below): it chose a rule per value with a chain of
isinstance checks; the compiled one chooses per type, once. Values: hypothesis-built nests of
every kind the rules name (subclasses of int/str/Enum, datetimes, sets, mappings, dataclasses),
and real account states after commands and end-of-day runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum, IntEnum
from fractions import Fraction
from typing import Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from creditguard.servicing.service import Servicing
from creditguard.store.codec import decode, encode
from creditguard.store.crypto import DataCipher


def _old_encode(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_old_encode(v) for v in value]
    if dataclasses.is_dataclass(type(value)):
        return {f.name: _old_encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _old_encode(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return [_old_encode(v) for v in sorted(value)]
    raise TypeError(f"cannot encode {type(value).__name__} exactly")


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Tag(str):
    pass


@dataclass(frozen=True)
class Leaf:
    n: int
    on: date
    tag: str
    rate: Decimal | None = None


@dataclass(frozen=True)
class Node:
    leaves: tuple[Leaf, ...]
    extra: Any
    colour: Colour = Colour.RED


_scalars = st.one_of(
    st.integers(),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.builds(Tag, st.text(max_size=3)),
    st.sampled_from(list(Colour)),
    st.sampled_from(list(Level)),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.fractions(),
)
_leaves = st.builds(
    Leaf, st.integers(), st.dates(), st.text(max_size=4), st.none() | st.decimals(places=2)
)
_values = st.recursive(
    _scalars | _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
        st.frozensets(st.integers(), max_size=4),
        st.builds(Node, st.lists(_leaves, max_size=3).map(tuple), inner),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_compiled_encoder_matches_the_old_one(value: Any) -> None:
    assert encode(value) == _old_encode(value)
    assert type(encode(value)) is type(_old_encode(value))


def test_unencodable_values_are_still_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        encode(Node((), 1.5))
    with pytest.raises(TypeError, match="complex"):
        encode([1j])


def test_round_trip_of_a_hand_built_node() -> None:
    node = Node((Leaf(7, date(2026, 1, 2), "a", Decimal("0.05")), Leaf(-1, date(2026, 2, 3), "")),
                {"k": [1, 2]}, Colour.BLUE)  # fmt: skip
    raw = encode(node)
    # By hand: dates ISO, Decimal as its string, None kept, the enum as its value.
    assert raw == {
        "leaves": [
            {"n": 7, "on": "2026-01-02", "tag": "a", "rate": "0.05"},
            {"n": -1, "on": "2026-02-03", "tag": "", "rate": None},
        ],
        "extra": {"k": [1, 2]},
        "colour": "blue",
    }
    assert decode(Node, raw) == node


def test_real_account_states_round_trip(engine: Engine) -> None:
    svc = Servicing(engine, actor="t", cipher=DataCipher(Fernet.generate_key()))
    svc.set_business_date(date(2026, 1, 20))
    svc.add_borrower("B", "b")
    svc.open_line("A", "credit-pay", 100_000, "B")
    svc.purchase("A", 30_000, purchase_id="p1")
    svc.disburse("L", "cash-loan", 300_000, 6, borrower="B")
    svc.repay("L", 5_000, payment_id="x")
    for _ in range(15):  # through a statement date: the command log grows
        svc.end_of_day(svc.business_date())
    svc.convert_to_installments("A", 3)
    for account in ("A", "L"):
        state = svc.show(account)
        raw = encode(state)
        assert raw == _old_encode(state)
        assert decode(type(state), raw) == state
    assert len(svc.show("A").history) >= 4  # open, purchase, statement, conversion
