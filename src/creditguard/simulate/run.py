"""Run a simulator scenario through the real engine: every command via ``Servicing``, then the
end of day for every business date. No shortcut around the engine.

Per business date, in this order: a declared outage (declared on its first day, as a platform
would), monthly employment update, onboarding (open lines, cash-loan drawdowns), purchases
(some converted to installments), bill installments on the day after the statement,
repayments (due today, planned late ones, collections catch-up, prepayments), then
:func:`creditguard.servicing.end_of_day.run_end_of_day`. What is due is read back from the
store each day as one frame; the behaviour draws are vectorized (:mod:`behaviour`); only the
commands themselves are a loop, keyed ``sim|date|op|account`` so a rerun is idempotent and the
ledger deterministic. The commands between two reads of the store run in batch mode
(:meth:`Servicing.batch`: one transaction, a savepoint per command), which leaves exactly what
one transaction per command would (``batch=False``) in a fraction of the commits.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, and_, or_, select

from creditguard.calendar import add_months
from creditguard.money import InputError
from creditguard.servicing.end_of_day import DaySummary, run_end_of_day
from creditguard.servicing.service import Servicing
from creditguard.simulate import behaviour as bh
from creditguard.simulate.population import draw_population, onboard
from creditguard.simulate.scenario import SimScenario
from creditguard.store.db import is_postgres
from creditguard.store.fastsql import Fast
from creditguard.store.migrate import upgrade
from creditguard.store.servicing_tables import accounts, obligations, settled, unpaid
from creditguard.store.tables import outbox_events

__all__ = ["SimulationResult", "scenario_markers", "simulate"]

ACTOR = "simulator"
COLLECTIONS_REACH = 90  # days


@dataclass
class SimulationResult:
    """What a run did: the population (with decisions and account ids), days, command counts."""

    scenario: SimScenario
    population: pl.DataFrame
    days: list[DaySummary] = field(default_factory=list)
    commands: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    outage_failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def account_days(self) -> int:
        """Accounts × business dates closed by the end of day."""
        return sum(d.accounts for d in self.days)


def scenario_markers(scenario: SimScenario) -> pl.DataFrame:
    """The scenario's shocks and outages as chart markers: ``date``, ``kind``, ``label``."""
    rows: list[tuple[date, str, str]] = []
    for shock in scenario.macro:
        on = add_months(scenario.start, shock.month - 1)
        rows.append((on, "shock", f"冲击 {shock.label} ×{shock.multiplier:g}"))
    for o in scenario.outages:
        rows.append((o.start, "outage", f"故障 outage {o.start}–{o.end}"))
    return pl.DataFrame(
        rows, schema={"date": pl.Date, "kind": pl.String, "label": pl.String}, orient="row"
    )


def _outage_on(scenario: SimScenario, day: date) -> date | None:
    """The end of the outage window covering ``day``, if any."""
    for o in scenario.outages:
        if o.start <= day <= o.end:
            return o.end
    return None


# Per obligation row that owes something: the simulator reads these every day, so the
# statement is built once and its rows go straight from the driver into Polars.
_OWING = Fast(
    select(
        obligations.c.account_id,
        obligations.c.due_date,
        obligations.c.original_due_date,
        unpaid().label("unpaid"),
        unpaid("principal").label("principal"),
        (obligations.c.minimum - settled()).label("min_left"),
    ).where(
        # Only rows that add to any column below: settled rows owe and need nothing.
        or_(unpaid() > 0, obligations.c.minimum > settled())
    )
)
_OWING_SCHEMA = {
    "account": pl.String,
    "due_date": pl.Date,
    "original_due_date": pl.Date,
    "unpaid": pl.Int64,
    "principal": pl.Int64,
    "min_left": pl.Int64,
}


