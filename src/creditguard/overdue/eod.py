"""One business day of the overdue kernels over a whole portfolio: :func:`run_day`.

Order (SPEC §7, the compute part): penalties → DPD and buckets → NegativeReportNotice →
classification, stage, non-accrual → restrictions → write-off → reminders. Write-off is decided
on the day's DPD and its consequences (class ``loss``, stage 3, line closed) show in the same
day's output, so a write-off day never reports a class or a line status that the write-off
step at once replaces.

The penalty of day t uses the obligation's own past-due state at t (SPEC §6: "the EOD of t
decides with t's own DPD"); income vs suspense uses the account's DPD at t.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from creditguard.calendar import from_epoch, to_epoch
from creditguard.money import InputError
from creditguard.overdue import dpd as dpd_kernel
from creditguard.overdue import grading, penalty, restrictions
from creditguard.overdue.events import amount_text, event_frame, events_of, rows_of
from creditguard.overdue.frames import (
    ACCOUNTS_SCHEMA,
    CLASSES,
    COMPONENTS,
    OBLIGATIONS_SCHEMA,
    PARAMS_SCHEMA,
    check_frame,
)

__all__ = ["DayResult", "day_number", "run_day"]

Array = NDArray[Any]
_NEVER = np.iinfo(np.int64).min // 4
_VERIFY_CHUNK = 1 << 20
_OBLIGATION_KINDS = ("installment", "statement")
# Up to this many rows a lookup in Python beats a Polars expression (fixed cost per call).
_SMALL = 256
_SMALL_CODES = 2048  # the dict lookup stays ahead of the when/then chain up to ~2-3k rows


@dataclass(frozen=True)
class DayResult:
    """What one business day produced.

    - ``obligations``: the input columns with the penalty state advanced, ``due_penalty``
      increased by the penalty charged today, plus ``past_due`` (bool), ``days_past_due``,
      ``penalty_booked``, ``penalty_income``, ``penalty_suspense`` (fen).
    - ``accounts``: the input columns updated (``dpd``, ``bucket``, ``classification``,
      ``stage``, ``line_status``, ``status``, ``written_off_on``, ``notice_sent_on``) plus
      ``in_grace``, ``delinquent``, ``non_accrual`` (bool) and ``line_reason`` (why a line's
      status changed today, null otherwise).
    - ``events``: :data:`~creditguard.overdue.frames.EVENTS_SCHEMA` rows.
    """

    obligations: pl.DataFrame
    accounts: pl.DataFrame
    events: pl.DataFrame


def day_number(d: date) -> int:
    """Days since 1970-01-01 (Polars' physical Date); :func:`creditguard.calendar.to_epoch`."""
    return to_epoch(d)


def _ints(frame: pl.DataFrame, column: str, fill: int = 0) -> Array:
    series = frame.get_column(column)
    if series.dtype == pl.Date:
        series = series.cast(pl.Int64)
    if series.null_count():
        series = series.fill_null(fill)
    return series.to_numpy().astype(np.int64, copy=False)


def _bools(frame: pl.DataFrame, column: str) -> Array:
    return _filled(frame.get_column(column), False).to_numpy().astype(bool, copy=False)


def _filled(series: pl.Series, value: Any) -> pl.Series:
    """``series.fill_null(value)``, skipped when nothing is null (the call costs ~0.1 ms)."""
    return series.fill_null(value) if series.null_count() else series


def _present(series: pl.Series) -> Array:
    """``series.is_not_null()`` as a bool array, without an expression when nothing is null."""
    if not series.null_count():
        return np.ones(series.len(), dtype=bool)
    if series.null_count() == series.len():
        return np.zeros(series.len(), dtype=bool)
    return series.is_not_null().to_numpy()


def _labels(name: str, table: Sequence[str | None], codes: Array) -> pl.Series:
    """``table[code]`` per code as a String series (a Python lookup for short arrays)."""
    if codes.shape[0] <= _SMALL:
        return pl.Series(name, [table[c] for c in codes.tolist()], dtype=pl.String)
    return pl.Series(name, table, dtype=pl.String).gather(codes)


def _codes(
    series: pl.Series, labels: tuple[str, ...], field: str, *, default: int | None = None
) -> Array:
    """Index of each value in ``labels`` as int8; unknown values are refused, and nulls too
    unless a ``default`` code is given for them.

    A when/then chain of string comparisons: with a handful of labels it beats a hash lookup.
    A short series (a simulator's chunk) goes through a dict instead: Polars' fixed cost per
    expression is more than the whole lookup there.
    """
    if series.len() <= _SMALL_CODES:
        return _codes_small(series, labels, field, default)
    value = pl.col("v")
    chain: Any = pl.when(value == labels[0]).then(pl.lit(0, dtype=pl.Int8))
    for i, label in enumerate(labels[1:], start=1):
        chain = chain.when(value == label).then(pl.lit(i, dtype=pl.Int8))
    frame = pl.DataFrame({"v": series}).select(
        chain.otherwise(None).alias("code"), (value.is_not_null()).alias("given")
    )
    if default is None and series.null_count():
        raise InputError(field, "must not be null")
    unknown = frame.get_column("code").is_null() & frame.get_column("given")
    if unknown.any():
        bad = series.filter(unknown)[0]
        raise InputError(field, f"unknown value {bad!r}; expected one of {', '.join(labels)}")
    codes: Array = frame.get_column("code").fill_null(default or 0).to_numpy()
    return codes


def _codes_small(
    series: pl.Series, labels: tuple[str, ...], field: str, default: int | None
) -> Array:
    """:func:`_codes` for a short series, same results and the same errors in the same order."""
    values = series.to_list()
    if default is None and None in values:
        raise InputError(field, "must not be null")
    index = {label: i for i, label in enumerate(labels)}
    fill = default or 0
    codes = []
    for v in values:
        if v is None:
            codes.append(fill)
            continue
        code = index.get(v)
        if code is None:
            raise InputError(field, f"unknown value {v!r}; expected one of {', '.join(labels)}")
        codes.append(code)
    return np.array(codes, dtype=np.int8)


def _product_params(
    accounts: pl.DataFrame, params: pl.DataFrame
) -> tuple[Array, dict[str, Array], list[list[int]]]:
    """(product index per account, per-product parameter arrays, bucket edges per product).

    Parameters stay per product and are gathered per account or obligation only where used,
    so ten million accounts do not carry a dozen parameter columns each.
    """
    names = params.get_column("product").to_list()
    if len(set(names)) != len(names):
        raise InputError("params.product", "each product once")
    if len(names) <= 32:
        index = _codes(accounts.get_column("product"), tuple(names), "accounts.product")
    else:
        product = accounts.get_column("product")
        known = product.is_in(names)
        if not known.all():
            bad = product.filter(~known)[0]
            raise InputError("accounts.product", f"unknown value {bad!r} (no params row)")
        index = product.replace_strict(
            {n: i for i, n in enumerate(names)}, return_dtype=pl.Int64
        ).to_numpy()
    tables: dict[str, Array] = {}
    for column in PARAMS_SCHEMA:
        if column in ("product", "bucket_edges"):
            continue
        if column == "penalty_kind":
            tables[column] = (params.get_column(column) == "multiplier").to_numpy()
        elif column in ("freeze_dpd", "close_dpd"):
            tables[column] = _ints(params, column, fill=restrictions.NONE_DPD)
        elif PARAMS_SCHEMA[column] == pl.Boolean():
            tables[column] = _bools(params, column)
        else:
            tables[column] = _ints(params, column)
    edges = [list(e) for e in params.get_column("bucket_edges").to_list()]
    tables["n_edges"] = np.array([len(e) for e in edges], dtype=np.int64)
    return index, tables, edges


def _bucket_labels(index: Array, product: Array, n_edges: Array) -> pl.Series:
    """``M<i>``, or ``M<i>+`` for the open last bucket of the account's product."""
    top = int(n_edges.max(initial=6)) + 1
    table = [grading.bucket_label(i, top + 5) for i in range(top + 1)] + [
        grading.bucket_label(i, i - 1) for i in range(top + 1)
    ]
    codes = index.astype(np.int16)
    rows = rows_of(index > 0)
    last = index[rows] == n_edges[product[rows]] + 1
    codes[rows[last]] += top + 1
    return _labels("bucket", table, codes)


def _targets(
    accounts: pl.DataFrame, level: Array, is_line: Array, product: Array, cross: Array
) -> tuple[Array, Array]:
    """(source, target line) row pairs with a level above 0: self, line_ref, cross-default.

    ``cross`` is the per-product cross_default flag, ``product`` the account's product index.
    """
    acting = rows_of(level > 0)
    mine = acting[is_line[acting]]
    src, dst = [mine], [mine]
    refs = accounts.get_column("line_ref").gather(acting)
    has_ref = _present(refs)
    if has_ref.any():
        rows = acting[has_ref]
        wanted = refs.filter(pl.Series(has_ref))
        index = (
            accounts.select("account", "kind")
            .with_row_index("_row")
            .filter(pl.col("account").is_in(wanted.unique().implode()))
        )
        lookup = dict(zip(index["account"].to_list(), index["_row"].to_list(), strict=True))
        kinds = dict(zip(index["account"].to_list(), index["kind"].to_list(), strict=True))
        for name in wanted.unique().to_list():
            if name not in kinds:
                raise InputError("accounts.line_ref", f"{name!r} is not in the accounts frame")
            if kinds[name] != "line":
                raise InputError("accounts.line_ref", f"{name!r} is not a line account")
        src.append(rows)
        dst.append(np.array([lookup[name] for name in wanted.to_list()], dtype=np.int64))
    crossing = acting[cross[product[acting]]]
    if crossing.size:
        borrowers = accounts.get_column("borrower").gather(crossing)
        lines = (
            accounts.select("borrower")
            .with_row_index("_line")
            .filter(pl.Series(is_line) & pl.col("borrower").is_in(borrowers.implode()))
        )
        pairs = pl.DataFrame({"_src": crossing, "borrower": borrowers}).join(
            lines, on="borrower", how="inner", maintain_order="left"
        )
        src.append(pairs["_src"].to_numpy().astype(np.int64))
        dst.append(pairs["_line"].cast(pl.Int64).to_numpy())
    return np.concatenate(src), np.concatenate(dst)


def _line_reasons(
    accounts: pl.DataFrame,
    changed: Array,
    new_status: Array,
    targets: Array,
    sources: Array,
    dpd: Array,
    written_off: Array,
    rule_of: dict[str, Array],
) -> pl.Series:
    """An explanation per changed line (null elsewhere): the rule and the account behind it.

    ``targets``/``sources``: sorted lines something acts on and the source that decided;
    ``rule_of``: ``freeze_dpd``/``close_dpd`` per account row (only read at source rows).
    """
    reasons: dict[int, str] = {}
    names = accounts.get_column("account")
    products = accounts.get_column("product")
    for row in rows_of(changed).tolist():
        status = restrictions.STATUSES[int(new_status[row])]
        if status == "active":
            reasons[row] = "no delinquent account acts on the line any more (restored)"
            continue
        src = int(sources[np.searchsorted(targets, row)])
        who = "" if src == row else f", account {names[src]}"
        if status == "closed" and written_off[src]:
            reasons[row] = f"written off at dpd {dpd[src]} (line closed{who})"
        elif status == "closed":
            rule = rule_of["close_dpd"][src]
            reasons[row] = f"dpd {dpd[src]} ≥ {rule} (close rule of {products[src]}{who})"
        else:
            rule = rule_of["freeze_dpd"][src]
            reasons[row] = f"dpd {dpd[src]} ≥ {rule} (freeze rule of {products[src]}{who})"
    out = pl.Series("line_reason", [], dtype=pl.String).extend_constant(None, accounts.height)
    if reasons:
        out = out.scatter(list(reasons), pl.Series(list(reasons.values()), dtype=pl.String))
    return out


def run_day(
    obligations: pl.DataFrame,
    accounts: pl.DataFrame,
    params: pl.DataFrame,
    business_date: date,
    *,
    verify_rows: bool = True,
) -> DayResult:
    """Run the overdue kernels for ``business_date`` over every account at once.

    Pure: frames in, frames out, no clock, no store. ``verify_rows`` checks that every
    ``account_row`` points at its ``account`` (one gather and compare; the loader may skip it
    when it built the rows itself).
    """
    check_frame(obligations, OBLIGATIONS_SCHEMA, "obligations")
    check_frame(accounts, ACCOUNTS_SCHEMA, "accounts")
    check_frame(params, PARAMS_SCHEMA, "params")
    t = day_number(business_date)
    n = accounts.height
    account_row = _ints(obligations, "account_row")
    if account_row.size and (account_row.min() < 0 or account_row.max() >= n):
        raise InputError("obligations.account_row", f"must lie in 0 … {n - 1}")
    if verify_rows and obligations.height:
        names = accounts.get_column("account")
        given = obligations.get_column("account")
        for start in range(0, obligations.height, _VERIFY_CHUNK):
            rows = account_row[start : start + _VERIFY_CHUNK]
            if not (names.gather(rows) == given.slice(start, rows.shape[0])).all():
                raise InputError("obligations.account_row", "does not match obligations.account")

    is_line = _codes(accounts.get_column("kind"), ("loan", "line"), "accounts.kind") == 1
    is_statement = (
        _codes(obligations.get_column("kind"), _OBLIGATION_KINDS, "obligations.kind") == 1
    )
    product, tables, edges = _product_params(accounts, params)

    ob_product = product[account_row]

    # --- obligation amounts, past due, DPD -------------------------------------------------
    unpaid = dpd_kernel.unpaid_amounts(
        {c: _ints(obligations, f"due_{c}") for c in COMPONENTS},
        {c: _ints(obligations, f"paid_{c}") for c in COMPONENTS},
        {c: _ints(obligations, f"waived_{c}") for c in COMPONENTS},
        _ints(obligations, "minimum"),
    )
    due_date = _ints(obligations, "due_date")
    is_past_due = dpd_kernel.past_due(
        t,
        due_date,
        is_statement,
        unpaid["nonpenalty"],
        unpaid["minimum"],
        tables["tolerance"][ob_product],
    )
    del is_statement
    dpd = dpd_kernel.account_dpd(t, account_row, due_date, is_past_due, n)
    # Accounts with DPD 0 are never in grace, delinquent or written off today: the
    # per-product rules are gathered for the past-due rows only.
    late = rows_of(dpd > 0)
    late_product = product[late]
    in_grace = np.zeros(n, dtype=bool)
    delinquent = np.zeros(n, dtype=bool)
    in_grace[late], delinquent[late] = dpd_kernel.grace_state(
        dpd[late], tables["grace_days"][late_product]
    )

    # --- write-off decided on today's DPD (its effects show the same day) -------------------
    written_before = _present(accounts.get_column("written_off_on"))
    settled = _filled(accounts.get_column("status") == "settled", False).to_numpy()
    written_today = np.zeros(n, dtype=bool)
    written_today[late] = grading.write_off(
        dpd[late], tables["write_off_dpd"][late_product], (written_before | settled)[late]
    )
    written_off = written_before | written_today
    suspense = grading.non_accrual(dpd, written_off)

    # --- penalties ----------------------------------------------------------------------------
    new_state, booked = penalty.accrue_penalties(
        t,
        due_date,
        is_past_due,
        unpaid["principal"],
        unpaid["interest"],
        unpaid["nonpenalty"],
        {c: _ints(obligations, c) for c in penalty.STATE_COLUMNS},
        _ints(obligations, "other_overdue_charged"),
        ob_product,
        tables,
        suspense[account_row],
    )
    del ob_product

    # --- buckets, notice, class, stage ------------------------------------------------------
    graded = np.where(delinquent, dpd, 0)
    bucket_idx = grading.bucket_index(graded, product, edges)
    bucket = _bucket_labels(bucket_idx, product, tables["n_edges"])
    del bucket_idx
    notice_before = _present(accounts.get_column("notice_sent_on"))
    notice_today = delinquent & ~notice_before
    observation_end = _ints(accounts, "observation_end", fill=_NEVER)
    restructured = _codes(
        accounts.get_column("restructured_class"),
        CLASSES,
        "accounts.restructured_class",
        default=-1,
    )
    cls = grading.classify(t, graded, written_off, observation_end, restructured)
    classification = _labels("classification", CLASSES, cls)
    stage = grading.stage(
        t, graded, written_off, observation_end, _bools(accounts, "early_warning")
    )

    # --- restrictions -----------------------------------------------------------------------
    # Only delinquent or written-off accounts act on lines; their rules are gathered alone.
    acting = rows_of(delinquent | written_off)
    level = np.zeros(n, dtype=np.int8)
    rule_of = {
        "freeze_dpd": np.zeros(n, dtype=np.int64),
        "close_dpd": np.zeros(n, dtype=np.int64),
    }
    for rule in rule_of:
        rule_of[rule][acting] = tables[rule][product[acting]]
    level[acting] = restrictions.source_level(
        dpd[acting],
        delinquent[acting],
        written_off[acting],
        rule_of["freeze_dpd"][acting],
        rule_of["close_dpd"][acting],
    )
    del acting
    src, dst = _targets(accounts, level, is_line, product, tables["cross_default"])
    strongest, targets, sources = restrictions.line_levels(n, level, dpd, src, dst)
    prev_line = _codes(
        accounts.get_column("line_status"), restrictions.STATUSES, "accounts.line_status", default=0
    )
    new_line = np.where(is_line, restrictions.next_line_status(prev_line, strongest), np.int8(0))
    line_changed = is_line & (new_line != prev_line)
    # Loans get code 3 → null: one gather builds the nullable column.
    line_status = _labels(
        "line_status", [*restrictions.STATUSES, None], np.where(is_line, new_line, np.int8(3))
    )
    reasons = _line_reasons(
        accounts, line_changed, new_line, targets, sources, dpd, written_off, rule_of
    )
    del rule_of

    # --- account status -------------------------------------------------------------------------
    # Codes 0–3 loan statuses, 4–6 line statuses: one gather builds the column.
    status_code = np.where(
        is_line,
        new_line + np.int8(4),
        np.where(
            settled,
            np.int8(3),
            np.where(written_off, np.int8(2), np.where(delinquent, np.int8(1), np.int8(0))),
        ),
    )
    status = _labels(
        "status",
        ["active", "past-due", "written-off", "settled", *restrictions.STATUSES],
        status_code,
    )
    del status_code

    tdate = pl.lit(business_date, dtype=pl.Date)
    new_accounts = accounts.with_columns(
        pl.Series("dpd", dpd),
        bucket,
        classification,
        pl.Series("stage", stage.astype(np.int64)),
        line_status,
        status,
        *_dated("written_off_on", written_today, tdate),
        *_dated("notice_sent_on", notice_today, tdate),
        pl.Series("in_grace", in_grace),
        pl.Series("delinquent", delinquent),
        pl.Series("non_accrual", suspense),
        reasons,
    )
    new_obligations = obligations.with_columns(
        *(pl.Series(c, v) for c, v in new_state.items()),
        (pl.col("due_penalty") + pl.Series(booked["booked"])).alias("due_penalty"),
        pl.Series("past_due", is_past_due),
        pl.Series("days_past_due", np.where(is_past_due, t - due_date, 0)),
        pl.Series("penalty_booked", booked["booked"]),
        pl.Series("penalty_income", booked["income"]),
        pl.Series("penalty_suspense", booked["suspense"]),
    )

    events = _events(
        t,
        accounts,
        obligations,
        new_accounts,
        account_row,
        due_date,
        unpaid,
        dpd,
        in_grace,
        notice_today,
        written_today,
        line_changed,
        new_line,
        prev_line,
    )
    return DayResult(new_obligations, new_accounts, events)


def _dated(column: str, today: Array, tdate: pl.Expr) -> list[pl.Expr]:
    """``column`` set to today where ``today`` holds; nothing to do (no expression) when no row
    does, the common day."""
    if not today.any():
        return []
    return [pl.when(pl.Series(today)).then(tdate).otherwise(pl.col(column)).alias(column)]


def _events(
    t: int,
    before: pl.DataFrame,
    obligations: pl.DataFrame,
    after: pl.DataFrame,
    account_row: Array,
    due_date: Array,
    unpaid: dict[str, Array],
    dpd: Array,
    in_grace: Array,
    notice_today: Array,
    written_today: Array,
    line_changed: Array,
    new_line: Array,
    prev_line: Array,
) -> pl.DataFrame:
    names = before.get_column("account")
    prev_dpd = _ints(before, "dpd")
    parts: list[pl.DataFrame] = []

    def add(kind: str, mask: Array, payload: dict[str, Any]) -> None:
        rows = rows_of(mask)
        if rows.size:
            parts.append(
                event_frame(
                    kind,
                    rows,
                    names,
                    {
                        k: v.gather(rows) if isinstance(v, pl.Series) else v
                        for k, v in payload.items()
                    },
                )
            )

    dpd_s = pl.Series(dpd)
    add("PastDue", (prev_dpd == 0) & (dpd > 0), {"dpd": dpd_s, "in_grace": pl.Series(in_grace)})
    add("Cured", (prev_dpd > 0) & (dpd == 0), {"previous_dpd": pl.Series(prev_dpd)})
    old_bucket = before.get_column("bucket")
    new_bucket = after.get_column("bucket")
    moved = _filled(old_bucket != new_bucket, True).to_numpy()
    add("BucketChanged", moved, {"dpd": dpd_s, "from": old_bucket, "to": new_bucket})
    add("NegativeReportNotice", notice_today, {"dpd": dpd_s})
    old_cls = before.get_column("classification")
    new_cls = after.get_column("classification")
    reclassified = _filled(old_cls != new_cls, True).to_numpy()
    add("ClassificationChanged", reclassified, {"dpd": dpd_s, "from": old_cls, "to": new_cls})
    line_from = _labels("line_from", restrictions.STATUSES, prev_line)
    line_to = after.get_column("line_status")
    reason = after.get_column("line_reason")
    for kind, code in (
        ("LineFrozen", restrictions.FROZEN),
        ("LineClosed", restrictions.CLOSED),
        ("LineRestored", restrictions.ACTIVE),
    ):
        add(
            kind,
            line_changed & (new_line == code),
            {"from": line_from, "to": line_to, "reason": reason},
        )
    add(
        "WrittenOff",
        written_today,
        {"dpd": dpd_s, "on": pl.lit(from_epoch(t).isoformat())},
    )

    left = (
        unpaid["nonpenalty"]
        + _ints(obligations, "due_penalty")
        - _ints(obligations, "paid_penalty")
        - _ints(obligations, "waived_penalty")
    )
    days_before = due_date - t
    soon = ((days_before == 3) | (days_before == 1)) & (left > 0)
    ob_rows = rows_of(soon)
    if ob_rows.size:
        parts.append(
            event_frame(
                "PaymentDueSoon",
                account_row[ob_rows],
                names,
                {
                    "ref": obligations.get_column("ref").gather(ob_rows),
                    "due_date": obligations.get_column("due_date").gather(ob_rows).cast(pl.String),
                    "days_before": pl.Series(days_before[ob_rows]),
                    "unpaid": amount_text(pl.lit(pl.Series(left[ob_rows]))),
                },
            )
        )
    return events_of(parts)
