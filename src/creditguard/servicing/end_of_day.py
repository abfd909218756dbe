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
   for the credit bureau — and mark the chunk done in the same transaction;
4. **close** — mark the date done and move the business date on.

A crash anywhere leaves committed chunks committed and the rest untouched; the rerun skips
what is marked done and does the rest, so the end state equals an uncrashed run's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import Any

import polars as pl
from sqlalchemy import (
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
    update,
)

from creditguard.ledger.chart import GL, RECEIVABLES
from creditguard.ledger.journal import JournalEntry, Posting, entry_key
from creditguard.money import InputError
from creditguard.overdue.eod import run_day
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
        run = uow.connection.execute(
            select(eod_runs).where(eod_runs.c.business_date == on)
        ).one_or_none()
        if run is not None and run.status == "done":
            return _summary_from(on, run.summary, skipped=True)
        current = uow.business_date()
        if current != on:
            raise InputError("date", f"the business date is {current}, not {on}")
        if run is None:
            uow.connection.execute(insert(eod_runs).values(business_date=on, status="running"))
    hook("started")
    with UnitOfWork(engine) as uow:
        total_accounts = int(
            uow.connection.execute(select(func.count()).select_from(accounts)).scalar_one()
        )
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
    for name, kind, definition in conn.execute(
        select(products.c.name, products.c.kind, products.c.definition)
    ):
        if kind == "revolving":
            statement_days[name] = int(dict(definition).get("statement_day", 1))
    statement_products = [n for n, d in statement_days.items() if d == on.day]
    due: set[str] = set()
    if statement_products:
        due.update(
            conn.execute(
                select(accounts.c.account_id)
                .where(accounts.c.kind == "line")
                .where(accounts.c.product.in_(statement_products))
            ).scalars()
        )
    if (on + timedelta(days=1)).day == 1:
        due.update(
            conn.execute(
                select(obligations.c.account_id)
                .join(accounts, accounts.c.account_id == obligations.c.account_id)
                .where(accounts.c.kind == "line")
                .where(obligations.c.due_date < on)
                .where(unpaid("principal") > 0)
                .distinct()
            ).scalars()
        )
    due.update(
        conn.execute(
            select(obligations.c.account_id)
            .join(accounts, accounts.c.account_id == obligations.c.account_id)
            .where(accounts.c.kind == "loan")
            .where((obligations.c.original_due_date == on) | (obligations.c.due_date == on))
            .distinct()
        ).scalars()
    )
    return sorted(str(a) for a in due)


def _borrowers(conn: Connection) -> list[str]:
    rows = conn.execute(select(accounts.c.borrower_id).distinct().order_by(accounts.c.borrower_id))
    return [str(r) for r in rows.scalars()]


# -- one chunk of the overdue step -------------------------------------------------------------


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
    gate = and_(
        eod_chunks.c.business_date == on,
        eod_chunks.c.step == "overdue",
        eod_chunks.c.chunk == chunk_no,
    )
    done = conn.execute(select(eod_chunks.c.summary).where(gate)).one_or_none()
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
        result = run_day(ob_frame, acc_frame, params_frame(products), on, verify_rows=False)
        counts = _apply(uow, repo, on, acc_frame, ob_frame, result, stored, reference=reference)
        _save_month_facts(conn, on, result.accounts, result.obligations)
    hook("chunk-uncommitted")
    conn.execute(
        insert(eod_chunks).values(
            business_date=on, step="overdue", chunk=chunk_no, summary=dict(counts)
        )
    )
    return dict(counts)


