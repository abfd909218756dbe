"""Scenario files (SPEC §10): parsing and validation into typed, dated events.

A scenario is how a lender, an auditor or a support engineer reproduces a case. Parsing is pure:
text in, a :class:`Scenario` out, or one :class:`ScenarioError` naming the event's index and the
field (``events[3].amount: '12.345' has more than 2 decimal places``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from creditguard.calendar import parse_date
from creditguard.money import InputError, parse_amount

__all__ = ["OPS", "Scenario", "ScenarioError", "ScenarioEvent", "load_scenario", "parse_scenario"]


class ScenarioError(InputError):
    """An invalid scenario: the field is a path such as ``events[3].amount``."""


# op → (required fields, optional fields with defaults). Every field not listed is an error.
OPS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "open-line": (("account", "product", "limit"), {"borrower": None}),
    "purchase": (("account", "amount"), {}),
    "refund": (("account", "amount", "purchase"), {}),
    "disburse": (
        ("account", "product", "principal", "term"),
        {"method": None, "line": None, "borrower": None},
    ),
    "repay": (("account", "amount"), {}),
    "convert-to-installments": (("account", "periods"), {"purchase": None}),
    "waive": (("account", "component", "amount", "reason", "approver"), {}),
    "reverse": (("account", "event"), {}),
    "declare-outage": (("start", "end"), {"relief_days": 3}),
}
_AMOUNT_FIELDS = {"limit", "amount", "principal"}
_INDEX_FIELDS = {"purchase", "event"}
_COUNT_FIELDS = {"term", "periods", "relief_days"}
_DATE_FIELDS = {"start", "end"}
_WAIVABLE = ("penalty", "fee", "interest")


@dataclass(frozen=True, slots=True)
class ScenarioEvent:
    """One dated command of a scenario; ``index`` counts events from 0 in file order."""

    index: int
    date: date
    op: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Scenario:
    """Products (name → catalogue name or inline mapping), events in apply order, ``until``."""

    products: Mapping[str, str | Mapping[str, Any]]
    events: tuple[ScenarioEvent, ...]
    until: date
    source: str = "scenario"
    by_index: Mapping[int, ScenarioEvent] = field(default_factory=dict)


def _whole(value: Any, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(path, f"must be a whole number, got {value!r}")
    if value < minimum:
        raise ScenarioError(path, f"must be at least {minimum}, got {value}")
    return value


def _reraise(path: str, exc: InputError) -> ScenarioError:
    return ScenarioError(path, exc.rule)


def _parse_event(index: int, raw: Any, products: Mapping[str, Any]) -> ScenarioEvent:
    where = f"events[{index}]"
    if not isinstance(raw, Mapping):
        raise ScenarioError(where, "each event must be a mapping with date and op")
    if "op" not in raw:
        raise ScenarioError(f"{where}.op", "is required")
    op = raw["op"]
    if op not in OPS:
        raise ScenarioError(f"{where}.op", f"{op!r} is not one of {', '.join(OPS)}")
    if "date" not in raw:
        raise ScenarioError(f"{where}.date", "is required")
    try:
        when = parse_date(raw["date"], f"{where}.date")
    except InputError as exc:
        raise _reraise(f"{where}.date", exc) from exc
    required, optional = OPS[op]
    for name in raw:
        if name not in ("date", "op", *required, *optional):
            raise ScenarioError(f"{where}.{name}", f"is not a field of {op}")
    values: dict[str, Any] = {}
    for name in required:
        if raw.get(name) is None:
            raise ScenarioError(f"{where}.{name}", f"is required for {op}")
    for name in (*required, *optional):
        path = f"{where}.{name}"
        value = raw.get(name, optional.get(name))
        if value is None:
            values[name] = None
            continue
        try:
            if name in _AMOUNT_FIELDS:
                value = parse_amount(value, path)
                if value == 0:
                    raise ScenarioError(path, "must be greater than 0")
            elif name in _COUNT_FIELDS:
                value = _whole(value, path, 0 if name == "relief_days" else 1)
            elif name in _INDEX_FIELDS:
                value = _whole(value, path, 0)
            elif name in _DATE_FIELDS:
                value = parse_date(value, path)
            elif not isinstance(value, str) or not value.strip():
                raise ScenarioError(path, f"must be a non-empty string, got {value!r}")
        except ScenarioError:
            raise
        except InputError as exc:
            raise _reraise(path, exc) from exc
        values[name] = value
    if op in ("open-line", "disburse") and values["product"] not in products:
        raise ScenarioError(
            f"{where}.product",
            f"{values['product']!r} is not declared under products "
            f"(declared: {', '.join(products) or 'none'})",
        )
    if op == "waive" and values["component"] not in _WAIVABLE:
        raise ScenarioError(
            f"{where}.component", f"{values['component']!r} is not one of {', '.join(_WAIVABLE)}"
        )
    if op == "declare-outage" and values["end"] < values["start"]:
        raise ScenarioError(f"{where}.end", "must not be before start")
    return ScenarioEvent(index=index, date=when, op=op, fields=values)


def parse_scenario(document: Any, source: str = "scenario") -> Scenario:
    """Validate a loaded YAML document into a :class:`Scenario`."""
    if not isinstance(document, Mapping):
        raise ScenarioError(source, "a scenario is a mapping with products, events and until")
    for key in document:
        if key not in ("products", "events", "until"):
            raise ScenarioError(str(key), "is not a scenario key (products, events, until)")
    products = document.get("products") or {}
    if not isinstance(products, Mapping):
        raise ScenarioError("products", "must map product names to a catalogue name or a mapping")
    for name, spec in products.items():
        if not isinstance(spec, str | Mapping):
            raise ScenarioError(f"products.{name}", "must be a catalogue name or a mapping")
    raw_events = document.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise ScenarioError("events", "must be a non-empty list")
    events = [_parse_event(i, raw, products) for i, raw in enumerate(raw_events)]
    if "until" not in document:
        raise ScenarioError("until", "is required")
    try:
        until = parse_date(document["until"], "until")
    except InputError as exc:
        raise _reraise("until", exc) from exc
    by_index = {e.index: e for e in events}
    for e in events:
        if e.date > until:
            raise ScenarioError(f"events[{e.index}].date", f"{e.date} is after until ({until})")
        target = e.fields.get("event") if e.op == "reverse" else None
        if target is not None and (
            target not in by_index or by_index[target].op != "repay" or target >= e.index
        ):
            raise ScenarioError(
                f"events[{e.index}].event", f"{target} is not the index of an earlier repay event"
            )
        purchase = (
            e.fields.get("purchase") if e.op in ("refund", "convert-to-installments") else None
        )
        if purchase is not None and (
            purchase not in by_index or by_index[purchase].op != "purchase" or purchase >= e.index
        ):
            raise ScenarioError(
                f"events[{e.index}].purchase", f"{purchase} is not the index of an earlier purchase"
            )
    # Events apply in date order, file order within a date (a stable sort keeps file order).
    ordered = tuple(sorted(events, key=lambda ev: ev.date))
    return Scenario(
        products=dict(products), events=ordered, until=until, source=source, by_index=by_index
    )


class _TextDatesLoader(yaml.SafeLoader):
    """YAML's safe loader minus implicit timestamps: dates stay text for :func:`parse_date`.

    PyYAML would otherwise crash on ``2026-02-30`` with a bare ValueError, with no event index.
    """


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_scenario(text: str, source: str = "scenario") -> Scenario:
    """Parse YAML text into a validated :class:`Scenario`."""
    try:
        document = yaml.load(text, Loader=_TextDatesLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScenarioError(source, f"is not valid YAML: {' '.join(str(exc).split())}") from exc
    return parse_scenario(document, source)
