"""Batch mode (``Servicing.batch``): many commands in one transaction, a savepoint each, leave
exactly what one transaction per command leaves — on SQLite and PostgreSQL.

The same script of commands (successes, refusals, an idempotent replay, a key conflict, a
reversal, an outage, end of day in between) runs twice on two fresh databases of one backend:
once command by command, once in batches. Every table must then hold the same rows (ids, seqs,
versions and states included), the ledger digests must agree, and each command must have
returned the same result or raised the same error.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, inspect, text

from creditguard.money import InputError
from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher
from creditguard.store.db import connect
from creditguard.store.digest import ledger_digest
from creditguard.store.verify import verify_ledger

Outcome = tuple[str, Any]


@pytest.fixture
def twin(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A second fresh, migrated database on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "twin.sqlite"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        schema = None
    else:
        server = request.getfixturevalue("_pg_server")
        schema = server.migrated_schema()
        url = server.url_for(schema)
    eng = connect(url)
    try:
        yield eng
    finally:
        eng.dispose()
        if schema is not None:
            server.release(schema)


def dump(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table (alembic's bookkeeping aside), in a fixed order."""
    with engine.connect() as conn:
        names = sorted(n for n in inspect(conn).get_table_names() if n != "alembic_version")
        return {
            t: sorted(repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {t}")))
            for t in names
        }


def _try(out: list[Outcome], call: Callable[[], Any]) -> None:
    try:
        out.append(("ok", call()))
    except InputError as exc:
        out.append(("refused", (type(exc).__name__, exc.field, str(exc))))


def script(svc: Servicing, batched: Callable[[], AbstractContextManager[Any]]) -> list[Outcome]:
    """Commands over three business dates; ``batched`` wraps each day's command block."""
    out: list[Outcome] = []
    svc.set_business_date(date(2026, 1, 29))
    with batched():
        _try(out, lambda: svc.add_borrower("B1", "张三", key="b1"))
        _try(out, lambda: svc.add_borrower("B1", "张三", key="b1-again"))  # exists: refused
        _try(out, lambda: svc.add_borrower("B2", "李四", key="b2"))
        _try(out, lambda: svc.open_line("A", "credit-pay", 100_000, "B1", key="open-A"))
        _try(out, lambda: svc.purchase("A", 60_000, purchase_id="p1", key="buy-1"))
        # 1000.00 limit − 600.00 used: 500.00 more is refused.
        _try(out, lambda: svc.purchase("A", 50_000, purchase_id="p2", key="buy-2"))
        _try(out, lambda: svc.disburse("L", "cash-loan", 300_000, 3, borrower="B1", key="L"))
        _try(out, lambda: svc.disburse("L", "cash-loan", 100_000, 3, borrower="B1", key="L2"))
        _try(out, lambda: svc.repay("L", 10_000, payment_id="pay1", key="r1"))
        _try(out, lambda: svc.repay("L", 10_000, payment_id="pay1", key="r1"))  # replay
        _try(out, lambda: svc.repay("L", 20_000, key="r1"))  # same key, other request
        _try(out, lambda: svc.repay("NOPE", 1_000, key="r-nope"))
        _try(out, lambda: svc.purchase("L", 100, key="buy-on-loan"))
        _try(out, lambda: svc.change_limit("A", 120_000, key="limit-A"))
        _try(out, lambda: svc.refund("A", "p1", 5_000, key="refund-1"))
        _try(out, lambda: svc.open_line("A2", "credit-pay", 50_000, "B2", key="open-A2"))
        _try(out, lambda: svc.purchase("A2", 7_777, purchase_id="q1", key="buy-q1"))
        _try(out, lambda: svc.reverse("L", "pay1", key="rev-1"))
        _try(out, lambda: svc.reverse("L", "pay1", key="rev-2"))  # already reversed
        _try(out, lambda: svc.waive("L", "interest", 1, "goodwill", "boss", key="w1"))
        out.append(("show", svc.show("A")))
        out.append(("date", svc.business_date()))
    for _ in range(4):  # through 2026-02-01: the lines' first statements
        svc.end_of_day(svc.business_date())
    with batched():
        _try(out, lambda: svc.convert_to_installments("A", 3, key="conv-A"))
        _try(out, lambda: svc.convert_to_installments("A", 5, key="conv-bad"))
        _try(out, lambda: svc.repay("A2", 7_777, key="pay-A2"))
        _try(out, lambda: svc.repay("L", 50_000, payment_id="pay2", key="r2"))
        _try(out, lambda: svc.declare_outage(date(2026, 2, 27), date(2026, 3, 1), 3, key="outage"))
        _try(out, lambda: svc.repay("L", 1_000, payment_id="pay3", key="r3"))
        _try(out, lambda: svc.add_borrower("B3", "王五", key="b3"))
        # Writes borrower B9 first, then the 24-month term is refused: B9 must not remain.
        _try(
            out,
            lambda: svc.disburse(
                "N", "cash-loan", 100_000, 24, borrower="B9", key="N", create_borrower=True
            ),
        )
        _try(out, lambda: svc.disburse("M", "cash-loan", 200_000, 6, borrower="B3", key="M"))
    svc.end_of_day(svc.business_date())
    with batched():
        _try(out, lambda: svc.repay("M", 3_000, key="r-M"))
        _try(out, lambda: svc.purchase("A", 1_000, purchase_id="p3", key="buy-3"))
    return out


def _service(engine: Engine) -> Servicing:
    return Servicing(engine, actor="test", cipher=DataCipher(Fernet.generate_key()))


@pytest.mark.parametrize("size", [1000, 3])
def test_batches_leave_exactly_what_one_by_one_leaves(
    engine: Engine, twin: Engine, size: int
) -> None:
    one = _service(engine)
    many = _service(twin)
    expected = script(one, nullcontext)
    got = script(many, lambda: many.batch(size=size))
    assert got == expected
    refused = [o for o in expected if o[0] == "refused"]
    # The script's refusals: duplicate borrower, over limit, duplicate account, key conflict,
    # unknown account, purchase on a loan, second reversal, waive more than owed, bad periods,
    # term not offered.
    assert len(refused) == 10, refused
    assert expected[9] == expected[8]  # the replay returned the first result
    assert dump(twin) == dump(engine)
    assert "B9" not in repr(dump(twin)["borrowers"])
    assert ledger_digest(twin) == ledger_digest(engine)
    assert verify_ledger(twin) == []


def test_an_error_out_of_the_block_rolls_back_the_uncommitted_commands(engine: Engine) -> None:
    svc = _service(engine)
    svc.set_business_date(date(2026, 1, 29))
    svc.add_borrower("B1", "张三", key="b1")
    before = dump(engine)
    with pytest.raises(RuntimeError, match="boom"), svc.batch():
        svc.open_line("A", "credit-pay", 100_000, "B1", key="open-A")
        raise RuntimeError("boom")
    assert dump(engine) == before
    # Committed in chunks: a failure after the first chunk keeps the first chunk.
    with pytest.raises(RuntimeError, match="boom"), svc.batch(size=2):
        svc.open_line("A", "credit-pay", 100_000, "B1", key="open-A")
        svc.purchase("A", 1_000, key="buy")  # the second command: the chunk commits
        svc.purchase("A", 2_000, key="buy-2")
        raise RuntimeError("boom")
    assert _keys(engine) == ["b1", "buy", "open-A"]


def _keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text("SELECT key FROM idempotency_keys")))


def test_a_database_error_in_one_command_leaves_the_batch_usable(engine: Engine) -> None:
    svc = _service(engine)
    svc.set_business_date(date(2026, 1, 29))
    svc.add_borrower("B1", "张三", key="b1")

    def broken(ctx: Any) -> Any:
        ctx.uow.connection.execute(text("SELECT * FROM no_such_table"))
        raise AssertionError("unreachable")

    with svc.batch():
        svc.open_line("A", "credit-pay", 100_000, "B1", key="open-A")
        with pytest.raises(Exception, match="no_such_table"):
            svc.run("broken", {}, broken, key="broken")
        svc.purchase("A", 1_000, purchase_id="p1", key="buy")
    assert _keys(engine) == ["b1", "buy", "open-A"]
    assert verify_ledger(engine) == []


def test_batches_do_not_nest_and_the_end_of_day_waits(engine: Engine) -> None:
    svc = _service(engine)
    svc.set_business_date(date(2026, 1, 29))
    with svc.batch():
        with pytest.raises(RuntimeError, match="nest"), svc.batch():
            pass
        with pytest.raises(RuntimeError, match="end of day"):
            svc.end_of_day(date(2026, 1, 29))
        assert svc.business_date() == date(2026, 1, 29)
