"""Double-entry ledger: chart of accounts, immutable balanced journal entries, derived balances.

Pure domain code: no database, CLI or web imports. The store persists entries and keeps the
stored balances; :mod:`creditguard.ledger.balances` re-derives them.
"""

from __future__ import annotations

from creditguard.ledger.balances import (
    TrialBalance,
    TrialBalanceLine,
    balances,
    postings_of,
    trial_balance,
)
from creditguard.ledger.chart import GL, GLSpec, GLType, Side, gl_from_code
from creditguard.ledger.journal import (
    JournalEntry,
    Posting,
    UnbalancedEntry,
    entry_key,
    mirrors,
    reversal_of,
    validate,
)

__all__ = [
    "GL",
    "GLSpec",
    "GLType",
    "JournalEntry",
    "Posting",
    "Side",
    "TrialBalance",
    "TrialBalanceLine",
    "UnbalancedEntry",
    "balances",
    "entry_key",
    "gl_from_code",
    "mirrors",
    "postings_of",
    "reversal_of",
    "trial_balance",
    "validate",
]
