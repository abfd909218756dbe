"""Fixtures of the golden-scenario runners."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sqlite_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by all xdist workers of the session: each scenario's SQLite output,
    which its PostgreSQL run must equal."""
    root = tmp_path_factory.getbasetemp()
    shared = (root.parent if "PYTEST_XDIST_WORKER" in os.environ else root) / "golden-sqlite"
    shared.mkdir(exist_ok=True)
    return shared