def _due_frame(engine: Engine, day: date) -> pl.DataFrame:
    """Per account: owed now (fallen due, unpaid), unpaid minimum, due today, principal left."""
    with engine.connect() as conn:
        raw = _OWING.raw_rows(conn)
    if is_postgres(engine):
        frame = pl.DataFrame(raw, schema=_OWING_SCHEMA, orient="row")
    else:
        # SQLite hands dates over as ISO text: Polars parses the whole column at once.
        as_text = {**_OWING_SCHEMA, "due_date": pl.String, "original_due_date": pl.String}
        frame = pl.DataFrame(raw, schema=as_text, orient="row").with_columns(
            pl.col("due_date", "original_due_date").str.to_date("%Y-%m-%d")
        )
    fallen = (pl.col("due_date") <= day) | (pl.col("original_due_date") <= day)
    return (
        frame.group_by("account")
        .agg(
            owed=pl.when(fallen).then(pl.col("unpaid")).otherwise(0).sum(),
            min_owed=pl.when(fallen)
            .then(pl.col("min_left").clip(lower_bound=0))
            .otherwise(0)
            .sum(),
            # A borrower remembers the contract's date: an outage-moved one is still tried on it.
            due_today=(
                ((pl.col("due_date") == day) | (pl.col("original_due_date") == day))
                & (pl.col("unpaid") > 0)
            ).any(),
            past_due=((pl.col("due_date") < day) & (pl.col("unpaid") > 0)).any(),
            principal_left=pl.col("principal").sum(),
        )
        .sort("account")
    )  # group_by order is arbitrary: commands must run in a fixed order


