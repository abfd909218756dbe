"""The generated per-class encoders and builders give exactly what the generic rules give.

The codec compiles, per dataclass, an encoder specialised for each field's annotation and a
builder with each field's decoder inlined; both guard on the value's actual type or shape and
fall back to the generic rule otherwise. The oracles here are the generic rules themselves,
written out plainly (``_ref_encode``, ``_ref_decode``): values that match their annotations,
values that do not (a bool in an ``int`` field, a datetime in a ``date`` one, a list where a
tuple is declared, pairs of the wrong length), and every state a small simulation saves.
Canonical JSON is compared with the ``json.dumps`` call it stands for.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# The encoding rules before the generated encoders, shared with the bulk codec test.
from test_bulk_codec import Colour, Level
from test_bulk_codec import _old_encode as _ref_encode

from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.simulate.run import simulate
from creditguard.simulate.scenario import shipped_scenario
from creditguard.store import jsonutil
from creditguard.store.account_repo import AccountRepository
from creditguard.store.codec import decode, encode
from creditguard.store.db import connect


def _ref_decode(tp: Any, raw: Any) -> Any:
    if tp is Any or tp in (str, bool):
        return raw
    if tp is int:
        return int(raw) if isinstance(raw, str) else raw
    if tp is date:
        return date.fromisoformat(raw)
    if tp in (Decimal, Fraction):
        return tp(raw)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return None if raw is None else _ref_decode(options[0], raw)
        if raw is None:
            return None
        for shape in (str, int, dict):
            for o in options:
                fits = typing.get_origin(o) in (dict, Mapping) if shape is dict else o is shape
                if fits and isinstance(raw, shape):
                    return _ref_decode(o, raw)
        return raw
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, hints[f.name]) for f in dataclasses.fields(tp) if f.init]
        try:  # every field present: the common case
            return tp(**{name: _ref_decode(hint, raw[name]) for name, hint in fields})
        except KeyError:  # an older document: the defaults apply
            return tp(
                **{name: _ref_decode(hint, raw[name]) for name, hint in fields if name in raw}
            )
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_ref_decode(args[0], v) for v in raw)
        return tuple(_ref_decode(a, v) for a, v in zip(args, raw, strict=True))
    if origin is list:
        return [_ref_decode(args[0], v) for v in raw]
    if origin in (frozenset, set):
        return origin(_ref_decode(args[0], v) for v in raw)
    if origin in (dict, Mapping):
        return {_ref_decode(args[0], k): _ref_decode(args[1], v) for k, v in raw.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(raw)
    return raw


def _exactly(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down, with keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_exactly(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_exactly(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _outcome(f: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "value", f(*args)
    except Exception as exc:  # the failure must be the same one
        return "error", (type(exc), str(exc))


class Mood(StrEnum):
    CALM = "calm"
    KEEN = "keen"


@dataclass(frozen=True, slots=True)
class Leaf:
    n: int
    on: date
    tag: str = ""
    mood: Mood = Mood.CALM
    rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SubLeaf(Leaf):
    extra: int = 0


@dataclass(frozen=True)
class Shape:
    n: int
    s: str
    flag: bool
    on: date
    maybe_on: date | None
    rate: Decimal
    share: Fraction
    colour: Colour
    level: Level
    mood: Mood
    leaf: Leaf
    maybe_leaf: Leaf | None
    leaves: tuple[Leaf, ...]
    pairs: tuple[tuple[int, Decimal], ...]
    pair: tuple[int, str]
    names: tuple[str, ...]
    dates: tuple[date | None, ...]
    tags: frozenset[str]
    extra: dict[str, Any]
    either: int | str | None
    anything: Any
    later: int = field(default=0, kw_only=True)


@dataclass(frozen=True, slots=True)
class Tree:
    label: str
    children: tuple[Tree, ...] = ()
    parent: Tree | None = None


_text = st.text(max_size=4)
_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))
_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=4)
_leaves = st.builds(
    Leaf, st.integers(), _dates, _text, st.sampled_from(list(Mood)), st.none() | _decimals
)
_sub_leaves = st.builds(SubLeaf, st.integers(), _dates, _text, st.just(Mood.KEEN), st.none())
# Values that break the annotations: each must take the generic rule.
_odd = st.one_of(
    st.booleans(),
    st.none(),
    st.builds(Mood, st.sampled_from(["calm", "keen"])),
    st.sampled_from(list(Level)),
    st.datetimes(min_value=datetime(1990, 1, 1)),
    st.lists(st.integers(), max_size=3),
    st.lists(st.integers(), max_size=3).map(tuple),
    st.fractions(),
    st.frozensets(st.integers(), max_size=3),
    _leaves,
    _sub_leaves,
)


def _or_odd(strategy: st.SearchStrategy[Any], odd: bool) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, _odd) if odd else strategy


@st.composite
def _shapes(draw: st.DrawFn, odd: bool) -> Shape:
    def d(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(_or_odd(strategy, odd))

    return Shape(
        n=d(st.integers()),
        s=d(_text),
        flag=d(st.booleans()),
        on=d(_dates),
        maybe_on=d(st.none() | _dates),
        rate=d(_decimals),
        share=d(st.fractions()),
        colour=d(st.sampled_from(list(Colour))),
        level=d(st.sampled_from(list(Level))),
        mood=d(st.sampled_from(list(Mood))),
        leaf=d(_leaves),
        maybe_leaf=d(st.none() | _leaves),
        leaves=d(st.lists(_or_odd(_leaves, odd), max_size=3).map(tuple)),
        pairs=d(
            st.lists(
                _or_odd(st.tuples(st.integers(), _decimals), odd)
                | (st.tuples(st.integers(), _decimals, st.integers()) if odd else st.nothing()),
                max_size=3,
            ).map(tuple)
        ),
        pair=d(st.tuples(st.integers(), _text)),
        names=d(st.lists(_or_odd(_text, odd), max_size=3).map(tuple)),
        dates=d(st.lists(_or_odd(st.none() | _dates, odd), max_size=3).map(tuple)),
        tags=d(st.frozensets(_text, max_size=3)),
        extra=d(st.dictionaries(_text, st.integers() | _text, max_size=2)),
        either=d(st.none() | st.integers() | _text),
        anything=d(st.integers() | _text),
        later=d(st.integers()),
    )


@settings(max_examples=300, deadline=None)
@given(_shapes(odd=True))
def test_encoding_matches_the_generic_rules_whatever_the_field_holds(value: Shape) -> None:
    assert _exactly(encode(value), _ref_encode(value))


@settings(max_examples=200, deadline=None)
@given(_shapes(odd=False))
def test_well_typed_values_round_trip_and_decode_as_the_generic_rules(value: Shape) -> None:
    raw = json.loads(json.dumps(encode(value)))
    assert decode(Shape, raw) == value
    assert decode(Shape, raw) == _ref_decode(Shape, raw)


_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), _text)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(_shapes(odd=False), st.data())
def test_any_document_decodes_as_the_generic_rules_or_fails_alike(
    value: Shape, data: st.DataObject
) -> None:
    """Documents with ints as text, fields missing or mangled: the same value or error."""
    raw = json.loads(json.dumps(encode(value)))
    for name in data.draw(st.lists(st.sampled_from(sorted(raw)), max_size=3, unique=True)):
        how = data.draw(st.sampled_from(["drop", "text", "junk", "pair"]))
        if how == "drop":
            del raw[name]
        elif how == "text" and isinstance(raw[name], int) and not isinstance(raw[name], bool):
            raw[name] = str(raw[name])
        elif how == "pair":
            raw[name] = data.draw(st.lists(st.integers() | _text, max_size=3))
        else:
            raw[name] = data.draw(_json)
    assert _outcome(decode, Shape, raw) == _outcome(_ref_decode, Shape, raw)


def test_recursive_classes_encode_and_decode() -> None:
    leaf = Tree("leaf")
    tree = Tree("root", (leaf, Tree("mid", (leaf,), parent=leaf)), parent=Tree("up"))
    raw = encode(tree)
    assert _exactly(raw, _ref_encode(tree))
    assert decode(Tree, raw) == tree == _ref_decode(Tree, raw)


def test_a_class_whose_hints_do_not_resolve_takes_the_generic_encoder() -> None:
    @dataclass(frozen=True)
    class Local:
        inner: Unresolvable  # type: ignore[name-defined]  # noqa: F821
        on: date

    value = Local([date(2026, 1, 2), Colour.RED], date(2026, 1, 3))
    assert _exactly(encode(value), _ref_encode(value))


def test_refusals_are_the_generic_ones() -> None:
    bad = replace(
        Leaf(1, date(2026, 1, 1)),
        tag=1.5,  # type: ignore[arg-type]
    )
    assert _outcome(encode, bad) == _outcome(_ref_encode, bad)
    assert _outcome(encode, bad)[0] == "error"


# -- real states ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_states(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Every account's state, read every week of a small simulation and at its end."""
    seen: list[Any] = []
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('codec') / 'sim.sqlite'}", durable=False)

    def read_all() -> None:
        with engine.connect() as conn:
            seen.extend(AccountRepository(conn, ACCOUNT_TYPES).all())

    days = 0

    def weekly(summary: object) -> None:
        nonlocal days
        days += 1
        if days % 7 == 0:
            read_all()

    try:
        simulate(
            replace(shipped_scenario("default"), borrowers=30, months=3), engine, progress=weekly
        )
        read_all()
    finally:
        engine.dispose()
    assert {type(s).__name__ for s in seen} == {"Line", "Loan"}
    return seen


