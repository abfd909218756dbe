"""Repository of account states (loans and lines), borrowers and the products in use.

An account's state is a frozen dataclass of the servicing domain. Its obligations (every field
typed ``tuple[Obligation, ...]``) are stored as rows of ``obligations`` — what the end of day
reads column-wise for whole portfolios — and the rest as the exact JSON ``state`` document.
Loading reassembles the same value; ``version`` guards against a lost update.

A repository made with ``staged=True`` (the servicing commands') keeps saves in memory —
a later ``get`` in the same repository sees them — and writes them in bulk at :meth:`flush`:
one row update per account however often it was saved, with the version it would have had.

The end of day also moves loans between ``active`` and ``past-due`` in bulk, on the
``accounts.status`` column alone: a loan's column wins over its document's status on load.

The end of day charges most penalties in bulk: straight onto the obligation rows and into the
ledger, with a ``penalty_pending`` row per charge and a count on the account. Loading such an
account takes the pending amounts off its rows and charges them again through the domain's
``charge_penalty`` (in the order charged), so the state — its command log included, which
reversals re-derive from — is exactly what charging them one by one would have made; the next
save stores it and clears the pending rows.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    and_,
    bindparam,
    delete,
    insert,
    select,
    type_coerce,
    update,
)

from creditguard.frozen import replace
from creditguard.money import InputError
from creditguard.servicing.model import Amounts, Obligation, ObligationKind
from creditguard.store.codec import decode, encode
from creditguard.store.db import is_postgres
from creditguard.store.document_text import Encoded, document_names, encode_document
from creditguard.store.fastsql import Fast
from creditguard.store.overdue_tables import penalty_pending
from creditguard.store.servicing_tables import (
    COMPONENTS,
    account_documents,
    accounts,
    borrowers,
    obligations,
    products,
)
from creditguard.store.state_cache import STATES, Key
from creditguard.store.tables import system_state

__all__ = ["AccountRepository", "ConcurrentUpdate", "UnknownAccount"]


def principal_balance(state: Any) -> int:
    """All principal the account still owes: a loan's, or a line's billed and unbilled."""
    from creditguard.servicing import line_model, loan_model

    if isinstance(state, loan_model.Loan):
        return loan_model.principal_balance(state)
    return line_model.unpaid_principal(state)


def _uncovered_steps(state: Any) -> dict[str, tuple[date, int]]:
    """A line's statement ref → (earliest due date, amount) of its uncovered minimum steps."""
    from creditguard.servicing import line_model

    return line_model.uncovered(state) if isinstance(state, line_model.Line) else {}


class UnknownAccount(InputError):
    """No account with that id."""

    def __init__(self, account: str) -> None:
        super().__init__("account", f"no account {account!r}")


class ConcurrentUpdate(RuntimeError):
    """The account changed since it was read (another writer saved first)."""


# The fields holding an account's live obligations (a loan's schedule, a line's statements).
# Other obligation tuples in a state (e.g. a loan's original schedule) stay in the document.
OBLIGATION_FIELDS = frozenset({"installments", "statements"})


@cache
def _obligation_fields(cls: type) -> tuple[str, ...]:
    hints = typing.get_type_hints(cls)
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.name in OBLIGATION_FIELDS and hints[f.name] == tuple[Obligation, ...]
    )


_ROW_KEY = and_(
    obligations.c.account_id == bindparam("a"),
    obligations.c.field == bindparam("f"),
    obligations.c.ref == bindparam("r"),
)
_ROW_VALUES = tuple(c.name for c in obligations.c if c.name not in ("account_id", "field", "ref"))
_DELETE_ROW = Fast(delete(obligations).where(_ROW_KEY))
# Statements every command runs, built once: building one costs more than running it here.
# The document as its stored text where the driver gives text (SQLite), so a state decoded
# before can be found by it (state_cache); PostgreSQL's driver returns JSONB parsed.
_SELECT_ACCOUNT = Fast(
    select(*accounts.c, type_coerce(account_documents.c.state, Text).label("state"))
    .select_from(accounts.join(account_documents))
    .where(accounts.c.account_id == bindparam("a"))
)
_SELECT_KIND = select(accounts.c.kind).where(accounts.c.account_id == bindparam("a"))
_SELECT_ROWS = Fast(
    select(obligations)
    .where(obligations.c.account_id == bindparam("a"))
    .order_by(obligations.c.field, obligations.c.seq)
)
_SELECT_PENDING = Fast(
    select(penalty_pending.c.business_date, penalty_pending.c.ref, penalty_pending.c.amount)
    .where(penalty_pending.c.account_id == bindparam("a"))
    .order_by(penalty_pending.c.business_date, penalty_pending.c.position)
)
_DELETE_PENDING = delete(penalty_pending).where(penalty_pending.c.account_id == bindparam("a"))
_DELETE_ROWS = delete(obligations).where(obligations.c.account_id == bindparam("a"))


