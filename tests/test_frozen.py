"""``creditguard.frozen``: the compiled ``replace`` and identity memoization."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

import pytest

from creditguard.frozen import by_identity, replace
from creditguard.servicing.model import Amounts, Obligation, ObligationKind


@dataclass(frozen=True, slots=True)
class _Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x must not be negative")


@dataclass(frozen=True)
class _Derived:
    a: int
    b: int = field(init=False, default=0)


def test_replace_equals_the_librarys() -> None:
    ob = Obligation(
        ref="S1",
        kind=ObligationKind.STATEMENT,
        due_date=date(2026, 3, 10),
        original_due_date=date(2026, 3, 10),
        due=Amounts(principal=100, interest=5),
    )
    for changes in ({}, {"minimum": 7}, {"ref": "S2", "due_date": date(2026, 4, 10)}):
        assert replace(ob, **changes) == dataclasses.replace(ob, **changes)
    p = _Point(1, 2, ("a",))
    assert replace(p, y=5) == _Point(1, 5, ("a",))
    assert replace(p) == p and replace(p) is not p


def test_replace_runs_post_init_and_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="negative"):
        replace(_Point(1), x=-1)
    with pytest.raises(TypeError, match="nope"):
        replace(_Point(1), nope=3)


def test_replace_falls_back_for_fields_outside_init() -> None:
    d = _Derived(1)
    assert replace(d, a=2) == dataclasses.replace(d, a=2)
    with pytest.raises(ValueError):  # the library's own refusal: b is not an init field
        replace(d, b=3)


def test_by_identity_remembers_the_same_tuple_only() -> None:
    calls: list[tuple[int, ...]] = []

    @by_identity
    def total(values: tuple[int, ...]) -> int:
        calls.append(values)
        return sum(values)

    t = (1, 2, 3)
    assert total(t) == 6 and total(t) == 6
    assert len(calls) == 1
    # An equal tuple that is another object is asked afresh (identity, not equality).
    other = tuple([1, 2, 3])
    assert other is not t
    assert total(other) == 6 and len(calls) == 2
    # A list may change under the same identity: never remembered.
    items = [1, 2]
    assert total(items) == 3  # type: ignore[arg-type]
    items.append(4)
    assert total(items) == 7  # type: ignore[arg-type]


def test_by_identity_is_bounded() -> None:
    calls = 0

    def count(values: tuple[int, ...]) -> int:
        nonlocal calls
        calls += 1
        return len(values)

    small = by_identity(count, size=2)
    kept = [(i,) for i in range(3)]
    for t in kept:
        small(t)
    assert calls == 3
    small(kept[2])  # the newest survives the clearing that made room for it
    assert calls == 3
    small(kept[0])  # cleared when full: asked again
    assert calls == 4
