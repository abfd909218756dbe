"""Commands on a revolving credit-pay line (花呗-style, SPEC §5–6): pure functions.

Every command takes a :class:`Line`, plain values and the business date it acts on, and returns
an :class:`~creditguard.servicing.outcome.Outcome` (new line, balanced postings, events,
result). No clock, no database. Bad input raises ``InputError`` naming the field; a refused
authorisation raises :class:`LineRefused` with the reason.

Every command is logged in ``line.history``. A payment reversal (chargeback) or an outage
declaration re-derives the line by replaying that log from the opening — without the reversed
payment, or with the new due dates from the start — and books the difference between the two
ledgers as one correcting entry: later payments are re-allocated, interest and minimums
re-derived (SPEC §6: "A declaration that covers past dates reverses, with new postings, …").

This module is the public face; the code lives in ``line_model`` (state and questions),
``line_step`` (command plumbing), ``line_money`` (the waterfall), ``line_commands``,
``line_statement`` (statements, revolving interest), ``line_plans`` (fee installments) and
``line_corrections`` (replay, reversal, outage relief).

Posting rules (Dr / Cr, fen):
- purchase: PRINCIPAL_CURRENT / CASH (the merchant is paid);
- refund: CASH / PRINCIPAL_CURRENT for the purchase (or its unbilled installments) shrinking;
  any rest is applied like a repayment;
- repayment: CASH / each receivable by allocated component, PRINCIPAL_CURRENT for unbilled
  purchases, CUSTOMER_CREDIT for the rest;
- statement: FEE_RECEIVABLE / FEE_INCOME for installment fees billed; a credit balance applied:
  CUSTOMER_CREDIT / receivables;
- revolving interest accrual: INTEREST_RECEIVABLE / INTEREST_INCOME, booked at boundaries
  (SPEC §1): every command but a penalty first accrues through the day before it (in the same
  entry, logged as its own ``accrue`` op), and the end of day accrues on statement days and at
  month end. The balance an accrual runs on only changes through a command, so one catch-up
  over the quiet days books exactly what daily accruals would (cumulative rounding).
- conversion of a statement: FEE_RECEIVABLE / FEE_INCOME for the first installment's fee;
- waiver: WAIVER_EXPENSE / the receivable; penalty: PENALTY_RECEIVABLE / PENALTY_INCOME.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any, TypeVar

from creditguard.servicing import line_commands, line_corrections, line_plans, line_statement
from creditguard.servicing.line_commands import LineRefused, charge_penalty, open_line
from creditguard.servicing.line_corrections import replay
from creditguard.servicing.line_model import (
    InstallmentPlan,
    Line,
    LineTerms,
    MinimumStep,
    PastDueStatement,
    Payment,
    Purchase,
    StatementInfo,
    accrued_interest,
    available,
    minimum_due,
    minimum_unpaid,
    outstanding,
    past_due_statements,
    receivables,
    statement_view,
    unpaid_principal,
)
from creditguard.servicing.line_statement import accrue_revolving_interest
from creditguard.servicing.outcome import Outcome

F = TypeVar("F", bound=Callable[..., Outcome[Line]])


def accrued_first(command: F) -> F:
    """``command`` preceded by the revolving interest accrued through the day before it.

    The accrual is logged as its own op and its postings open the command's entry; nothing is
    added when the line is already accrued that far (or the command is dated before it).
    """
    # Where ``on`` sits among the arguments after ``line``, found once: binding the signature
    # on every call cost as much as a small command's domain work.
    params = inspect.signature(command).parameters
    positional = params["on"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    at = list(params).index("on") - 1

    @wraps(command)
    def run(line: Line, *args: Any, **kwargs: Any) -> Outcome[Line]:
        given = kwargs.get("on", args[at] if positional and len(args) > at else None)
        on = given or line.last_date
        through: date = on - timedelta(days=1)
        if through <= line.accrued_through or through < line.last_date:
            return command(line, *args, **kwargs)
        accrued = accrue_revolving_interest(line, through)
        out = command(accrued.state, *args, **kwargs)
        return Outcome(
            out.state,
            accrued.postings + out.postings,
            accrued.events + out.events,
            out.result,
        )

    return run  # type: ignore[return-value]


change_limit = accrued_first(line_commands.change_limit)
purchase = accrued_first(line_commands.purchase)
refund = accrued_first(line_commands.refund)
repay = accrued_first(line_commands.repay)
set_status = accrued_first(line_commands.set_status)
waive = accrued_first(line_commands.waive)
drop_penalties = accrued_first(line_corrections.drop_penalties)
move_due_dates = accrued_first(line_corrections.move_due_dates)
reverse_payment = accrued_first(line_corrections.reverse_payment)
convert_to_installments = accrued_first(line_plans.convert_to_installments)
issue_statement = accrued_first(line_statement.issue_statement)

__all__ = [
    "InstallmentPlan",
    "Line",
    "LineRefused",
    "LineTerms",
    "MinimumStep",
    "PastDueStatement",
    "Payment",
    "Purchase",
    "StatementInfo",
    "accrue_revolving_interest",
    "accrued_first",
    "accrued_interest",
    "available",
    "change_limit",
    "charge_penalty",
    "convert_to_installments",
    "drop_penalties",
    "issue_statement",
    "minimum_due",
    "minimum_unpaid",
    "move_due_dates",
    "open_line",
    "outstanding",
    "past_due_statements",
    "purchase",
    "receivables",
    "refund",
    "repay",
    "replay",
    "reverse_payment",
    "set_status",
    "statement_view",
    "unpaid_principal",
    "waive",
]
