"""Scenario validation: every error names the event's index and the field (SPEC §10)."""

from __future__ import annotations

from datetime import date

import pytest

from creditguard.servicing.scenario import ScenarioError, load_scenario

GOOD = """
products:
  cp: credit-pay
  cl: {kind: installment, daily_rate: "0.0004"}
events:
  - {date: 2026-01-01, op: open-line, account: A, product: cp, limit: "5000.00"}
  - {date: 2026-01-05, op: purchase, account: A, amount: "1000.00"}
  - {date: 2026-01-03, op: disburse, account: L1, product: cl, principal: "12000", term: 12}
  - {date: 2026-02-10, op: repay, account: A, amount: "100.00"}
  - {date: 2026-02-11, op: reverse, account: A, event: 3}
  - {date: 2026-02-12, op: declare-outage, start: 2026-02-09, end: 2026-02-11}
until: 2026-03-01
"""


def test_good_scenario_sorted_by_date_with_file_indices() -> None:
    scenario = load_scenario(GOOD)
    assert [e.index for e in scenario.events] == [0, 2, 1, 3, 4, 5]
    disburse = scenario.by_index[2]
    assert disburse.fields["principal"] == 1_200_000
    assert disburse.fields["method"] is None  # the product's first method, decided at replay
    assert scenario.by_index[5].fields["relief_days"] == 3
    assert scenario.until == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("replace", "by", "path", "rule"),
    [
        ('amount: "1000.00"', 'amount: "10.005"', "events[1].amount", "more than 2 decimal"),
        ('amount: "1000.00"', "amount: 1000.00", "events[1].amount", "decimal string"),
        ("op: purchase", "op: buy", "events[1].op", "not one of"),
        ("term: 12", "term: 0", "events[2].term", "at least 1"),
        ("product: cl,", "product: nope,", "events[2].product", "not declared"),
        ("event: 3", "event: 1", "events[4].event", "earlier repay"),
        ("2026-02-10, op: repay", "2026-02-30, op: repay", "events[3].date", "real calendar"),
        (
            'account: A, amount: "100.00"',
            'account: A, amont: "1"',
            "events[3].amont",
            "not a field",
        ),
        ("start: 2026-02-09", "start: 2026-02-19", "events[5].end", "before start"),
    ],
)
def test_errors_name_index_and_field(replace: str, by: str, path: str, rule: str) -> None:
    assert replace in GOOD
    with pytest.raises(ScenarioError) as err:
        load_scenario(GOOD.replace(replace, by, 1))
    assert err.value.field == path
    assert rule in str(err.value)


def test_event_after_until_and_missing_until() -> None:
    with pytest.raises(ScenarioError, match="after until"):
        load_scenario(GOOD.replace("until: 2026-03-01", "until: 2026-02-01"))
    with pytest.raises(ScenarioError, match="until: is required"):
        load_scenario(GOOD.replace("until: 2026-03-01", ""))
