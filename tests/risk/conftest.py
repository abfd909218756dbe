"""Shared fixtures: the public credit datasets shipped in ``data/``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
GERMAN_PROTECTED = ("personal_status_and_sex", "foreign_worker")


@pytest.fixture(scope="session")
def german() -> tuple[pl.DataFrame, np.ndarray]:
    """German credit: features (protected columns dropped) and target (1 = bad)."""
    df = pl.read_csv(DATA / "germancredit.csv.gz")
    y = (df["creditability"] == "bad").cast(pl.Int64).to_numpy()
    return df.drop("creditability", *GERMAN_PROTECTED), y


@pytest.fixture(scope="session")
def taiwan() -> tuple[pl.DataFrame, np.ndarray]:
    """Taiwan credit-card sample: 4 features and ``default`` (1 = bad)."""
    df = pl.read_csv(DATA / "uci_credit_card_sample.csv.gz")
    return df.drop("default"), df["default"].to_numpy()