# The optimistic save of an account row (its version guards against another writer).
_SAVE_ACCOUNT = Fast(
    update(accounts)
    .where(and_(accounts.c.account_id == bindparam("a"), accounts.c.version == bindparam("v")))
    .values(
        status=bindparam("s_status"),
        version=bindparam("s_version"),
        principal_balance=bindparam("s_principal"),
        pending_penalties=0,
    )
)


def _save_document(document_type: Any) -> Fast:
    """The update of an account's document, bound as ``document_type``."""
    return Fast(
        update(account_documents)
        .where(account_documents.c.account_id == bindparam("a"))
        .values(state=bindparam("s_state", type_=document_type))
    )


_SAVE_DOCUMENT = _save_document(account_documents.c.state.type)
# SQLite: the document bound as the text the repository encoded (and cached the state under).
_SAVE_DOCUMENT_TEXT = _save_document(Text)
_INSERT_ACCOUNT = Fast(
    insert(accounts).values(
        {c.name: bindparam(c.name) for c in accounts.c if c.name != "pending_penalties"}
    )
)


def _insert_document(document_type: Any) -> Fast:
    """The insert of a new account's document, bound as ``document_type``."""
    return Fast(
        insert(account_documents).values(
            account_id=bindparam("account_id"), state=bindparam("state", type_=document_type)
        )
    )


_INSERT_DOCUMENT = _insert_document(account_documents.c.state.type)
_INSERT_DOCUMENT_TEXT = _insert_document(Text)
_INSERT_ROWS = Fast(insert(obligations).values({c.name: bindparam(c.name) for c in obligations.c}))
_SELECT_BORROWER = select(borrowers).where(borrowers.c.borrower_id == bindparam("b"))
_INSERT_BORROWER = insert(borrowers)
_SELECT_SETTING = select(system_state.c.value).where(system_state.c.key == bindparam("k"))
_SELECT_DEFINITION = select(products).where(products.c.name == bindparam("n"))
_UPDATE_ROW = Fast(
    update(obligations)
    .where(_ROW_KEY)
    .values({name: bindparam(f"v_{name}") for name in _ROW_VALUES})
)
# A row whose place and dates are as loaded (a payment, a charge, a waiver): only the amounts
# and the minimum step are set. A database rewrites the entries of every index whose columns an
# UPDATE sets, so leaving the dates out spares the two due-date indexes on every payment.
_PLACE_COLUMNS = ("seq", "kind", "due_date", "original_due_date")
_AMOUNT_VALUES = tuple(name for name in _ROW_VALUES if name not in _PLACE_COLUMNS)
_UPDATE_AMOUNTS = Fast(
    update(obligations)
    .where(_ROW_KEY)
    .values({name: bindparam(f"v_{name}") for name in _AMOUNT_VALUES})
)


def fold_pending_penalties(state: Any, pending: Iterable[tuple[date, str, int]]) -> Any:
    """``state`` with bulk-charged penalties ``(date, ref, amount)`` replayed through its domain.

    The obligation rows ``state`` was read from already include the amounts: they come off
    first, then ``charge_penalty`` adds each back and logs it, as the per-account path does.
    """
    from creditguard.servicing import line as line_domain
    from creditguard.servicing import loan as loan_domain

    charges = list(pending)
    if not charges:
        return state
    domain: Any = loan_domain if isinstance(state, loan_domain.Loan) else line_domain
    field = "installments" if isinstance(state, loan_domain.Loan) else "statements"
    owed: dict[str, int] = defaultdict(int)
    for _on, ref, amount in charges:
        owed[ref] += amount
    obs = tuple(
        replace(ob, due=replace(ob.due, penalty=ob.due.penalty - owed[ob.ref]))
        if ob.ref in owed
        else ob
        for ob in getattr(state, field)
    )
    state = replace(state, **{field: obs})
    for on, ref, amount in charges:
        state = domain.charge_penalty(state, ref, amount, on).state
    return state


