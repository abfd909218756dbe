"""The end-of-day run (SPEC §7): one business date, exactly once, restartable after a crash.

The imperative shell around the pure overdue kernels (:func:`creditguard.overdue.eod.run_day`):

1. **gate** — ``eod_runs`` holds one row per business date; a date already ``done`` is skipped,
   and only the stored business date may run (missed dates are caught up in order by the
   caller);
2. **servicing** — accounts in chunks, each chunk one transaction keyed
   ``eod|date|servicing|first-account``: statements on a line's statement day, installments
   falling due, revolving interest (the domain functions);
3. **overdue** — accounts partitioned by borrower into chunks (so cross-default and
   loan-restricts-line stay inside one chunk); per chunk, one transaction: load the chunk's
   obligations and accounts as frames, run the kernels (penalties, DPD, buckets, class, stage,
   restrictions, write-off, reminders), write back penalties through the domain's
   ``charge_penalty`` (so reversals keep them), statuses, penalty state, events, month facts
   for the credit bureau (each written only where it changed) — and mark the chunk done in
   the same transaction;
4. **close** — mark the date done and move the business date on.

A crash anywhere leaves committed chunks committed and the rest untouched; the rerun skips
what is marked done and does the rest, so the end state equals an uncrashed run's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    BindParameter,
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    union_all,
    update,
)

from creditguard.frozen import replace
from creditguard.ledger.chart import GL, RECEIVABLES
from creditguard.ledger.journal import JournalEntry, Posting, entry_key
from creditguard.money import InputError
from creditguard.overdue.eod import day_number, run_day
from creditguard.overdue.frames import ACCOUNTS_SCHEMA, OBLIGATIONS_SCHEMA, params_frame
from creditguard.reporting.bureau_pboc import SPECIAL_EVENT_TYPES, special_codes
from creditguard.servicing import line as line_domain
from creditguard.servicing import line_model
from creditguard.servicing import loan as loan_domain
from creditguard.servicing.outcome import memo_change, off_balance, postings_from_legs
from creditguard.servicing.service import ACCOUNT_TYPES, Servicing
from creditguard.store.account_repo import AccountRepository
from creditguard.store.overdue_tables import (
    PENALTY_COLUMNS,
    account_status,
    bureau_months,
    eod_chunks,
    eod_runs,
    penalty_pending,
    penalty_state,
)
from creditguard.store.servicing_tables import (
    COMPONENTS,
    OPEN_OBLIGATION,
    accounts,
    obligations,
    products,
    unpaid,
)
from creditguard.store.tables import journal_entries, outbox_events
from creditguard.store.uow import UnitOfWork, transact

__all__ = ["DaySummary", "run_end_of_day", "run_through"]

CHUNK_BORROWERS = 2000
CHUNK_ACCOUNTS = 500
_STATUS_DEFAULTS: dict[str, Any] = {
    "dpd": 0,
    "bucket": "M0",
    "classification": "normal",
    "stage": 1,
    "written_off_on": None,
    "notice_sent_on": None,
    "observation_end": None,
    "restructured_class": None,
    "early_warning": False,
}
_STATUS_COLUMNS = (
    "dpd",
    "in_grace",
    "delinquent",
    "bucket",
    "classification",
    "stage",
    "non_accrual",
    "written_off_on",
    "notice_sent_on",
    "observation_end",
    "restructured_class",
    "early_warning",
)
_STATUS_BOOLS = ("in_grace", "delinquent", "non_accrual", "early_warning")
_STATUS_COUNTER = {"frozen": "frozen", "closed": "closed"}


@dataclass(frozen=True)
class DaySummary:
    """What one end of day did (for the CLI's summary and the simulator's report)."""

    business_date: date
    accounts: int
    newly_past_due: int
    cured: int
    frozen: int
    closed: int
    written_off: int
    postings: int
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain values."""
        return {
            "business_date": self.business_date.isoformat(),
            "accounts": self.accounts,
            "newly_past_due": self.newly_past_due,
            "cured": self.cured,
            "frozen": self.frozen,
            "closed": self.closed,
            "written_off": self.written_off,
            "postings": self.postings,
            "skipped": self.skipped,
        }


Hook = Callable[[str], None]


def _no_hook(_: str) -> None:
    return None


_RUN_OF = select(eod_runs).where(eod_runs.c.business_date == bindparam("on"))
_COUNT_ACCOUNTS = select(func.count()).select_from(accounts)


def run_through(
    svc: Servicing,
    through: date,
    *,
    progress: Callable[[DaySummary], None] | None = None,
    hook: Hook = _no_hook,
) -> list[DaySummary]:
    """Run every business date from the stored one through ``through``, in order."""
    out: list[DaySummary] = []
    day = svc.business_date()
    while day <= through:
        summary = run_end_of_day(svc, day, hook=hook)
        out.append(summary)
        if progress is not None:
            progress(summary)
        day = svc.business_date()
    return out


