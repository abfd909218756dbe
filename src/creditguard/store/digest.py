"""A fingerprint of the whole journal, for "same inputs → byte-identical ledger" checks.

The digest covers every entry's key, business date, kind, account, actor, memo and reversal
link, and every posting (line, GL, account, debit, credit), in posting order. It leaves out
``entry_id``: numbering may have gaps on PostgreSQL (sequences are not transactional), which
says nothing about the ledger's content.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from sqlalchemy import Engine, select

from creditguard.store.db import read_only
from creditguard.store.jsonutil import canonical_json
from creditguard.store.tables import journal_entries, postings

__all__ = ["ledger_digest"]


def ledger_digest(engine: Engine, *, order: Literal["posting", "key"] = "posting") -> str:
    """SHA-256 (hex) of the journal in posting order (or ordered by business date and key).

    ``order="key"`` ignores the order entries were posted in, for comparing runs whose
    independent commands may legitimately interleave differently.
    """
    h = hashlib.sha256()
    je, p = journal_entries.c, postings.c
    ordering = (je.entry_id,) if order == "posting" else (je.business_date, je.key)
    query = (
        select(
            je.entry_id,
            je.key,
            je.business_date,
            je.kind,
            je.account_ref,
            je.actor,
            je.memo,
            je.reverses,
            p.line_no,
            p.gl,
            p.account_ref.label("posting_account"),
            p.debit,
            p.credit,
        )
        .select_from(journal_entries.join(postings, p.entry_id == je.entry_id))
        .order_by(*ordering, p.line_no)
    )
    with read_only(engine) as conn:
        current: int | None = None
        for r in conn.execution_options(yield_per=2000).execute(query):
            if r.entry_id != current:
                current = r.entry_id
                header = [
                    "E",
                    r.key,
                    r.business_date.isoformat(),
                    r.kind,
                    r.account_ref,
                    r.actor,
                    r.memo,
                    r.reverses,
                ]
                h.update(canonical_json(header).encode("utf-8") + b"\n")
            line = ["P", r.line_no, r.gl, r.posting_account, int(r.debit), int(r.credit)]
            h.update(canonical_json(line).encode("utf-8") + b"\n")
    return h.hexdigest()
