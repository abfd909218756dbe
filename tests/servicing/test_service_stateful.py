"""Hypothesis stateful test: random command sequences through the service (issue 3 item 7).

Rules open lines, buy, refund, disburse loans, repay (partial, exact, over), waive, reverse,
convert to installments, declare outages and run end of day over one or more dates.
After every step:
- every entry balances and stored balances equal the balances re-derived from the postings
  (``verify_ledger`` is empty);
- every account's receivable GLs equal what its state says it is owed (``receivables``) —
  after a write-off, its principal receivables are 0 (moved to the loss account) — and no
  receivable GL is negative for any account;
- on an active line, available = max(0, limit − unpaid principal);
- a refused command changed nothing (ledger digest, audit, keys);
- replaying an earlier command with its idempotency key returns its first result and changes
  nothing (ledger digest and row counts).

SQLite runs 12 examples of up to 15 steps, PostgreSQL 4 of up to 10 (the end of day, with
the overdue engine, is the costly step). ``CREDITGUARD_SOAK=1``
runs many more (local soak runs; not in CI).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing import line as line_domain
from creditguard.servicing import loan_model
from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher
from creditguard.store.db import connect
from creditguard.store.digest import ledger_digest
from creditguard.store.migrate import upgrade_sql
from creditguard.store.verify import verify_ledger

SOAK = os.environ.get("CREDITGUARD_SOAK") == "1"
SETTINGS = {
    "sqlite": (300, 40) if SOAK else (12, 15),
    "postgres": (100, 30) if SOAK else (4, 10),
}
RECEIVABLES = (
    GL.PRINCIPAL_CURRENT,
    GL.PRINCIPAL_OVERDUE,
    GL.INTEREST_RECEIVABLE,
    GL.FEE_RECEIVABLE,
    GL.PENALTY_RECEIVABLE,
)
COUNTED = ("journal_entries", "postings", "audit_log", "outbox_events", "idempotency_keys")
START = date(2026, 1, 31)  # the line's first statement is the day after


class FreshDatabases:
    """A fresh migrated database per Hypothesis example, on the fixture's backend."""

    def __init__(self, db_url: str, tmp: Path) -> None:
        self.url = db_url
        self.tmp = tmp
        self.n = 0
        self.is_sqlite = db_url.startswith("sqlite")
        if self.is_sqlite:
            self.template = tmp / "template.sqlite"
            shutil.copyfile(make_url(db_url).database or "", self.template)
        else:
            options = str(make_url(db_url).query["options"])
            self.schema = options.split("search_path=")[1]
            self.admin = create_engine(
                make_url(db_url).set(query={}), isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
            self.script = upgrade_sql("postgresql")

    def fresh(self) -> Engine:
        self.n += 1
        if self.is_sqlite:
            path = self.tmp / f"example{self.n}.sqlite"
            shutil.copyfile(self.template, path)
            return connect(f"sqlite:///{path}")
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {self.schema}; SET search_path TO {self.schema};")
            conn.exec_driver_sql(self.script)
        return connect(self.url)

    def close(self) -> None:
        if not self.is_sqlite:
            self.admin.dispose()


@dataclass
class Done:
    """A successful command: how to run it again (same key) and what it returned."""

    name: str
    call: Callable[[], dict[str, Any]]
    result: dict[str, Any]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in COUNTED
        }