def run_end_of_day(
    svc: Servicing,
    on: date,
    *,
    chunk_borrowers: int = CHUNK_BORROWERS,
    hook: Hook = _no_hook,
    reference: bool = False,
) -> DaySummary:
    """Close business date ``on`` exactly once (see the module docstring).

    ``hook(point)`` is called at named points; the crash test uses it to die there.
    ``reference=True`` runs the slow path the fast one must equal: every borrower through the
    kernels every day, every penalty through the domain one account at a time, every status
    and month row rewritten (the equivalence tests compare the two).
    """
    engine = svc.engine
    with UnitOfWork(engine) as uow:
        run = uow.connection.execute(_RUN_OF, {"on": on}).one_or_none()
        if run is not None and run.status == "done":
            return _summary_from(on, run.summary, skipped=True)
        current = uow.business_date()
        if current != on:
            raise InputError("date", f"the business date is {current}, not {on}")
        if run is None:
            uow.connection.execute(insert(eod_runs).values(business_date=on, status="running"))
    hook("started")
    with UnitOfWork(engine) as uow:
        total_accounts = int(uow.connection.execute(_COUNT_ACCOUNTS).scalar_one())
        account_ids = _servicing_due(uow.connection, on)
        borrowers = _borrowers(uow.connection)
    for start in range(0, len(account_ids), CHUNK_ACCOUNTS):
        chunk_ids = account_ids[start : start + CHUNK_ACCOUNTS]
        svc.run(
            "end-of-day",
            {"date": on.isoformat(), "accounts": [chunk_ids[0], chunk_ids[-1], len(chunk_ids)]},
            partial(_servicing_chunk, svc, accounts=chunk_ids, hook=hook),
            key=f"eod|{on.isoformat()}|servicing|{chunk_ids[0]}",
            actor="eod",
        )
        hook("servicing")
    totals: dict[str, int] = defaultdict(int)
    for chunk_no, start in enumerate(range(0, len(borrowers), chunk_borrowers)):
        chunk = borrowers[start : start + chunk_borrowers]
        work = partial(
            _overdue_chunk,
            svc,
            on=on,
            chunk_no=chunk_no,
            borrowers=chunk,
            hook=hook,
            reference=reference,
        )
        done = transact(engine, work)
        for key, value in done.items():
            totals[key] += int(value)
        hook("chunk")
    summary = DaySummary(
        business_date=on,
        accounts=total_accounts,
        newly_past_due=totals["newly_past_due"],
        cured=totals["cured"],
        frozen=totals["frozen"],
        closed=totals["closed"],
        written_off=totals["written_off"],
        postings=totals["postings"],
    )
    with UnitOfWork(engine) as uow:
        uow.connection.execute(
            update(eod_runs)
            .where(eod_runs.c.business_date == on)
            .values(status="done", summary=summary.as_dict())
        )
        uow.set_business_date(on + timedelta(days=1))
    hook("done")
    return summary


def _servicing_chunk(
    svc: Servicing, ctx: Any, *, accounts: Sequence[str], hook: Hook
) -> tuple[None, dict[str, Any]]:
    """The servicing part of the day for a chunk of accounts, in one transaction."""
    statements = 0
    for account in accounts:
        ctx.uow.lock(account)
        _none, result = svc.account_day(ctx, account)
        statements += int(result.get("statements", 0))
    hook("servicing-uncommitted")
    return None, {"accounts": len(accounts), "statements": statements}


def _summary_from(on: date, stored: Mapping[str, Any] | None, *, skipped: bool) -> DaySummary:
    s = dict(stored or {})
    return DaySummary(
        business_date=on,
        accounts=int(s.get("accounts", 0)),
        newly_past_due=int(s.get("newly_past_due", 0)),
        cured=int(s.get("cured", 0)),
        frozen=int(s.get("frozen", 0)),
        closed=int(s.get("closed", 0)),
        written_off=int(s.get("written_off", 0)),
        postings=int(s.get("postings", 0)),
        skipped=skipped,
    )


_PRODUCTS = select(products.c.name, products.c.kind, products.c.definition)
_STATEMENT_LINES = (
    select(accounts.c.account_id)
    .where(accounts.c.kind == "line")
    .where(accounts.c.product.in_(bindparam("products", expanding=True)))
)
_CARRYING_LINES = (
    select(obligations.c.account_id)
    .join(accounts, accounts.c.account_id == obligations.c.account_id)
    .where(accounts.c.kind == "line")
    .where(obligations.c.due_date < bindparam("on"))
    .where(unpaid("principal") > 0)
    .distinct()
)
_LOANS_DUE = (
    select(obligations.c.account_id)
    .join(accounts, accounts.c.account_id == obligations.c.account_id)
    .where(accounts.c.kind == "loan")
    .where(
        (obligations.c.original_due_date == bindparam("on"))
        | (obligations.c.due_date == bindparam("on"))
    )
    .distinct()
)


def _servicing_due(conn: Connection, on: date) -> list[str]:
    """The accounts whose servicing step has something to do on ``on``, in id order.

    Lines on their statement day; at month end, lines with a statement past its due date and
    principal still unpaid (revolving interest is posted at boundaries, SPEC §1: statements,
    month ends, and before every command — see ``servicing.line``); loans with an installment
    whose period ends or that falls due today (interest booked). Every other account's day is
    a no-op, and skipping it keeps a night's work proportional to what happens, not to the
    portfolio.
    """
    statement_days: dict[str, int] = {}
    for name, kind, definition in conn.execute(_PRODUCTS):
        if kind == "revolving":
            statement_days[name] = int(dict(definition).get("statement_day", 1))
    statement_products = [n for n, d in statement_days.items() if d == on.day]
    due: set[str] = set()
    if statement_products:
        due.update(conn.execute(_STATEMENT_LINES, {"products": statement_products}).scalars())
    if (on + timedelta(days=1)).day == 1:
        due.update(conn.execute(_CARRYING_LINES, {"on": on}).scalars())
    due.update(conn.execute(_LOANS_DUE, {"on": on}).scalars())
    return sorted(str(a) for a in due)


_BORROWERS = select(accounts.c.borrower_id).distinct().order_by(accounts.c.borrower_id)


def _borrowers(conn: Connection) -> list[str]:
    # Text values: strings already; one fetch for all of them.
    return list(conn.execute(_BORROWERS).scalars().all())


# -- one chunk of the overdue step -------------------------------------------------------------


_CHUNK_DONE = select(eod_chunks.c.summary).where(
    eod_chunks.c.business_date == bindparam("on"),
    eod_chunks.c.step == "overdue",
    eod_chunks.c.chunk == bindparam("chunk"),
)


