"""Helpers for frozen values: ``replace`` compiled once per class; answers memoized by identity.

The domain's states are frozen dataclasses changed by copying (``replace``), about a dozen times
per command; :func:`dataclasses.replace` walks the class's fields and builds a keyword dict on
every call (5.1 µs for a line's state). This one generates, per class, a function that calls the
constructor positionally with each field taken from ``changes`` or from the object (2.9 µs): the
same constructor, the same ``__post_init__``, the same result (docs/decisions.md D12).

:func:`by_identity` memoizes a function of one immutable value (a tuple of frozen dataclasses) by
the value's identity: a command copies a line a dozen times but shares its tuples, so sums over
them (what is settled, what is unbilled) are asked again of the very same tuple.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["by_identity", "replace"]

T = TypeVar("T")
R = TypeVar("R")

_REPLACERS: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the dataclass ``obj`` with ``changes`` (as :func:`dataclasses.replace`)."""
    fn = _REPLACERS.get(type(obj))
    if fn is None:
        fn = _replacer(type(obj))
    result: T = fn(obj, changes)
    return result


def _replacer(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    fields = dataclasses.fields(cls)
    if any(not f.init or f.kw_only is True for f in fields):
        # Not a shape the generated call covers: the library's own, unchanged.
        def general(obj: Any, changes: dict[str, Any]) -> Any:
            return dataclasses.replace(obj, **changes)

        _REPLACERS[cls] = general
        return general
    names = [f.name for f in fields]
    args = ", ".join(f"c[{n!r}] if {n!r} in c else o.{n}" for n in names)
    source = (
        "def replace(o, c):\n"
        "    if not names.issuperset(c):\n"
        "        raise TypeError(f'{cls.__name__} has no field(s) {sorted(c.keys() - names)}')\n"
        f"    return cls({args})\n"
    )
    namespace: dict[str, Any] = {"cls": cls, "names": frozenset(names)}
    exec(source, namespace)  # source built from the class's own field names
    fn: Callable[[Any, dict[str, Any]], Any] = namespace["replace"]
    _REPLACERS[cls] = fn
    return fn


def by_identity(fn: Callable[[T], R], size: int = 4096) -> Callable[[T], R]:
    """``fn`` remembered by its argument's identity (at most ``size`` answers, then afresh).

    Only for arguments that never change (tuples of frozen values) and functions of nothing
    else. Each entry keeps its argument alive, so an ``id`` is never reused while remembered.
    """
    answers: dict[int, tuple[T, R]] = {}

    def remembered(value: T) -> R:
        if type(value) is not tuple:  # a list could change under the same identity
            return fn(value)
        found = answers.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        answer = fn(value)
        if len(answers) >= size:
            answers.clear()
        answers[id(value)] = (value, answer)
        return answer

    remembered.__doc__ = fn.__doc__
    remembered.__name__ = fn.__name__
    return remembered
