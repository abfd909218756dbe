"""Product validation: every rule of the schema refuses a bad file with one clear message.

Each case writes a real TOML file and loads it, then checks that the ProductError names the
file, the key and the rule (SPEC §10; the bounds are documented in products/schema.py).
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from creditguard.calendar import DayCount
from creditguard.money import InputError, Rounding
from creditguard.products import (
    DEFAULT_RESTRICTIONS,
    AnyProduct,
    InstallmentProduct,
    Method,
    Prepayment,
    ProductError,
    RestrictionRule,
    RevolvingProduct,
    load_product_file,
    product_from_mapping,
)

INSTALLMENT: dict[str, Any] = {"kind": "installment", "daily_rate": "0.0004"}
REVOLVING: dict[str, Any] = {"kind": "revolving"}
DROP = object()


def toml_value(value: Any) -> str:
    """A TOML literal for a test value (floats stay unquoted, on purpose)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
            + "}"
        )
    raise TypeError(type(value))


def write_product(directory: Path, name: str, mapping: dict[str, Any]) -> Path:
    path = directory / f"{name}.toml"
    path.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in mapping.items()), "utf-8")
    return path


def refused(tmp_path: Path, base: dict[str, Any], changes: dict[str, Any]) -> ProductError:
    mapping = {**base, **changes}
    mapping = {k: v for k, v in mapping.items() if v is not DROP}
    path = write_product(tmp_path, "bad-product", mapping)
    with pytest.raises(ProductError) as info:
        load_product_file(path)
    err = info.value
    assert err.source == str(path)
    assert str(path) in str(err)
    return err


FEE = "installment_fee_rates"


def rules(*pairs: tuple[int, str]) -> dict[str, Any]:
    """A restrictions value from (dpd, action) pairs."""
    return {"restrictions": [{"dpd": d, "action": a} for d, a in pairs]}