def _overdue_chunk(
    svc: Servicing,
    uow: UnitOfWork,
    *,
    on: date,
    chunk_no: int,
    borrowers: Sequence[str],
    hook: Hook,
    reference: bool = False,
) -> dict[str, int]:
    conn = uow.connection
    done = conn.execute(_CHUNK_DONE, {"on": on, "chunk": chunk_no}).one_or_none()
    if done is not None:
        return dict(done.summary or {})
    repo = AccountRepository(conn, ACCOUNT_TYPES)
    # The first of the month opens every account's month row; on other days a quiet borrower's
    # day changes nothing (see _active_borrowers), so only the others are read and written.
    full = reference or on.day == 1
    chosen = list(borrowers) if full else _active_borrowers(conn, borrowers, on)
    counts: dict[str, int] = defaultdict(int)
    if chosen:
        acc_frame, ob_frame, products, stored = _load_frames(
            conn, repo, svc, chosen, on, reference=reference
        )
        result = run_day(ob_frame, acc_frame, _params_of(products), on, verify_rows=False)
        counts = _apply(uow, repo, on, acc_frame, ob_frame, result, stored, reference=reference)
        _save_month_facts(conn, on, result.accounts, result.obligations, rewrite_all=reference)
    hook("chunk-uncommitted")
    conn.execute(
        insert(eod_chunks).values(
            business_date=on, step="overdue", chunk=chunk_no, summary=dict(counts)
        )
    )
    return dict(counts)


# The last params frames built, by the identity of their product objects: the service hands
# out the same object per product definition, so a run of days builds each frame once. The
# products are kept with the frame, so an id cannot be reused while its entry lives.
_PARAMS_CACHE: dict[tuple[int, ...], tuple[list[Any], pl.DataFrame]] = {}
_PARAMS_CACHE_SIZE = 8


def _params_of(products: list[Any]) -> pl.DataFrame:
    """``params_frame(products)``, reused while the same product objects come back."""
    key = tuple(id(p) for p in products)
    found = _PARAMS_CACHE.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], products, strict=True)):
        return found[1]
    frame = params_frame(products)
    if len(_PARAMS_CACHE) >= _PARAMS_CACHE_SIZE:
        _PARAMS_CACHE.pop(next(iter(_PARAMS_CACHE)))
    _PARAMS_CACHE[key] = (list(products), frame)
    return frame


_QUIET_STATUS = and_(
    account_status.c.dpd == 0,
    ~account_status.c.in_grace,
    ~account_status.c.delinquent,
    account_status.c.bucket == "M0",
    account_status.c.classification == "normal",
    account_status.c.stage == 1,
    ~account_status.c.non_accrual,
    account_status.c.written_off_on.is_(None),
    account_status.c.observation_end.is_(None),
    account_status.c.restructured_class.is_(None),
    ~account_status.c.early_warning,
)
REMINDER_HORIZON = 3  # days: PaymentDueSoon goes out at T−3 and T−1


def _horizon(on: date) -> date:
    """The last due date whose obligation can change anything on ``on`` (the reminders')."""
    return on + timedelta(days=REMINDER_HORIZON)


# "Due by the horizon", by the moved and by the original date, and "due today": the activity
# question and the obligation load state them alike (each with the open-obligation predicate
# where it reads the partial indexes).
_DUE_SOON = obligations.c.due_date <= bindparam("soon")
_ORIGINALLY_DUE_SOON = obligations.c.original_due_date <= bindparam("soon")
_DUE_TODAY = obligations.c.due_date == bindparam("on")


_CHUNK: BindParameter[Any] = bindparam("borrowers", expanding=True)
_LINE = accounts.alias("line")
# An account whose day can change something (see _active_borrowers).
_ACTIVE_ACCOUNT = or_(
    account_status.c.account_id.is_(None),
    ~_QUIET_STATUS,
    accounts.c.status.not_in(("active", "settled")),
    # Cheapest first (SQLite stops at the first true term): today's due rows and entries are
    # read once through their date indexes, the open obligations through their partial index.
    accounts.c.account_id.in_(select(obligations.c.account_id).where(_DUE_TODAY)),
    accounts.c.account_id.in_(
        select(journal_entries.c.account_ref).where(
            journal_entries.c.business_date == bindparam("on")
        )
    ),
    exists()
    .where(outbox_events.c.account_ref == accounts.c.account_id)
    .where(outbox_events.c.business_date == bindparam("on")),
    # Two questions, one per partial index, each a range read of the account's open rows.
    *(
        exists()
        .where(obligations.c.account_id == accounts.c.account_id)
        .where(OPEN_OBLIGATION)
        .where(due)
        for due in (_DUE_SOON, _ORIGINALLY_DUE_SOON)
    ),
)
# One pass over the chunk's accounts: each says whether it is active, and a loan drawn from a
# line names the line's borrower. Every account is returned: filtering in SQL as well would
# evaluate the activity terms twice for each active one (measured: 1.3x the time).
_ACTIVE = (
    select(accounts.c.borrower_id, _LINE.c.borrower_id, _ACTIVE_ACCOUNT)
    .select_from(
        accounts.outerjoin(account_status).outerjoin(
            _LINE, _LINE.c.account_id == accounts.c.line_ref
        )
    )
    .where(accounts.c.borrower_id.in_(_CHUNK))
)
_CROSS_BORROWER_LOANS = (
    select(accounts.c.borrower_id, _LINE.c.borrower_id)
    .join(_LINE, _LINE.c.account_id == accounts.c.line_ref)
    .where(accounts.c.borrower_id.in_(_CHUNK))
    .where(_LINE.c.borrower_id.in_(_CHUNK))
    .where(accounts.c.borrower_id != _LINE.c.borrower_id)
)


