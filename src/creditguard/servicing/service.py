"""The servicing service: each command is one transaction — whole or nothing, idempotent, audited.

The imperative shell around the pure domain (:mod:`loan`, :mod:`line`): read the account's
state, call the domain function with the business date, save the new state, post its journal
entry, put its events in the outbox, write the audit trail and remember the result under the
idempotency key. Any error rolls all of it back. Concurrent commands on one account are
serialised (PostgreSQL advisory lock; SQLite's write lock), and a version check refuses a save
from a stale read.

A command's writes are queued and written in bulk at its end (:mod:`pending_writes`).

Batch mode (:meth:`Servicing.batch`) runs many commands in one transaction, each in a SAVEPOINT:
the same rows as one transaction per command, a commit per few hundred commands instead of one
each (the simulator's way to run a day's commands). On SQLite, where the batch's transaction
holds the database's write lock, the account commands (purchase, repay, …) also share their
writes: no savepoint, one bulk write for a run of them (docs/decisions.md D10).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Engine, delete, update

from creditguard.frozen import replace
from creditguard.ledger.journal import JournalEntry, Posting, entry_key
from creditguard.money import InputError, format_amount
from creditguard.products import (
    Catalogue,
    InstallmentProduct,
    Product,
    load_catalogue,
    product_from_mapping,
)
from creditguard.servicing import line as line_domain
from creditguard.servicing import loan as loan_domain
from creditguard.servicing.borrower import validate_borrower, validate_national_id, validate_phone
from creditguard.servicing.model import Component, check_outage_window
from creditguard.servicing.outcome import Outcome, off_balance
from creditguard.store.account_repo import AccountRepository
from creditguard.store.crypto import DataCipher
from creditguard.store.db import is_postgres, retry
from creditguard.store.overdue_tables import bureau_months, penalty_state
from creditguard.store.pending_writes import PendingWrites
from creditguard.store.uow import UnitOfWork, new_key, transact

__all__ = ["ACCOUNT_TYPES", "Servicing"]

ACCOUNT_TYPES: Mapping[str, type] = {"loan": loan_domain.Loan, "line": line_domain.Line}
_KIND_OF: Mapping[type, str] = {cls: kind for kind, cls in ACCOUNT_TYPES.items()}

# Commands per transaction in batch mode. Bounded because every command's advisory locks
# (PostgreSQL: account, idempotency key, journal entry — about three) are held until the
# transaction ends, and the server's lock table is shared and finite
# (max_locks_per_transaction × max_connections, 6,400 by default); and because SQLite's write
# lock is held for the whole batch. At ~5 ms a command, 500 commit about every 2.5 s.
BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class _Context:
    uow: UnitOfWork
    writes: PendingWrites  # where the command's saves, entries, events and audit rows go
    today: date
    # Recorded products this command read: cached once its transaction has committed.
    products: dict[str, Product] = field(default_factory=dict)

    @property
    def repo(self) -> AccountRepository:
        """The command's (staged) account repository."""
        return self.writes.repo


Handler = Callable[[_Context], tuple[Outcome[Any] | None, dict[str, Any]]]


def _pending(uow: UnitOfWork) -> PendingWrites:
    return PendingWrites(uow, AccountRepository(uow.connection, ACCOUNT_TYPES, staged=True))