@cache
def _document_names(cls: type) -> tuple[str, ...]:
    return document_names(cls, _obligation_fields(cls))


def _document_state(cls: type, stored: Any) -> tuple[Encoded, Key | None]:
    """The state of a stored document (text on SQLite, parsed JSON on PostgreSQL) with its
    obligation fields empty: decoded once per distinct text (see state_cache), with the
    texts it encodes to when the repository saved it itself; and its cache key (SQLite)."""
    empty: dict[str, Any] = {f: [] for f in _obligation_fields(cls)}
    if not isinstance(stored, str):
        return Encoded(decode(cls, {**stored, **empty})), None
    key = STATES.key(cls, stored)
    found: Encoded | None = STATES.get(key)
    if found is None:
        found = Encoded(decode(cls, {**json.loads(stored), **empty}))
        STATES.put(key, found)
    return found, key


def _obligation_row(
    account: str, field: str, seq: int, ob: Obligation, step: tuple[date, int] | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "step_due_date": None if step is None else step[0],
        "step_left": 0 if step is None else step[1],
        "account_id": account,
        "field": field,
        "ref": ob.ref,
        "seq": seq,
        "kind": ob.kind.value,
        "due_date": ob.due_date,
        "original_due_date": ob.original_due_date,
        "minimum": ob.minimum,
    }
    for side in ("due", "paid", "waived"):
        amounts: Amounts = getattr(ob, side)
        for c in COMPONENTS:
            row[f"{side}_{c}"] = getattr(amounts, c)
    return row


