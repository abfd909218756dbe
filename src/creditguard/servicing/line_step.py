"""The shape of a command on a credit-pay line: what an internal command returns (a
:class:`Step`), how it becomes an Outcome and enters the command log, and shared input checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from creditguard.frozen import replace
from creditguard.money import InputError
from creditguard.servicing.line_model import Line, LineOp, sync_minimums
from creditguard.servicing.model import DomainEvent
from creditguard.servicing.outcome import Leg, Outcome, postings_from_legs

__all__ = ["Step", "check_date", "check_fen", "commit", "event", "logged"]


@dataclass(frozen=True, slots=True)
class Step:
    """What an internal command produced, before it is logged and turned into an Outcome."""

    line: Line
    legs: tuple[Leg, ...] = ()
    events: tuple[DomainEvent, ...] = ()
    result: dict[str, Any] = field(default_factory=dict)
    log: LineOp | None = None  # what to log instead of the op as given (a computed amount)


def commit(step: Step, op: LineOp | None) -> Outcome[Line]:
    """Log the op (if any), date the line, and package the Outcome (postings balance)."""
    line = sync_minimums(step.line)
    to_log = step.log if step.log is not None else op
    if to_log is not None:
        line = logged(line, to_log)
    return Outcome(
        state=line,
        postings=postings_from_legs(line.account, step.legs) if step.legs else (),
        events=step.events,
        result=step.result,
    )


def logged(line: Line, op: LineOp) -> Line:
    """``line`` with ``op`` appended to its command log and its last command date moved.

    Consecutive interest accruals are kept as one entry (the latest): nothing an accrual changes
    decides what the next day accrues, so one catch-up call over those days replays them
    exactly, and the log grows with commands and statements, not with days.
    """
    history = line.history
    if op.op == "accrue" and history and history[-1].op == "accrue":
        history = history[:-1]
    elif op.op == "penalty":
        # Likewise a penalty joins the same statement's penalty in the trailing run of
        # penalty-only ops (penalties on different statements commute).
        i = len(history)
        while i > 0 and history[i - 1].op == "penalty":
            i -= 1
            if history[i].ref == op.ref:
                op = replace(op, amount=history[i].amount + op.amount)
                history = (*history[:i], *history[i + 1 :])
                break
    return replace(line, history=(*history, op), last_date=max(line.last_date, op.on))


def check_date(line: Line, on: date) -> None:
    """Refuse a command dated before the line's last command (no backdating, SPEC §2)."""
    if on < line.last_date:
        raise InputError(
            "on", f"{on} is before the line's last command ({line.last_date}): no backdating"
        )


def check_fen(value: object, name: str) -> int:
    """A strictly positive amount in integer fen."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(name, f"must be integer fen, not {type(value).__name__}")
    if value <= 0:
        raise InputError(name, f"must be more than 0 fen, got {value}")
    return value


def event(line: Line, on: date, kind: str, **payload: Any) -> DomainEvent:
    """A domain event of this line."""
    return DomainEvent(on, line.account, kind, payload)
