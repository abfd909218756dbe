"""``replace`` for frozen dataclasses, compiled once per class.

The domain's states are frozen dataclasses changed by copying (``replace``), about a dozen times
per command; :func:`dataclasses.replace` walks the class's fields and builds a keyword dict on
every call, which made it the largest single cost of a command on a credit-pay line. This one
generates, per class, a function that calls the constructor positionally with each field taken
from ``changes`` or from the object: the same constructor, the same ``__post_init__``, the same
result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["replace"]

T = TypeVar("T")

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