class _Batch:
    """The shared transaction of :meth:`Servicing.batch`: commands run in savepoints, or (SQLite,
    account commands) share their writes, flushed before anything else reads the database."""

    def __init__(self, svc: Servicing, size: int) -> None:
        self.svc = svc
        self.size = size
        self.uow: UnitOfWork | None = None
        self.count = 0
        self.products: dict[str, Product] = {}
        self.shared: PendingWrites | None = None

    def _transaction(self) -> UnitOfWork:
        if self.uow is None:
            self.uow = retry(self._open)
        return self.uow

    def run(self, body: Callable[[UnitOfWork], Any]) -> Any:
        """Run ``body`` in a savepoint of the batch's transaction (opened on first use)."""
        uow = self._transaction()
        self.flush()
        if uow.is_postgres:
            # Another session may move the business date between two commands (SQLite: not
            # while this transaction holds the write lock), so each command reads it afresh.
            uow.forget_business_date()

        def once() -> Any:
            with uow.savepoint():
                return body(uow)

        # A deadlock (PostgreSQL) undoes only this command's savepoint: run it again, as
        # ``transact`` would rerun a whole transaction.
        out = retry(once)
        self._counted()
        return out

    def run_shared(self, body: Callable[[UnitOfWork, PendingWrites], Any]) -> Any:
        """Run ``body`` with the batch's shared writes: no savepoint — a failure drops what
        ``body`` queued, and nothing reached the database before the flush. SQLite only: its
        batch holds the write lock, so no other writer can come between read and flush."""
        uow = self._transaction()
        if self.shared is None:
            self.shared = _pending(uow)
        shared = self.shared
        mark = shared.mark()
        try:
            out = body(uow, shared)
        except BaseException:
            shared.undo(mark)
            raise
        self._counted()
        return out

    def _counted(self) -> None:
        self.count += 1
        if self.count >= self.size:
            self.commit()

    def flush(self) -> None:
        """Write the shared writes queued so far (before a command that reads the database)."""
        shared, self.shared = self.shared, None
        if shared is not None:
            shared.flush()

    def _open(self) -> UnitOfWork:
        uow = UnitOfWork(self.svc.engine)
        uow.__enter__()
        return uow

    def commit(self) -> None:
        """Commit what ran so far; the next command opens a new transaction."""
        try:
            self.flush()
        except BaseException as exc:
            self.rollback(exc)
            raise
        uow, self.uow, self.count = self.uow, None, 0
        if uow is None:
            return
        try:
            uow.__exit__(None, None, None)
        except BaseException:
            self.products.clear()
            raise
        self.svc._recorded.update(self.products)
        self.products.clear()

    def rollback(self, exc: BaseException) -> None:
        """Undo the commands since the last commit (the error ``exc`` ends the batch)."""
        uow, self.uow, self.count, self.shared = self.uow, None, 0, None
        self.products.clear()
        if uow is not None:
            uow.__exit__(type(exc), exc, exc.__traceback__)