def test_saved_states_encode_as_the_generic_rules_and_read_back(saved_states: list[Any]) -> None:
    for state in saved_states:
        raw = encode(state)
        assert _exactly(raw, _ref_encode(state))
        plain = json.loads(jsonutil.canonical_json(raw))
        assert decode(type(state), plain) == state == _ref_decode(type(state), plain)


# -- canonical JSON ------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=jsonutil._default,
    )


_canonical_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=6),
        _dates,
        _decimals,
        st.fractions(),
        st.sampled_from([*Colour, *Level, *Mood]),
        st.frozensets(st.integers(), max_size=3),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
        st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=2),
    ),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(_canonical_values)
def test_canonical_json_is_the_json_dumps_text(value: Any) -> None:
    assert _outcome(jsonutil.canonical_json, value) == _outcome(_dumps, value)


def _circular() -> Iterator[Any]:
    a: list[Any] = []
    a.append(a)
    yield a
    d: dict[str, Any] = {}
    d["d"] = d
    yield d


def test_canonical_json_fails_as_json_dumps_does() -> None:
    odd: list[Any] = [math.nan, [math.inf], {"a": object()}, {1: 2, "b": 3}, *_circular()]
    for value in odd:
        got = _outcome(jsonutil.canonical_json, value)
        assert got[0] == "error" and got == _outcome(_dumps, value)
    # A failure leaves nothing behind: the next call (same objects again) is unaffected.
    a: list[Any] = [1]
    assert jsonutil.canonical_json([a, a]) == "[[1],[1]]"
    assert jsonutil.canonical_json("é\u2028") == _dumps("é\u2028")


def test_to_plain_reads_back_as_stored() -> None:
    assert jsonutil.to_plain({"d": date(2026, 1, 2), "t": (1, Fraction(1, 3))}) == {
        "d": "2026-01-02",
        "t": [1, "1/3"],
    }