CASES = [
    # pytest.param(base, changes, key, fragment of the rule, id=...)
    pytest.param(INSTALLMENT, {"colour": "red"}, "colour", "unknown key", id="unknown key"),
    pytest.param(INSTALLMENT, {"name": "x"}, "name", "file's stem", id="name is not a key"),
    pytest.param(
        INSTALLMENT, {"statement_day": 1}, "statement_day", "revolving", id="key of other kind"
    ),
    pytest.param(REVOLVING, {"terms": [3]}, "terms", "installment", id="key of other kind 2"),
    pytest.param({"daily_rate": "0.0004"}, {}, "kind", "required", id="kind missing"),
    pytest.param(
        INSTALLMENT, {"kind": "mortgage"}, "kind", "'installment' or 'revolving'", id="kind unknown"
    ),
    # wrong types
    pytest.param(INSTALLMENT, {"grace_days": "3"}, "grace_days", "whole number", id="int quoted"),
    pytest.param(
        INSTALLMENT, {"cross_default": "yes"}, "cross_default", "true or false", id="bool as string"
    ),
    pytest.param(INSTALLMENT, {"methods": "annuity"}, "methods", "list", id="methods not list"),
    pytest.param(INSTALLMENT, {"terms": ["3"]}, "terms[0]", "whole number", id="terms quoted"),
    pytest.param(
        INSTALLMENT, {"daily_rate": 0.0004}, "daily_rate", "not float", id="rate as number"
    ),
    pytest.param(INSTALLMENT, {"apr_cap": 0}, "apr_cap", "not int", id="rate as int"),
    pytest.param(INSTALLMENT, {"tolerance": 1}, "tolerance", "not int", id="amount as number"),
    pytest.param(
        INSTALLMENT, {"tolerance": "0.001"}, "tolerance", "2 decimal places", id="amount 3 places"
    ),
    pytest.param(
        INSTALLMENT, {"daily_rate": "4e-4"}, "daily_rate", "no exponent", id="rate exponent"
    ),
    pytest.param(REVOLVING, {FEE: {"3": 0.025}}, f"{FEE}.3", "not float", id="fee as number"),
    pytest.param(INSTALLMENT, {"rounding": "up"}, "rounding", "half-up", id="bad rounding"),
    pytest.param(
        {"kind": "installment", "annual_rate": "0.1"},
        {"day_count": "act/366"},
        "day_count",
        "act/365",
        id="bad day count",
    ),
    pytest.param(
        INSTALLMENT, {"prepayment": "reduce-all"}, "prepayment", "reduce-term", id="bad prepayment"
    ),
    # negative and absurd rates
    pytest.param(
        INSTALLMENT,
        {"daily_rate": "-0.0004"},
        "daily_rate",
        "must not be negative",
        id="negative daily",
    ),
    pytest.param(
        REVOLVING,
        {"revolving_daily_rate": "-0.0005"},
        "revolving_daily_rate",
        "must not be negative",
        id="negative revolving",
    ),
    pytest.param(
        REVOLVING, {FEE: {"3": "-0.01"}}, f"{FEE}.3", "must not be negative", id="negative fee"
    ),
    pytest.param(
        {"kind": "installment", "annual_rate": "1.46"},
        {},
        "annual_rate",
        "at most 1 ",
        id="absurd annual",
    ),
    pytest.param(
        INSTALLMENT, {"daily_rate": "0.02"}, "daily_rate", "at most 0.01", id="absurd daily"
    ),
    pytest.param(
        REVOLVING,
        {"overdue_fee_daily_rate": "0.05"},
        "overdue_fee_daily_rate",
        "at most 0.01",
        id="absurd overdue fee",
    ),
    pytest.param(REVOLVING, {FEE: {"12": "0.6"}}, f"{FEE}.12", "at most 0.5", id="absurd fee"),
    pytest.param(
        REVOLVING, {"min_payment_rate": "0"}, "min_payment_rate", "above 0", id="zero min payment"
    ),
    pytest.param(
        REVOLVING,
        {"min_payment_rate": "1.1"},
        "min_payment_rate",
        "at most 1",
        id="min payment > 1",
    ),
    pytest.param(
        INSTALLMENT,
        {"tolerance": "-1.00"},
        "tolerance",
        "must not be negative",
        id="negative tolerance",
    ),
    pytest.param(
        INSTALLMENT, {"tolerance": "100.01"}, "tolerance", "at most 100.00", id="huge tolerance"
    ),
    pytest.param(
        INSTALLMENT,
        {"penalty_annual_cap": "0.5"},
        "penalty_annual_cap",
        "at most 0.36",
        id="penalty cap",
    ),
    pytest.param(INSTALLMENT, {"apr_cap": "0"}, "apr_cap", "above 0", id="apr cap zero"),
    pytest.param(INSTALLMENT, {"apr_cap": "0.4"}, "apr_cap", "at most 0.36", id="apr cap over 36%"),
    pytest.param(
        INSTALLMENT,
        {"penalty_rate_multiplier": "0.5"},
        "penalty_rate_multiplier",
        "at least 1",
        id="multiplier < 1",
    ),
    pytest.param(
        INSTALLMENT,
        {"penalty_rate_multiplier": "11"},
        "penalty_rate_multiplier",
        "at most 10",
        id="multiplier > 10",
    ),
    # counts and days
    pytest.param(INSTALLMENT, {"grace_days": 91}, "grace_days", "at most 90", id="grace > 90"),
    pytest.param(INSTALLMENT, {"grace_days": -1}, "grace_days", "at least 0", id="grace < 0"),
    pytest.param(
        INSTALLMENT, {"write_off_dpd": 0}, "write_off_dpd", "at least 1", id="write-off 0"
    ),
    pytest.param(
        REVOLVING, {"statement_day": 29}, "statement_day", "February", id="statement day 29"
    ),
    pytest.param(
        REVOLVING, {"statement_day": 0}, "statement_day", "at least 1", id="statement day 0"
    ),
    pytest.param(REVOLVING, {"due_day": 31}, "due_day", "at most 28", id="due day 31"),
    pytest.param(
        REVOLVING,
        {"statement_day": 5, "due_day": 5},
        "due_day",
        "must differ",
        id="due = statement",
    ),
    # terms and methods
    pytest.param(INSTALLMENT, {"terms": []}, "terms", "at least one term", id="no terms"),
    pytest.param(INSTALLMENT, {"terms": [0, 3]}, "terms", "1 to 60", id="term 0"),
    pytest.param(INSTALLMENT, {"terms": [3, 61]}, "terms", "1 to 60", id="term 61"),
    pytest.param(INSTALLMENT, {"terms": [3, 6, 3]}, "terms", "unique", id="terms twice"),
    pytest.param(INSTALLMENT, {"methods": []}, "methods", "at least one method", id="no methods"),
    pytest.param(
        INSTALLMENT, {"methods": ["weekly"]}, "methods[0]", "annuity", id="unknown method"
    ),
    pytest.param(
        INSTALLMENT, {"methods": ["annuity", "annuity"]}, "methods", "unique", id="method twice"
    ),
    pytest.param(
        INSTALLMENT,
        {"methods": ["fee-installment"]},
        "methods",
        "revolving line",
        id="fee-installment loan",
    ),
    # installment fee table keys
    pytest.param(REVOLVING, {FEE: {"0": "0.01"}}, f"{FEE}.0", "periods", id="fee key 0"),
    pytest.param(
        REVOLVING,
        {FEE: {"three": "0.01"}},
        f"{FEE}.three",
        "positive whole number",
        id="fee key word",
    ),
    pytest.param(REVOLVING, {FEE: {"61": "0.01"}}, f"{FEE}.61", "1 to 60", id="fee key 61"),
    pytest.param(REVOLVING, {FEE: ["0.025"]}, FEE, "table", id="fee table not table"),
    # restrictions
    pytest.param(
        INSTALLMENT,
        rules((30, "close"), (1, "freeze")),
        "restrictions",
        "sorted by dpd",
        id="restrictions unsorted",
    ),
    pytest.param(
        INSTALLMENT,
        rules((0, "freeze")),
        "restrictions[0].dpd",
        "at least 1",
        id="restriction dpd 0",
    ),
    pytest.param(
        INSTALLMENT,
        rules((1, "close"), (30, "freeze")),
        "restrictions",
        "close must come after freeze",
        id="close before freeze",
    ),
    pytest.param(
        INSTALLMENT,
        rules((1, "freeze"), (5, "freeze")),
        "restrictions",
        "one rule per action",
        id="action twice",
    ),
    pytest.param(
        INSTALLMENT,
        rules((1, "suspend")),
        "restrictions[0].action",
        "'freeze' or 'close'",
        id="unknown action",
    ),
    pytest.param(
        INSTALLMENT,
        {"restrictions": [{"dpd": 1, "action": "freeze", "note": "x"}]},
        "restrictions[0].note",
        "unknown key",
        id="restriction extra key",
    ),
    # rates of an installment product
    pytest.param(
        {"kind": "installment"}, {}, "annual_rate", "annual_rate or daily_rate", id="no rate"
    ),
    pytest.param(
        INSTALLMENT, {"annual_rate": "0.146"}, "daily_rate", "exactly one", id="two rates"
    ),
    pytest.param(
        {"kind": "installment", "annual_rate": "0.1"},
        {"days_in_year": 365},
        "days_in_year",
        "only with daily_rate",
        id="days with annual",
    ),
    pytest.param(INSTALLMENT, {"days_in_year": 366}, "days_in_year", "365 or 360", id="days 366"),
    pytest.param(
        INSTALLMENT,
        {"days_in_year": 360, "day_count": "act/365"},
        "day_count",
        "'act/360'",
        id="360 vs act/365",
    ),
    pytest.param(
        INSTALLMENT, {"day_count": "30/360"}, "day_count", "'act/365'", id="daily on 30/360"
    ),
]


