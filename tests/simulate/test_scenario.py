"""The simulator's scenario file: the shipped ones parse; bad input names its field."""

from __future__ import annotations

from datetime import date

import pytest

from creditguard.money import InputError
from creditguard.simulate.scenario import parse_scenario, shipped_scenario

BASE = """
seed: 1
borrowers: 10
months: 12
start: "2026-01-01"
"""


def test_shipped_scenarios_parse() -> None:
    default = shipped_scenario("default")
    stress = shipped_scenario("stress")
    assert default.months == 12 and default.macro[0].month == 8
    assert default.end == date(2026, 12, 31)
    # The stress scenario is harsher than the default where it matters.
    assert stress.job_loss_multiplier(9) > default.job_loss_multiplier(9)
    assert stress.behaviour.reminder_effect < default.behaviour.reminder_effect
    assert len(stress.outages) == 2


def test_macro_path_multiplier_steps_by_month() -> None:
    sc = parse_scenario(
        BASE
        + "macro:\n  - {month: 4, job_loss_multiplier: 2}\n  - {month: 8, job_loss_multiplier: 5}\n"
    )
    assert [sc.job_loss_multiplier(m) for m in (1, 3, 4, 7, 8, 12)] == [1, 1, 2, 2, 5, 5]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("colour: red\n", "colour"),
        ("macro:\n  - {month: 13, job_loss_multiplier: 2}\n", "macro[0].month"),
        ("macro:\n  - {month: 2, job_loss_multiplier: lots}\n", "macro[0].job_loss_multiplier"),
        ('outages:\n  - {start: "2026-03-05", end: "2026-03-01"}\n', "outages[0].end"),
        ('outages:\n  - {start: "March", end: "2026-03-01"}\n', "outages[0].start"),
        ("behaviour:\n  laziness: 0.5\n", "behaviour.laziness"),
        ("product_mix:\n  cash_loan_share: 1.5\n", "product_mix.cash_loan_share"),
    ],
)
def test_bad_scenarios_name_the_field(extra: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        parse_scenario(BASE + extra)
    assert err.value.field == field


def test_borrowers_must_be_a_whole_number() -> None:
    with pytest.raises(InputError) as err:
        parse_scenario(BASE.replace("borrowers: 10", "borrowers: 10.5"))
    assert err.value.field == "borrowers"
