"""Exact JSON encoding of the domain's frozen dataclasses (account states kept in the store).

Type-directed both ways: decoding walks the dataclass's type hints, so the JSON carries no
class names and a stored state reads back equal to what was saved. Money stays ``int``;
``Decimal`` and ``Fraction`` travel as exact strings; no float is produced.

Account states are read and written for every command and every end of day, so each type's
decoder is compiled once into a closure (no type inspection per value).
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from functools import cache
from typing import Any

__all__ = ["decode", "encode"]

Decoder = Callable[[Any], Any]


def encode(value: Any) -> Any:
    """A JSON-ready value: dataclasses as objects, dates ISO, Decimal/Fraction as strings."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    cls: type = type(value)
    names = _field_names(cls)
    if names is not None:
        return {name: encode(getattr(value, name)) for name in names}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return [encode(v) for v in sorted(value)]
    raise TypeError(f"cannot encode {type(value).__name__} exactly")


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return None


def decode(tp: Any, raw: Any) -> Any:
    """Rebuild a value of type ``tp`` from what :func:`encode` produced."""
    return _decoder(tp)(raw)


def _identity(raw: Any) -> Any:
    return raw


@cache
def _decoder(tp: Any) -> Decoder:
    if tp is Any or tp in (str, bool):
        return _identity
    if tp is int:
        return lambda raw: int(raw) if isinstance(raw, str) else raw
    if tp is date:
        return date.fromisoformat
    if tp is Decimal:
        return Decimal
    if tp is Fraction:
        return Fraction
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            inner = _decoder(options[0])
            return lambda raw: None if raw is None else inner(raw)
        by_shape = {
            str: next((o for o in options if o is str), None),
            int: next((o for o in options if o is int), None),
            dict: next((o for o in options if typing.get_origin(o) in (dict, cabc.Mapping)), None),
        }

        def union(raw: Any) -> Any:
            if raw is None:
                return None
            for shape, option in by_shape.items():
                if option is not None and isinstance(raw, shape):
                    return _decoder(option)(raw)
            return raw

        return union
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, hints[f.name]) for f in dataclasses.fields(tp) if f.init]

        def build(raw: Any, cls: type = tp) -> Any:
            return cls(**{name: _decoder(hint)(raw[name]) for name, hint in fields if name in raw})

        return build
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = args[0]
            return lambda raw: tuple(_decoder(item)(v) for v in raw)
        return lambda raw: tuple(_decoder(a)(v) for a, v in zip(args, raw, strict=True))
    if origin in (list, cabc.Sequence):
        return lambda raw: [_decoder(args[0])(v) for v in raw]
    if origin in (frozenset, set):
        return lambda raw: origin(_decoder(args[0])(v) for v in raw)
    if origin in (dict, cabc.Mapping):
        key_t, val_t = args if args else (Any, Any)
        return lambda raw: {_decoder(key_t)(k): _decoder(val_t)(v) for k, v in raw.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    return _identity
