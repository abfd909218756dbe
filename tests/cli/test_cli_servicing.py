"""The servicing commands of the CLI on a database (SQLite and PostgreSQL), run in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from creditguard.cli import main
from creditguard.store.db import connect

NID = "110101199003071233"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def ok_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, (argv, out, err)
    return json.loads(out)


@pytest.fixture(autouse=True)
def data_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A data key from the environment, and a scratch working directory (no key file made)."""
    monkeypatch.setenv("CREDITGUARD_DATA_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)


def test_daily_operations_on_a_database(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    db = ("--db", db_url)
    init = ok_json(capsys, "db", "init", *db, "--business-date", "2026-01-01")
    assert init["business_date"] == "2026-01-01"
    assert init["revision"]
    borrower = ok_json(
        capsys, "borrower", "add", "B1", "--name", "张三", "--national-id", NID,
        "--phone", "13800138000", *db,
    )  # fmt: skip
    assert borrower == {
        "borrower_id": "B1",
        "name": "张三",
        "national_id": "110101********1233",
        "phone": "138****8000",
    }
    line = ok_json(capsys, "line", "open", "A", "--limit", "5000.00", "--borrower", "B1", *db)
    assert line == {"account": "A", "limit": "5000.00"}
    bought = ok_json(capsys, "purchase", "A", "--amount", "1000.00", *db)
    assert bought["available"] == 400_000  # 5000.00 − 1000.00, in fen
    loan = ok_json(
        capsys, "loan", "disburse", "L1", "--principal", "12000.00", "--term", "3",
        "--borrower", "B1", *db,
    )  # fmt: skip
    # cash-loan: 0.04%/day; period 1 is 2026-01-01 → 02-01, 31 days: 12000.00 × 0.0004 × 31.
    assert loan["schedule"][0]["due_date"] == "2026-02-01"
    assert loan["schedule"][0]["interest"] == 14_880
    repaid = ok_json(capsys, "repay", "A", "--amount", "100.00", *db)
    assert repaid["to_unbilled"] == 10_000  # nothing billed yet: it reduces the purchase
    # An idempotency key given twice: the same result, one effect.
    once = ok_json(capsys, "repay", "L1", "--amount", "10.00", "--key", "pay-1", *db)
    assert ok_json(capsys, "repay", "L1", "--amount", "10.00", "--key", "pay-1", *db) == once

    eod = ok_json(capsys, "statement", "run", "--through", "2026-02-01", *db)
    assert eod["business_date"] == "2026-02-02"
    assert eod["days"] == 32  # 2026-01-01 … 2026-02-01

    shown = ok_json(capsys, "account", "show", "A", *db)
    # Billed on 02-01: 1000.00 − 100.00 repaid before billing = 900.00, minimum 10% = 90.00.
    assert shown["statements"] == [
        {
            "date": "2026-02-01",
            "due_date": "2026-02-10",
            "amount": "900.00",
            "minimum": "90.00",
            "paid": "0.00",
        }
    ]
    assert shown["available"] == "4100.00"
    loan_view = ok_json(capsys, "account", "show", "L1", *db)
    assert loan_view["kind"] == "loan"
    # 10.00 was repaid early on day 0, so period 1 earns interest on 11990.00 for 31 days:
    # 11990.00 × 0.0004 × 31 = 148.676 → 148.68 (the schedule said 148.80 before).
    assert loan_view["installments"][0]["due"]["interest"] == "148.68"

    code, out, err = run(capsys, "ledger", "verify", *db)
    assert code == 0, (out, err)
    # Tamper with a stored balance behind the ledger's back.
    engine = connect(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE gl_balances SET balance = balance + 1"
                    " WHERE gl = '1201' AND account_ref = 'A'"
                )
            )
    finally:
        engine.dispose()
    code, out, err = run(capsys, "ledger", "verify", *db, "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["mismatches"] == [
        "GL 1201 account 'A': stored 900.01, derived from postings 900.00"
    ]
    code, out, _ = run(capsys, "ledger", "verify", *db)
    assert code == 1 and "1201" in out and "'A'" in out


def test_db_init_creates_a_sqlite_file_from_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "new.sqlite"
    init = ok_json(capsys, "db", "init", "--db", str(path), "--business-date", "2026-01-01")
    assert path.is_file() and init["business_date"] == "2026-01-01"
    again = ok_json(capsys, "db", "init", "--db", str(path))  # idempotent migration
    assert again["revision"] == init["revision"]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (("repay", "A", "--amount", "1.234"), "amount"),
        (("repay", "NOPE", "--amount", "1.00"), "account"),
        (("purchase", "A", "--amount", "9000.00"), "amount"),  # over the available amount
        (
            (
                "borrower",
                "add",
                "B2",
                "--name",
                "李四",
                "--national-id",
                "110101199003071234",
                "--phone",
                "13800138000",
            ),
            "national_id",
        ),
        (
            ("loan", "disburse", "L2", "--principal", "100.00", "--term", "24", "--borrower", "B1"),
            "term",
        ),
        (("statement", "run", "--through", "2026-13-01"), "through"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: tuple[str, ...], field: str
) -> None:
    db = ("--db", str(tmp_path / "cg.sqlite"))
    ok_json(capsys, "db", "init", *db, "--business-date", "2026-01-01")
    ok_json(capsys, "borrower", "add", "B1", "--name", "张三", "--national-id", NID,
            "--phone", "13800138000", *db)  # fmt: skip
    ok_json(capsys, "line", "open", "A", "--limit", "5000.00", "--borrower", "B1", *db)
    code, out, err = run(capsys, *argv, *db)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert field in err
    assert "Traceback" not in err


SCENARIO = """
products:
  cp: credit-pay
events:
  - {date: 2026-01-28, op: open-line, account: A, product: cp, limit: "5000.00"}
  - {date: 2026-01-28, op: purchase, account: A, amount: "1000.00"}
  - {date: 2026-02-05, op: repay, account: A, amount: "1000.00"}
until: 2026-02-05
"""


def test_replay_a_scenario_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    out = ok_json(capsys, "replay", str(path))
    line = out["accounts"]["A"]
    # Billed 1000.00 on 02-01 (minimum 100.00), paid in full on 02-05: nothing owed, no interest.
    assert line["statements"] == [
        {
            "date": "2026-02-01",
            "due_date": "2026-02-10",
            "amount": "1000.00",
            "minimum": "100.00",
            "paid": "1000.00",
        }
    ]
    assert line["available"] == "5000.00"
    assert out["ledger"]["balanced"] is True
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.replace('"1000.00"}', '"10.005"}', 1), encoding="utf-8")
    code, _, err = run(capsys, "replay", str(bad), "--json")
    assert code == 2 and "events[1].amount" in err and err.count("\n") == 1