_UNPAID = unpaid()


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
    soon = on + timedelta(days=REMINDER_HORIZON)
    due_soon = (
        exists()
        .where(obligations.c.account_id == accounts.c.account_id)
        .where(
            or_(
                and_(
                    _UNPAID > 0,
                    or_(obligations.c.due_date <= soon, obligations.c.original_due_date <= soon),
                ),
                obligations.c.due_date == on,
            )
        )
    )
    posted = (
        exists()
        .where(journal_entries.c.account_ref == accounts.c.account_id)
        .where(journal_entries.c.business_date == on)
    )
    happened = (
        exists()
        .where(outbox_events.c.account_ref == accounts.c.account_id)
        .where(outbox_events.c.business_date == on)
    )
    rows = conn.execute(
        select(accounts.c.borrower_id)
        .distinct()
        .select_from(accounts.outerjoin(account_status))
        .where(accounts.c.borrower_id.in_(list(borrowers)))
        .where(
            or_(
                account_status.c.account_id.is_(None),
                ~_QUIET_STATUS,
                accounts.c.status.not_in(("active", "settled")),
                due_soon,
                posted,
                happened,
            )
        )
    ).scalars()
    active = {str(b) for b in rows}
    # A loan drawn from a line restricts it (and the line's state feeds the loan's rules):
    # the two go through the kernels together even when their borrower ids differ.
    line = accounts.alias("line")
    for loan_borrower, line_borrower in conn.execute(
        select(accounts.c.borrower_id, line.c.borrower_id)
        .join(line, line.c.account_id == accounts.c.line_ref)
        .where(accounts.c.borrower_id.in_(list(borrowers)))
        .where(line.c.borrower_id.in_(list(borrowers)))
        .where(accounts.c.borrower_id != line.c.borrower_id)
    ):
        if loan_borrower in active or line_borrower in active:
            active.update((str(loan_borrower), str(line_borrower)))
    return sorted(active)


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
    account's stored status row (``None`` when it has none yet)."""
    acc_rows = conn.execute(
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
        .where(accounts.c.borrower_id.in_(list(borrowers)))
        .order_by(accounts.c.account_id)
    ).all()
    account_records: list[dict[str, Any]] = []
    stored: dict[str, tuple[Any, ...] | None] = {}
    for r in acc_rows:
        stored[r.account_id] = (
            None if r.has_status is None else tuple(getattr(r, c) for c in _STATUS_COLUMNS)
        )
        status = dict(_STATUS_DEFAULTS)
        for k in _STATUS_DEFAULTS:
            value = getattr(r, k)
            if value is not None:
                status[k] = value
        is_line = r.kind == "line"
        account_records.append(
            {
                "account": r.account_id,
                "kind": r.kind,
                "borrower": r.borrower_id,
                "product": r.product,
                "status": r.status,
                "line_ref": r.line_ref,
                **status,
                "line_status": r.status if is_line else None,
            }
        )
    acc_frame = pl.DataFrame(account_records, schema=ACCOUNTS_SCHEMA, orient="row")
    row_of = {a["account"]: i for i, a in enumerate(account_records)}
    names = list(row_of)
    pen_cols = [penalty_state.c[c] for c in PENALTY_COLUMNS]
    ob_rows = conn.execute(
        select(obligations, *pen_cols)
        .select_from(
            obligations.outerjoin(
                penalty_state,
                and_(
                    penalty_state.c.account_id == obligations.c.account_id,
                    penalty_state.c.ref == obligations.c.ref,
                ),
            )
        )
        .where(obligations.c.account_id.in_(names))
        # Only what can change today: obligations with something unpaid, and those falling
        # due today (the month's bureau activity). Paid obligations change nothing.
        .where((_UNPAID > 0) | (obligations.c.due_date == on))
        .order_by(obligations.c.account_id, obligations.c.seq)
    ).all()
    records = []
    steps: dict[tuple[str, str], tuple[date | None, int]] = {}
    for r in ob_rows:
        steps[(r.account_id, r.ref)] = (r.step_due_date, int(r.step_left))
        rec: dict[str, Any] = {
            "account": r.account_id,
            "account_row": row_of[r.account_id],
            "ref": r.ref,
            "kind": r.kind,
            "due_date": r.due_date,
            "minimum": int(r.minimum),
        }
        for side in ("due", "paid", "waived"):
            for c in COMPONENTS:
                rec[f"{side}_{c}"] = int(getattr(r, f"{side}_{c}"))
        for c in PENALTY_COLUMNS:
            value = getattr(r, c)
            rec[c] = 0 if value is None else int(value)
        records.append(rec)
    _line_minimums(repo, account_records, records, None if reference else steps)
    ob_frame = pl.DataFrame(records, schema=OBLIGATIONS_SCHEMA, orient="row")
    product_names = sorted({a["product"] for a in account_records})
    products = [svc.product_in(repo, name) for name in product_names]
    return acc_frame, ob_frame, products, stored


