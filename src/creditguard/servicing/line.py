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
- revolving interest accrual: INTEREST_RECEIVABLE / INTEREST_INCOME (booked daily);
- conversion of a statement: FEE_RECEIVABLE / FEE_INCOME for the first installment's fee;
- waiver: WAIVER_EXPENSE / the receivable; penalty: PENALTY_RECEIVABLE / PENALTY_INCOME.
"""

from __future__ import annotations

from creditguard.servicing.line_commands import (
    LineRefused,
    change_limit,
    charge_penalty,
    open_line,
    purchase,
    refund,
    repay,
    set_status,
    waive,
)
from creditguard.servicing.line_corrections import (
    drop_penalties,
    move_due_dates,
    replay,
    reverse_payment,
)
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
from creditguard.servicing.line_plans import convert_to_installments
from creditguard.servicing.line_statement import accrue_revolving_interest, issue_statement

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