def _reminded(engine: Engine, day: date) -> set[str]:
    """Accounts sent a PaymentDueSoon reminder in the last three days (from the outbox)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox_events.c.account_ref).where(
                and_(
                    outbox_events.c.type == "PaymentDueSoon",
                    outbox_events.c.business_date >= day - timedelta(days=3),
                    outbox_events.c.business_date < day,
                )
            )
        ).scalars()
        return {str(r) for r in rows}


def _line_status(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(accounts.c.account_id, accounts.c.status).where(accounts.c.kind == "line")
        )
        return {str(a): str(s) for a, s in rows}


def simulate(
    scenario: SimScenario,
    engine: Engine,
    *,
    progress: Callable[[DaySummary], None] | None = None,
    batch: bool = True,
) -> SimulationResult:
    """Run ``scenario`` on the (empty or fresh) database behind ``engine``; see the module doc.

    ``batch=False`` runs every command in a transaction of its own: slower, same result.
    """
    started = time.perf_counter()
    upgrade(engine)
    rng = np.random.default_rng(scenario.seed)
    params = scenario.behaviour
    pop = onboard(draw_population(scenario.borrowers, rng, min_payer_share=params.min_payer_share))
    n = pop.height
    approved = pop.get_column("approved").to_numpy()
    limit = pop.get_column("limit").to_numpy().astype(np.int64)
    income = pop.get_column("monthly_income").to_numpy().astype(np.int64)
    stability = pop.get_column("income_stability").to_numpy()
    spend = pop.get_column("spend_propensity").to_numpy()
    forget = pop.get_column("forgetfulness").to_numpy()
    min_payer = pop.get_column("min_payer").to_numpy()
    savings = pop.get_column("savings_months").to_numpy().astype(np.float64)
    horizon_days = (scenario.end - scenario.start).days + 1
    onboard_days = min(horizon_days, scenario.onboarding_months * 30)
    open_offset = rng.integers(0, onboard_days, n)
    takes_loan = approved & (rng.random(n) < scenario.cash_loan_share)
    loan_offset = open_offset + rng.integers(0, 45, n)
    loan_term = rng.choice(np.array([3, 6, 12]), size=n, p=[0.3, 0.3, 0.4])
    loan_principal = (
        np.clip(np.minimum(limit, income * rng.uniform(0.5, 2.0, n)) // 10_000, 5, None) * 10_000
    ).astype(np.int64)
    width = len(pop.get_column("borrower")[0]) - 1 if n else 5
    ids = [f"{i:0{width}d}" for i in range(n)]
    line_id = np.array([f"L{s}" for s in ids])
    loan_id = np.array([f"C{s}" for s in ids])
    pop = pop.with_columns(
        pl.Series("line", [a if ok else None for a, ok in zip(line_id, approved, strict=True)]),
        pl.Series("loan", [a if ok else None for a, ok in zip(loan_id, takes_loan, strict=True)]),
        pl.Series("open_on", [scenario.start + timedelta(days=int(d)) for d in open_offset]),
        pl.Series("loan_term", np.where(takes_loan, loan_term, 0)),
        pl.Series("loan_principal", np.where(takes_loan, loan_principal, 0)),
    )
    result = SimulationResult(scenario, pop)
    svc = Servicing(engine, actor=ACTOR)
    svc.set_business_date(scenario.start)
    employed = np.ones(n, dtype=np.bool_)
    pay_on = np.full((2, n), -1, dtype=np.int64)  # row 0 lines, row 1 loans; day index or -1
    pay_mode = np.zeros((2, n), dtype=np.int64)
    declared: set[int] = set()

    def batched() -> AbstractContextManager[Any]:
        # Commands only; the store is read (and the end of day run) between batches.
        return svc.batch() if batch else nullcontext()

    def command(op: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        try:
            fn(*args, **kwargs)
        except InputError as exc:
            result.refused[f"{op}:{exc.field}"] += 1
            return False
        result.commands[op] += 1
        return True

    borrower_id = pop.get_column("borrower").to_list()
    for t in range(horizon_days):
        day = scenario.start + timedelta(days=t)
        stamp = day.isoformat()
        with batched():
            for i, o in enumerate(scenario.outages):
                if i not in declared and o.start <= day:
                    # Declared on its first day, as a platform would (or at once if already past).
                    key = f"sim|outage|{i}"
                    command("declare-outage", svc.declare_outage, o.start, o.end, o.relief_days,
                            key=key)  # fmt: skip
                    declared.add(i)
            if t % 30 == 0:
                employed, savings = bh.employment_step(
                    employed, stability, savings, scenario.job_loss_multiplier(t // 30 + 1), params,
                    rng,
                )  # fmt: skip
            for r in np.flatnonzero(approved & (open_offset == t)).tolist():
                command("open-line", svc.open_line, str(line_id[r]), scenario.line_product,
                        int(limit[r]), borrower_id[r], key=f"sim|{stamp}|open|{line_id[r]}",
                        create_borrower=True)  # fmt: skip
            for r in np.flatnonzero(takes_loan & (loan_offset == t)).tolist():
                command("disburse", svc.disburse, str(loan_id[r]), scenario.loan_product,
                        int(loan_principal[r]), int(loan_term[r]), borrower=borrower_id[r],
                        key=f"sim|{stamp}|disburse|{loan_id[r]}", create_borrower=True)  # fmt: skip
        # Purchases (over-consumption); a large one is sometimes converted to installments.
        status = _line_status(engine)
        usable = np.isin(line_id, [a for a, st in status.items() if st == "active"])
        mob = np.maximum(t - open_offset, 0) // 30
        rows, amounts = bh.purchases(spend, limit, mob, usable & approved, params, rng)
        u_conv = rng.random(n)
        pid = f"P{stamp}"
        with batched():
            for r, amount in zip(rows.tolist(), amounts.tolist(), strict=True):
                acc = str(line_id[r])
                ok = command("purchase", svc.purchase, acc, amount, purchase_id=pid,
                             key=f"sim|{stamp}|purchase|{acc}")  # fmt: skip
                if ok and amount * 10 > int(limit[r]) * 3 and u_conv[r] < 0.3:
                    command("convert-purchase", svc.convert_to_installments, acc, 6,
                            purchase_id=pid, key=f"sim|{stamp}|convert-p|{acc}")  # fmt: skip
            # Bill installments the day after the statement (statement day 1 by default).
            if day.day == 2:
                u_bill = rng.random(n)
                stressed = ~employed | min_payer
                want = (
                    usable & approved & (u_bill < params.bill_installment_rate * (1 + 3 * stressed))
                )
                for r in np.flatnonzero(want).tolist():
                    acc = str(line_id[r])
                    command("convert-bill", svc.convert_to_installments, acc, 3,
                            key=f"sim|{stamp}|convert-b|{acc}")  # fmt: skip
        people = _Pop(line_id, loan_id, forget, min_payer, employed, savings, pay_on, pay_mode)
        _repayments(svc, engine, scenario, result, t, day, rng, people, command, batched)
        summary = run_end_of_day(svc, day)
        result.days.append(summary)
        if progress is not None:
            progress(summary)
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class _Pop:
    line_id: Any
    loan_id: Any
    forget: Any
    min_payer: Any
    employed: Any
    savings: Any
    pay_on: Any
    pay_mode: Any


def _repayments(
    svc: Servicing,
    engine: Engine,
    scenario: SimScenario,
    result: SimulationResult,
    t: int,
    day: date,
    rng: np.random.Generator,
    p: _Pop,
    command: Callable[..., bool],
    batched: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> None:
    """Plan payments for what falls due today and make the payments planned for today."""
    n = p.forget.size
    params = scenario.behaviour
    due = _due_frame(engine, day)
    reminded_set = _reminded(engine, day)
    outage_end = _outage_on(scenario, day)
    stamp = day.isoformat()
    # One set of draws for every borrower, for lines and loans, whatever is due: see behaviour.
    draws = [
        bh.plan_payments(
            forgetfulness=p.forget, min_payer=p.min_payer, employed=p.employed,
            savings_left=p.savings,
            reminded=np.isin(ids, sorted(reminded_set)),
            is_line=kind == 0, params=params, rng=rng,
        )
        for kind, ids in ((0, p.line_id), (1, p.loan_id))
    ]  # fmt: skip
    collect = bh.catch_up(p.employed, p.savings, rng)
    u_part = rng.uniform(0.2, 0.6, n)
    u_prepay = rng.random(n)
    if due.height == 0:
        return
    kind = due.get_column("account").str.starts_with("C").cast(pl.Int64).to_numpy()
    row = due.get_column("account").str.slice(1).cast(pl.Int64).to_numpy()
    owed = due.get_column("owed").to_numpy()
    min_owed = due.get_column("min_owed").to_numpy()
    due_today = due.get_column("due_today").to_numpy()
    past_due = due.get_column("past_due").to_numpy()
    left = due.get_column("principal_left").to_numpy()
    current = p.pay_on[kind, row]
    # Something falls due today: plan when and how it is paid. Past due with no plan: maybe
    # today, as collections reach the borrower.
    new_due = due_today & (current < t)
    # A plan further out than COLLECTIONS_REACH ("cannot pay") does not stop collections from
    # reaching the borrower: after write-off such payments are the recoveries.
    unplanned = (current < t) | (current > t + COLLECTIONS_REACH)
    chase = ~new_due & past_due & (owed > 0) & unplanned & collect[row]
    delay = np.where(kind == 0, draws[0].delay[row], draws[1].delay[row])
    planned_mode = np.where(kind == 0, draws[0].mode[row], draws[1].mode[row])
    chase_mode = np.where(p.employed[row], bh.MODE_FULL, bh.MODE_PARTIAL)
    pay_on = np.where(new_due, t + delay, np.where(chase, t, current))
    mode = np.where(new_due, planned_mode, np.where(chase, chase_mode, p.pay_mode[kind, row]))
    p.pay_on[kind, row] = pay_on
    p.pay_mode[kind, row] = mode
    pays = (pay_on == t) & (owed > 0)
    partial = np.maximum(100, np.floor(owed * u_part[row]).astype(np.int64) // 100 * 100)
    amount = np.where((mode == bh.MODE_MINIMUM) & (min_owed > 0), min_owed, owed)
    amount = np.where(mode == bh.MODE_PARTIAL, np.minimum(partial, owed), amount)
    prepay = (kind == 1) & due_today & (u_prepay[row] < params.prepay_rate) & (left > owed)
    amount = np.where(prepay, owed + (left - owed) // 2, amount)  # half the principal left
    accounts_ = due.get_column("account").to_list()
    if outage_end is not None:
        # The payment channel is down: every attempt fails; retry the day after the window.
        for i in np.flatnonzero(pays).tolist():
            result.outage_failures.append(
                {"account": accounts_[i], "date": day, "amount": int(amount[i]),
                 "mode": int(mode[i])}
            )  # fmt: skip
        p.pay_on[kind[pays], row[pays]] = t + (outage_end - day).days + 1
        return
    with batched():
        for i in np.flatnonzero(pays).tolist():
            acc = accounts_[i]
            command("repay", svc.repay, acc, int(amount[i]), key=f"sim|{stamp}|repay|{acc}")