def _line_minimums(
    repo: AccountRepository,
    account_records: Sequence[Mapping[str, Any]],
    records: list[dict[str, Any]],
    steps: Mapping[tuple[str, str], tuple[date | None, int]] | None,
) -> None:
    """Give each statement row the minimum *milestone* the kernels judge past-due by.

    A line's minimum is a series of steps: a statement's own minimum by its due date, then
    (carried balance, SPEC §5) 10% of its unpaid principal by each later statement's due date.
    The kernels read one (due_date, minimum) per obligation, so each statement row carries its
    earliest uncovered step: that step's due date, and a minimum whose unpaid part is exactly
    what the step still needs. A statement with every step covered shows nothing unpaid.

    ``steps`` are the steps the repository stored with the rows at the line's last save (a
    bulk penalty does not move them); ``None`` (the reference path) derives them from each
    line's loaded state instead.
    """
    lines = [a["account"] for a in account_records if a["kind"] == "line"]
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        by_account[rec["account"]].append(rec)
    for account in lines:
        if not by_account.get(account):
            continue
        if steps is None or any(steps[(account, r["ref"])][1] < 0 for r in by_account[account]):
            uncovered = line_model.uncovered(repo.get(account))
        else:
            uncovered = {}
            for rec in by_account[account]:
                step_due, step_left = steps[(account, rec["ref"])]
                if step_due is not None:
                    uncovered[rec["ref"]] = (step_due, step_left)
        for rec in by_account[account]:
            settled = sum(rec[f"paid_{c}"] + rec[f"waived_{c}"] for c in COMPONENTS)
            found = uncovered.get(rec["ref"])
            if found is None:
                rec["minimum"] = settled
            else:
                rec["due_date"], rec["minimum"] = found[0], settled + found[1]


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
    prev = {r["account"]: r for r in before.iter_rows(named=True)}
    new_rows = {r["account"]: r for r in after.iter_rows(named=True)}
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
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == bindparam("a"))
            .values(status=bindparam("s")),
            [{"a": a, "s": st} for a, st in sorted(loan_moves.items())],
        )
    if not charges:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == bindparam("a"))
            .values(version=accounts.c.version + 1),
            [{"a": a} for a in touched],
        )
        return
    conn.execute(
        update(obligations)
        .where(obligations.c.account_id == bindparam("a"))
        .where(obligations.c.ref == bindparam("r"))
        .values(due_penalty=obligations.c.due_penalty + bindparam("amount")),
        [{"a": a, "r": r, "amount": b} for a, r, b in charges],
    )
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
    conn.execute(
        update(accounts)
        .where(accounts.c.account_id == bindparam("a"))
        .values(
            version=accounts.c.version + 1,
            pending_penalties=accounts.c.pending_penalties + bindparam("n"),
        ),
        [{"a": a, "n": position.get(a, 0)} for a in touched],
    )


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
    """Store the penalty runs of the obligations whose runs changed today."""
    keys = ["account", "ref"]
    if rewrite_all:
        changed = obs.select(*keys, *PENALTY_COLUMNS)
    else:
        old = before.select(*keys, *[pl.col(c).alias(f"{c}_old") for c in PENALTY_COLUMNS])
        changed = (
            obs.select(*keys, *PENALTY_COLUMNS)
            .join(old, on=keys, how="left")
            .filter(pl.any_horizontal([pl.col(c) != pl.col(f"{c}_old") for c in PENALTY_COLUMNS]))
            .select(*keys, *PENALTY_COLUMNS)
        )
    loaded = list(changed.select(*keys).iter_rows())
    if not loaded:
        return
    conn.execute(
        delete(penalty_state).where(
            tuple_(penalty_state.c.account_id, penalty_state.c.ref).in_(loaded)
        )
    )
    live = changed.filter(pl.any_horizontal([pl.col(c) != 0 for c in PENALTY_COLUMNS]))
    rows = [
        {"account_id": r["account"], "ref": r["ref"], **{c: int(r[c]) for c in PENALTY_COLUMNS}}
        for r in live.iter_rows(named=True)
    ]
    if rows:
        conn.execute(insert(penalty_state), rows)


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
    rows = []
    for r in after.iter_rows(named=True):
        if not rewrite_all and stored[r["account"]] == tuple(r[c] for c in _STATUS_COLUMNS):
            continue
        rows.append(
            {
                "account_id": r["account"],
                "dpd": int(r["dpd"]),
                "in_grace": bool(r["in_grace"]),
                "delinquent": bool(r["delinquent"]),
                "bucket": r["bucket"],
                "classification": r["classification"],
                "stage": int(r["stage"]),
                "non_accrual": bool(r["non_accrual"]),
                "written_off_on": r["written_off_on"],
                "notice_sent_on": r["notice_sent_on"],
                "observation_end": r["observation_end"],
                "restructured_class": r["restructured_class"],
                "early_warning": bool(r["early_warning"]),
                "updated_on": on,
            }
        )
    if not rows:
        return
    names = [r["account_id"] for r in rows]
    conn.execute(delete(account_status).where(account_status.c.account_id.in_(names)))
    conn.execute(insert(account_status), rows)


