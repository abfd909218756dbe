"""Metro 2 (US furnishing) from the same DPD (SPEC §9): payment history, account status, and
a writer for the subset of the 426-byte character Base Segment that creditguard fills.

**Payment History Profile** (24 characters, newest first). Following the CDIA Credit Reporting
Resource Guide, position 1 is the month *before* the Date of Account Information (the current
month is told by the Account Status), so the profile reported for month m is the codes of the
24 months before m. Each month's code from its month-end DPD: ``0`` 0–29, ``1`` 30–59, ``2``
60–89, ``3`` 90–119, ``4`` 120–149, ``5`` 150–179, ``6`` 180+, ``L`` charged off; ``B`` no
history before this time (the account is newer), ``D`` no history for that month (kept from the
input, e.g. a month not reported). :func:`metro2_month` returns the new rolling ``codes`` string
(current month first) to keep for next month.

**Account Status**: ``11`` current (0–29), ``71`` 30–59, ``78`` 60–89, ``80`` 90–119, ``82``
120–149, ``83`` 150–179, ``84`` 180+, ``97`` charged off (unpaid balance reported as a loss),
``13`` paid or closed (zero balance), ``64`` paid in full, was a charge-off. Payment Rating is
filled for ``13`` and ``64`` (the status at closure: the DPD code, or ``L``).

**Base Segment** fields written by :func:`base_segment` (1-based positions, from the public
Metro 2 layout — CDIA CRRG as mirrored by open-source Metro 2 libraries; the test checks them
against moov-io/metro2 ``pkg/lib/specifications.go`` and cfpb/Metro2
``django/parse_m2/fields.py``, cited there):

====  =======  ===========================================  ===================================
pos   length   field                                        filled with
====  =======  ===========================================  ===================================
1     4        Record Descriptor Word                       ``0426``
5     1        Processing Indicator                         ``1``
6     14       Time Stamp (MMDDYYYYHHMMSS)                  as-of date, time 000000 (determinism)
20    1        Correction Indicator (reserved)              ``0`` (zero-filled)
21    20       Identification Number                        furnisher id
41    2        Cycle Identifier                             blank (monthly file)
43    30       Consumer Account Number                      account
73    1        Portfolio Type                               ``I`` loan, ``R`` line
74    2        Account Type                                 ``01`` unsecured loan, ``18`` line
76    8        Date Opened (MMDDYYYY)                       opened_on
84    9        Credit Limit                                 line's assigned limit (0 for loans)
93    9        Highest Credit / Original Loan Amount        amount lent; line: most principal
102   3        Terms Duration                               months (``012``), ``REV`` for a line
105   1        Terms Frequency                              ``M``
106   9        Scheduled Monthly Payment Amount             due in the month (installment/min.)
115   9        Actual Payment Amount                        paid in the month
124   2        Account Status                               see above
126   1        Payment Rating                               for 13
127   24       Payment History Profile                      see above
151   2        Special Comment                              blank
153   2        Compliance Condition Code                    blank
155   9        Current Balance                              balance
164   9        Amount Past Due                              overdue amount
173   9        Original Charge-off Amount                   at write-off (0 otherwise)
182   8        Date of Account Information                  month end
190   8        FCRA Compliance / Date of First Delinquency  first_delinquent_on (zeros if none)
198   8        Date Closed                                  closed_on (zeros if open)
206   8        Date of Last Payment                         last_paid_on (zeros if none)
214   1        Interest Type Indicator                      ``F`` (fixed)
215   17       Reserved (215–231)                           blank
232   96       Surname … Consumer Information Indicator     blank / zeros: personal data is
               (232–327: names, generation, SSN, DOB,       not held here; the export step
               telephone, ECOA, CII)                        overlays it (ECOA ``1`` filled)
328   99       Country Code … Residence Code (328–426)      blank (address: overlaid likewise)
====  =======  ===========================================  ===================================

Where :func:`creditguard.servicing.bureau.export_month` takes each value from is in
docs/semantics.md (Metro 2). Monetary fields are whole currency units, cents truncated (Metro 2
rule), right-justified and zero-filled; alphanumeric fields left-justified, blank-filled, upper
case. creditguard's money is CNY fen: the unit is the yuan — a furnisher in USD converts before
calling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from creditguard.money import InputError

__all__ = [
    "BASE_LENGTH",
    "DELINQUENT_STATUSES",
    "Metro2Account",
    "account_status",
    "base_segment",
    "first_delinquent_on",
    "metro2_month",
    "month_code",
]

BASE_LENGTH = 426
PROFILE_MONTHS = 24
_STATUS_BY_DPD = ("11", "71", "78", "80", "82", "83", "84")
# Account statuses that report a Date of First Delinquency: 30+ days past due, charged off, and
# paid after charge-off. 11 (0-29 DPD is current in Metro 2) and 13 zero-fill it.
DELINQUENT_STATUSES = frozenset({*_STATUS_BY_DPD[1:], "97", "64"})


def month_code(dpd: pl.Expr, charged_off: pl.Expr) -> pl.Expr:
    """The profile character of a month from its month-end DPD (``L`` when charged off)."""
    digit = pl.min_horizontal(dpd.clip(lower_bound=0) // 30, pl.lit(6))
    return pl.when(charged_off).then(pl.lit("L")).otherwise(digit.cast(pl.String))


def account_status(dpd: pl.Expr, charged_off: pl.Expr, closed: pl.Expr) -> pl.Expr:
    """Metro 2 Account Status (two characters) from DPD, charge-off and closure."""
    expr = pl.when(closed & charged_off).then(pl.lit("64")).when(closed).then(pl.lit("13"))
    expr = expr.when(charged_off).then(pl.lit("97"))
    for edge, code in zip((29, 59, 89, 119, 149, 179), _STATUS_BY_DPD[:-1], strict=True):
        expr = expr.when(dpd <= edge).then(pl.lit(code))
    return expr.otherwise(pl.lit(_STATUS_BY_DPD[-1]))


def metro2_month(months: pl.DataFrame) -> pl.DataFrame:
    """Account status, profile and the rolled code string for each account-month.

    Input columns: ``account``, ``dpd`` (month end), ``charged_off`` (bool), ``closed`` (bool),
    ``prev_codes`` (nullable: last month's rolled codes, newest first). Output adds
    ``account_status``, ``payment_rating`` (null unless 13), ``profile`` and ``codes``.
    """
    for column in ("account", "dpd", "charged_off", "closed", "prev_codes"):
        if column not in months.columns:
            raise InputError(f"months.{column}", "missing column")
    prev = pl.col("prev_codes").fill_null("")
    code = month_code(pl.col("dpd"), pl.col("charged_off"))
    status = account_status(pl.col("dpd"), pl.col("charged_off"), pl.col("closed"))
    return months.with_columns(
        status.alias("account_status"),
        # CRRG: a rating only with status 05, 13, 65, 88, 89, 94 or 95 (of ours: 13);
        # blank for every other status, 64 (paid after charge-off) included.
        pl.when(pl.col("closed") & ~pl.col("charged_off"))
        .then(code)
        .otherwise(None)
        .alias("payment_rating"),
        prev.str.slice(0, PROFILE_MONTHS).str.pad_end(PROFILE_MONTHS, "B").alias("profile"),
        (code + prev).str.slice(0, PROFILE_MONTHS).alias("codes"),
    )


def first_delinquent_on(status: str, dpd: int, as_of: date, previous: date | None) -> date | None:
    """The Date of First Delinquency reported with ``status`` at month end ``as_of``.

    A status in :data:`DELINQUENT_STATUSES` reports the due date of the oldest past-due
    obligation (SPEC §6: ``as_of − dpd``) of the first month of the current run of such
    statuses; ``previous`` (last month's value) is kept through the run, so a partial payment
    or a charge-off never re-ages it. Any other status reports none (and ends the run).
    """
    if status not in DELINQUENT_STATUSES:
        return None
    if previous is not None:
        return previous
    return as_of - timedelta(days=dpd) if dpd > 0 else None


@dataclass(frozen=True)
class Metro2Account:
    """The values :func:`base_segment` writes (money in fen)."""

    account: str
    portfolio: str  # "loan" | "line"
    opened_on: date
    as_of: date
    account_status: str
    profile: str
    payment_rating: str | None = None
    credit_limit: int = 0
    original_amount: int = 0
    terms_months: int | None = None
    scheduled_payment: int = 0
    actual_payment: int = 0
    balance: int = 0
    past_due: int = 0
    charge_off_amount: int = 0
    first_delinquent_on: date | None = None
    closed_on: date | None = None
    last_paid_on: date | None = None


def _alpha(value: str, length: int, field: str) -> str:
    text = value.upper()
    if len(text) > length or not text.isascii():
        raise InputError(field, f"{value!r} does not fit {length} ASCII characters")
    return text.ljust(length)


def _money(fen: int, field: str) -> str:
    if fen < 0:
        raise InputError(field, "a Metro 2 amount is not negative")
    units = str(fen // 100)  # whole units, cents truncated (Metro 2 rule)
    if len(units) > 9:
        raise InputError(field, f"{units} does not fit 9 digits")
    return units.rjust(9, "0")


def _date(value: date | None) -> str:
    return "00000000" if value is None else value.strftime("%m%d%Y")


def base_segment(a: Metro2Account, furnisher_id: str) -> str:
    """The 426-character Base Segment of one account (the fields in the module table)."""
    if len(a.profile) != PROFILE_MONTHS:
        raise InputError("profile", f"must be {PROFILE_MONTHS} characters")
    is_line = a.portfolio == "line"
    # Terms Duration: installment = months, 3 digits; revolving = the constant REV (CRRG: LOC is
    # for the Line of Credit portfolio type C, not for R).
    terms = "REV" if is_line else str(a.terms_months or 0).rjust(3, "0")
    parts = [
        "0426",
        "1",
        _date(a.as_of) + "000000",
        "0",
        _alpha(furnisher_id, 20, "furnisher_id"),
        " " * 2,
        _alpha(a.account, 30, "account"),
        "R" if is_line else "I",
        "18" if is_line else "01",
        _date(a.opened_on),
        _money(a.credit_limit, "credit_limit"),
        _money(a.original_amount, "original_amount"),
        terms,
        "M",
        _money(a.scheduled_payment, "scheduled_payment"),
        _money(a.actual_payment, "actual_payment"),
        _alpha(a.account_status, 2, "account_status"),
        _alpha(a.payment_rating or "", 1, "payment_rating"),
        _alpha(a.profile, 24, "profile"),
        " " * 2,
        " " * 2,
        _money(a.balance, "balance"),
        _money(a.past_due, "past_due"),
        _money(a.charge_off_amount, "charge_off_amount"),
        _date(a.as_of),
        _date(a.first_delinquent_on),
        _date(a.closed_on),
        _date(a.last_paid_on),
        "F",
        " " * 17,  # reserved 215-231
        " " * 25 + " " * 20 + " " * 20 + " ",  # names, generation code
        "0" * 9 + "0" * 8 + "0" * 10,  # SSN, date of birth, telephone
        "1",  # ECOA: individual
        " " * 2,  # consumer information indicator
        " " * 99,  # country code … residence code
    ]
    record = "".join(parts)
    assert len(record) == BASE_LENGTH, len(record)
    return record