def _active_borrowers(conn: Connection, borrowers: Sequence[str], on: date) -> list[str]:
    """The borrowers (of ``borrowers``) with at least one account whose day can change anything.

    An account is quiet on ``on`` when its last end of day left it current (DPD 0, normal,
    stage 1, no flags), it is active or settled, nothing unpaid falls due by ``on`` + 3 (no
    reminder, no DPD), nothing falls due today (no month activity), and nothing was posted on
    it and no event emitted for it today (no balance change, no special transaction). Such an
    account's kernels output equals its input and its month row is already right, so skipping
    it changes nothing; the first of each month is a full pass, which writes every account's
    month row. A borrower with one active account is processed whole (cross-default and
    loan-restricts-line stay exact).
    """
    soon = _horizon(on)
    chunk = list(borrowers)
    members = set(chunk)
    active: set[str] = set()
    crossing = False
    for borrower, line_borrower, is_active in conn.execute(
        _ACTIVE, {"borrowers": chunk, "on": on, "soon": soon}
    ):
        if is_active:
            active.add(str(borrower))
        if line_borrower is not None and line_borrower != borrower and line_borrower in members:
            crossing = True
    # A loan drawn from a line restricts it (and the line's state feeds the loan's rules):
    # the two go through the kernels together even when their borrower ids differ. (Only
    # asked when the pass above saw such a loan in the chunk.)
    if crossing:
        pairs = conn.execute(_CROSS_BORROWER_LOANS, {"borrowers": chunk})
        for loan_borrower, line_borrower in pairs:
            if loan_borrower in active or line_borrower in active:
                active.update((str(loan_borrower), str(line_borrower)))
    return sorted(active)


_ACCOUNT_FIELDS = ("account", "kind", "borrower", "product", "status", "line_ref")
# The chunk's accounts with their stored status row (outer join: none before the first EOD).
_LOAD_ACCOUNTS = (
    select(
        accounts.c.account_id,
        accounts.c.kind,
        accounts.c.borrower_id,
        accounts.c.product,
        accounts.c.status,
        accounts.c.line_ref,
        account_status.c.account_id.label("has_status"),
        *[account_status.c[k] for k in _STATUS_COLUMNS],
    )
    .select_from(accounts.outerjoin(account_status))
    .where(accounts.c.borrower_id.in_(bindparam("borrowers", expanding=True)))
    .order_by(accounts.c.account_id)
)
# Their obligations that can change today: something unpaid and due by the reminder horizon
# (past due, penalised, reminded), or falling due today (the month's bureau activity). Paid
# obligations change nothing, and neither do later installments: every kernel and month fact
# reads an obligation only once it is due within the horizon (a loan's future installments
# were most of the rows read). Three disjoint branches, so that each reads through an index
# (the two partial indexes of open obligations, the due-date index) instead of every row of
# every chosen account.
_OB_COLUMNS = (*obligations.c, *[penalty_state.c[c] for c in PENALTY_COLUMNS])
_WITH_PENALTY_STATE = obligations.outerjoin(
    penalty_state,
    and_(
        penalty_state.c.account_id == obligations.c.account_id,
        penalty_state.c.ref == obligations.c.ref,
    ),
)
_CHOSEN = obligations.c.account_id.in_(bindparam("accounts", expanding=True))
_LOAD_BRANCHES = (
    and_(OPEN_OBLIGATION, _DUE_SOON),
    and_(OPEN_OBLIGATION, _ORIGINALLY_DUE_SOON, ~_DUE_SOON),
    # Due today implies due by the horizon: an open one is in the first branch.
    and_(_DUE_TODAY, ~OPEN_OBLIGATION),
)
_LOADED = union_all(
    *(
        select(*_OB_COLUMNS).select_from(_WITH_PENALTY_STATE).where(_CHOSEN).where(branch)
        for branch in _LOAD_BRANCHES
    )
).subquery("loaded")
_LOAD_OBLIGATIONS = select(_LOADED).order_by(_LOADED.c.account_id, _LOADED.c.seq)
_OB_AT = {name: i for i, name in enumerate(obligations.c.keys())}
_PEN_AT = {c: len(_OB_AT) + i for i, c in enumerate(PENALTY_COLUMNS)}
_OB_INT_COLUMNS = (
    *(f"{side}_{c}" for side in ("due", "paid", "waived") for c in COMPONENTS),
    "minimum",
)