def _obligation_from_row(row: Any) -> Obligation:
    def amounts(side: str) -> Amounts:
        return Amounts(*(int(getattr(row, f"{side}_{c}")) for c in COMPONENTS))

    return Obligation(
        ref=row.ref,
        kind=ObligationKind(row.kind),
        due_date=row.due_date,
        original_due_date=row.original_due_date,
        due=amounts("due"),
        paid=amounts("paid"),
        waived=amounts("waived"),
        minimum=int(row.minimum),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _LoadedRow:
    """An obligation row as loaded: where it sits, what it holds, its line's minimum step."""

    field: str
    ref: str
    seq: int
    obligation: Obligation
    step: tuple[date | None, int]


# What each obligation row read becomes, by the row's raw values: between two commands on an
# account most of its rows are unchanged, and processing and rebuilding them cost more than
# the rest of a load. Values, keyed by content: a changed row is another key, never stale.
# Bounded by starting afresh (~1 KB an entry).
_LOADED_ROWS: dict[tuple[Any, ...], _LoadedRow] = {}
_LOADED_ROWS_SIZE = 131_072


def _loaded_row(conn: Connection, raw: Any) -> _LoadedRow:
    key = tuple(raw)
    found = _LOADED_ROWS.get(key)
    if found is None:
        row = _SELECT_ROWS.processed(conn, raw)
        found = _LoadedRow(
            row.field,
            row.ref,
            int(row.seq),
            _obligation_from_row(row),
            (row.step_due_date, int(row.step_left)),
        )
        if len(_LOADED_ROWS) >= _LOADED_ROWS_SIZE:
            _LOADED_ROWS.clear()
        _LOADED_ROWS[key] = found
    return found


def _step_of(step: tuple[date, int] | None) -> tuple[date | None, int]:
    """A minimum step as its row columns hold it (none: no date, nothing left)."""
    return (None, 0) if step is None else step


@dataclasses.dataclass(slots=True)
class _RowWrites:
    """Obligation-row writes queued by saves, run together (a few statements for many)."""

    replaced: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # every row
    gone: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    changed: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    amounts: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # place unchanged
    added: list[dict[str, Any]] = dataclasses.field(default_factory=list)


class AccountRepository:
    """Loads and saves account states inside one unit of work's transaction.

    ``types`` maps an account kind (``"loan"``, ``"line"``) to its state dataclass, which must
    have the attributes ``account``, ``borrower``, ``product`` and ``status``.
    """

    def __init__(
        self, conn: Connection, types: Mapping[str, type], *, staged: bool = False
    ) -> None:
        self.conn = conn
        self.types = dict(types)
        self.staged = staged
        # Saves not written yet (staged): account → (latest state, number of saves).
        self._staged: dict[str, tuple[Any, int]] = {}
        # What each staged save replaced, newest last, so a failed command can be undone.
        self._undo: list[tuple[str, tuple[Any, int] | None]] = []
        self._versions: dict[str, int] = {}
        self._folded: set[str] = set()
        # The obligation rows as read, so a save writes only the rows that changed.
        self._rows: dict[str, dict[tuple[str, str], _LoadedRow]] = {}
        # The document as read (SQLite), so a save re-encodes only what changed.
        self._encoded: dict[str, tuple[Encoded, Key | None]] = {}
        self._row_writes = _RowWrites()

    # -- accounts ------------------------------------------------------------------------------

    def exists(self, account: str) -> bool:
        """Whether an account with this id exists."""
        return self.conn.execute(_SELECT_KIND, {"a": account}).first() is not None

    def kind_of(self, account: str) -> str:
        """``"loan"`` or ``"line"``; :class:`UnknownAccount` if there is no such account."""
        kind = self.conn.execute(_SELECT_KIND, {"a": account}).scalar_one_or_none()
        if kind is None:
            raise UnknownAccount(account)
        return str(kind)

    def get(self, account: str) -> Any:
        """The account's state, reassembled from its document and its obligation rows (or as
        last saved, if that save is staged)."""
        staged = self._staged.get(account)
        if staged is not None:
            return staged[0]
        row = _SELECT_ACCOUNT.first(self.conn, {"a": account})
        if row is None:
            raise UnknownAccount(account)
        cls = self.types[row.kind]
        encoded, key = _document_state(cls, row.state)
        self._encoded[account] = (encoded, key)
        state = encoded.state
        if row.kind == "loan" and str(state.status) != row.status:
            # The end of day moved the loan between active and past-due in bulk (the column
            # only); the column is the newer value, and the next save writes it back.
            state = replace(state, status=type(state.status)(row.status))
        raw = _SELECT_ROWS.raw_rows(self.conn, {"a": account})
        loaded = [_loaded_row(self.conn, r) for r in raw]
        grouped: dict[str, list[Obligation]] = {f: [] for f in _obligation_fields(cls)}
        for r in loaded:
            grouped[r.field].append(r.obligation)
        self._rows[account] = {(r.field, r.ref): r for r in loaded}
        state = replace(state, **{f: tuple(obs) for f, obs in grouped.items()})
        if row.pending_penalties:
            pending = _SELECT_PENDING.rows(self.conn, {"a": account})
            state = fold_pending_penalties(state, ((d, r, int(a)) for d, r, a in pending))
            self._folded.add(account)
        self._versions[account] = int(row.version)
        return state

    def add(self, kind: str, state: Any, *, opened_on: date, line_ref: str | None = None) -> None:
        """Store a new account."""
        if self.exists(state.account):
            raise InputError("account", f"account {state.account!r} already exists")
        stored = self._stored(state)
        rows = self._obligation_rows(state)
        _INSERT_ACCOUNT.execute(
            self.conn,
            {
                "account_id": state.account,
                "kind": kind,
                "borrower_id": state.borrower,
                "product": state.product,
                "status": str(state.status),
                "line_ref": line_ref,
                "opened_on": opened_on,
                "version": 1,
                "principal_balance": principal_balance(state),
            },
        )
        (_INSERT_DOCUMENT if is_postgres(self.conn) else _INSERT_DOCUMENT_TEXT).execute(
            self.conn, {"account_id": state.account, "state": stored}
        )
        if rows:
            _INSERT_ROWS.executemany(self.conn, rows)
        self._versions[state.account] = 1

    def save(self, state: Any) -> None:
        """Store a changed state read by :meth:`get` in this transaction (staged: at flush)."""
        account = state.account
        version = self._versions.get(account)
        if version is None:
            raise RuntimeError(f"save({account!r}) without get() in this unit of work")
        if self.staged:
            before = self._staged.get(account)
            self._undo.append((account, before))
            self._staged[account] = (state, 1 if before is None else before[1] + 1)
            return
        self._write_accounts([(state, version, version + 1)])

    def mark(self) -> int:
        """A point to go back to with :meth:`undo` (staged saves)."""
        return len(self._undo)

    def undo(self, mark: int) -> None:
        """Forget the staged saves made since ``mark`` (a command that failed)."""
        while len(self._undo) > mark:
            account, before = self._undo.pop()
            if before is None:
                del self._staged[account]
            else:
                self._staged[account] = before

    def flush(self) -> None:
        """Write the staged saves: per account its latest state, the version moved on by the
        number of saves (as saving each would have); :class:`ConcurrentUpdate` if another
        writer saved one of them since it was read."""
        staged = [
            (state, self._versions[account], self._versions[account] + saves)
            for account, (state, saves) in self._staged.items()
        ]
        self._staged.clear()
        self._undo.clear()
        self._write_accounts(staged)

    def _write_accounts(self, saves: list[tuple[Any, int, int]]) -> None:
        """Write (state, version read, new version) per account: rows, pending, documents."""
        if not saves:
            return
        params = []
        for state, version, new_version in saves:
            stored = self._stored(state)
            params.append(
                {
                    "a": state.account,
                    "v": version,
                    "s_status": str(state.status),
                    "s_version": new_version,
                    "s_state": stored,
                    "s_principal": principal_balance(state),
                }
            )
            self._stage_rows(state)
        if len(params) == 1 or is_postgres(self.conn):
            # psycopg's executemany does not promise a summed row count: one at a time.
            for p in params:
                if _SAVE_ACCOUNT.execute(self.conn, p) != 1:
                    raise ConcurrentUpdate(f"account {p['a']!r} changed since it was read")
        elif _SAVE_ACCOUNT.executemany(self.conn, params) != len(params):
            raise ConcurrentUpdate("an account changed since it was read")
        document = _SAVE_DOCUMENT if is_postgres(self.conn) else _SAVE_DOCUMENT_TEXT
        document.executemany(self.conn, params)
        for p in params:
            self._versions[p["a"]] = p["s_version"]
        folded = [{"a": p["a"]} for p in params if p["a"] in self._folded]
        if folded:
            self.conn.execute(_DELETE_PENDING, folded)
            self._folded.difference_update(p["a"] for p in folded)
        self._write_staged_rows()

    def _stage_rows(self, state: Any) -> None:
        """Queue what brings the account's obligation rows to ``state``'s: only rows that
        differ from those loaded (an obligation the state still holds as loaded, at the same
        place with the same minimum step, is not even turned into a row)."""
        account = state.account
        old = self._rows.pop(account, None)
        if old is None:
            self._row_writes.replaced.append({"a": account})
            self._row_writes.added.extend(self._obligation_rows(state))
            return
        steps = _uncovered_steps(state)
        kept: set[tuple[str, str]] = set()
        cls: type = type(state)
        for f in _obligation_fields(cls):
            for seq, ob in enumerate(getattr(state, f)):
                key = (f, ob.ref)
                kept.add(key)
                step = steps.get(ob.ref)
                prior = old.get(key)
                if (
                    prior is not None
                    and prior.seq == seq
                    and prior.step == _step_of(step)
                    and (prior.obligation is ob or prior.obligation == ob)
                ):
                    continue
                row = _obligation_row(account, f, seq, ob, step)
                if prior is None:
                    self._row_writes.added.append(row)
                    continue
                was = prior.obligation
                in_place = (
                    prior.seq == seq
                    and was.kind == ob.kind
                    and was.due_date == ob.due_date
                    and was.original_due_date == ob.original_due_date
                )
                names, queue = (
                    (_AMOUNT_VALUES, self._row_writes.amounts)
                    if in_place
                    else (_ROW_VALUES, self._row_writes.changed)
                )
                queue.append(
                    {**{f"v_{k}": row[k] for k in names}, "a": account, "f": f, "r": ob.ref}
                )
        self._row_writes.gone.extend(
            {"a": account, "f": f, "r": ref} for f, ref in old if (f, ref) not in kept
        )

    def _write_staged_rows(self) -> None:
        """Run the queued obligation-row writes: deletes, updates, inserts."""
        w, self._row_writes = self._row_writes, _RowWrites()
        if w.replaced:
            self.conn.execute(_DELETE_ROWS, w.replaced)
        _DELETE_ROW.executemany(self.conn, w.gone)
        _UPDATE_ROW.executemany(self.conn, w.changed)
        _UPDATE_AMOUNTS.executemany(self.conn, w.amounts)
        _INSERT_ROWS.executemany(self.conn, w.added)

    def _stored(self, state: Any) -> dict[str, Any] | str:
        """What to bind for the ``state`` column: on SQLite the document's text (the state
        cached under it), on PostgreSQL the document itself."""
        if is_postgres(self.conn):
            return self._document(state)
        return self._document_text(state)

    def _document_text(self, state: Any) -> str:
        """The document's text for SQLite, re-encoding only what changed since the load; the
        state is cached under it for the next load."""
        cls: type = type(state)
        bare = replace(state, **dict.fromkeys(_obligation_fields(cls), ()))
        before, old_key = self._encoded.pop(state.account, (None, None))
        text, encoded = encode_document(bare, _document_names(cls), before)
        if old_key is not None:
            STATES.discard(old_key)  # that text is this account's past: no load will ask again
        STATES.put(STATES.key(cls, text), encoded)
        return text

    def _obligation_rows(self, state: Any) -> list[dict[str, Any]]:
        steps = _uncovered_steps(state)
        cls: type = type(state)
        return [
            _obligation_row(state.account, f, seq, ob, steps.get(ob.ref))
            for f in _obligation_fields(cls)
            for seq, ob in enumerate(getattr(state, f))
        ]

    def _document(self, state: Any) -> dict[str, Any]:
        document: dict[str, Any] = encode(state)
        cls: type = type(state)
        for f in _obligation_fields(cls):
            document.pop(f)
        return document

    def ids(self, kind: str | None = None) -> list[str]:
        """Account ids in id order, all or of one kind."""
        query = select(accounts.c.account_id).order_by(accounts.c.account_id)
        if kind is not None:
            query = query.where(accounts.c.kind == kind)
        return [str(a) for a in self.conn.execute(query).scalars()]

    def all(self, kind: str | None = None) -> Iterator[Any]:
        """Every account state (for reports and the end of day), in id order."""
        for account in self.ids(kind):
            yield self.get(account)

    # -- products and borrowers ----------------------------------------------------------------

    def put_product(self, name: str, kind: str, definition: Mapping[str, Any], source: str) -> None:
        """Record a product definition (idempotent: the same definition again is a no-op)."""
        existing = self.conn.execute(
            select(products.c.definition).where(products.c.name == name)
        ).scalar_one_or_none()
        if existing is None:
            self.conn.execute(
                insert(products).values(
                    name=name, kind=kind, definition=dict(definition), source=source
                )
            )
        elif dict(existing) != dict(definition):
            raise InputError("product", f"product {name!r} already exists with another definition")

    def product_definition(self, name: str) -> tuple[str, dict[str, Any], str] | None:
        """(kind, definition, source) of a recorded product, or ``None``."""
        row = self.conn.execute(_SELECT_DEFINITION, {"n": name}).one_or_none()
        if row is None:
            return None
        return str(row.kind), dict(row.definition), str(row.source)

    def put_borrower(self, row: Mapping[str, Any]) -> None:
        """Insert a borrower row (personal data already encrypted by the caller)."""
        self.conn.execute(_INSERT_BORROWER, dict(row))

    def borrower(self, borrower_id: str) -> Any:
        """The borrower's row, or ``None``."""
        return self.conn.execute(_SELECT_BORROWER, {"b": borrower_id}).one_or_none()

    def borrower_by_fingerprint(self, fingerprint: str) -> str | None:
        """The id of the borrower whose national ID has this fingerprint."""
        value = self.conn.execute(
            select(borrowers.c.borrower_id).where(borrowers.c.national_id_fp == fingerprint)
        ).scalar_one_or_none()
        return None if value is None else str(value)

    # -- settings (JSON values in the system state) --------------------------------------------

    def setting(self, key: str) -> Any:
        """A JSON value kept in the system state (``None`` if absent)."""
        value = self.conn.execute(_SELECT_SETTING, {"k": key}).scalar_one_or_none()
        return None if value is None else json.loads(value)

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value in the system state."""
        text = json.dumps(value, sort_keys=True)
        if self.setting(key) is None:
            self.conn.execute(insert(system_state).values(key=key, value=text))
        else:
            self.conn.execute(
                update(system_state).where(system_state.c.key == key).values(value=text)
            )
