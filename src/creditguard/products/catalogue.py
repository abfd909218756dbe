"""Loading products: one file, one inline mapping, or the whole catalogue.

The catalogue is the shipped ``catalogue/*.toml`` plus the user's own product directories:
first each directory of the environment variable ``CREDITGUARD_PRODUCTS`` (``os.pathsep``
separated), then each directory passed to :func:`load_catalogue`, in order. A product's name is
its file's stem; a later file with the same name replaces an earlier one, so a user directory
can override a shipped product (``cash-loan.toml`` in it replaces the shipped ``cash-loan``).
Every failure is a :class:`ProductError` naming the file, the key and the rule.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from creditguard.money import InputError
from creditguard.products.errors import ProductError
from creditguard.products.schema import (
    InstallmentProduct,
    KeyedRule,
    Product,
    RevolvingProduct,
    file_keys,
)

__all__ = [
    "ENV_VAR",
    "Catalogue",
    "load_catalogue",
    "load_product_file",
    "product_from_mapping",
    "shipped_dir",
]

ENV_VAR = "CREDITGUARD_PRODUCTS"

_MODELS: dict[str, type[InstallmentProduct] | type[RevolvingProduct]] = {
    "installment": InstallmentProduct,
    "revolving": RevolvingProduct,
}


def product_from_mapping(name: str, mapping: object, source: str = "inline") -> Product:
    """Validate one product definition given as a mapping of SPEC §10 keys.

    ``mapping`` is what ``tomllib`` or ``yaml.safe_load`` gives; amounts and rates must be
    quoted strings. ``source`` says where it came from (a file path, ``"scenario"``), for
    the error message.
    """
    if not isinstance(mapping, Mapping):
        raise ProductError(
            source,
            "(product)",
            f"must be a table of keys, not {type(mapping).__name__}",
            product=name,
        )
    kind = mapping.get("kind")
    if kind is None:
        raise ProductError(
            source, "kind", "is required: 'installment' or 'revolving'", product=name
        )
    if not isinstance(kind, str) or kind not in _MODELS:
        raise ProductError(
            source, "kind", f"must be 'installment' or 'revolving', got {kind!r}", product=name
        )
    allowed = file_keys(kind)
    for key in mapping:
        if key in allowed:
            continue
        other = "revolving" if kind == "installment" else "installment"
        if key in file_keys(other):
            rule = f"is a key of {other} products, not of {kind} ones"
        elif key in ("name", "source"):
            rule = "is not a product key (a product's name is its file's stem or scenario key)"
        else:
            article = "an" if kind == "installment" else "a"
            rule = (
                f"unknown key for {article} {kind} product (allowed: {', '.join(sorted(allowed))})"
            )
        raise ProductError(source, str(key), rule, product=name)
    data: dict[str, Any] = {str(k): v for k, v in mapping.items()}
    data["name"] = name
    data["source"] = source
    try:
        return _MODELS[kind].model_validate(data, context={"text": True})
    except ValidationError as exc:
        raise _product_error(exc, source, name) from None


def _product_error(exc: ValidationError, source: str, name: str) -> ProductError:
    """The first error of a validation, as one ProductError naming its key and rule."""
    error = exc.errors()[0]
    key = _key_of(error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, KeyedRule):
        return ProductError(source, cause.key, cause.rule, product=name)
    if isinstance(cause, InputError):
        return ProductError(source, key, cause.rule, product=name)
    if isinstance(cause, ValueError):
        return ProductError(source, key, str(cause), product=name)
    kind = error["type"]
    got = type(error["input"]).__name__
    if kind == "int_type":
        rule = f"must be a whole number (unquoted), not {got}"
    elif kind == "bool_type":
        rule = f"must be true or false, not {got}"
    elif kind in ("tuple_type", "list_type"):
        rule = f"must be a list, not {got}"
    elif kind == "missing":
        rule = "is required"
    elif kind == "extra_forbidden":
        rule = "unknown key"
    elif kind in ("enum", "literal_error"):
        rule = f"{error['msg'].replace('Input should be', 'must be')}, got {error['input']!r}"
    else:
        rule = f"{error['msg']}, got {error['input']!r}"
    return ProductError(source, key or "(product)", rule, product=name)


def _key_of(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else part
    return key


def _load_toml(text: str, source: str, name: str) -> Product:
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProductError(source, "(file)", f"is not valid TOML: {exc}", product=name) from None
    return product_from_mapping(name, mapping, source)


def load_product_file(path: Path | str) -> Product:
    """Load one product file; its name is the file's stem (``cash-loan.toml`` → cash-loan)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProductError(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ProductError(str(path), "(file)", "is not UTF-8 text") from None
    return _load_toml(text, str(path), path.stem)


