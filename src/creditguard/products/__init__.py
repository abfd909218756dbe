"""Product definitions: the schema of SPEC §10, the shipped catalogue and its loader."""

from __future__ import annotations

from creditguard.pricing import Method
from creditguard.products.caps import REFERENCE_PRINCIPAL, REFERENCE_START
from creditguard.products.catalogue import (
    ENV_VAR,
    Catalogue,
    load_catalogue,
    load_product_file,
    product_from_mapping,
)
from creditguard.products.errors import ProductError
from creditguard.products.schema import (
    DEFAULT_RESTRICTIONS,
    AnyProduct,
    InstallmentProduct,
    Prepayment,
    Product,
    RestrictionRule,
    RevolvingProduct,
)

__all__ = [
    "DEFAULT_RESTRICTIONS",
    "ENV_VAR",
    "REFERENCE_PRINCIPAL",
    "REFERENCE_START",
    "AnyProduct",
    "Catalogue",
    "InstallmentProduct",
    "Method",
    "Prepayment",
    "Product",
    "ProductError",
    "RestrictionRule",
    "RevolvingProduct",
    "load_catalogue",
    "load_product_file",
    "product_from_mapping",
]