@pytest.mark.parametrize(("base", "changes", "key", "fragment"), CASES)
def test_each_rule_refuses_with_file_key_and_rule(
    tmp_path: Path, base: dict[str, Any], changes: dict[str, Any], key: str, fragment: str
) -> None:
    err = refused(tmp_path, base, changes)
    assert err.key == key, str(err)
    assert fragment in err.rule, str(err)
    assert f": {key}: " in str(err)
    assert isinstance(err, InputError)


def test_installment_defaults_are_spec_defaults() -> None:
    product = product_from_mapping("minimal", {"kind": "installment", "annual_rate": "0.12"})
    assert isinstance(product, InstallmentProduct)
    assert product.name == "minimal"
    assert product.source == "inline"
    assert product.rounding is Rounding.HALF_UP
    assert product.grace_days == 0
    assert product.grace_retroactive is False
    assert product.tolerance == 0
    assert product.penalty_annual_cap == Decimal("0.24")
    assert product.write_off_dpd == 180
    assert product.restrictions == (
        RestrictionRule(dpd=1, action="freeze"),
        RestrictionRule(dpd=30, action="close"),
    )
    assert product.cross_default is False
    assert product.apr_cap == Decimal("0.24")
    assert product.day_count is DayCount.ACT_365
    assert product.days_in_year is None  # goes only with a daily rate
    assert product.methods == (Method.ANNUITY,)
    assert product.terms == (3, 6, 12)
    assert product.penalty_rate_multiplier == Decimal("1.5")
    assert product.compound_overdue_interest is False
    assert product.prepayment is Prepayment.REDUCE_INSTALLMENT