class Catalogue:
    """Products by name. ``get`` (and ``[]``) refuse an unknown name, listing the known ones."""

    def __init__(self, products: Mapping[str, Product], overridden: Sequence[str] = ()) -> None:
        self._products = dict(sorted(products.items()))
        self.overridden: tuple[str, ...] = tuple(overridden)
        """Names whose earlier definition (shipped or user) a later file replaced."""

    def get(self, name: str) -> Product:
        """The product called ``name``, or a ProductError listing the known names."""
        try:
            return self._products[name]
        except KeyError:
            known = ", ".join(self._products) or "none"
            raise ProductError(
                "catalogue", "product", f"unknown product {name!r} (known: {known})"
            ) from None

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return name in self._products

    def __iter__(self) -> Iterator[str]:
        return iter(self._products)

    def __len__(self) -> int:
        return len(self._products)

    def names(self) -> tuple[str, ...]:
        """Every product name, sorted."""
        return tuple(self._products)

    def products(self) -> tuple[Product, ...]:
        """Every product, sorted by name."""
        return tuple(self._products.values())

    # Read-only mapping conveniences (not collections.abc.Mapping: `get` raises, by design).
    def keys(self) -> tuple[str, ...]:
        """Every product name, sorted (as :meth:`names`)."""
        return self.names()

    def values(self) -> tuple[Product, ...]:
        """Every product, sorted by name (as :meth:`products`)."""
        return self.products()

    def items(self) -> tuple[tuple[str, Product], ...]:
        """(name, product) pairs, sorted by name."""
        return tuple(self._products.items())

    def resolve(self, name: str, spec: object, source: str = "scenario") -> Product:
        """A scenario's product entry: a catalogue name (a string) or an inline mapping.

        A catalogue product keeps its definition and source but takes the scenario's ``name``.
        """
        if isinstance(spec, str):
            product = self.get(spec)
            return product if product.name == name else product.model_copy(update={"name": name})
        return product_from_mapping(name, spec, source)


def shipped_dir() -> Traversable:
    """The shipped catalogue directory inside the installed package."""
    return resources.files("creditguard.products").joinpath("catalogue")


def _env_dirs() -> list[Path]:
    value = os.environ.get(ENV_VAR, "")
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]


def load_catalogue(extra_dirs: Sequence[Path | str] = ()) -> Catalogue:
    """The shipped products, then ``$CREDITGUARD_PRODUCTS`` directories, then ``extra_dirs``.

    A later file with the same stem replaces an earlier one. A directory that does not exist
    is an error (it is usually a typo); files other than ``*.toml`` are ignored.
    """
    products: dict[str, Product] = {}
    overridden: list[str] = []

    def add(product: Product) -> None:
        if product.name in products and product.name not in overridden:
            overridden.append(product.name)
        products[product.name] = product

    shipped = sorted(
        (entry for entry in shipped_dir().iterdir() if entry.name.endswith(".toml")),
        key=lambda entry: entry.name,
    )
    for entry in shipped:
        add(_load_toml(entry.read_text(encoding="utf-8"), str(entry), entry.name[:-5]))
    user_dirs = [(f"a directory of ${ENV_VAR}", d) for d in _env_dirs()]
    user_dirs += [("a products directory", Path(d)) for d in extra_dirs]
    for origin, directory in user_dirs:
        if not directory.is_dir():
            raise ProductError(str(directory), "(directory)", f"{origin}, does not exist")
        for path in sorted(directory.glob("*.toml")):
            add(load_product_file(path))
    return Catalogue(products, overridden)
