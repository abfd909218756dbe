"""Exact JSON encoding of the domain's frozen dataclasses (account states kept in the store).

Type-directed both ways: encoding walks the value; decoding walks the dataclass's type hints,
so the JSON carries no class names and a stored state reads back equal to what was saved.
Money stays ``int``; ``Decimal`` and ``Fraction`` travel as exact strings; no float is produced.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from functools import cache
from typing import Any, TypeVar

__all__ = ["decode", "encode"]

T = TypeVar("T")


def encode(value: Any) -> Any:
    """A JSON-ready value: dataclasses as objects, dates ISO, Decimal/Fraction as strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [encode(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__} exactly")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(tp: Any, raw: Any) -> Any:
    """Rebuild a value of type ``tp`` from what :func:`encode` produced."""
    if tp is Any:
        return raw
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if raw is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return decode(options[0], raw)
        for option in options:  # e.g. str | Mapping: pick by the raw JSON's shape
            if isinstance(raw, str) and option is str:
                return raw
            if isinstance(raw, dict) and typing.get_origin(option) in (dict, cabc.Mapping):
                return decode(option, raw)
            if isinstance(raw, int) and option is int:
                return raw
        return raw
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {
            f.name: decode(hints[f.name], raw[f.name])
            for f in dataclasses.fields(tp)
            if f.init and f.name in raw
        }
        return tp(**kwargs)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v) for v in raw)
        return tuple(decode(a, v) for a, v in zip(args, raw, strict=True))
    if origin in (list, cabc.Sequence):
        return [decode(args[0], v) for v in raw]
    if origin in (frozenset, set):
        return origin(decode(args[0], v) for v in raw)
    if origin in (dict, cabc.Mapping):
        key_t, val_t = args if args else (Any, Any)
        return {decode(key_t, k): decode(val_t, v) for k, v in raw.items()}
    if tp is date:
        return date.fromisoformat(raw)
    if tp is Decimal:
        return Decimal(raw)
    if tp is Fraction:
        return Fraction(raw)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(raw)
    if tp is int and isinstance(raw, str):
        return int(raw)
    return raw
