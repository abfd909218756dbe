"""The pricing commands of the CLI: JSON shapes, golden figures and bad-input handling."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import numpy_financial as npf
import pytest

from creditguard.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_schedule_json_matches_numpy_financial(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "schedule", "--principal", "12000", "--rate", "0.146", "--term", "12",
        "--method", "annuity", "--start", "2026-01-15", "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    # Independent oracle: numpy-financial's pmt on the monthly rate 0.146/12 (30/360 default).
    expected = round(Decimal(str(-npf.pmt(0.146 / 12, 12, 12000))), 2)
    assert Decimal(doc["installments"][0]["payment"]) == expected
    assert doc["installments"][0] == {
        "period": 1,
        "due_date": "2026-02-15",
        "principal": str(expected - Decimal("146.00")),
        "interest": "146.00",  # 12000 × 0.146 / 12
        "fee": "0.00",
        "payment": str(expected),
        "balance": str(Decimal("12000.00") - expected + Decimal("146.00")),
    }
    assert doc["installments"][-1]["balance"] == "0.00"
    assert doc["apr_nominal"] == "0.1460"
    # (1 + 0.146/12)^12 − 1 = 0.15617…
    assert doc["apr_effective"] == "0.1562"
    assert set(doc) == {
        "installments",
        "total_interest",
        "total_fee",
        "apr_nominal",
        "apr_effective",
    }


def test_fee_installment_schedule_and_apr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "schedule", "--principal", "6000", "--term", "6", "--method", "fee-installment",
        "--fee-rate", "0.045", "--start", "2026-01-10", "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    # Fee 6000 × 4.5% = 270.00, 45.00 a month; principal 1000.00 a month.
    assert doc["total_fee"] == "270.00"
    assert {i["payment"] for i in doc["installments"]} == {"1045.00"}
    rate = npf.rate(6, -1045, 6000, 0)  # independent monthly IRR
    assert doc["apr_nominal"] == f"{Decimal(str(rate * 12)).quantize(Decimal('0.0001'))}"

    code, out, _ = run(capsys, "apr", "--principal", "6000", "--term", "6", "--fee-rate", "0.045",
                       "--start", "2026-01-10", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["apr_nominal"] == doc["apr_nominal"]


def test_payoff_mid_period(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "payoff", "--principal", "12000", "--rate", "0.146", "--term", "12", "--method",
        "equal-principal", "--start", "2026-01-15", "--on", "2026-03-01", "--day-count",
        "act/365", "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    # Installment 1 (due 2026-02-15) paid: principal left 12000 − 1000 = 11000.00.
    # Held 2026-02-15 → 2026-03-01 = 14 days: 11000 × 0.146 × 14 / 365 = 61.60.
    assert doc == {"principal": "11000.00", "interest": "61.60", "total": "11061.60"}


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["schedule", "--principal", "-5", "--rate", "0.1", "--term", "3"], "principal"),
        (["schedule", "--principal", "100", "--rate", "abc", "--term", "3"], "rate"),
        (["schedule", "--principal", "100", "--rate", "0.1", "--term", "0"], "term"),
        (
            ["schedule", "--principal", "100", "--rate", "0.1", "--term", "3", "--method", "x"],
            "method",
        ),
        (
            [
                "schedule",
                "--principal",
                "100",
                "--rate",
                "0.1",
                "--term",
                "3",
                "--start",
                "2026-02-30",
            ],
            "start",
        ),
        (["products", "show", "no-such-product"], "product"),
        (["schedule", "--principal", "100.001", "--rate", "0.1", "--term", "3"], "principal"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert field in err
    assert "Traceback" not in err


def test_console_script_exit_code_and_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "creditguard", "schedule", "--principal", "x", "--rate", "0.1",
         "--term", "3"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: principal:")
    assert "Traceback" not in proc.stderr


def test_products_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "products", "list", "--json")
    assert code == 0
    names = {p["name"] for p in json.loads(out)}
    assert {"credit-pay", "cash-loan"} <= names
    code, out, _ = run(capsys, "products", "show", "cash-loan", "--json")
    assert code == 0
    assert json.loads(out)["kind"] == "installment"
