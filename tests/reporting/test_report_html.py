"""The HTML report: self-contained (no network), every table as CSV and Parquet, and the
charts really render in a headless browser (Debian's chromium, when installed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_analytics import store  # the hand-made store, sibling module (rootdir import)

from creditguard.reporting.analytics import portfolio_tables
from creditguard.reporting.report_html import write_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artifacts"


def _tables() -> dict[str, pl.DataFrame]:
    markers = pl.DataFrame(
        {
            "date": [date(2026, 2, 1), date(2026, 3, 9)],
            "kind": ["shock", "outage"],
            "label": ["失业冲击 shock", "故障 outage"],
        }
    )
    return portfolio_tables(store(), markers)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(_tables(), tmp_path_factory.mktemp("report") / "out")


def test_page_is_self_contained(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert report.name == "report.html"
    # Plotly is inlined once; no script or stylesheet is fetched from anywhere.
    assert page.count("Plotly") > 10
    assert not re.search(r"<script[^>]+src=", page)
    # (The inlined plotly.js mentions cdn.plot.ly for geo maps' topojson — never fetched here.)
    assert "<link" not in page and "<iframe" not in page
    for div in ("overdue", "vintage", "roll", "bucket", "class", "liquidity"):
        assert f'id="chart-{div}"' in page
    assert "逾期率走势 Overdue rate over time" in page
    # Marker labels sit in the figure JSON (non-ASCII escaped there).
    assert " shock" in page and " outage" in page


def test_every_table_as_csv_and_parquet(report: Path) -> None:
    tables = _tables()
    for name, frame in tables.items():
        assert pl.read_parquet(report.parent / f"{name}.parquet").equals(frame), name
        csv = pl.read_csv(report.parent / f"{name}.csv")
        assert csv.height == frame.height and csv.columns == frame.columns, name


def test_same_tables_same_page(tmp_path: Path, report: Path) -> None:
    again = write_report(_tables(), tmp_path)
    assert again.read_bytes() == report.read_bytes()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.browser
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CREDITGUARD_REQUIRE_BROWSER") == "1":
            pytest.fail("CREDITGUARD_REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("no chromium found (apt-get install chromium) — browser check skipped")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,2000",
        "--virtual-time-budget=5000",
    ]
    url = report.resolve().as_uri()
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    # Plotly draws each chart as an <svg class="main-svg">: six charts, two svgs or more each.
    assert dom.stdout.count('class="main-svg"') >= 6
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    done = subprocess.run(
        [browser, *flags, f"--screenshot={shot}", url], capture_output=True, timeout=120
    )
    assert done.returncode == 0 and shot.stat().st_size > 10_000