def test_revolving_defaults_are_spec_defaults() -> None:
    product = product_from_mapping("line", {"kind": "revolving"}, "scenario")
    assert isinstance(product, RevolvingProduct)
    assert product.source == "scenario"
    assert product.restrictions == DEFAULT_RESTRICTIONS
    assert (product.statement_day, product.due_day) == (1, 10)
    assert product.min_payment_rate == Decimal("0.10")
    assert product.revolving_daily_rate == Decimal("0.0005")
    assert product.overdue_fee_daily_rate == Decimal("0.0005")
    assert product.installment_fee_rates == {
        3: Decimal("0.025"),
        6: Decimal("0.045"),
        9: Decimal("0.065"),
        12: Decimal("0.088"),
    }
    assert product.grace_days == 0
    assert product.apr_cap == Decimal("0.24")


def test_daily_rate_defaults_to_365_days_and_act_365() -> None:
    product = product_from_mapping("d", {"kind": "installment", "daily_rate": "0.0004"})
    assert isinstance(product, InstallmentProduct)
    assert product.days_in_year == 365
    assert product.day_count is DayCount.ACT_365
    # 0.0004 × 365 = 0.146 exactly (SPEC §1).
    assert product.annual_rate_effective == Decimal("0.146")
    assert product.daily_rate_effective == Fraction(4, 10000)
    assert product.rate_is_daily


def test_daily_rate_over_360_days_takes_act_360() -> None:
    product = product_from_mapping(
        "d", {"kind": "installment", "daily_rate": "0.0004", "days_in_year": 360}
    )
    assert isinstance(product, InstallmentProduct)
    assert product.day_count is DayCount.ACT_360
    assert product.annual_rate_effective == Decimal("0.144")  # 0.0004 × 360


def test_annual_rate_gives_exact_daily_rate() -> None:
    act365 = product_from_mapping("a", {"kind": "installment", "annual_rate": "0.146"})
    thirty = product_from_mapping(
        "b", {"kind": "installment", "annual_rate": "0.0888", "day_count": "30/360"}
    )
    assert isinstance(act365, InstallmentProduct) and isinstance(thirty, InstallmentProduct)
    assert not act365.rate_is_daily
    assert act365.daily_rate_effective == Fraction(4, 10000)  # 0.146 / 365
    assert thirty.daily_rate_effective == Fraction(888, 10000 * 360)  # 0.0888 / 360
    assert thirty.year_days == 360


def test_unquoted_yaml_rate_is_refused() -> None:
    # A scenario's inline product comes from YAML: `daily_rate: 0.0004` is a float there.
    mapping = yaml.safe_load("kind: installment\ndaily_rate: 0.0004\n")
    with pytest.raises(ProductError) as info:
        product_from_mapping("inline-loan", mapping, "scenario")
    err = info.value
    assert (err.source, err.key) == ("scenario", "daily_rate")
    assert "not float" in err.rule
    assert "inline-loan" in str(err)  # an inline product's error names the product


def test_yaml_integer_fee_keys_are_accepted() -> None:
    mapping = yaml.safe_load("kind: revolving\ninstallment_fee_rates: {3: '0.025', 6: '0.045'}\n")
    product = product_from_mapping("line", mapping, "scenario")
    assert isinstance(product, RevolvingProduct)
    assert product.installment_fee_rates == {3: Decimal("0.025"), 6: Decimal("0.045")}


