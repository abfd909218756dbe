"""The shipped catalogue and the loader: user directories, the environment variable, errors."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from creditguard.calendar import DayCount
from creditguard.money import Rounding
from creditguard.products import (
    ENV_VAR,
    Catalogue,
    InstallmentProduct,
    Method,
    Prepayment,
    ProductError,
    RestrictionRule,
    RevolvingProduct,
    load_catalogue,
    load_product_file,
)
from creditguard.products.catalogue import shipped_dir
from creditguard.products.schema import file_keys

SHIPPED = ("cash-loan", "cash-loan-30360", "credit-pay")


@pytest.fixture(autouse=True)
def _no_user_products(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The developer's own $CREDITGUARD_PRODUCTS must not leak into these tests.
    monkeypatch.delenv(ENV_VAR, raising=False)
    yield


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text, "utf-8")
    return path


def test_every_shipped_product_loads() -> None:
    catalogue = load_catalogue()
    assert catalogue.names() == SHIPPED
    assert len(catalogue) == 3
    assert list(catalogue) == list(SHIPPED)
    for product in catalogue.products():
        assert Path(product.source).name == f"{product.name}.toml"
        assert Path(product.source).is_file()
    assert catalogue.overridden == ()


def test_shipped_files_are_commented_toml_with_quoted_rates() -> None:
    for entry in shipped_dir().iterdir():
        if not entry.name.endswith(".toml"):
            continue
        text = entry.read_text("utf-8")
        assert text.startswith("# "), entry.name  # each product explains itself
        mapping = tomllib.loads(text)
        assert not any(isinstance(v, float) for v in mapping.values()), entry.name


def test_credit_pay_spells_out_every_key() -> None:
    text = shipped_dir().joinpath("credit-pay.toml").read_text("utf-8")
    assert set(tomllib.loads(text)) == file_keys("revolving")


def test_credit_pay() -> None:
    product = load_catalogue().get("credit-pay")
    assert isinstance(product, RevolvingProduct)
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
    assert product.grace_days == 3
    assert product.grace_retroactive is False
    assert product.restrictions == (
        RestrictionRule(dpd=1, action="freeze"),
        RestrictionRule(dpd=30, action="close"),
    )
    assert product.max_interest_free_days == 41


def test_cash_loan() -> None:
    product = load_catalogue().get("cash-loan")
    assert isinstance(product, InstallmentProduct)
    assert product.daily_rate == Decimal("0.0004")
    assert product.annual_rate_effective == Decimal("0.146")  # 0.0004 × 365
    assert product.day_count is DayCount.ACT_365
    assert product.methods == (Method.ANNUITY, Method.EQUAL_PRINCIPAL)
    assert product.terms == (3, 6, 12)
    assert product.penalty_rate_multiplier == Decimal("1.5")
    assert product.prepayment is Prepayment.REDUCE_INSTALLMENT
    assert product.rounding is Rounding.HALF_UP
    assert product.grace_days == 0


def test_cash_loan_30360() -> None:
    product = load_catalogue().get("cash-loan-30360")
    assert isinstance(product, InstallmentProduct)
    assert product.annual_rate == Decimal("0.0888")
    assert product.day_count is DayCount.THIRTY_360
    assert product.tolerance == 100  # "1.00"
    assert product.prepayment is Prepayment.REDUCE_TERM
    assert product.grace_retroactive is True
    assert product.restrictions == (RestrictionRule(dpd=60, action="close"),)


def test_unknown_product_lists_known_names() -> None:
    with pytest.raises(ProductError) as info:
        load_catalogue().get("cash-laon")
    assert info.value.key == "product"
    assert info.value.rule == (
        "unknown product 'cash-laon' (known: cash-loan, cash-loan-30360, credit-pay)"
    )
    with pytest.raises(ProductError, match="unknown product 'x'"):
        load_catalogue()["x"]


def test_user_directory_adds_and_overrides(tmp_path: Path) -> None:
    write(tmp_path, "cash-loan", 'kind = "installment"\ndaily_rate = "0.0003"\n')
    write(tmp_path, "student-loan", 'kind = "installment"\nannual_rate = "0.05"\n')
    (tmp_path / "README.md").write_text("not a product", "utf-8")
    catalogue = load_catalogue([tmp_path])
    assert catalogue.names() == (*SHIPPED[:2], "credit-pay", "student-loan")
    cash = catalogue.get("cash-loan")
    assert isinstance(cash, InstallmentProduct)
    assert cash.daily_rate == Decimal("0.0003")
    assert cash.source == str(tmp_path / "cash-loan.toml")
    assert catalogue.overridden == ("cash-loan",)


def test_env_var_directories_and_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, explicit = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write(first, "mine", 'kind = "revolving"\ngrace_days = 1\n')
    write(second, "mine", 'kind = "revolving"\ngrace_days = 2\n')
    write(first, "only-first", 'kind = "revolving"\n')
    monkeypatch.setenv(ENV_VAR, f"{first}{os.pathsep}{os.pathsep}{second}")
    catalogue = load_catalogue()
    assert "only-first" in catalogue
    assert catalogue.get("mine").grace_days == 2  # the later directory wins
    write(explicit, "mine", 'kind = "revolving"\ngrace_days = 3\n')
    assert load_catalogue([explicit]).get("mine").grace_days == 3  # explicit beats the env var


def test_missing_directory_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ProductError) as info:
        load_catalogue([missing])
    assert info.value.source == str(missing)
    assert "does not exist" in info.value.rule
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(ProductError, match=f"\\${ENV_VAR}"):
        load_catalogue()


def test_bad_user_file_names_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "broken", 'kind = "installment"\nannual_rate = 0.146\n')
    with pytest.raises(ProductError) as info:
        load_catalogue([tmp_path])
    assert (info.value.source, info.value.key) == (str(path), "annual_rate")
    assert str(path) in str(info.value)


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "garbled", 'kind = "installment\n')
    with pytest.raises(ProductError) as info:
        load_product_file(path)
    assert (info.value.source, info.value.key) == (str(path), "(file)")
    assert "not valid TOML" in info.value.rule


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ProductError, match="cannot be read"):
        load_product_file(tmp_path / "absent.toml")


def test_product_name_is_the_file_stem(tmp_path: Path) -> None:
    path = write(tmp_path, "weekend-loan", 'kind = "installment"\nannual_rate = "0.1"\n')
    product = load_product_file(str(path))
    assert product.name == "weekend-loan"
    assert product.source == str(path)


def test_resolve_a_scenario_entry() -> None:
    catalogue = load_catalogue()
    by_name = catalogue.resolve("loan", "cash-loan")
    assert by_name.name == "loan"
    assert by_name.source == catalogue.get("cash-loan").source
    assert by_name.model_dump(exclude={"name"}) == catalogue.get("cash-loan").model_dump(
        exclude={"name"}
    )
    inline = catalogue.resolve("line", {"kind": "revolving", "grace_days": 5})
    assert (inline.name, inline.source, inline.grace_days) == ("line", "scenario", 5)
    with pytest.raises(ProductError, match="unknown product 'nope'"):
        catalogue.resolve("x", "nope")


def test_catalogue_from_products() -> None:
    catalogue = Catalogue({"b": RevolvingProduct(name="b"), "a": RevolvingProduct(name="a")})
    assert catalogue.names() == catalogue.keys() == ("a", "b")
    assert [p.name for p in catalogue.values()] == ["a", "b"]
    assert [name for name, _ in catalogue.items()] == ["a", "b"]
    assert "a" in catalogue and "c" not in catalogue
    with pytest.raises(ProductError, match=r"\(known: a, b\)"):
        catalogue.get("c")