def _load_frames(
    conn: Connection,
    repo: AccountRepository,
    svc: Servicing,
    borrowers: Sequence[str],
    on: date,
    *,
    reference: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame, list[Any], dict[str, tuple[Any, ...] | None]]:
    """The chunk's accounts and open obligations as kernel frames, its products, and each
    account's stored status row (``None`` when it has none yet).

    Rows are turned into columns (``zip(*rows)``) and each column into a list once: the
    frames are built column-wise, with no per-row dict.
    """
    acc_rows = conn.execute(_LOAD_ACCOUNTS, {"borrowers": list(borrowers)}).all()
    n_fields = len(_ACCOUNT_FIELDS)
    acc_cols: dict[str, list[Any]] = {c: [] for c in ACCOUNTS_SCHEMA}
    stored: dict[str, tuple[Any, ...] | None] = {}
    if acc_rows:
        columns = list(zip(*acc_rows, strict=True))
        for i, name in enumerate(_ACCOUNT_FIELDS):
            acc_cols[name] = list(columns[i])
        has_status = columns[n_fields]
        status_cols = columns[n_fields + 1 :]
        for account, has, *row in zip(acc_cols["account"], has_status, *status_cols, strict=True):
            stored[account] = None if has is None else tuple(row)
        for name, column in zip(_STATUS_COLUMNS, status_cols, strict=True):
            if name not in _STATUS_DEFAULTS:
                continue
            default = _STATUS_DEFAULTS[name]
            acc_cols[name] = (
                list(column) if default is None else [default if v is None else v for v in column]
            )
        acc_cols["line_status"] = [
            status if kind == "line" else None
            for kind, status in zip(acc_cols["kind"], acc_cols["status"], strict=True)
        ]
    acc_frame = pl.DataFrame(acc_cols, schema=ACCOUNTS_SCHEMA)
    names = acc_cols["account"]
    row_of = {a: i for i, a in enumerate(names)}
    soon = _horizon(on)
    ob_rows = conn.execute(_LOAD_OBLIGATIONS, {"accounts": names, "on": on, "soon": soon}).all()
    ob_cols: dict[str, list[Any]] = {c: [] for c in OBLIGATIONS_SCHEMA}
    steps: dict[tuple[str, str], tuple[date | None, int]] = {}
    if ob_rows:
        columns = list(zip(*ob_rows, strict=True))
        for name in ("account_id", "ref", "kind", "due_date"):
            ob_cols["account" if name == "account_id" else name] = list(columns[_OB_AT[name]])
        ob_cols["account_row"] = [row_of[a] for a in ob_cols["account"]]
        for name in _OB_INT_COLUMNS:
            ob_cols[name] = list(map(int, columns[_OB_AT[name]]))
        for name in PENALTY_COLUMNS:
            ob_cols[name] = [0 if v is None else int(v) for v in columns[_PEN_AT[name]]]
        steps = {
            (a, r): (d, int(left))
            for a, r, d, left in zip(
                ob_cols["account"],
                ob_cols["ref"],
                columns[_OB_AT["step_due_date"]],
                columns[_OB_AT["step_left"]],
                strict=True,
            )
        }
    lines = [a for a, kind in zip(names, acc_cols["kind"], strict=True) if kind == "line"]
    _line_minimums(repo, lines, ob_cols, None if reference else steps)
    ob_frame = pl.DataFrame(ob_cols, schema=OBLIGATIONS_SCHEMA)
    product_names = sorted(set(acc_cols["product"]))
    products = [svc.product_in(repo, name) for name in product_names]
    return acc_frame, ob_frame, products, stored


def _line_minimums(
    repo: AccountRepository,
    lines: Sequence[str],
    columns: dict[str, list[Any]],
    steps: Mapping[tuple[str, str], tuple[date | None, int]] | None,
) -> None:
    """Give each statement row the minimum *milestone* the kernels judge past-due by.

    A line's minimum is a series of steps: a statement's own minimum by its due date, then
    (carried balance, SPEC §5) 10% of its unpaid principal by each later statement's due date.
    The kernels read one (due_date, minimum) per obligation, so each statement row carries its
    earliest uncovered step: that step's due date, and a minimum whose unpaid part is exactly
    what the step still needs. A statement with every step covered shows nothing unpaid.

    ``columns`` are the obligation frame's columns (``due_date`` and ``minimum`` are set in
    place). ``steps`` are the steps the repository stored with the rows at the line's last
    save (a bulk penalty does not move them); ``None`` (the reference path) derives them from
    each line's loaded state instead.
    """
    if not lines:
        return
    wanted = set(lines)
    by_account: dict[str, list[int]] = defaultdict(list)
    for i, account in enumerate(columns["account"]):
        if account in wanted:
            by_account[account].append(i)
    refs, due_dates, minimums = columns["ref"], columns["due_date"], columns["minimum"]
    for account in lines:
        rows = by_account.get(account)
        if not rows:
            continue
        if steps is None or any(steps[(account, refs[i])][1] < 0 for i in rows):
            uncovered = line_model.uncovered(repo.get(account))
        else:
            uncovered = {}
            for i in rows:
                step_due, step_left = steps[(account, refs[i])]
                if step_due is not None:
                    uncovered[refs[i]] = (step_due, step_left)
        for i in rows:
            settled = sum(
                columns[f"{side}_{c}"][i] for side in ("paid", "waived") for c in COMPONENTS
            )
            found = uncovered.get(refs[i])
            if found is None:
                minimums[i] = settled
            else:
                due_dates[i], minimums[i] = found[0], settled + found[1]


def _apply(
    uow: UnitOfWork,
    repo: AccountRepository,
    on: date,
    before: pl.DataFrame,
    ob_before: pl.DataFrame,
    result: Any,
    stored: Mapping[str, tuple[Any, ...] | None],
    *,
    reference: bool = False,
) -> dict[str, int]:
    """Write the kernels' day back: penalties, statuses, write-offs, postings, events.

    An account whose status changes (frozen, closed, restored, written off) goes through its
    domain one at a time, its penalties with it; a loan that only moves between active and
    past-due just gets its status column set (see the account repository). Every other
    charged account — the common case, a past-due account accruing another day — is charged
    in bulk: the amounts go onto
    the obligation rows and into the ledger, and a ``penalty_pending`` row lets the account's
    next load replay them through ``charge_penalty`` (see the account repository). Entries are
    posted in account order either way, so the journal is the same as the per-account path's.
    """
    conn = uow.connection
    counts: dict[str, int] = defaultdict(int)
    obs = result.obligations
    after = result.accounts
    charged = obs.filter(pl.col("penalty_booked") > 0).select(
        "account", "ref", "penalty_booked", "penalty_suspense"
    )
    penalties: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for account, ref, booked, suspense in charged.iter_rows():
        penalties[account].append((ref, int(booked), int(suspense)))
    prev, new_rows = _touched_rows(before, after, set(penalties))
    status_changed = {
        account
        for account, row in new_rows.items()
        if row["status"] != prev[account]["status"]
        or row["line_status"] != prev[account]["line_status"]
        or row["written_off_on"] != prev[account]["written_off_on"]
    }
    # A loan only moving between active and past-due needs no domain call: its status column.
    loan_moves = {
        account: new_rows[account]["status"]
        for account in status_changed
        if new_rows[account]["kind"] == "loan"
        and new_rows[account]["written_off_on"] == prev[account]["written_off_on"]
        and prev[account]["status"] != "settled"
    }
    one_by_one = status_changed | set(penalties) if reference else status_changed - set(loan_moves)
    entries: list[JournalEntry] = []
    bulk: list[tuple[str, str, int]] = []
    for account in sorted(status_changed | set(penalties)):
        written_off = prev[account]["written_off_on"] is not None
        if account in one_by_one:
            uow.lock(account)
            postings = _apply_one(repo, on, account, penalties.get(account, []), written_off,
                                  prev[account], new_rows[account], counts, uow)  # fmt: skip
        else:
            postings = []
            for ref, booked, suspense in penalties[account]:
                postings.extend(_penalty_postings(account, booked, suspense, written_off))
                bulk.append((account, ref, booked))
        if postings:
            entries.append(
                JournalEntry(
                    key=entry_key(account, on, "overdue"),
                    business_date=on,
                    kind="overdue",
                    account_ref=account,
                    postings=tuple(postings),
                    actor="eod",
                )
            )
            counts["postings"] += len(postings)
    _charge_in_bulk(uow, on, bulk, {} if reference else loan_moves)
    uow.post_all(entries)
    _save_penalty_state(conn, ob_before, obs, rewrite_all=reference)
    _save_status(conn, on, stored, after, rewrite_all=reference)
    events = []
    for account, type_, payload in result.events.iter_rows():
        events.append((account, type_, json.loads(payload) if payload else None))
        if type_ == "PastDue":
            counts["newly_past_due"] += 1
        elif type_ == "Cured":
            counts["cured"] += 1
    _emit_all(conn, on, events)
    return counts