class Servicing:
    """Commands on borrowers, lines and loans against one database."""

    def __init__(
        self,
        engine: Engine,
        *,
        actor: str = "system",
        catalogue: Catalogue | None = None,
        cipher: DataCipher | None = None,
    ) -> None:
        self.engine = engine
        self.actor = actor
        self._catalogue = catalogue
        self._cipher = cipher
        self._products: dict[tuple[str, str], Product] = {}
        # Products recorded in this database, read by committed commands. A recorded
        # definition never changes (put_product refuses another) and is never deleted, so
        # these need no lookup again.
        self._recorded: dict[str, Product] = {}
        self._batch: _Batch | None = None

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def catalogue(self) -> Catalogue:
        """The product catalogue (loaded on first use)."""
        if self._catalogue is None:
            self._catalogue = load_catalogue()
        return self._catalogue

    @property
    def cipher(self) -> DataCipher:
        """The personal-data cipher (key loaded on first use)."""
        if self._cipher is None:
            self._cipher = DataCipher()
        return self._cipher

    @contextmanager
    def batch(self, *, size: int = BATCH_SIZE) -> Iterator[Servicing]:
        """Run the commands issued inside the block in shared transactions: few commits.

        Each command still is whole or nothing — it runs in a SAVEPOINT, so a refused command
        leaves no trace, raises as usual, and the next one goes on — and idempotency keys,
        locks, version checks, audit rows and outbox events are exactly as one transaction per
        command would leave them. Every ``size`` commands, and when the block ends, the work
        is committed. If the block raises, or a commit fails, the commands since the last
        commit are rolled back (their results were provisional): rerun them with the same
        keys. Not for sharing between threads; close the batch before the end of day (which
        opens transactions of its own).
        """
        if self._batch is not None:
            raise RuntimeError("Servicing.batch() blocks do not nest")
        if size < 1:
            raise ValueError("batch size must be at least 1")
        state = _Batch(self, size)
        self._batch = state
        try:
            yield self
        except BaseException as exc:
            self._batch = None
            state.rollback(exc)
            raise
        self._batch = None
        state.commit()

    def _in_transaction(self, body: Callable[[UnitOfWork], Any]) -> Any:
        """Run ``body`` in the open batch (a savepoint) or in a transaction of its own."""
        if self._batch is not None:
            return self._batch.run(body)
        with UnitOfWork(self.engine) as uow:
            return body(uow)

    def run(
        self,
        command: str,
        request: Mapping[str, Any],
        handler: Handler,
        *,
        key: str | None = None,
        account: str | None = None,
        actor: str | None = None,
        shareable: bool = False,
    ) -> dict[str, Any]:
        """Run one command in one transaction; replaying its key returns the first result.

        Inside :meth:`batch`, the transaction is a savepoint of the batch's transaction — or,
        for a ``shareable`` command on SQLite (one whose handler only reads and saves accounts
        and records outcomes, writing nothing to the database itself), no savepoint: its
        writes join the batch's shared writes.
        """
        idem_key = key or new_key()
        who = actor or self.actor
        products: dict[str, Product] = {}

        def body(uow: UnitOfWork, writes: PendingWrites) -> dict[str, Any]:
            products.clear()  # a retried attempt starts afresh
            hit = writes.find(idem_key, command, request)
            if hit is not None:
                return dict(hit.result)
            if account is not None:
                uow.lock(account)
            ctx = _Context(uow, writes, uow.business_date(), products)
            outcome, result = handler(ctx)
            if outcome is not None:
                self._record(ctx, outcome, command, idem_key, who)
            writes.audit(command, actor=who, account_ref=account, details=dict(request))
            return dict(writes.remember(idem_key, command, request, result))

        def alone(uow: UnitOfWork) -> dict[str, Any]:
            writes = _pending(uow)
            out = body(uow, writes)
            writes.flush()
            return out

        batch = self._batch
        if batch is not None:
            if shareable and not is_postgres(self.engine):
                out: dict[str, Any] = batch.run_shared(body)
            else:
                out = batch.run(alone)
            batch.products.update(products)
            return out
        out = transact(self.engine, alone)
        self._recorded.update(products)
        return out

    def _record(
        self, ctx: _Context, outcome: Outcome[Any], kind: str, idem_key: str, actor: str
    ) -> None:
        state = outcome.state
        account = state.account
        if outcome.postings:
            ctx.writes.post(
                JournalEntry(
                    key=entry_key(account, ctx.today, kind, idem_key),
                    business_date=ctx.today,
                    kind=kind,
                    account_ref=account,
                    postings=tuple(outcome.postings),
                    actor=actor,
                )
            )
        for event in outcome.events:
            ctx.writes.emit(
                event.type, event.account, event.payload, business_date=event.business_date
            )

    def product(self, ctx: _Context, name: str) -> Product:
        """A product by name: one recorded in the database (a scenario's), else the catalogue's."""
        found = self._recorded.get(name)
        if found is None:
            found = ctx.products.get(name)
        if found is not None:
            return found
        recorded = self._recorded_product(ctx.repo, name)
        if recorded is None:
            return self.catalogue.get(name)
        ctx.products[name] = recorded
        return recorded

    def product_in(self, repo: AccountRepository, name: str) -> Product:
        """:meth:`product` for a repository of any unit of work."""
        found = self._recorded.get(name)
        if found is not None:
            return found
        recorded = self._recorded_product(repo, name)
        return self.catalogue.get(name) if recorded is None else recorded

    def _recorded_product(self, repo: AccountRepository, name: str) -> Product | None:
        recorded = repo.product_definition(name)
        if recorded is None:
            return None
        _kind, definition, source = recorded
        # Validating a product prices every offer (the APR screen): do it once per definition.
        cache_key = (name, json.dumps(definition, sort_keys=True))
        if cache_key not in self._products:
            self._products[cache_key] = product_from_mapping(name, definition, source)
        return self._products[cache_key]

    # -- set-up --------------------------------------------------------------------------------

    def set_business_date(self, on: date, *, allow_backwards: bool = False) -> None:
        """Set the stored business date (initialisation, or the end of day moving it on)."""
        self._in_transaction(lambda uow: uow.set_business_date(on, allow_backwards=allow_backwards))

    def business_date(self) -> date:
        """The stored business date."""
        today: date = self._in_transaction(lambda uow: uow.business_date())
        return today

    def register_product(self, name: str, definition: Mapping[str, Any], source: str) -> None:
        """Record an inline product (a scenario's) after validating it like a catalogue file."""
        product = product_from_mapping(name, definition, source)

        def handler(ctx: _Context) -> tuple[Outcome[Any] | None, dict[str, Any]]:
            ctx.repo.put_product(name, product.kind, dict(definition), source)
            return None, {"product": name}

        self.run("register-product", {"name": name, "definition": dict(definition)}, handler)

    def add_borrower(
        self,
        borrower_id: str,
        name: str,
        national_id: str | None = None,
        phone: str | None = None,
        *,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Add a borrower; national ID and phone are validated, encrypted and shown masked."""
        row: dict[str, Any] = {"borrower_id": borrower_id, "name": name}
        phone_fp: str | None = None
        if national_id is not None and phone is not None:
            b = validate_borrower(borrower_id, name, national_id, phone)
            nid, tel = validate_national_id(national_id), validate_phone(phone)
            row |= {
                "national_id_enc": self.cipher.encrypt(nid),
                "national_id_fp": self.cipher.fingerprint(nid),
                "national_id_masked": b.national_id_masked,
                "phone_enc": self.cipher.encrypt(tel),
                "phone_masked": b.phone_masked,
            }
            phone_fp = self.cipher.fingerprint(tel)
        elif national_id is not None or phone is not None:
            raise InputError("national_id", "give both national_id and phone, or neither")
        if not borrower_id.strip() or not name.strip():
            raise InputError("borrower_id", "borrower id and name must not be empty")
        # The request hash must not carry personal data in clear: hash the fingerprint instead.
        # The phone is part of the request too: the same key with another phone is a conflict.
        request = {
            "borrower_id": borrower_id,
            "name": name,
            "id_fp": row.get("national_id_fp"),
            "phone_fp": phone_fp,
        }

        def handler(ctx: _Context) -> tuple[Outcome[Any] | None, dict[str, Any]]:
            if ctx.repo.borrower(borrower_id) is not None:
                raise InputError("borrower_id", f"borrower {borrower_id!r} already exists")
            fp = row.get("national_id_fp")
            if fp is not None and (other := ctx.repo.borrower_by_fingerprint(fp)) is not None:
                raise InputError("national_id", f"already registered to borrower {other!r}")
            ctx.repo.put_borrower({**row, "created_on": ctx.today})
            return None, {
                "borrower_id": borrower_id,
                "name": name,
                "national_id": row.get("national_id_masked"),
                "phone": row.get("phone_masked"),
            }

        return self.run("add-borrower", request, handler, key=key)

    def _ensure_borrower(self, ctx: _Context, borrower_id: str) -> None:
        if ctx.repo.borrower(borrower_id) is None:
            ctx.repo.put_borrower(
                {"borrower_id": borrower_id, "name": borrower_id, "created_on": ctx.today}
            )

    # -- lines ---------------------------------------------------------------------------------

    def open_line(
        self,
        account: str,
        product: str,
        limit: int,
        borrower: str | None = None,
        *,
        key: str | None = None,
        create_borrower: bool = False,
    ) -> dict[str, Any]:
        """Open a revolving credit-pay line with a limit in fen."""
        who = borrower or account
        request = {"account": account, "product": product, "limit": limit, "borrower": who}

        def handler(ctx: _Context) -> tuple[Outcome[Any] | None, dict[str, Any]]:
            prod = self.product(ctx, product)
            if prod.kind != "revolving":
                raise InputError("product", f"{product!r} is not a revolving product")
            if create_borrower:
                self._ensure_borrower(ctx, who)
            elif ctx.repo.borrower(who) is None:
                raise InputError("borrower", f"no borrower {who!r}")
            self._ensure_product_recorded(ctx, prod)
            outcome = line_domain.open_line(account, who, prod, limit, ctx.today)
            outcome = self._apply_declared_outages(ctx, outcome)
            ctx.repo.add("line", outcome.state, opened_on=ctx.today)
            return outcome, {"account": account, "limit": format_amount(limit)}

        return self.run("open-line", request, handler, key=key, account=account)

    def _ensure_product_recorded(self, ctx: _Context, product: Product) -> None:
        if ctx.repo.product_definition(product.name) is None:
            ctx.repo.put_product(
                product.name, product.kind, product_definition(product), str(product.source)
            )

    def _account_command(
        self,
        command: str,
        account: str,
        request: Mapping[str, Any],
        apply: Callable[[_Context, Any, Product], Outcome[Any]],
        *,
        key: str | None = None,
        kinds: tuple[str, ...] = ("loan", "line"),
    ) -> dict[str, Any]:
        """Load an account, apply a domain function, save: the shape of most commands."""

        def handler(ctx: _Context) -> tuple[Outcome[Any] | None, dict[str, Any]]:
            # One read: the state's type says its kind (get raises UnknownAccount as kind_of
            # would, and reading has no effect if the kind is then refused).
            state = ctx.repo.get(account)
            kind = _KIND_OF[type(state)]
            if kind not in kinds:
                raise InputError(
                    "account", f"{account!r} is a {kind}; {command} needs a {' or '.join(kinds)}"
                )
            outcome = apply(ctx, state, self.product(ctx, state.product))
            ctx.repo.save(outcome.state)
            return outcome, {"account": account, **dict(outcome.result)}

        return self.run(
            command, {"account": account, **request}, handler, key=key, account=account,
            shareable=True,
        )  # fmt: skip

    def change_limit(self, account: str, limit: int, *, key: str | None = None) -> dict[str, Any]:
        """Change a line's limit."""
        return self._account_command(
            "change-limit",
            account,
            {"limit": limit},
            lambda ctx, st, _p: line_domain.change_limit(st, limit, ctx.today),
            key=key,
            kinds=("line",),
        )

    def purchase(
        self, account: str, amount: int, *, purchase_id: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """Authorise and post a purchase on a line (``purchase_id`` names it for refunds)."""
        return self._account_command(
            "purchase",
            account,
            {"amount": amount, "purchase_id": purchase_id},
            lambda ctx, st, _p: line_domain.purchase(
                st, amount, ctx.today, purchase_id=purchase_id
            ),
            key=key,
            kinds=("line",),
        )

    def refund(
        self, account: str, purchase_id: str, amount: int, *, key: str | None = None
    ) -> dict[str, Any]:
        """A merchant refund of (part of) a purchase."""
        return self._account_command(
            "refund",
            account,
            {"purchase": purchase_id, "amount": amount},
            lambda ctx, st, _p: line_domain.refund(st, purchase_id, amount, ctx.today),
            key=key,
            kinds=("line",),
        )

    def convert_to_installments(
        self,
        account: str,
        periods: int,
        *,
        purchase_id: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Convert the latest statement, or one purchase, into a fee-installment plan."""
        return self._account_command(
            "convert-to-installments",
            account,
            {"periods": periods, "purchase": purchase_id},
            lambda ctx, st, _p: line_domain.convert_to_installments(
                st, periods, ctx.today, purchase_id=purchase_id
            ),
            key=key,
            kinds=("line",),
        )

    # -- loans ---------------------------------------------------------------------------------

    def disburse(
        self,
        account: str,
        product: str,
        principal: int,
        term: int,
        method: str | None = None,
        *,
        line: str | None = None,
        borrower: str | None = None,
        key: str | None = None,
        create_borrower: bool = False,
    ) -> dict[str, Any]:
        """Disburse a cash loan; the schedule comes from the pricing engine."""
        who = borrower or account
        request = {
            "account": account,
            "product": product,
            "principal": principal,
            "term": term,
            "method": method,
            "line": line,
            "borrower": who,
        }

        def handler(ctx: _Context) -> tuple[Outcome[Any] | None, dict[str, Any]]:
            prod = self.product(ctx, product)
            if not isinstance(prod, InstallmentProduct):
                raise InputError("product", f"{product!r} is not an installment product")
            if create_borrower:
                self._ensure_borrower(ctx, who)
            elif ctx.repo.borrower(who) is None:
                raise InputError("borrower", f"no borrower {who!r}")
            if line is not None and ctx.repo.kind_of(line) != "line":
                raise InputError("line", f"{line!r} is not a credit line")
            self._ensure_product_recorded(ctx, prod)
            chosen = method or str(prod.methods[0])
            outcome = loan_domain.disburse(
                account, who, prod, principal, term, chosen, ctx.today, line=line
            )
            outcome = self._apply_declared_outages(ctx, outcome)
            ctx.repo.add("loan", outcome.state, opened_on=ctx.today, line_ref=line)
            return outcome, {"account": account, **dict(outcome.result)}

        return self.run("disburse", request, handler, key=key, account=account)

    # -- both ----------------------------------------------------------------------------------

    def repay(
        self, account: str, amount: int, *, payment_id: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """A repayment, allocated by the waterfall of SPEC §6 (``payment_id`` names it)."""
        return self._account_command(
            "repay",
            account,
            {"amount": amount, "payment_id": payment_id},
            lambda ctx, st, _p: _domain(st).repay(st, amount, ctx.today, payment_id=payment_id),
            key=key,
        )

    def waive(
        self,
        account: str,
        component: str,
        amount: int,
        reason: str,
        approver: str,
        *,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Waive penalty, fee or interest (oldest obligation first) with a reason and approver."""
        comp = Component(component) if component in {c.value for c in Component} else None
        if comp is None or comp is Component.PRINCIPAL:
            raise InputError("component", f"{component!r} is not one of penalty, fee, interest")
        return self._account_command(
            "waive",
            account,
            {"component": component, "amount": amount, "reason": reason, "approver": approver},
            lambda ctx, st, _p: _domain(st).waive(st, comp, amount, reason, approver, ctx.today),
            key=key,
        )

    def reverse(self, account: str, payment_id: str, *, key: str | None = None) -> dict[str, Any]:
        """Reverse a repayment (chargeback); later payments are re-allocated."""
        return self._account_command(
            "reverse",
            account,
            {"payment": payment_id},
            lambda ctx, st, _p: _domain(st).reverse_payment(st, payment_id, ctx.today),
            key=key,
        )

    def declare_outage(
        self, start: date, end: date, relief_days: int = 3, *, key: str | None = None
    ) -> dict[str, Any]:
        """Declare a platform outage [start, end]: every due date inside moves to end + relief.

        Applies to every account now, and is recorded so accounts opened later get it too.
        """
        check_outage_window(start, end, relief_days)
        request = {"start": start.isoformat(), "end": end.isoformat(), "relief_days": relief_days}
        idem_key = key or new_key()

        def handler(ctx: _Context) -> tuple[Outcome[Any] | None, dict[str, Any]]:
            outages = _outages(ctx.repo)
            outages.append(request)
            ctx.repo.set_setting(OUTAGES_KEY, outages)
            moved = 0
            for account in ctx.repo.ids():
                ctx.uow.lock(account)
                state = ctx.repo.get(account)
                outcome = _outage_relief(ctx, state, start, end, relief_days)
                ctx.repo.save(outcome.state)
                self._record(ctx, outcome, "declare-outage", idem_key, self.actor)
                moved += 1
            return None, {"outage": request, "accounts": moved}

        return self.run("declare-outage", request, handler, key=idem_key)

    def _apply_declared_outages(self, ctx: _Context, outcome: Outcome[Any]) -> Outcome[Any]:
        """An account opened after an outage was declared still gets its relief."""
        state = outcome.state
        postings = list(outcome.postings)
        events = list(outcome.events)
        for o in _outages(ctx.repo):
            moved = _domain(state).move_due_dates(
                state, date.fromisoformat(o["start"]), date.fromisoformat(o["end"]),
                int(o["relief_days"]), ctx.today,
            )  # fmt: skip
            state = moved.state
            postings.extend(moved.postings)
        return Outcome(state, tuple(postings), tuple(events), outcome.result)

    def end_of_day(self, on: date) -> dict[str, Any]:
        """Close business date ``on``: the full end of day (servicing, then the overdue engine).

        See :mod:`creditguard.servicing.end_of_day`; exactly once per date.
        """
        from creditguard.servicing.end_of_day import run_end_of_day

        if self._batch is not None:
            raise RuntimeError("close the Servicing.batch() block before the end of day")
        return run_end_of_day(self, on).as_dict()

    def account_day(
        self, ctx: _Context, account: str
    ) -> tuple[Outcome[Any] | None, dict[str, Any]]:
        """One account's servicing part of the end of day: statements, due dates, interest."""
        state = ctx.repo.get(account)
        steps: list[tuple[str, Outcome[Any]]] = []
        statements = 0
        if isinstance(state, line_domain.Line):
            if ctx.today.day == state.terms.statement_day:
                steps.append(("statement", line_domain.issue_statement(state, ctx.today)))
                state = steps[-1][1].state
                statements = 1
            steps.append(
                ("accrual:interest", line_domain.accrue_revolving_interest(state, ctx.today))
            )
        else:
            due = loan_domain.fall_due(state, ctx.today)
            if state.status == "written-off":
                due = replace(due, postings=off_balance(account, due.postings))
            steps.append(("due", due))
        for kind, outcome in steps:
            self._record(ctx, outcome, kind, "eod", "eod")
        ctx.repo.save(steps[-1][1].state)
        return None, {"account": account, "statements": statements}

    def show(self, account: str) -> Any:
        """The account's current state (read-only)."""
        return self._in_transaction(
            lambda uow: AccountRepository(uow.connection, ACCOUNT_TYPES).get(account)
        )


def product_definition(product: Product) -> dict[str, Any]:
    """A product's keys as a scenario or TOML file would write them (rates and amounts quoted).

    Stored with the accounts so a database keeps the exact terms its accounts were opened on.
    """
    out: dict[str, Any] = {}
    for name, value in product.model_dump(exclude={"name", "source"}, exclude_none=True).items():
        out[name] = _definition_value(name, value)
    return out


def _definition_value(name: str, value: Any) -> Any:
    if name == "tolerance":
        return format_amount(int(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _definition_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_definition_value(name, v) for v in value]
    return value


OUTAGES_KEY = "outages"


def _outage_relief(
    ctx: _Context, state: Any, start: date, end: date, relief_days: int
) -> Outcome[Any]:
    """Move the due dates in [start, end] and reverse the penalties the outage caused.

    SPEC §6: nothing the outage caused may show as overdue. Penalties already charged on an
    obligation due inside the window (a declaration covering past dates) are taken back as if
    never charged (the domain re-derives the account without them, with new postings), and the
    obligation's penalty accrual starts afresh from its new due date.
    """
    domain = _domain(state)
    obligations = state.installments if isinstance(state, loan_domain.Loan) else state.statements
    inside = sorted(ob.ref for ob in obligations if start <= ob.due_date <= end)
    postings: list[Posting] = []
    events: list[Any] = []
    if inside:
        reversal = domain.drop_penalties(state, inside, ctx.today)
        state = reversal.state
        postings.extend(reversal.postings)
        events.extend(reversal.events)
        ctx.uow.connection.execute(
            delete(penalty_state)
            .where(penalty_state.c.account_id == state.account)
            .where(penalty_state.c.ref.in_(inside))
        )
        # The bureau facts of the months the outage covered forget the delinquency it caused;
        # the next end of day folds in the account's true state of today again.
        ctx.uow.connection.execute(
            update(bureau_months)
            .where(bureau_months.c.account_id == state.account)
            .where(bureau_months.c.month >= f"{start.year:04d}-{start.month:02d}")
            .values(delinquent_in_month=False, delinquent_at_end=False)
        )
    moved = domain.move_due_dates(state, start, end, relief_days, ctx.today)
    return Outcome(
        moved.state,
        tuple(postings) + tuple(moved.postings),
        tuple(events) + tuple(moved.events),
        moved.result,
    )


def _outages(repo: AccountRepository) -> list[dict[str, Any]]:
    """The outage windows declared so far (stored in the system state)."""
    value = repo.setting(OUTAGES_KEY)
    return list(value) if value else []


def _domain(state: Any) -> Any:
    """The domain module that serves this state's kind."""
    return loan_domain if isinstance(state, loan_domain.Loan) else line_domain