def _save_month_facts(conn: Connection, on: date, after: pl.DataFrame, obs: pl.DataFrame) -> None:
    """Fold today's picture into each account's facts for this calendar month."""
    month = f"{on.year:04d}-{on.month:02d}"
    names = after.get_column("account").to_list()
    paid_today = {
        str(a)
        for a in conn.execute(
            select(journal_entries.c.account_ref)
            .where(journal_entries.c.business_date == on)
            .where(journal_entries.c.kind == "repay")
            .where(journal_entries.c.account_ref.in_(names))
        ).scalars()
    }
    t = pl.lit(on)
    per_account = (
        obs.with_columns(
            unpaid_p=pl.col("due_principal")
            - pl.col("paid_principal")
            - pl.col("waived_principal"),
            unpaid_other=sum(
                pl.col(f"due_{c}") - pl.col(f"paid_{c}") - pl.col(f"waived_{c}")
                for c in ("interest", "fee", "penalty")
            ),
        )
        .group_by("account")
        .agg(
            fell_due=(pl.col("due_date") == t).any(),
            charges=pl.when(pl.col("due_date") <= t)
            .then(pl.col("unpaid_other"))
            .otherwise(0)
            .sum(),
            overdue_amount=pl.when(pl.col("past_due"))
            .then(pl.col("unpaid_p") + pl.col("unpaid_other"))
            .otherwise(0)
            .sum(),
        )
    )
    facts = {r["account"]: r for r in per_account.iter_rows(named=True)}
    principal = {
        str(a): int(b)
        for a, b in conn.execute(
            select(accounts.c.account_id, accounts.c.principal_balance).where(
                accounts.c.account_id.in_(names)
            )
        )
    }
    existing = {
        r.account_id: r
        for r in conn.execute(
            select(bureau_months)
            .where(bureau_months.c.month == month)
            .where(bureau_months.c.account_id.in_(names))
        )
    }
    conn.execute(
        delete(bureau_months)
        .where(bureau_months.c.month == month)
        .where(bureau_months.c.account_id.in_(names))
    )
    special: dict[str, set[int]] = defaultdict(set)
    for account, type_, payload in conn.execute(
        select(outbox_events.c.account_ref, outbox_events.c.type, outbox_events.c.payload)
        .where(outbox_events.c.business_date == on)
        .where(outbox_events.c.type.in_(SPECIAL_EVENT_TYPES))
        .where(outbox_events.c.account_ref.in_(names))
    ):
        special[str(account)].update(special_codes(type_, payload))
    ended_before = {
        str(a)
        for a in conn.execute(
            select(bureau_months.c.account_id)
            .where(bureau_months.c.month < month)
            .where(bureau_months.c.ended_on.is_not(None))
            .where(bureau_months.c.account_id.in_(names))
        ).scalars()
    }
    rows = []
    for r in after.iter_rows(named=True):
        account = r["account"]
        if account in ended_before:
            continue  # an account that ended is reported once, in the month it ended (C)
        f = facts.get(account, {})
        old = existing.get(account)
        settled = r["status"] == "settled"
        rows.append(
            {
                "account_id": account,
                "month": month,
                "dpd": int(r["dpd"]),
                "delinquent_at_end": bool(r["delinquent"]),
                "delinquent_in_month": bool(r["delinquent"])
                or bool(old is not None and old.delinquent_in_month),
                "activity": bool(f.get("fell_due"))
                or account in paid_today
                or bool(old is not None and old.activity),
                # All unpaid principal (a line's unbilled purchases too) + fallen-due charges.
                "balance": principal.get(account, 0) + int(f.get("charges") or 0),
                "overdue_amount": int(f.get("overdue_amount") or 0),
                "classification": r["classification"],
                "written_off_on": r["written_off_on"],
                "ended_on": (old.ended_on if old is not None and old.ended_on else on)
                if settled
                else None,
                "ended_how": "settled" if settled else None,
                "special": sorted(special[account].union(old.special or []))
                if old is not None
                else sorted(special[account]),
                "notice_sent_on": r["notice_sent_on"],
            }
        )
    if rows:
        conn.execute(insert(bureau_months), rows)