_TOUCH_COLUMNS = ("kind", "status", "line_status", "written_off_on")


def _touched_rows(
    before: pl.DataFrame, after: pl.DataFrame, charged: set[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``(before, after)`` rows by account of the accounts ``_apply`` may act on: those whose
    status, line status or write-off date changed, and the ``charged`` ones.

    Read column-wise; only those rows become dicts (with the columns ``_apply`` reads), so a
    chunk of mostly unchanged accounts costs one list per column.
    """
    names = after.get_column("account").to_list()
    old = {c: before.get_column(c).to_list() for c in _TOUCH_COLUMNS}
    new = {c: after.get_column(c).to_list() for c in (*_TOUCH_COLUMNS, "line_reason")}
    prev: dict[str, dict[str, Any]] = {}
    rows: dict[str, dict[str, Any]] = {}
    for i, account in enumerate(names):
        if (
            account in charged
            or old["status"][i] != new["status"][i]
            or old["line_status"][i] != new["line_status"][i]
            or old["written_off_on"][i] != new["written_off_on"][i]
        ):
            prev[account] = {c: old[c][i] for c in _TOUCH_COLUMNS}
            rows[account] = {c: values[i] for c, values in new.items()}
    return prev, rows


def _penalty_postings(
    account: str, booked: int, suspense: int, written_off: bool
) -> tuple[Posting, ...]:
    """What charging ``booked`` fen of penalty posts (the domain's legs, then SPEC §6 rules)."""
    postings = postings_from_legs(account, ((GL.PENALTY_RECEIVABLE, GL.PENALTY_INCOME, booked),))
    if written_off:
        # Still owed, still capped, but off the balance sheet (SPEC §6 write-off).
        return off_balance(account, postings)
    if suspense:
        # Above 90 DPD the penalty stays owed but is not income (SPEC §6 non-accrual).
        postings += (
            Posting.dr(GL.PENALTY_INCOME, account, suspense),
            Posting.cr(GL.SUSPENSE, account, suspense),
        )
    return postings


def _apply_one(
    repo: AccountRepository,
    on: date,
    account: str,
    charges: Sequence[tuple[str, int, int]],
    written_off: bool,
    prev: Mapping[str, Any],
    row: Mapping[str, Any],
    counts: dict[str, int],
    uow: UnitOfWork,
) -> list[Posting]:
    """One account through its domain: penalties, write-off, status; saved; its postings."""
    state = repo.get(account)
    domain: Any = loan_domain if isinstance(state, loan_domain.Loan) else line_domain
    postings: list[Posting] = []
    for ref, booked, suspense in charges:
        outcome = domain.charge_penalty(state, ref, booked, on)
        state = outcome.state
        if outcome.postings != postings_from_legs(
            account, ((GL.PENALTY_RECEIVABLE, GL.PENALTY_INCOME, booked),)
        ):  # pragma: no cover - the bulk path relies on this shape
            raise RuntimeError(f"unexpected penalty postings for {account}: {outcome.postings}")
        postings.extend(_penalty_postings(account, booked, suspense, written_off))
    if row["written_off_on"] == on and prev["written_off_on"] is None:
        postings.extend(_write_off_postings(uow, account, postings))
        counts["written_off"] += 1
    if isinstance(state, loan_domain.Loan):
        if state.status != "settled" and row["status"] != state.status:
            state = replace(state, status=row["status"])
    elif row["line_status"] != state.status:
        outcome = line_domain.set_status(
            state, row["line_status"], on, row.get("line_reason") or "overdue rule"
        )
        state = outcome.state
        postings.extend(outcome.postings)
        counts[_STATUS_COUNTER.get(row["line_status"], "restored")] += 1
    repo.save(state)
    return postings


_SET_STATUS = (
    update(accounts).where(accounts.c.account_id == bindparam("a")).values(status=bindparam("s"))
)
_BUMP_VERSION = (
    update(accounts)
    .where(accounts.c.account_id == bindparam("a"))
    .values(version=accounts.c.version + 1)
)
_ADD_PENALTY = (
    update(obligations)
    .where(obligations.c.account_id == bindparam("a"))
    .where(obligations.c.ref == bindparam("r"))
    .values(due_penalty=obligations.c.due_penalty + bindparam("amount"))
)
_NOTE_PENDING = (
    update(accounts)
    .where(accounts.c.account_id == bindparam("a"))
    .values(
        version=accounts.c.version + 1,
        pending_penalties=accounts.c.pending_penalties + bindparam("n"),
    )
)


def _charge_in_bulk(
    uow: UnitOfWork,
    on: date,
    charges: Sequence[tuple[str, str, int]],
    loan_moves: Mapping[str, str],
) -> None:
    """Add penalties to obligation rows and note them for the next load; set moved loans'
    status column; bump the versions of every account touched."""
    touched = sorted({a for a, _r, _b in charges} | set(loan_moves))
    if not touched:
        return
    conn = uow.connection
    if uow.is_postgres:
        for account in touched:
            uow.lock(account)
    if loan_moves:
        conn.execute(_SET_STATUS, [{"a": a, "s": st} for a, st in sorted(loan_moves.items())])
    if not charges:
        conn.execute(_BUMP_VERSION, [{"a": a} for a in touched])
        return
    conn.execute(_ADD_PENALTY, [{"a": a, "r": r, "amount": b} for a, r, b in charges])
    position: dict[str, int] = defaultdict(int)
    rows = []
    for account, ref, booked in charges:
        rows.append(
            {
                "account_id": account,
                "business_date": on,
                "position": position[account],
                "ref": ref,
                "amount": booked,
            }
        )
        position[account] += 1
    conn.execute(insert(penalty_pending), rows)
    conn.execute(_NOTE_PENDING, [{"a": a, "n": position.get(a, 0)} for a in touched])


def _emit_all(conn: Connection, on: date, events: Sequence[tuple[str, str, Any]]) -> None:
    """The day's events into the outbox in one statement, in the kernels' order."""
    if events:
        conn.execute(
            insert(outbox_events),
            [
                {
                    "business_date": on,
                    "account_ref": account,
                    "type": type_,
                    "payload": payload,
                    "dispatched": False,
                }
                for account, type_, payload in events
            ],
        )


def _write_off_postings(uow: UnitOfWork, account: str, pending: Iterable[Posting]) -> list[Posting]:
    """Move every receivable of the account to the loss account; keep a memo of the debt."""
    balances = dict(uow.balances(account))
    for p in pending:
        balances[p.gl] = balances.get(p.gl, 0) + p.gl.signed(p.debit, p.credit)
    out: list[Posting] = []
    total = 0
    for gl in RECEIVABLES:
        amount = balances.get(gl, 0)
        if amount > 0:
            out.append(Posting.cr(gl, account, amount))
            total += amount
    if total:
        out.append(Posting.dr(GL.WRITE_OFF_LOSS, account, total))
        out.extend(memo_change(account, total))
    return out


def _save_penalty_state(
    conn: Connection, before: pl.DataFrame, obs: pl.DataFrame, *, rewrite_all: bool
) -> None:
    """Store the penalty runs of the obligations whose runs changed today.

    ``obs`` is ``before`` with the kernels' columns replaced, row for row (one row per
    obligation): a row changed when any of its penalty columns differs at the same position.
    """
    keys = ["account", "ref"]
    if rewrite_all:
        changed = obs.select(*keys, *PENALTY_COLUMNS)
    else:
        moved = np.zeros(obs.height, dtype=bool)
        for c in PENALTY_COLUMNS:
            moved |= before.get_column(c).to_numpy() != obs.get_column(c).to_numpy()
        if not moved.any():
            return
        changed = obs.select(*keys, *PENALTY_COLUMNS).filter(pl.Series(moved))
    loaded = list(changed.select(*keys).iter_rows())
    if not loaded:
        return
    conn.execute(
        delete(penalty_state).where(
            tuple_(penalty_state.c.account_id, penalty_state.c.ref).in_(loaded)
        )
    )
    columns = [changed.get_column(c).to_list() for c in PENALTY_COLUMNS]
    rows = [
        {
            "account_id": account,
            "ref": ref,
            **dict(zip(PENALTY_COLUMNS, map(int, values), strict=True)),
        }
        for (account, ref), *values in zip(loaded, *columns, strict=True)
        if any(values)
    ]
    if rows:
        conn.execute(insert(penalty_state), rows)


_STATUS_SAVE = tuple((c, bool if c in _STATUS_BOOLS else int if c in ("dpd", "stage") else None)
                     for c in _STATUS_COLUMNS)  # fmt: skip


def _save_status(
    conn: Connection,
    on: date,
    stored: Mapping[str, tuple[Any, ...] | None],
    after: pl.DataFrame,
    *,
    rewrite_all: bool,
) -> None:
    """Store the status rows that changed today (all of them for the reference path).

    ``updated_on`` is therefore the date the row last changed (or was last fully rewritten).
    """
    names = after.get_column("account").to_list()
    columns = [after.get_column(c).to_list() for c in _STATUS_COLUMNS]
    rows = []
    for account, *values in zip(names, *columns, strict=True):
        if not rewrite_all and stored[account] == tuple(values):
            continue
        row: dict[str, Any] = {"account_id": account}
        for (c, cast), value in zip(_STATUS_SAVE, values, strict=True):
            row[c] = value if cast is None else cast(value)
        row["updated_on"] = on
        rows.append(row)
    if not rows:
        return
    rewritten = [r["account_id"] for r in rows]
    conn.execute(delete(account_status).where(account_status.c.account_id.in_(rewritten)))
    conn.execute(insert(account_status), rows)


_NAMES: BindParameter[Any] = bindparam("names", expanding=True)
# Every account repaid today (few rows, through the business-date index): no list of names.
_MONTH_PAID = (
    select(journal_entries.c.account_ref)
    .where(journal_entries.c.business_date == bindparam("on"))
    .where(journal_entries.c.kind == "repay")
    .distinct()
)
_MONTH_PRINCIPAL = select(accounts.c.account_id, accounts.c.principal_balance).where(
    accounts.c.account_id.in_(_NAMES)
)
# This month's rows, and the rows of earlier months in which the account ended, in one read.
_MONTH_ROWS = (
    select(bureau_months)
    .where(bureau_months.c.account_id.in_(_NAMES))
    .where(
        (bureau_months.c.month == bindparam("month"))
        | ((bureau_months.c.month < bindparam("month")) & bureau_months.c.ended_on.is_not(None))
    )
)
_MONTH_DELETE = (
    delete(bureau_months)
    .where(bureau_months.c.month == bindparam("month"))
    .where(bureau_months.c.account_id.in_(_NAMES))
)
_MONTH_SPECIAL = (
    select(outbox_events.c.account_ref, outbox_events.c.type, outbox_events.c.payload)
    .where(outbox_events.c.business_date == bindparam("on"))
    .where(outbox_events.c.type.in_(SPECIAL_EVENT_TYPES))
    .where(outbox_events.c.account_ref.in_(_NAMES))
)
_MONTH_FIELDS = tuple(c.name for c in bureau_months.c)


def _month_amounts(on: date, n: int, obs: pl.DataFrame) -> tuple[Any, Any, Any]:
    """Per account row: (an obligation falls due today, unpaid charges fallen due by today,
    unpaid past-due amount), summed exactly in int64 over the account's obligations."""
    fell_due = np.zeros(n, dtype=bool)
    charges = np.zeros(n, dtype=np.int64)
    overdue = np.zeros(n, dtype=np.int64)
    if not obs.height:
        return fell_due, charges, overdue

    def ints(column: str) -> Any:
        return obs.get_column(column).to_numpy().astype(np.int64, copy=False)

    def unpaid_of(c: str) -> Any:
        return ints(f"due_{c}") - ints(f"paid_{c}") - ints(f"waived_{c}")

    rows = ints("account_row")
    due = obs.get_column("due_date").cast(pl.Int64).to_numpy()
    t = day_number(on)
    unpaid_p = unpaid_of("principal")
    unpaid_other = unpaid_of("interest") + unpaid_of("fee") + unpaid_of("penalty")
    past_due = obs.get_column("past_due").to_numpy().astype(bool, copy=False)
    fell_due[rows[due == t]] = True
    np.add.at(charges, rows, np.where(due <= t, unpaid_other, 0))
    np.add.at(overdue, rows, np.where(past_due, unpaid_p + unpaid_other, 0))
    return fell_due, charges, overdue


def _save_month_facts(
    conn: Connection,
    on: date,
    after: pl.DataFrame,
    obs: pl.DataFrame,
    *,
    rewrite_all: bool = False,
) -> None:
    """Fold today's picture into each account's facts for this calendar month.

    Only the rows whose facts differ from the stored row are rewritten (deleted and inserted
    again, in account order); an unchanged row is left as it is — the table's content is what
    rewriting every row would leave. ``rewrite_all`` (the reference path) rewrites them all.
    """
    month = f"{on.year:04d}-{on.month:02d}"
    names = after.get_column("account").to_list()
    paid_today = {str(a) for a in conn.execute(_MONTH_PAID, {"on": on}).scalars()}
    fell_due, charges, overdue = _month_amounts(on, after.height, obs)
    principal = {str(a): int(b) for a, b in conn.execute(_MONTH_PRINCIPAL, {"names": names})}
    existing: dict[str, Any] = {}
    ended_before: set[str] = set()
    for r in conn.execute(_MONTH_ROWS, {"month": month, "names": names}):
        if r.month == month:
            existing[r.account_id] = r
        else:
            ended_before.add(r.account_id)
    special: dict[str, set[int]] = defaultdict(set)
    for account, type_, payload in conn.execute(_MONTH_SPECIAL, {"on": on, "names": names}):
        special[str(account)].update(special_codes(type_, payload))
    columns = after.select(
        "dpd", "delinquent", "classification", "written_off_on", "status", "notice_sent_on"
    ).get_columns()
    rows = []
    # The accounts whose stored row goes: rewritten, or (ended in an earlier month) dropped.
    gone: list[str] = []
    for i, (account, dpd, delinquent, classification, written_off_on, status, notice) in enumerate(
        zip(names, *(c.to_list() for c in columns), strict=True)
    ):
        old = existing.get(account)
        if account in ended_before:
            # An account that ended is reported once, in the month it ended (C).
            if old is not None:
                gone.append(account)
            continue
        settled = status == "settled"
        delinquent = bool(delinquent)
        # In the column order of bureau_months (_MONTH_FIELDS), as a stored row reads back.
        values = (
            account,
            month,
            int(dpd),
            delinquent,
            delinquent or bool(old is not None and old.delinquent_in_month),
            bool(fell_due[i]) or account in paid_today or bool(old is not None and old.activity),
            # All unpaid principal (a line's unbilled purchases too) + fallen-due charges.
            principal.get(account, 0) + int(charges[i]),
            int(overdue[i]),
            classification,
            written_off_on,
            (old.ended_on if old is not None and old.ended_on else on) if settled else None,
            "settled" if settled else None,
            sorted(special[account].union(old.special or []))
            if old is not None
            else sorted(special[account]),
            notice,
        )
        if old is not None:
            # Equal values store equal text: the row is already right.
            if not rewrite_all and tuple(old) == values:
                continue
            gone.append(account)
        rows.append(dict(zip(_MONTH_FIELDS, values, strict=True)))
    if gone:
        conn.execute(_MONTH_DELETE, {"month": month, "names": gone})
    if rows:
        conn.execute(insert(bureau_months), rows)
