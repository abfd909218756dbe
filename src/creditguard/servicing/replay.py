"""The scenario replayer: a scenario file run on a fresh database, and the final state (SPEC §10).

Events apply in date order (file order within a date) before that date's end of day; the end
of day runs for every date from the first event's through ``until``. Each event goes through
the same service commands as the CLI, keyed ``scenario:<index>`` for idempotency, with the
actor ``scenario``. The output is plain JSON values: amounts as decimal strings.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import Engine, select

from creditguard.calendar import month_bounds
from creditguard.money import format_amount
from creditguard.products import load_catalogue
from creditguard.servicing import line_model, loan_model
from creditguard.servicing.bureau import bureau_history
from creditguard.servicing.line_statement import accrue_revolving_interest
from creditguard.servicing.model import Amounts, Component
from creditguard.servicing.scenario import Scenario, ScenarioError, ScenarioEvent
from creditguard.servicing.service import ACCOUNT_TYPES, Servicing, product_definition
from creditguard.store.account_repo import AccountRepository
from creditguard.store.crypto import DataCipher
from creditguard.store.db import connect
from creditguard.store.migrate import upgrade
from creditguard.store.overdue_tables import account_status
from creditguard.store.tables import outbox_events
from creditguard.store.uow import UnitOfWork
from creditguard.store.verify import trial_balance, verify_ledger

__all__ = ["account_view", "replay", "replay_on"]

ACTOR = "scenario"


def _amounts(a: Amounts) -> dict[str, str]:
    return {k: format_amount(v) for k, v in a.as_dict().items()}


def replay(scenario: Scenario, *, db_url: str | None = None) -> dict[str, Any]:
    """Run ``scenario`` on a fresh database (a temporary SQLite file unless ``db_url``)."""
    if db_url is not None:
        engine = connect(db_url)
        try:
            return replay_on(engine, scenario)
        finally:
            engine.dispose()  # its pooled connections would outlive the call otherwise
    with tempfile.TemporaryDirectory(prefix="creditguard-replay-") as tmp:
        engine = connect(f"sqlite:///{Path(tmp) / 'replay.sqlite'}", durable=False)
        # A throwaway database needs no fsync per commit: the replay is rerun, not recovered.
        try:
            return replay_on(engine, scenario)
        finally:
            engine.dispose()


def replay_on(engine: Engine, scenario: Scenario) -> dict[str, Any]:
    """Run ``scenario`` on an empty database behind ``engine``; return the final state."""
    upgrade(engine)
    # A replay's borrowers carry no personal data; a throwaway key keeps it self-contained.
    svc = Servicing(engine, actor=ACTOR, cipher=DataCipher(Fernet.generate_key()))
    first = scenario.events[0].date
    svc.set_business_date(first)
    _register_products(svc, scenario)
    by_date: dict[date, list[ScenarioEvent]] = {}
    for event in scenario.events:
        by_date.setdefault(event.date, []).append(event)
    day = first
    while day <= scenario.until:
        for event in by_date.get(day, []):
            _apply(svc, scenario, event)
        svc.end_of_day(day)
        day += timedelta(days=1)
    return snapshot(engine, scenario.until)


def _register_products(svc: Servicing, scenario: Scenario) -> None:
    catalogue = load_catalogue()
    for name, spec in scenario.products.items():
        try:
            if isinstance(spec, str):
                product = catalogue.get(spec)
                svc.register_product(name, product_definition(product), f"catalogue:{spec}")
            else:
                svc.register_product(name, dict(spec), scenario.source)
        except ScenarioError:
            raise
        except Exception as exc:
            rule = getattr(exc, "rule", None) or " ".join(str(exc).split())
            raise ScenarioError(f"products.{name}", str(rule)) from exc


def _apply(svc: Servicing, scenario: Scenario, event: ScenarioEvent) -> None:
    f = event.fields
    key = f"scenario:{event.index}"
    calls: dict[str, Callable[[], Any]] = {
        "open-line": lambda: svc.open_line(
            f["account"], f["product"], f["limit"], f["borrower"], key=key, create_borrower=True
        ),
        "purchase": lambda: svc.purchase(
            f["account"], f["amount"], purchase_id=f"E{event.index}", key=key
        ),
        "refund": lambda: svc.refund(f["account"], f"E{f['purchase']}", f["amount"], key=key),
        "disburse": lambda: svc.disburse(
            f["account"],
            f["product"],
            f["principal"],
            f["term"],
            f["method"],
            line=f["line"],
            borrower=f["borrower"],
            key=key,
            create_borrower=True,
        ),
        "repay": lambda: svc.repay(
            f["account"], f["amount"], payment_id=f"E{event.index}", key=key
        ),
        "convert-to-installments": lambda: svc.convert_to_installments(
            f["account"],
            f["periods"],
            purchase_id=None if f["purchase"] is None else f"E{f['purchase']}",
            key=key,
        ),
        "waive": lambda: svc.waive(
            f["account"], f["component"], f["amount"], f["reason"], f["approver"], key=key
        ),
        "reverse": lambda: svc.reverse(f["account"], f"E{f['event']}", key=key),
        "declare-outage": lambda: svc.declare_outage(
            f["start"], f["end"], f["relief_days"], key=key
        ),
    }
    try:
        calls[event.op]()
    except ScenarioError:
        raise
    except Exception as exc:
        field = getattr(exc, "field", None)
        rule = getattr(exc, "rule", None) or " ".join(str(exc).split())
        where = f"events[{event.index}]" + (f".{field}" if field else "")
        raise ScenarioError(where, f"{event.op} on {event.date}: {rule}") from exc


def _line_accrued(state: Any, as_of: date) -> int:
    """A line's revolving interest accrued and not billed, through ``as_of``.

    Accruals are posted at boundaries (see ``servicing.line``), so the posted figure can lag;
    the view accrues the quiet days on a copy, as a statement or payment that day would.
    """
    if as_of > state.accrued_through and as_of >= state.last_date:
        state = accrue_revolving_interest(state, as_of).state
    return line_model.accrued_interest(state)


def account_view(state: Any, as_of: date) -> dict[str, Any]:
    """One account of the replay output (SPEC §10)."""
    if isinstance(state, loan_model.Loan):
        view: dict[str, Any] = {
            "kind": "loan",
            "product": state.product,
            "status": state.status,
            "outstanding": _amounts(loan_model.outstanding(state, as_of)),
            "paid": _amounts(loan_model.paid_total(state)),
            "principal_balance": format_amount(loan_model.principal_balance(state)),
            "accrued_interest": format_amount(loan_model.accrued_interest(state, as_of)),
            "installments": [
                {
                    "period": i + 1,
                    "due_date": ob.due_date.isoformat(),
                    "due": _amounts(ob.due),
                    "paid": _amounts(ob.paid),
                    **({"waived": _amounts(ob.waived)} if ob.waived.total else {}),
                }
                for i, ob in enumerate(state.installments)
            ],
        }
        return view
    return {
        "kind": "line",
        "product": state.product,
        "status": state.status,
        "limit": format_amount(state.limit),
        "available": format_amount(line_model.available(state)),
        "outstanding": _amounts(line_model.outstanding(state, as_of)),
        "paid": _amounts(_line_paid(state)),
        "principal_balance": format_amount(line_model.unpaid_principal(state)),
        "accrued_interest": format_amount(_line_accrued(state, as_of)),
        "credit_balance": format_amount(state.credit_balance),
        "statements": [
            {
                "date": s["date"].isoformat(),
                "due_date": s["due_date"].isoformat(),
                "amount": format_amount(s["amount"]),
                "minimum": format_amount(s["minimum"]),
                "paid": format_amount(s["paid"]),
            }
            for s in line_model.statement_view(state)
        ],
    }


def _status_view(row: Any) -> dict[str, Any]:
    """The overdue picture after the last end of day (SPEC §10 output keys)."""
    if row is None:
        return {"dpd": 0, "in_grace": False, "bucket": "M0", "classification": "normal", "stage": 1}
    return {
        "dpd": int(row.dpd),
        "in_grace": bool(row.in_grace),
        "bucket": row.bucket,
        "classification": row.classification,
        "stage": int(row.stage),
    }


def _line_paid(line: Any) -> Amounts:
    """Paid on statements, plus principal repaid on purchases before they were billed."""
    prepaid = sum(p.prepaid for p in line.purchases)
    return Amounts.sum(ob.paid for ob in line.statements).add(Component.PRINCIPAL, prepaid)


def snapshot(engine: Engine, as_of: date) -> dict[str, Any]:
    """The replay output for the database behind ``engine`` as of ``as_of``."""
    with UnitOfWork(engine) as uow:
        repo = AccountRepository(uow.connection, ACCOUNT_TYPES)
        statuses = {r.account_id: r for r in uow.connection.execute(select(account_status))}
        accounts = {
            state.account: {
                **account_view(state, as_of),
                **_status_view(statuses.get(state.account)),
            }
            for state in repo.all()
        }
        events = [
            {
                "date": row.business_date.isoformat(),
                "account": row.account_ref,
                "type": row.type,
            }
            for row in uow.connection.execute(select(outbox_events).order_by(outbox_events.c.seq))
        ]
    history = bureau_history(engine)
    pboc: dict[str, list[dict[str, str]]] = {}
    if history.pboc.height:
        rows = history.pboc.select("account", "month", "status").iter_rows()
        for account, month, status in rows:
            if month_bounds(month)[1] <= as_of:  # complete months only
                pboc.setdefault(account, []).append({"month": month, "status": status})
    for account, view in accounts.items():
        view["bureau"] = {"pboc": pboc.get(account, [])}
    tb = trial_balance(engine, as_of)
    mismatches = verify_ledger(engine)
    return {
        "as_of": as_of.isoformat(),
        "accounts": accounts,
        "events": events,
        "ledger": {
            "balanced": tb.balanced and not mismatches,
            "debits": format_amount(tb.debits),
            "credits": format_amount(tb.credits),
        },
    }
