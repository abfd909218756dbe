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
rule is chosen once per type, and each dataclass gets a generated encoder and a generated
builder with its fields' rules inlined from their annotations. The generated encoder checks each
value's exact type against the annotation and hands anything else to the generic rule, so the
output depends on the values only, as the rules above say; the builder inlines what
:func:`decode` does for each annotation.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import threading
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
        generic = _dataclass_encoder(tuple(f.name for f in dataclasses.fields(cls)))
        # A class that refers to itself meets this entry while its own encoder is compiled.
        _ENCODERS[cls] = generic
        chosen = _compile_encoder(cls) or generic
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


def _compile_encoder(cls: type) -> Encoder | None:
    """An encoder for dataclass ``cls`` generated from its field annotations (None: no hints).

    The annotation only guesses the value's type: each field's rule is inlined for exactly the
    annotated class (``type(v) is C``, the rule :func:`_encoder` chose for ``C``) and any other
    value takes :func:`encode`. So the output is the generic encoder's, value for value, with
    neither the loop over field names nor a call per plain field.
    """
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that does not resolve: the generic encoder serves
        return None
    env: dict[str, Any] = {"_g": encode}
    items = []
    for i, f in enumerate(dataclasses.fields(cls)):
        expr = _field_expr(hints.get(f.name, Any), f"(v{i} := value.{f.name})", f"v{i}", env, 0)
        items.append(f"{f.name!r}: {expr}")
    source = f"def encode_dataclass(value):\n    return {{{', '.join(items)}}}\n"
    exec(compile(source, f"<codec encode {cls.__qualname__}>", "exec"), env)
    compiled: Encoder = env["encode_dataclass"]
    return compiled


def _field_expr(tp: Any, first: str, var: str, env: dict[str, Any], depth: int) -> str:
    """Source text encoding the value ``first`` evaluates to (later read as ``var``)."""
    fallback = f"_g({first})"
    origin = typing.get_origin(tp)
    if tp is Any:
        return fallback
    if origin is None and isinstance(tp, type):
        rule = _ENCODERS.get(tp) or _encoder(tp)
        if rule is _identity:
            done = var
        elif rule is _enum_value:
            done = f"{var}.value"
        elif rule is _isoformat:
            done = f"{var}.isoformat()"
        elif rule is str:
            done = f"str({var})"
        elif rule is _encode_sequence or rule is _encode_mapping or rule is _encode_set:
            return fallback
        else:  # a dataclass's encoder (or a refusal: the fallback refuses just the same)
            name = f"e{len(env)}"
            env[name] = rule
            done = f"{name}({var})"
        cname = f"c{len(env)}"
        env[cname] = tp
        return f"({done} if type({first}) is {cname} else _g({var}))"
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _field_expr(args[0] if args[1] is type(None) else args[1], var, var, env, depth)
        return f"(None if {first} is None else {inner})"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = f"o{depth}"
        inner = _field_expr(args[0], item, item, env, depth + 1)
        return f"([{inner} for {item} in {var}] if type({first}) is tuple else _g({var}))"
    if origin is tuple and args and Ellipsis not in args:  # a pair, say: item by item
        items = ", ".join(
            _field_expr(a, f"({var}_{i} := {var}[{i}])", f"{var}_{i}", env, depth)
            for i, a in enumerate(args)
        )
        return f"([{items}] if type({first}) is tuple and len({var}) == {len(args)} else _g({var}))"
    return fallback


def decode(tp: Any, raw: Any) -> Any:
    """Rebuild a value of type ``tp`` from what :func:`encode` produced."""
    return _decoder(tp)(raw)


def _identity(raw: Any) -> Any:
    return raw


def _int(raw: Any) -> Any:
    return int(raw) if isinstance(raw, str) else raw


# Compiled builds by class; compiling is serialised so that a class met again while its own
# build is being compiled (a recursive type) is known as such, in this thread only.
_BUILDS: dict[type, Decoder] = {}
_BUILDING: set[type] = set()
_BUILD_LOCK = threading.RLock()


def _build_of(cls: type) -> Decoder:
    """The compiled build of dataclass ``cls`` (its lazy decoder while that is being compiled)."""
    built = _BUILDS.get(cls)
    if built is not None:
        return built
    with _BUILD_LOCK:
        built = _BUILDS.get(cls)
        if built is not None:
            return built
        if cls in _BUILDING:
            return _decoder(cls)
        _BUILDING.add(cls)
        try:
            hints = typing.get_type_hints(cls)
            fields = [
                (f.name, hints[f.name], f.kw_only is True)
                for f in dataclasses.fields(cls)
                if f.init
            ]
            built = _compile_build(cls, fields)
        finally:
            _BUILDING.discard(cls)
        _BUILDS[cls] = built
        return built


def _compile_build(cls: type, fields: list[tuple[str, Any, bool]]) -> Decoder:
    """A function building ``cls`` from its encoded object, generated for its fields.

    The fast path (one generated call, as ``dataclasses`` generates ``__init__``) expects every
    field present; a missing one (an older document: the field's default applies) takes the
    general path. Both give the same value. In the fast path each field's decoder is inlined
    (:func:`_decode_expr`), the same rule as its :func:`_decoder` without the calls.
    """
    decoders = [(name, _decoder(tp)) for name, tp, _ in fields]

    def general(raw: Any) -> Any:
        kwargs = {name: decoder(raw[name]) for name, decoder in decoders if name in raw}
        return cls(**kwargs)

    env: dict[str, Any] = {"cls": cls, "general": general, "_int": _int}
    # Positional arguments are cheaper; keyword-only fields would have to move to the end.
    positional = not any(kw_only for _, _, kw_only in fields)
    args = []
    for i, (name, tp, _) in enumerate(fields):
        expr = _decode_expr(tp, f"raw[{name!r}]", f"x{i}", env)
        args.append(expr if positional else f"{name}={expr}")
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


def _decode_expr(tp: Any, src: str, var: str, env: dict[str, Any]) -> str:
    """Source text decoding the raw value ``src`` (evaluated once) as :func:`_decoder` would.

    ``var`` names a local the expression may bind (``src`` is then read through it).
    """
    decoder = _decoder(tp)
    if decoder is _identity:
        return src
    if decoder is _int:
        return f"({var} if type({var} := {src}) is int else _int({var}))"
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = f"b{len(env)}"
        env[name] = _build_of(tp)
        return f"{name}({src})"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            if _decoder(options[0]) is _identity:
                return src
            inner = _decode_expr(options[0], var, f"{var}_", env)
            return f"(None if ({var} := {src}) is None else {inner})"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if _decoder(args[0]) is _identity:
            return f"tuple({src})"
        item = f"{var}_o"
        return f"tuple([{_decode_expr(args[0], item, f'{item}_', env)} for {item} in {src}])"
    if origin is tuple and args and Ellipsis not in args:  # a pair, say: item by item
        first, raw = (src, src) if src.isidentifier() else (f"({var} := {src})", var)
        items = "".join(
            _decode_expr(a, f"{raw}[{i}]", f"{var}_{i}", env) + ", " for i, a in enumerate(args)
        )
        name = f"d{len(env)}"
        env[name] = decoder  # any other shape: the general decoder (and its error)
        return (
            f"(({items}) if type({first}) is list and len({raw}) == {len(args)} else {name}({raw}))"
        )
    name = f"d{len(env)}"
    env[name] = decoder
    return f"{name}({src})"


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
        # Compiled on first use, not here: a dataclass may refer to itself (directly or not),
        # and its own decoder is being compiled right now.
        def build(raw: Any) -> Any:
            return _build_of(tp)(raw)

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
