"""Unit of work: one transaction per command — whole or nothing (issue 3 §4).

Usage in a service::

    def repay(engine, account, amount, key=None):
        key = key or new_key()
        request = {"account": account, "amount": amount}
        def command(uow: UnitOfWork) -> dict:
            if (hit := uow.idempotent(key, "repay", request)) is not None:
                return hit.result
            uow.lock(account)
            today = uow.business_date()
            uow.post(JournalEntry(...))
            uow.audit("repay", actor="cli", account_ref=account, details=request)
            uow.emit("PaymentReceived", account, {"amount": amount})
            return uow.remember(key, "repay", request, {"allocated": ...})
        return transact(engine, command)

Any exception inside the ``with UnitOfWork(engine)`` block rolls everything back: postings,
stored balances, audit rows, outbox events, idempotency keys and the business date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, RootTransaction, bindparam, select, text, update

from creditguard.calendar import parse_date
from creditguard.ledger.chart import GL
from creditguard.ledger.journal import JournalEntry
from creditguard.money import InputError
from creditguard.store import idempotency, ledger_repo
from creditguard.store.db import is_postgres, retry
from creditguard.store.fastsql import Fast
from creditguard.store.idempotency import IdempotencyConflict, StoredResult, new_key
from creditguard.store.jsonutil import to_plain
from creditguard.store.ledger_repo import DuplicateEntry
from creditguard.store.tables import audit_log, outbox_events, system_state

__all__ = [
    "BusinessDateNotSet",
    "DuplicateEntry",
    "IdempotencyConflict",
    "OutboxEvent",
    "StoredResult",
    "UnitOfWork",
    "new_key",
    "transact",
]

T = TypeVar("T")

BUSINESS_DATE_KEY = "business_date"
# Advisory-lock classes on PostgreSQL: 1 journal entry (triggers), 2 idempotency key,
# 3 customer account, 4 migrations.
_ACCOUNT_LOCK = 3

# Statements built once: constructing a SQLAlchemy statement costs more than running it here.
_LOCK_ACCOUNT = Fast(text("SELECT pg_advisory_xact_lock(:c, hashtext(:k))"))
_SELECT_BUSINESS_DATE = Fast(
    select(system_state.c.value).where(system_state.c.key == bindparam("key"))
)
_AUDIT_VALUES: dict[str, Any] = {c.name: bindparam(c.name) for c in audit_log.c if c.name != "seq"}
_EVENT_VALUES: dict[str, Any] = {
    c.name: bindparam(c.name) for c in outbox_events.c if c.name != "seq"
}
_INSERT_AUDIT = Fast(audit_log.insert().values(_AUDIT_VALUES).returning(audit_log.c.seq))
_INSERT_EVENT = Fast(outbox_events.insert().values(_EVENT_VALUES).returning(outbox_events.c.seq))
# The same without RETURNING, for many rows at once (seqs follow the rows' order).
_INSERT_AUDITS = Fast(audit_log.insert().values(_AUDIT_VALUES))
_INSERT_EVENTS = Fast(outbox_events.insert().values(_EVENT_VALUES))


class BusinessDateNotSet(InputError):
    """No business date is stored yet (initialise the database with one)."""

    def __init__(self) -> None:
        super().__init__("business_date", "no business date is set; set one first")


@dataclass(frozen=True)
class OutboxEvent:
    """A domain event waiting in (or delivered from) the outbox."""

    seq: int
    business_date: date
    account_ref: str | None
    type: str
    payload: Any
    dispatched: bool


class UnitOfWork:
    """A context manager holding one database transaction for one command.

    Leaving the block normally commits; an exception rolls back and propagates. If the commit
    itself fails (the database refused an invariant at COMMIT), the transaction is rolled back
    and the database error propagates.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._business_date: date | None = None

    def __enter__(self) -> UnitOfWork:
        if self._conn is not None:
            raise RuntimeError("a UnitOfWork cannot be entered twice")
        self._conn = self.engine.connect()
        try:
            self._tx = self._conn.begin()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, tx = self._conn, self._tx
        self._conn, self._tx, self._business_date = None, None, None
        if conn is None or tx is None:  # pragma: no cover - __enter__ failed
            return
        try:
            if exc_type is None:
                try:
                    tx.commit()
                except BaseException:
                    if tx.is_active:
                        tx.rollback()
                    raise
            else:
                tx.rollback()
        finally:
            conn.close()

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for repositories of other modules."""
        if self._conn is None:
            raise RuntimeError("the UnitOfWork is not active (use it in a with block)")
        return self._conn

    @property
    def is_postgres(self) -> bool:
        """Whether this unit of work runs on PostgreSQL (else SQLite)."""
        return is_postgres(self.engine)

    @contextmanager
    def savepoint(self) -> Iterator[UnitOfWork]:
        """A nested transaction (SAVEPOINT): an exception undoes only what the block did.

        Lets one transaction carry many commands, each still whole or nothing: the error
        propagates after the block's writes (and any business date it set) are rolled back;
        leaving the block normally releases the savepoint, so its writes commit with the
        enclosing transaction.
        """
        nested = self.connection.begin_nested()
        business_date = self._business_date
        try:
            yield self
        except BaseException:
            nested.rollback()
            self._business_date = business_date
            raise
        nested.commit()

    def forget_business_date(self) -> None:
        """Read the business date from the database again on next use (another session may
        have moved it since this transaction read it, on PostgreSQL's READ COMMITTED)."""
        self._business_date = None

    # -- concurrency ---------------------------------------------------------------------------

    def lock(self, account_ref: str) -> None:
        """Serialise commands on ``account_ref`` until this transaction ends.

        Call it before reading an account's state that the command will change. PostgreSQL: a
        transaction-scoped advisory lock on the account. SQLite: nothing to do, the
        transaction already holds the database's write lock (BEGIN IMMEDIATE).
        """
        if self.is_postgres:
            _LOCK_ACCOUNT.execute(self.connection, {"c": _ACCOUNT_LOCK, "k": account_ref})

    # -- ledger --------------------------------------------------------------------------------

    def post(self, entry: JournalEntry) -> int:
        """Post a balanced entry and update the stored balances; return its entry id.

        Validated in code first (:func:`creditguard.ledger.validate`); the database checks the
        balance again. Posting a key that exists with identical content (date, kind, account,
        reversal link and postings; actor and memo may differ) does nothing and returns the
        existing id (replays add nothing); with other content it raises
        :class:`DuplicateEntry`. A reversal (``entry.reverses``) must exactly mirror an
        existing entry that was not reversed yet.
        """
        entry_id, _created = ledger_repo.insert_entry(self.connection, entry)
        return entry_id

    def post_all(self, entries: Sequence[JournalEntry]) -> list[int]:
        """Post several entries in order, as :meth:`post` each would; return their ids.

        One bulk write (see :func:`creditguard.store.ledger_repo.insert_entries`): a few
        statements for any number of entries. If one is refused, those before it are posted
        and the error propagates, exactly as posting them one by one.
        """
        return [
            entry_id for entry_id, _created in ledger_repo.insert_entries(self.connection, entries)
        ]

    def entry(self, key: str) -> JournalEntry | None:
        """The posted entry with ``key`` (including ones posted earlier in this transaction)."""
        return ledger_repo.load_entry(self.connection, key)

    def entries(self, account_ref: str | None = None) -> list[JournalEntry]:
        """Posted entries in posting order, all or those about ``account_ref``."""
        return ledger_repo.load_entries(self.connection, account_ref)

    def balance(self, gl: GL, account_ref: str) -> int:
        """The stored balance of ``gl`` for ``account_ref`` (by the GL's normal side)."""
        return ledger_repo.stored_balance(self.connection, gl, account_ref)

    def balances(self, account_ref: str) -> dict[GL, int]:
        """All stored GL balances of ``account_ref``."""
        return ledger_repo.account_balances(self.connection, account_ref)

    # -- business date -------------------------------------------------------------------------

    def business_date(self) -> date:
        """The stored business date; :class:`BusinessDateNotSet` if there is none."""
        if self._business_date is None:
            value = _SELECT_BUSINESS_DATE.scalar(self.connection, {"key": BUSINESS_DATE_KEY})
            if value is None:
                raise BusinessDateNotSet()
            self._business_date = parse_date(value, BUSINESS_DATE_KEY)
        return self._business_date

    def set_business_date(self, new: date, *, allow_backwards: bool = False) -> None:
        """Store ``new`` as the business date; moving it backwards needs ``allow_backwards``."""
        new = parse_date(new, BUSINESS_DATE_KEY)
        try:
            old: date | None = self.business_date()
        except BusinessDateNotSet:
            old = None
        conn = self.connection
        if old is None:
            conn.execute(system_state.insert().values(key=BUSINESS_DATE_KEY, value=new.isoformat()))
        else:
            if new < old and not allow_backwards:
                raise InputError(
                    BUSINESS_DATE_KEY, f"{new} is before the current business date {old}"
                )
            conn.execute(
                update(system_state)
                .where(system_state.c.key == BUSINESS_DATE_KEY)
                .values(value=new.isoformat())
            )
        self._business_date = new

    def _date_or_today(self, business_date: date | None) -> date:
        return self.business_date() if business_date is None else business_date

    # -- audit and events ----------------------------------------------------------------------

    def audit(
        self,
        command: str,
        *,
        actor: str,
        account_ref: str | None = None,
        details: Mapping[str, Any] | None = None,
        business_date: date | None = None,
    ) -> int:
        """Append to the audit trail who did what to which account; return the row's seq.

        ``business_date`` defaults to the stored business date.
        """
        row = self.audit_row(
            command, actor=actor, account_ref=account_ref, details=details,
            business_date=business_date,
        )  # fmt: skip
        return int(_INSERT_AUDIT.scalar(self.connection, row))

    def audit_row(
        self,
        command: str,
        *,
        actor: str,
        account_ref: str | None = None,
        details: Mapping[str, Any] | None = None,
        business_date: date | None = None,
    ) -> dict[str, Any]:
        """The row :meth:`audit` writes, checked now, for :meth:`write_audit_rows` later."""
        if not actor or not actor.strip():
            raise InputError("actor", "every command records its actor")
        return {
            "business_date": self._date_or_today(business_date),
            "actor": actor,
            "command": command,
            "account_ref": account_ref,
            "details": to_plain(dict(details)) if details is not None else None,
        }

    def write_audit_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append rows made by :meth:`audit_row`, in order, in one statement."""
        _INSERT_AUDITS.executemany(self.connection, rows)

    def emit(
        self,
        type: str,
        account_ref: str | None,
        payload: Mapping[str, Any] | None = None,
        *,
        business_date: date | None = None,
    ) -> int:
        """Put a domain event into the outbox (delivered after commit); return its seq."""
        row = self.event_row(type, account_ref, payload, business_date=business_date)
        return int(_INSERT_EVENT.scalar(self.connection, row))

    def event_row(
        self,
        type: str,
        account_ref: str | None,
        payload: Mapping[str, Any] | None = None,
        *,
        business_date: date | None = None,
    ) -> dict[str, Any]:
        """The row :meth:`emit` writes, checked now, for :meth:`write_event_rows` later."""
        if not type or not type.strip():
            raise InputError("type", "an event needs a type")
        return {
            "business_date": self._date_or_today(business_date),
            "account_ref": account_ref,
            "type": type,
            "payload": to_plain(dict(payload)) if payload is not None else None,
            "dispatched": False,
        }

    def write_event_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Put events made by :meth:`event_row` into the outbox, in order, in one statement."""
        _INSERT_EVENTS.executemany(self.connection, rows)

    def pending_events(self, limit: int = 1000) -> list[OutboxEvent]:
        """Undispatched outbox events, oldest first."""
        rows = self.connection.execute(
            select(outbox_events)
            .where(outbox_events.c.dispatched.is_(False))
            .order_by(outbox_events.c.seq)
            .limit(limit)
        ).all()
        return [
            OutboxEvent(
                int(r.seq), r.business_date, r.account_ref, r.type, r.payload, bool(r.dispatched)
            )
            for r in rows
        ]

    def mark_dispatched(self, seqs: Sequence[int]) -> None:
        """Mark outbox events as delivered."""
        if seqs:
            self.connection.execute(
                update(outbox_events)
                .where(outbox_events.c.seq.in_(list(seqs)))
                .values(dispatched=True)
            )

    # -- idempotency ---------------------------------------------------------------------------

    def idempotent(self, key: str, command: str, request: Mapping[str, Any]) -> StoredResult | None:
        """The stored result if ``key`` already ran this exact request, else ``None``.

        Same key and a different request or command → :class:`IdempotencyConflict`.
        """
        return idempotency.find(self.connection, key, command, request)

    def remember(self, key: str, command: str, request: Mapping[str, Any], result: Any) -> Any:
        """Store ``result`` under ``key``; return it as a replay will return it (plain JSON)."""
        row = self.key_row(key, command, request, result)
        idempotency.store_rows(self.connection, [row])
        return row["result"]

    def key_row(
        self, key: str, command: str, request: Mapping[str, Any], result: Any
    ) -> dict[str, Any]:
        """The idempotency row :meth:`remember` writes (its ``result`` as a replay returns it)."""
        try:
            business_date: date | None = self.business_date()
        except BusinessDateNotSet:
            business_date = None
        return idempotency.key_row(key, command, request, result, business_date)


def transact(engine: Engine, fn: Callable[[UnitOfWork], T], *, attempts: int = 8) -> T:
    """Run ``fn`` in a fresh :class:`UnitOfWork`, retrying on transient conflicts.

    SQLite "database is locked" and PostgreSQL serialization failures or deadlocks restart the
    whole command (see :func:`creditguard.store.db.retry`); any other error propagates.
    """

    def once() -> T:
        with UnitOfWork(engine) as uow:
            return fn(uow)

    return retry(once, attempts=attempts)
