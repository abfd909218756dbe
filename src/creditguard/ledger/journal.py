"""Journal entries: small immutable, balanced, keyed records (DESIGN: "the ledger is the truth").

A :class:`JournalEntry` is a set of :class:`Posting` lines whose debits equal its credits. It is
identified by its ``key``, chosen by the caller so that re-running a command (an end-of-day
replay, a retried request) produces the same key and posts nothing new (SPEC §7). Corrections
never change an entry: they add a reversing entry (:func:`reversal_of`) and, if needed, a new
one.

Balance is checked here (:func:`validate`) and again by the database, which refuses to commit an
entry that does not balance (see ``creditguard.store``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from creditguard.ledger.chart import GL, gl_from_code
from creditguard.money import InputError, format_amount

__all__ = [
    "JournalEntry",
    "Posting",
    "UnbalancedEntry",
    "entry_key",
    "mirrors",
    "reversal_of",
    "validate",
]

_KEY_SEP = "|"


class UnbalancedEntry(InputError):
    """An entry whose debits and credits differ (or that has fewer than two postings)."""

    def __init__(self, key: str, debits: int, credits: int, count: int) -> None:
        if count < 2:
            rule = f"entry {key!r} has {count} posting(s); an entry needs at least 2"
        else:
            rule = (
                f"entry {key!r} is unbalanced: debits {format_amount(debits)}"
                f" ≠ credits {format_amount(credits)}"
            )
        super().__init__("postings", rule)
        self.key = key
        self.debits = debits
        self.credits = credits
        self.count = count


def _check_fen(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(name, f"must be int fen, not {type(value).__name__}")
    if value < 0:
        raise InputError(name, f"must not be negative, got {value}")
    return value


def _check_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(name, "must be a non-empty string")
    return value


@dataclass(frozen=True)
class Posting:
    """One line of an entry: ``debit`` or ``credit`` fen (exactly one > 0) on a GL account.

    ``account_ref`` is the customer account (line or loan) the line belongs to, so balances can
    be kept per GL and per account.
    """

    gl: GL
    account_ref: str
    debit: int
    credit: int

    def __post_init__(self) -> None:
        if not isinstance(self.gl, GL):
            object.__setattr__(self, "gl", gl_from_code(str(self.gl)))
        _check_text(self.account_ref, "account_ref")
        _check_fen(self.debit, "debit")
        _check_fen(self.credit, "credit")
        if (self.debit > 0) == (self.credit > 0):
            raise InputError(
                "posting",
                f"exactly one of debit and credit must be > 0 (debit {self.debit},"
                f" credit {self.credit}) on {self.gl.name}",
            )

    @classmethod
    def dr(cls, gl: GL, account_ref: str, amount: int) -> Posting:
        """A debit of ``amount`` fen to ``gl``."""
        return cls(gl, account_ref, amount, 0)

    @classmethod
    def cr(cls, gl: GL, account_ref: str, amount: int) -> Posting:
        """A credit of ``amount`` fen to ``gl``."""
        return cls(gl, account_ref, 0, amount)

    @property
    def amount(self) -> int:
        """The posted amount, whichever side it is on."""
        return self.debit or self.credit

    def swapped(self) -> Posting:
        """The same amount on the other side (used by reversals)."""
        return Posting(self.gl, self.account_ref, self.credit, self.debit)


@dataclass(frozen=True)
class JournalEntry:
    """A keyed, dated, balanced set of postings made by one actor.

    ``kind`` says what the entry is ("disbursement", "repayment", "accrual:interest", …);
    ``account_ref`` is the customer account the entry is about; ``reverses`` is the key of the
    entry this one reverses, if any.
    """

    key: str
    business_date: date
    kind: str
    account_ref: str
    postings: tuple[Posting, ...]
    actor: str
    memo: str = ""
    reverses: str | None = field(default=None)

    def __post_init__(self) -> None:
        _check_text(self.key, "key")
        _check_text(self.kind, "kind")
        _check_text(self.account_ref, "account_ref")
        _check_text(self.actor, "actor")
        if isinstance(self.business_date, datetime) or not isinstance(self.business_date, date):
            raise InputError("business_date", "must be a date (not a datetime)")
        if not isinstance(self.memo, str):
            raise InputError("memo", "must be a string")
        if self.reverses is not None:
            _check_text(self.reverses, "reverses")
        postings = tuple(self.postings)
        for p in postings:
            if not isinstance(p, Posting):
                raise InputError("postings", f"must be Posting values, not {type(p).__name__}")
        object.__setattr__(self, "postings", postings)

    @property
    def debits(self) -> int:
        """Sum of the debit side."""
        return sum(p.debit for p in self.postings)

    @property
    def credits(self) -> int:
        """Sum of the credit side."""
        return sum(p.credit for p in self.postings)


def validate(entry: JournalEntry) -> JournalEntry:
    """Check that ``entry`` has at least two postings and balances; return it unchanged.

    Raises :class:`UnbalancedEntry` (an ``InputError``) naming the key and both totals.
    """
    debits, credits = entry.debits, entry.credits
    if len(entry.postings) < 2 or debits != credits:
        raise UnbalancedEntry(entry.key, debits, credits, len(entry.postings))
    return entry


def _escape(part: object) -> str:
    text = part.isoformat() if isinstance(part, date) else str(part)
    # Escaping the separator keeps keys unambiguous whatever an account reference contains.
    return text.replace("%", "%25").replace(_KEY_SEP, "%7C")


def entry_key(account_ref: str, business_date: date, kind: str, *extra: object) -> str:
    """The canonical key ``account|YYYY-MM-DD|kind[|extra…]`` of an entry (SPEC §7).

    The same (account, business date, kind, extra) always gives the same key, so replaying a
    run posts nothing new. ``extra`` distinguishes several entries of one kind on one day (an
    obligation id, a payment's idempotency key). ``|`` and ``%`` inside parts are escaped.
    """
    _check_text(account_ref, "account_ref")
    _check_text(kind, "kind")
    if isinstance(business_date, datetime) or not isinstance(business_date, date):
        raise InputError("business_date", "must be a date (not a datetime)")
    parts: list[object] = [account_ref, business_date, kind, *extra]
    return _KEY_SEP.join(_escape(p) for p in parts)


def reversal_of(
    entry: JournalEntry,
    key: str,
    business_date: date,
    actor: str,
    memo: str = "",
    *,
    kind: str | None = None,
) -> JournalEntry:
    """The entry that exactly undoes ``entry``: every posting on the other side.

    It is dated ``business_date`` (the day of the correction, never the original date),
    its kind defaults to ``"reversal:" + entry.kind``, and ``reverses`` names the original key.
    """
    if business_date < entry.business_date:
        raise InputError(
            "business_date",
            f"a reversal ({business_date}) cannot be dated before the entry it reverses"
            f" ({entry.business_date})",
        )
    return JournalEntry(
        key=key,
        business_date=business_date,
        kind=kind if kind is not None else f"reversal:{entry.kind}",
        account_ref=entry.account_ref,
        postings=tuple(p.swapped() for p in entry.postings),
        actor=actor,
        memo=memo,
        reverses=entry.key,
    )


def _counts(postings: Iterable[Posting]) -> dict[Posting, int]:
    counts: dict[Posting, int] = {}
    for p in postings:
        counts[p] = counts.get(p, 0) + 1
    return counts


def mirrors(reversal: JournalEntry, original: JournalEntry) -> bool:
    """Whether ``reversal`` undoes ``original`` exactly (same lines, sides swapped, any order)."""
    return reversal.reverses == original.key and _counts(reversal.postings) == _counts(
        p.swapped() for p in original.postings
    )
