"""A command's writes held in memory, then written in bulk: journal entries, audit rows, outbox
events, idempotency keys, and account states through a staged :class:`AccountRepository`.

The servicing commands write through this rather than through the unit of work one row at a
time. Everything a write can refuse is checked when the command makes it (a journal entry's
balance, an event's type, the actor, the key), so a command that fails leaves nothing here
(:meth:`PendingWrites.undo`), and one that succeeds has only rows the database takes. A single
command flushes at its own end: the same rows, in the same order, as writing each at once. A
SQLite batch lets a run of account commands share one flush (docs/decisions.md D10): a few
hundred commands then cost a few bulk statements instead of a dozen statements each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from creditguard.ledger.journal import JournalEntry, validate
from creditguard.store import idempotency
from creditguard.store.account_repo import AccountRepository
from creditguard.store.idempotency import IdempotencyConflict, StoredResult, request_hash
from creditguard.store.uow import UnitOfWork

__all__ = ["PendingWrites"]


@dataclass(frozen=True, slots=True)
class _Mark:
    entries: int
    audits: int
    events: int
    keys: int
    saves: int


class PendingWrites:
    """The writes of one command, or of a run of commands in one transaction, not yet written.

    ``repo`` must be staged (``AccountRepository(..., staged=True)``): its saves are flushed
    here too, first, so the rows written depend on nothing but the commands' order.
    """

    def __init__(self, uow: UnitOfWork, repo: AccountRepository) -> None:
        if not repo.staged:
            raise ValueError("PendingWrites needs a staged AccountRepository")
        self.uow = uow
        self.repo = repo
        self._entries: list[JournalEntry] = []
        self._audits: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._keys: dict[str, dict[str, Any]] = {}  # in the order remembered

    def find(self, key: str, command: str, request: Mapping[str, Any]) -> StoredResult | None:
        """:meth:`UnitOfWork.idempotent`, seeing the keys remembered here but not written yet."""
        row = self._keys.get(key)
        if row is None:
            return self.uow.idempotent(key, command, request)
        if row["command"] != command or row["request_hash"] != request_hash(request):
            raise IdempotencyConflict(key, command, row["command"])
        return StoredResult(key, command, row["request_hash"], row["result"], row["business_date"])

    def post(self, entry: JournalEntry) -> None:
        """Queue a journal entry (checked to balance now; posted by :meth:`flush`)."""
        validate(entry)
        self._entries.append(entry)

    def emit(
        self,
        type: str,
        account_ref: str | None,
        payload: Mapping[str, Any] | None = None,
        *,
        business_date: date | None = None,
    ) -> None:
        """Queue an outbox event (:meth:`UnitOfWork.emit` at flush)."""
        self._events.append(
            self.uow.event_row(type, account_ref, payload, business_date=business_date)
        )

    def audit(
        self,
        command: str,
        *,
        actor: str,
        account_ref: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue an audit-trail row (:meth:`UnitOfWork.audit` at flush)."""
        self._audits.append(
            self.uow.audit_row(command, actor=actor, account_ref=account_ref, details=details)
        )

    def remember(self, key: str, command: str, request: Mapping[str, Any], result: Any) -> Any:
        """Queue ``result`` under ``key``; return it as a replay will return it (plain JSON)."""
        if key in self._keys:  # a replay is answered by find() first: this is a caller's bug
            raise IdempotencyConflict(key, command, self._keys[key]["command"])
        row = self.uow.key_row(key, command, request, result)
        self._keys[key] = row
        return row["result"]

    def mark(self) -> _Mark:
        """A point to go back to with :meth:`undo`."""
        return _Mark(
            len(self._entries),
            len(self._audits),
            len(self._events),
            len(self._keys),
            self.repo.mark(),
        )

    def undo(self, mark: _Mark) -> None:
        """Drop every write queued since ``mark`` (the command that made them failed)."""
        del self._entries[mark.entries :]
        del self._audits[mark.audits :]
        del self._events[mark.events :]
        while len(self._keys) > mark.keys:
            self._keys.popitem()
        self.repo.undo(mark.saves)

    def __len__(self) -> int:
        """How many idempotency keys (one per command) wait to be written."""
        return len(self._keys)

    def flush(self) -> None:
        """Write everything queued, in bulk: account states, journal, audit, outbox, keys."""
        self.repo.flush()
        if self._entries:
            self.uow.post_all(self._entries)
        self.uow.write_audit_rows(self._audits)
        self.uow.write_event_rows(self._events)
        idempotency.store_rows(self.uow.connection, list(self._keys.values()))
        self._entries, self._audits, self._events, self._keys = [], [], [], {}
