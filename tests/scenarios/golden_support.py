"""Shared by the golden-scenario runners: load a scenario file with its ``expect:`` block,
match expected values key by key, and check the invariants every replay must keep."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from creditguard.money import parse_amount
from creditguard.servicing.scenario import Scenario, parse_scenario


class _TextDatesLoader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps, like ``servicing.scenario.load_scenario``: dates
    stay text for the scenario parser and compare as text in ``expect``."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_golden(path: Path) -> tuple[Scenario, dict[str, Any]]:
    """The scenario of a golden file (its ``expect`` key removed) and the expected values."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDatesLoader)
    expect = document.pop("expect")
    return parse_scenario(document, path.name), expect


def assert_matches(actual: Any, expected: Any, where: str) -> None:
    """``actual`` has every key of ``expected`` with the same value (lists: same length)."""
    if isinstance(expected, Mapping):
        assert isinstance(actual, Mapping), f"{where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: no key {key!r} (has {sorted(actual)})"
            assert_matches(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), (
            f"{where}: {len(actual)} items, expected {len(expected)}: {actual!r}"
        )
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: got {actual!r}, expected {expected!r}"


def check_invariants(out: Mapping[str, Any]) -> None:
    """What every replay must satisfy, whatever the scenario."""
    ledger = out["ledger"]
    assert ledger["balanced"] is True
    assert ledger["debits"] == ledger["credits"]
    for name, account in out["accounts"].items():
        if account["kind"] == "line":
            limit = parse_amount(account["limit"])
            balance = parse_amount(account["principal_balance"])
            assert parse_amount(account["available"]) == max(0, limit - balance), name
