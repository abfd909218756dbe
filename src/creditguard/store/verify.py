"""Ledger checks from the database: stored balances against postings, and the trial balance.

``verify_ledger`` is what ``creditguard ledger verify`` runs: it re-derives every (GL, account)
balance from the postings, compares it with ``gl_balances``, and checks that every entry
balances (which the database already enforces — this is the independent second look).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Engine, func, select

from creditguard.ledger.balances import TrialBalance
from creditguard.ledger.chart import GL
from creditguard.money import InputError, format_amount
from creditguard.store.db import read_only
from creditguard.store.tables import gl_balances, journal_entries, postings

__all__ = ["Mismatch", "trial_balance", "verify_ledger"]

MismatchKind = Literal["balance", "unbalanced-entry", "unknown-gl"]


@dataclass(frozen=True)
class Mismatch:
    """One problem found by :func:`verify_ledger`.

    ``kind``: ``balance`` — the stored balance of (gl, account_ref) differs from the one derived
    from postings (``stored`` vs ``derived``); ``unbalanced-entry`` — entry ``entry_key`` has
    debits ``stored`` and credits ``derived`` that differ, or fewer than two postings;
    ``unknown-gl`` — postings or balances use a code not in the chart.
    """

    kind: MismatchKind
    gl: str
    account_ref: str
    stored: int
    derived: int
    entry_key: str | None = None

    def __str__(self) -> str:
        if self.kind == "unbalanced-entry":
            return (
                f"entry {self.entry_key!r} ({self.account_ref}) unbalanced: debits"
                f" {format_amount(self.stored)}, credits {format_amount(self.derived)}"
            )
        if self.kind == "unknown-gl":
            return f"unknown GL code {self.gl!r} on account {self.account_ref!r}"
        return (
            f"GL {self.gl} account {self.account_ref!r}: stored {format_amount(self.stored)},"
            f" derived from postings {format_amount(self.derived)}"
        )


def _gl(code: str) -> GL | None:
    try:
        return GL(code)
    except ValueError:
        return None


def verify_ledger(engine: Engine) -> list[Mismatch]:
    """Every mismatch between stored balances and postings, and every unbalanced entry.

    An empty list means the ledger is consistent. Runs in one read snapshot.
    """
    found: list[Mismatch] = []
    with read_only(engine) as conn:
        derived_rows = conn.execute(
            select(
                postings.c.gl,
                postings.c.account_ref,
                func.sum(postings.c.debit).label("d"),
                func.sum(postings.c.credit).label("c"),
            ).group_by(postings.c.gl, postings.c.account_ref)
        ).all()
        stored_rows = conn.execute(select(gl_balances)).all()
        entry_rows = conn.execute(
            select(
                journal_entries.c.key,
                journal_entries.c.account_ref,
                func.count(postings.c.line_no).label("n"),
                func.coalesce(func.sum(postings.c.debit), 0).label("d"),
                func.coalesce(func.sum(postings.c.credit), 0).label("c"),
            )
            .select_from(
                journal_entries.outerjoin(
                    postings, postings.c.entry_id == journal_entries.c.entry_id
                )
            )
            .group_by(
                journal_entries.c.entry_id, journal_entries.c.key, journal_entries.c.account_ref
            )
            .having(
                (func.count(postings.c.line_no) < 2)
                | (
                    func.coalesce(func.sum(postings.c.debit), 0)
                    != func.coalesce(func.sum(postings.c.credit), 0)
                )
            )
            .order_by(journal_entries.c.entry_id)
        ).all()
        orphan_rows = conn.execute(
            select(
                postings.c.account_ref,
                postings.c.entry_id,
                func.sum(postings.c.debit).label("d"),
                func.sum(postings.c.credit).label("c"),
            )
            .where(~postings.c.entry_id.in_(select(journal_entries.c.entry_id)))
            .group_by(postings.c.entry_id, postings.c.account_ref)
        ).all()

    derived: dict[tuple[str, str], int] = {}
    for r in derived_rows:
        gl = _gl(r.gl)
        if gl is None:
            found.append(Mismatch("unknown-gl", r.gl, r.account_ref, 0, 0))
            continue
        derived[(r.gl, r.account_ref)] = gl.signed(int(r.d), int(r.c))
    stored: dict[tuple[str, str], int] = {}
    for r in stored_rows:
        if _gl(r.gl) is None:
            found.append(Mismatch("unknown-gl", r.gl, r.account_ref, int(r.balance), 0))
            continue
        stored[(r.gl, r.account_ref)] = int(r.balance)
    # A pair missing on one side counts as 0 there (an all-zero pair need not be stored).
    for k in sorted(derived.keys() | stored.keys()):
        s, d = stored.get(k, 0), derived.get(k, 0)
        if s != d:
            found.append(Mismatch("balance", k[0], k[1], s, d))
    for r in entry_rows:
        found.append(Mismatch("unbalanced-entry", "", r.account_ref, int(r.d), int(r.c), r.key))
    for r in orphan_rows:
        found.append(
            Mismatch(
                "unbalanced-entry",
                "",
                r.account_ref,
                int(r.d),
                int(r.c),
                f"(no header: entry_id {r.entry_id})",
            )
        )
    return found


def trial_balance(engine: Engine, as_of: date) -> TrialBalance:
    """The trial balance of every entry with business date ≤ ``as_of``."""
    with read_only(engine) as conn:
        rows = conn.execute(
            select(
                postings.c.gl,
                func.sum(postings.c.debit).label("d"),
                func.sum(postings.c.credit).label("c"),
            )
            .select_from(
                postings.join(journal_entries, postings.c.entry_id == journal_entries.c.entry_id)
            )
            .where(journal_entries.c.business_date <= as_of)
            .group_by(postings.c.gl)
        ).all()
    totals: dict[GL, tuple[int, int]] = {}
    for r in rows:
        gl = _gl(r.gl)
        if gl is None:
            raise InputError("gl", f"postings use {r.gl!r}, which is not in the chart")
        totals[gl] = (int(r.d), int(r.c))
    return TrialBalance.from_totals(totals)
