"""Exact JSON encoding of the domain's frozen dataclasses (account states kept in the store).

Type-directed both ways: decoding walks the dataclass's type hints, so the JSON carries no
class names and a stored state reads back equal to what was saved. Money stays ``int``;
``Decimal`` and ``Fraction`` travel as exact strings; no float is produced.

Encoding goes by the value's type, first rule that applies: ``bool``/``int``/``str`` (and their
subclasses) and ``None`` as they are; an ``Enum`` as its value; a tuple or list as a list; a
dataclass as an object of all its fields; a date as ISO text; ``Decimal``/``Fraction`` as
strings; a mapping as an object with string keys; a set as a sorted list.

Account states are read and written for every command and every end of day (a line's command
log grows by an operation a day), so both directions are compiled once per type: the encoding
rule is chosen once per type, each dataclass's decoder is a closure over its fields' decoders.
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
    encoder = _ENCODERS.get(type(value))
    if encoder is None:
        encoder = _encoder(type(value))
    return encoder(value)


Encoder = Callable[[Any], Any]

# Each branch of the encoding depends on the value's type only, so the branch is chosen once per
# type (by the same isinstance rules, in the same order) and kept here.
_ENCODERS: dict[type, Encoder] = {}


def _encoder(cls: type) -> Encoder:
    """The encoder for values of exactly type ``cls`` (rules in the order :func:`encode` says)."""
    chosen: Encoder
    if issubclass(cls, bool | int | str) or cls is type(None):
        chosen = _identity
    elif issubclass(cls, Enum):
        chosen = _enum_value
    elif issubclass(cls, tuple | list):
        chosen = _encode_sequence
    elif dataclasses.is_dataclass(cls):
        chosen = _dataclass_encoder(tuple(f.name for f in dataclasses.fields(cls)))
    elif issubclass(cls, date):
        chosen = _isoformat
    elif issubclass(cls, Decimal | Fraction):
        chosen = str
    elif issubclass(cls, Mapping):
        chosen = _encode_mapping
    elif issubclass(cls, frozenset | set):
        chosen = _encode_set
    else:
        chosen = _refuse
    _ENCODERS[cls] = chosen
    return chosen


def _enum_value(value: Any) -> Any:
    return value.value


def _isoformat(value: Any) -> Any:
    return value.isoformat()


def _encode_sequence(value: Any) -> Any:
    return [encode(v) for v in value]


def _encode_mapping(value: Any) -> Any:
    return {str(k): encode(v) for k, v in value.items()}


def _encode_set(value: Any) -> Any:
    return [encode(v) for v in sorted(value)]


def _refuse(value: Any) -> Any:
    raise TypeError(f"cannot encode {type(value).__name__} exactly")


_PLAIN = (int, str, bool, type(None))


def _dataclass_encoder(names: tuple[str, ...]) -> Encoder:
    encoders = _ENCODERS

    def encode_dataclass(value: Any) -> Any:
        out = {}
        for name in names:
            v = getattr(value, name)
            t = type(v)
            if t in _PLAIN:  # the common case, without a call
                out[name] = v
            else:
                enc = encoders.get(t)
                out[name] = (enc or _encoder(t))(v)
        return out

    return encode_dataclass


def decode(tp: Any, raw: Any) -> Any:
    """Rebuild a value of type ``tp`` from what :func:`encode` produced."""
    return _decoder(tp)(raw)


def _identity(raw: Any) -> Any:
    return raw


def _int(raw: Any) -> Any:
    return int(raw) if isinstance(raw, str) else raw


def _compile_build(cls: type, decoders: list[tuple[str, Decoder]]) -> Decoder:
    """A function building ``cls`` from its encoded object, generated for its fields.

    The fast path (one generated call, as ``dataclasses`` generates ``__init__``) expects every
    field present; a missing one (an older document: the field's default applies) takes the
    general path. Both give the same value.
    """

    def general(raw: Any) -> Any:
        kwargs = {name: decoder(raw[name]) for name, decoder in decoders if name in raw}
        return cls(**kwargs)

    env: dict[str, Any] = {"cls": cls, "general": general}
    args = []
    for i, (name, decoder) in enumerate(decoders):
        if decoder is _identity:
            args.append(f"{name}=raw[{name!r}]")
        else:
            env[f"d{i}"] = decoder
            args.append(f"{name}=d{i}(raw[{name!r}])")
    source = (
        "def build(raw):\n"
        "    try:\n"
        f"        return cls({', '.join(args)})\n"
        "    except KeyError:\n"
        "        return general(raw)\n"
    )
    exec(compile(source, f"<codec {cls.__qualname__}>", "exec"), env)
    built: Decoder = env["build"]
    return built


@cache
def _decoder(tp: Any) -> Decoder:
    if tp is Any or tp in (str, bool):
        return _identity
    if tp is int:
        return _int
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
        # The field decoders are looked up on first use, not here: a dataclass may refer to
        # itself (directly or not), and its own decoder is being compiled right now.
        compiled: list[Decoder] = []

        def build(raw: Any) -> Any:
            if not compiled:
                # One append of the finished function: another thread sees it whole or not.
                compiled.append(_compile_build(tp, [(n, _decoder(h)) for n, h in fields]))
            return compiled[0](raw)

        return build
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = args[0]

            def many(raw: Any) -> Any:
                decoder = _decoder(item)
                return tuple(raw) if decoder is _identity else tuple(decoder(v) for v in raw)

            return many
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