def test_mapping_must_be_a_table() -> None:
    with pytest.raises(ProductError, match="must be a table"):
        product_from_mapping("x", ["kind", "installment"], "scenario")


def test_models_are_frozen() -> None:
    product = product_from_mapping("x", {"kind": "revolving"})
    with pytest.raises(ValueError, match="frozen"):
        product.grace_days = 5  # type: ignore[misc]


def test_built_in_code_with_typed_values() -> None:
    # In code an amount is int fen and a rate a Decimal; a float is still refused.
    product = InstallmentProduct(
        name="coded", annual_rate=Decimal("0.12"), tolerance=500, methods=(Method.BULLET,)
    )
    assert product.tolerance == 500
    assert product.default_method is Method.BULLET
    with pytest.raises(ValueError, match="not float"):
        InstallmentProduct(name="coded", annual_rate=0.12)  # type: ignore[arg-type]


def test_check_offer() -> None:
    product = product_from_mapping(
        "cash-loan",
        {"kind": "installment", "daily_rate": "0.0004", "methods": ["annuity", "equal-principal"]},
    )
    assert isinstance(product, InstallmentProduct)
    assert product.check_offer("equal-principal", 6) is Method.EQUAL_PRINCIPAL
    with pytest.raises(InputError) as info:
        product.check_offer(Method.ANNUITY, 24)
    assert info.value.field == "term"
    assert info.value.rule == "term 24 is not offered by cash-loan (offered: 3, 6, 12)"
    with pytest.raises(InputError, match=r"method bullet is not offered by cash-loan \(offered: "):
        product.check_offer("bullet", 3)
    with pytest.raises(InputError, match="unknown method 'weekly'"):
        product.check_offer("weekly", 3)


def test_installment_fee_rate() -> None:
    product = product_from_mapping("credit-pay", {"kind": "revolving"})
    assert isinstance(product, RevolvingProduct)
    assert product.installment_fee_rate(6) == Decimal("0.045")
    assert product.installment_periods == (3, 6, 9, 12)
    with pytest.raises(InputError) as info:
        product.installment_fee_rate(24)
    assert info.value.rule == "24 periods are not offered by credit-pay (offered: 3, 6, 9, 12)"


def test_any_product_is_discriminated_on_kind() -> None:
    adapter: TypeAdapter[InstallmentProduct | RevolvingProduct] = TypeAdapter(AnyProduct)
    line = adapter.validate_python({"name": "l", "kind": "revolving", "due_day": 12})
    loan = adapter.validate_python({"name": "c", "kind": "installment", "annual_rate": "0.1"})
    assert isinstance(line, RevolvingProduct) and line.due_day == 12
    assert isinstance(loan, InstallmentProduct) and loan.annual_rate == Decimal("0.1")


QUOTED_KEYS = [
    *((INSTALLMENT, key) for key in ("tolerance", "penalty_annual_cap", "apr_cap")),
    (INSTALLMENT, "daily_rate"),
    ({"kind": "installment", "annual_rate": "0.1"}, "annual_rate"),
    (INSTALLMENT, "penalty_rate_multiplier"),
    *(
        (REVOLVING, key)
        for key in ("min_payment_rate", "revolving_daily_rate", "overdue_fee_daily_rate")
    ),
]


@pytest.mark.parametrize(("base", "key"), QUOTED_KEYS, ids=[k for _, k in QUOTED_KEYS])
@pytest.mark.parametrize("number", [0.1, 1])
def test_every_amount_and_rate_must_be_quoted(
    tmp_path: Path, base: dict[str, Any], key: str, number: float
) -> None:
    # SPEC §1: an unquoted number is refused, never silently converted.
    err = refused(tmp_path, base, {key: number})
    assert err.key == key
    assert f"not {type(number).__name__}" in err.rule


def test_a_boolean_is_not_a_count(tmp_path: Path) -> None:
    err = refused(tmp_path, INSTALLMENT, {"grace_days": True})
    assert (err.key, err.rule) == ("grace_days", "must be a whole number (unquoted), not bool")