def make_machine(dbs: FreshDatabases) -> type[RuleBasedStateMachine]:
    class ServiceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.engine = dbs.fresh()
            self.svc = Servicing(self.engine, actor="hypothesis", cipher=CIPHER)
            self.lines: list[str] = []
            self.loans: list[str] = []
            self.purchases: dict[str, list[str]] = {}
            self.payments: dict[str, list[str]] = {}
            self.done: list[Done] = []
            self.seq = 0
            self.outages = 0

        def teardown(self) -> None:
            self.engine.dispose()

        @initialize(
            limit=st.integers(100_000, 2_000_000),
            principal=st.integers(10_000, 5_000_000),
            term=st.sampled_from([3, 6, 12]),
            age=st.sampled_from(["fresh", "billed", "aged"]),
        )
        def start(self, limit: int, principal: int, term: int, age: str) -> None:
            # Every example starts with a line and a loan, so that most steps act on accounts.
            # "billed": a purchase and the line's first statement (EOD of 01-31 and 02-01);
            # "aged": also EOD through 02-28, the loan's first due date, so that interest is
            # owed (waivers), the statement is past its due date and the overdue engine acts.
            self.svc.set_business_date(START)
            self.svc.add_borrower("B", "测试", "110101199003071233", "13800138000", key="b")
            self.open_line(limit)
            self.disburse(principal, term, None)
            assert self.lines == ["A0"] and self.loans == ["L0"]
            if age != "fresh":
                self.svc.purchase("A0", limit // 2, purchase_id="p0")
                self.purchases["A0"].append("p0")
                self.end_of_day(2)
                assert len(self.svc.show("A0").statements) == 1
            if age == "aged":
                self.end_of_day(27)  # EOD of 02-02 … 02-28
                assert self.svc.business_date() == date(2026, 3, 1)

        def _key(self) -> str:
            self.seq += 1
            return f"k{self.seq}"

        def _run(self, name: str, call: Callable[[str], dict[str, Any]]) -> dict[str, Any] | None:
            """Run a command with a fresh key; a refusal must change nothing at all."""
            key = self._key()
            before = (ledger_digest(self.engine), counts(self.engine))
            try:
                result = call(key)
            except InputError as exc:
                assert (ledger_digest(self.engine), counts(self.engine)) == before, name
                STATS[f"{name} refused: {exc.field}"] += 1
                return None
            STATS[f"{name} done"] += 1
            self.done.append(Done(name, lambda: call(key), result))
            return result

        # -- rules -------------------------------------------------------------------------

        @precondition(lambda self: len(self.lines) < 3)
        @rule(limit=st.integers(0, 2_000_000))
        def open_line(self, limit: int) -> None:
            account = f"A{len(self.lines)}"
            if self._run(
                "open", lambda k: self.svc.open_line(account, "credit-pay", limit, "B", key=k)
            ):
                self.lines.append(account)
                self.purchases[account] = []
                self.payments[account] = []

        @precondition(lambda self: self.lines)
        @rule(data=st.data(), amount=st.integers(1, 400_000))
        def purchase(self, data: st.DataObject, amount: int) -> None:
            account = data.draw(st.sampled_from(self.lines))
            pid = f"p{self.seq + 1}"
            if self._run(
                "purchase", lambda k: self.svc.purchase(account, amount, purchase_id=pid, key=k)
            ):
                self.purchases[account].append(pid)

        @precondition(lambda self: any(self.purchases.values()))
        @rule(data=st.data(), amount=st.integers(1, 300_000))
        def refund(self, data: st.DataObject, amount: int) -> None:
            account = data.draw(st.sampled_from([a for a in self.lines if self.purchases[a]]))
            pid = data.draw(st.sampled_from(self.purchases[account]))
            self._run("refund", lambda k: self.svc.refund(account, pid, amount, key=k))

        @precondition(lambda self: len(self.loans) < 3)
        @rule(
            principal=st.integers(10_000, 5_000_000),
            term=st.sampled_from([3, 6, 12, 24]),  # 24 is not offered: refused
            method=st.sampled_from([None, "annuity", "equal-principal"]),
        )
        def disburse(self, principal: int, term: int, method: str | None) -> None:
            account = f"L{len(self.loans)}"
            if self._run(
                "disburse",
                lambda k: self.svc.disburse(
                    account, "cash-loan", principal, term, method, borrower="B", key=k
                ),
            ):
                self.loans.append(account)
                self.payments[account] = []

        @precondition(lambda self: self.lines or self.loans)
        @rule(data=st.data(), how=st.sampled_from(["partial", "exact", "over"]))
        def repay(self, data: st.DataObject, how: str) -> None:
            account = data.draw(st.sampled_from(self.lines + self.loans))
            state = self.svc.show(account)
            today = self.svc.business_date()
            if account in self.loans:
                owed = loan_model.payoff_amount(state, today) if state.status != "settled" else 0
            else:
                owed = (
                    line_domain.unpaid_principal(state)
                    + sum(ob.unpaid.total - ob.unpaid.principal for ob in state.statements)
                    + state.accrued_interest
                )
            if how == "exact":
                amount = max(owed, 1)
            elif how == "over":
                amount = owed + data.draw(st.integers(1, 100_000))
            else:
                amount = data.draw(st.integers(1, max(1, owed)))
            pid = f"r{self.seq + 1}"
            if self._run("repay", lambda k: self.svc.repay(account, amount, payment_id=pid, key=k)):
                self.payments[account].append(pid)

        @precondition(lambda self: self.lines or self.loans)
        @rule(
            data=st.data(),
            component=st.sampled_from(["interest", "fee", "penalty"]),
            amount=st.integers(1, 20_000),
        )
        def waive(self, data: st.DataObject, component: str, amount: int) -> None:
            account = data.draw(st.sampled_from(self.lines + self.loans))
            state = self.svc.show(account)
            if account in self.loans:
                owed = loan_model.outstanding(state, self.svc.business_date())
            else:
                owed = line_domain.outstanding(state, self.svc.business_date())
            owing = [c for c in ("interest", "fee", "penalty") if getattr(owed, c) > 0]
            if owing and data.draw(st.booleans()):
                # Mostly a waiver that fits: part or all of a component that is owed.
                component = data.draw(st.sampled_from(owing))
                amount = data.draw(st.integers(1, getattr(owed, component)))
            self._run(
                "waive",
                lambda k: self.svc.waive(account, component, amount, "goodwill", "lead", key=k),
            )

        @precondition(lambda self: any(self.payments.values()))
        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            account = data.draw(st.sampled_from([a for a, p in self.payments.items() if p]))
            pid = data.draw(st.sampled_from(self.payments[account]))
            if self._run("reverse", lambda k: self.svc.reverse(account, pid, key=k)):
                self.payments[account].remove(pid)

        @precondition(lambda self: self.lines)
        @rule(data=st.data(), periods=st.sampled_from([3, 6, 9, 12, 5]), purchase=st.booleans())
        def convert(self, data: st.DataObject, periods: int, purchase: bool) -> None:
            account = data.draw(st.sampled_from(self.lines))
            pid = None
            if purchase and self.purchases[account]:
                pid = data.draw(st.sampled_from(self.purchases[account]))
            self._run(
                "convert",
                lambda k: self.svc.convert_to_installments(
                    account, periods, purchase_id=pid, key=k
                ),
            )

        @precondition(lambda self: self.outages < 2)
        @rule(
            offset=st.integers(-10, 20),
            length=st.integers(0, 4),
            relief=st.sampled_from([0, 3]),
        )
        def declare_outage(self, offset: int, length: int, relief: int) -> None:
            # A window around today: in the future, or covering past dates (relief reverses).
            start = self.svc.business_date() + timedelta(days=offset)
            end = start + timedelta(days=length)
            if self._run("outage", lambda k: self.svc.declare_outage(start, end, relief, key=k)):
                self.outages += 1

        @rule(days=st.sampled_from([1, 2, 5, 10]))
        def end_of_day(self, days: int) -> None:
            for _ in range(days):
                self.svc.end_of_day(self.svc.business_date())

        @precondition(lambda self: self.done)
        @rule(data=st.data())
        def replay_with_key(self, data: st.DataObject) -> None:
            done = data.draw(st.sampled_from(self.done))
            before = (ledger_digest(self.engine), counts(self.engine))
            assert done.call() == done.result, done.name
            assert (ledger_digest(self.engine), counts(self.engine)) == before, done.name

        # -- invariants ----------------------------------------------------------------------

        @invariant()
        def ledger_verifies(self) -> None:
            assert verify_ledger(self.engine) == []

        @invariant()
        def receivables_match_states_and_are_never_negative(self) -> None:
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT gl, account_ref, balance FROM gl_balances")).all()
                written_off = set(
                    conn.execute(
                        text(
                            "SELECT account_id FROM account_status WHERE written_off_on IS NOT NULL"
                        )
                    ).scalars()
                )
            stored = {(GL(r.gl), r.account_ref): int(r.balance) for r in rows}
            for (gl, account), balance in stored.items():
                if gl in RECEIVABLES:
                    assert balance >= 0, (gl, account, balance)
            for account in self.lines + self.loans:
                state = self.svc.show(account)
                if account in self.lines:
                    expected = line_domain.receivables(state)
                    if state.status == "active":
                        unpaid = line_domain.unpaid_principal(state)
                        assert line_domain.available(state) == max(0, state.limit - unpaid)
                else:
                    expected = loan_model.receivables(state)
                if account in written_off:
                    # SPEC §6: the remaining balance moved to the loss account; the debt stays
                    # collectible off balance sheet, so the state still shows it as owed.
                    for gl in (GL.PRINCIPAL_CURRENT, GL.PRINCIPAL_OVERDUE):
                        assert stored.get((gl, account), 0) == 0, (account, gl)
                    continue
                for gl, amount in expected.items():
                    assert stored.get((gl, account), 0) == amount, (account, gl)

    return ServiceMachine


CIPHER = DataCipher(Fernet.generate_key())
# What the runs did (shown with ``pytest -s``): a test that refuses everything proves little.
STATS: Counter[str] = Counter()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_random_command_sequences_keep_every_invariant(db_url: str, tmp_path: Path) -> None:
    backend = "sqlite" if db_url.startswith("sqlite") else "postgres"
    examples, steps = SETTINGS[backend]
    dbs = FreshDatabases(db_url, tmp_path)
    try:
        run_state_machine_as_test(
            make_machine(dbs),
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
    finally:
        dbs.close()
    print(f"{backend}:", dict(sorted(STATS.items())))
