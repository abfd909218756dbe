"""Benchmark: one business day of the overdue kernels vs a plain NumPy floor, side by side.

    .venv/bin/python bench/eod_kernels.py [--accounts 1000000] [--per-account 3] [--seed 7]
        [--repeat 2] [--no-verify] [--return-memory] [--json]

Portfolio: ``--accounts`` accounts with ``--per-account`` open obligations each (6 in 10 loans
on two cash-loan products — one with grace 3, retroactive, cross-default — 4 in 10 credit-pay
lines with grace 3; 1 loan in 10 drawn from a line). Due dates spread over the past 400 days
and the next 10; 12% of obligations unpaid or part paid, so accounts sit at every DPD, with
penalty state, write-offs and frozen/closed lines. Yesterday's EOD runs first (untimed) so
that the "previous" columns are consistent and today's events are one day's transitions.

Timed: :func:`creditguard.overdue.run_day` on the frames (DPD, penalties, buckets, class,
stage, restrictions, write-off, events, output frames) against the floor: the same arithmetic
over the same NumPy arrays with no frames, no checks and no events — unpaid amounts, past due,
DPD (``minimum.at``), exact penalties with the ceiling and ``round_div`` on the rows that can
change, buckets, class, stage, restriction levels (``maximum.at``), write-off and the due-soon
mask. Each side runs ``--repeat`` times (alternating, floor first); the best run is reported.

Open obligations: the loader passes only obligations with something unpaid or a due date
ahead (fully paid ones change nothing), so ``--per-account 1`` is a realistic 10M run; 3 is
the heavier case. ``--return-memory`` re-executes with a fixed glibc mmap threshold so that
freed arrays go back to the OS (peak RSS ≈ live memory, but every fresh page faults: slower).

With ``--json`` the last line is one JSON object: ``accounts``, ``obligations``, ``kernel_s``,
``numpy_floor_s``, ``ratio`` (kernel / floor), ``events``, ``peak_rss_mb`` (whole process),
``peak_rss_build_mb`` (before the timed runs), the individual runs, and the options.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from creditguard.overdue import params_frame, run_day
from creditguard.overdue.eod import day_number
from creditguard.overdue.frames import ACCOUNTS_SCHEMA, OBLIGATIONS_SCHEMA
from creditguard.pricing.kernel import round_div
from creditguard.products.schema import InstallmentProduct, RevolvingProduct

T = date(2026, 11, 28)
PER_ACCOUNT = 3
PRODUCTS = [
    InstallmentProduct(name="cash-loan", kind="installment", daily_rate=Decimal("0.0004")),
    InstallmentProduct(
        name="cash-plus",
        kind="installment",
        annual_rate=Decimal("0.146"),
        grace_days=3,
        grace_retroactive=True,
        cross_default=True,
    ),
    RevolvingProduct(name="credit-pay", kind="revolving", grace_days=3),
]


def portfolio(
    n: int, seed: int, per_account: int = PER_ACCOUNT
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A reproducible synthetic portfolio: (obligations, accounts)."""
    rng = np.random.default_rng(seed)
    product = rng.choice(3, n, p=[0.4, 0.2, 0.4])
    is_line = product == 2
    t = day_number(T)
    ids = pl.int_range(0, n, eager=True).cast(pl.String).str.zfill(9)
    names = ("A" + ids).alias("account")
    borrower = ("B" + (pl.Series(rng.integers(0, max(n * 9 // 10, 1), n)).cast(pl.String))).alias(
        "borrower"
    )
    line_rows = np.flatnonzero(is_line)
    drawn = (~is_line) & (rng.random(n) < 0.1) & (line_rows.size > 0)
    line_ref = pl.Series("line_ref", [None] * n, dtype=pl.String)
    if drawn.any():
        refs = names.gather(rng.choice(line_rows, int(drawn.sum())))
        line_ref = line_ref.scatter(np.flatnonzero(drawn), refs)
    prev_dpd = np.where(rng.random(n) < 0.05, rng.integers(1, 300, n), 0)
    written = (prev_dpd >= 180) & ~is_line
    kinds = np.where(is_line, "line", "loan")
    accounts = pl.DataFrame(
        {
            "account": names,
            "kind": kinds,
            "borrower": borrower,
            "product": np.array([p.name for p in PRODUCTS])[product],
            "status": np.where(is_line, "active", "active"),
            "line_ref": line_ref,
            "written_off_on": pl.Series(
                np.where(written, t - prev_dpd + 180, 0), dtype=pl.Int32
            ).cast(pl.Date),
            "observation_end": pl.Series([None] * n, dtype=pl.Date),
            "restructured_class": pl.Series([None] * n, dtype=pl.String),
            "early_warning": rng.random(n) < 0.02,
            "dpd": prev_dpd,
            "bucket": np.where(prev_dpd > 0, "M1", "M0"),
            "classification": np.where(prev_dpd > 0, "special-mention", "normal"),
            "stage": np.where(prev_dpd > 30, 2, 1),
            "line_status": pl.Series(np.where(is_line, "active", None), dtype=pl.String),
            "notice_sent_on": pl.Series(
                np.where(prev_dpd > 3, t - prev_dpd + 4, 0), dtype=pl.Int32
            ).cast(pl.Date),
        }
    ).with_columns(
        pl.when(pl.col("written_off_on").cast(pl.Int32) == 0)
        .then(None)
        .otherwise(pl.col("written_off_on"))
        .alias("written_off_on"),
        pl.when(pl.col("notice_sent_on").cast(pl.Int32) == 0)
        .then(None)
        .otherwise(pl.col("notice_sent_on"))
        .alias("notice_sent_on"),
    )
    accounts = accounts.select([pl.col(c).cast(d) for c, d in ACCOUNTS_SCHEMA.items()])

    m = n * per_account
    row = np.repeat(np.arange(n, dtype=np.int64), per_account)
    ob_line = is_line[row]
    due = t - rng.integers(-10, 400, m)
    principal = rng.integers(10_000, 2_000_000, m)
    interest = np.where(ob_line, 0, principal // 60)
    unpaid_share = rng.random(m)
    open_ = unpaid_share < 0.12
    paid_principal = np.where(open_, (principal * rng.random(m)).astype(np.int64), principal)
    paid_interest = np.where(open_, 0, interest)
    late = np.maximum(t - due, 0)
    obligations = pl.DataFrame(
        {
            "account": names.gather(row),
            "account_row": row,
            "ref": pl.Series(np.tile(np.arange(per_account), n)).cast(pl.String),
            "kind": np.where(ob_line, "statement", "installment"),
            "due_date": pl.Series(due.astype(np.int32)).cast(pl.Date),
            "due_principal": principal,
            "due_interest": interest,
            "due_fee": np.zeros(m, dtype=np.int64),
            "due_penalty": np.where(open_, late * 3, 0),
            "paid_principal": paid_principal,
            "paid_interest": paid_interest,
            "paid_fee": np.zeros(m, dtype=np.int64),
            "paid_penalty": np.zeros(m, dtype=np.int64),
            "waived_principal": np.zeros(m, dtype=np.int64),
            "waived_interest": np.zeros(m, dtype=np.int64),
            "waived_fee": np.zeros(m, dtype=np.int64),
            "waived_penalty": np.zeros(m, dtype=np.int64),
            "minimum": np.where(ob_line, principal // 10, principal + interest),
            "pen_run_base": np.where(open_, principal - paid_principal, 0),
            "pen_run_num": np.where(open_, late * 7, 0),
            "pen_run_booked": np.zeros(m, dtype=np.int64),
            "pen_pending_num": np.zeros(m, dtype=np.int64),
            "pen_charged": np.where(open_, late * 3, 0),
            "ceiling_num": np.where(open_, late * 10**9, 0),
            "other_overdue_charged": np.zeros(m, dtype=np.int64),
        }
    ).select([pl.col(c).cast(d) for c, d in OBLIGATIONS_SCHEMA.items()])
    return obligations, accounts


def floor(ob: dict[str, Any], acc: dict[str, Any], prm: dict[str, Any], t: int) -> int:
    """The same arithmetic on bare NumPy arrays; returns a checksum so nothing is skipped."""
    n = acc["n"]
    r = ob["account_row"]
    pidx = acc["product"]
    g = prm["grace"][pidx]
    ob_p = {k: v[pidx][r] for k, v in prm.items()}
    left_p = ob["due_principal"] - ob["paid_principal"] - ob["waived_principal"]
    left_i = ob["due_interest"] - ob["paid_interest"] - ob["waived_interest"]
    left_f = ob["due_fee"] - ob["paid_fee"] - ob["waived_fee"]
    nonpen = left_p + left_i + left_f
    settled = sum(
        ob[f"paid_{c}"] + ob[f"waived_{c}"] for c in ("principal", "interest", "fee", "penalty")
    )
    min_left = np.maximum(ob["minimum"] - settled, 0)
    pd_ = (t > ob["due_date"]) & (np.where(ob["statement"], min_left, nonpen) > ob_p["tolerance"])
    oldest = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(oldest, r[pd_], ob["due_date"][pd_])
    dpd = np.where(oldest == np.iinfo(np.int64).max, 0, t - oldest)
    delinquent = dpd > g
    written = acc["written"] | (dpd >= prm["write_off"][pidx])
    suspense = (dpd > 90) | written
    # penalties, on the rows that can change (as the kernel does)
    rows = np.flatnonzero(((t > ob["due_date"]) & (nonpen > 0)) | (ob["pen_pending_num"] != 0))
    p_ = {k: v[rows] for k, v in ob_p.items()}
    s_ = {
        k: ob[k][rows]
        for k in (
            *("due_date", "pen_pending_num", "pen_run_base", "pen_run_num", "pen_run_booked"),
            *("pen_charged", "ceiling_num", "other"),
        )
    }
    np_ = nonpen[rows]
    base = np.where(p_["multiplier"], left_p[rows], np_)
    late = t - s_["due_date"]
    accrues = pd_[rows] & (late > p_["grace"])
    held = pd_[rows] & ~accrues & p_["retro"]
    den = p_["den"]
    ceiling = s_["ceiling_num"] + np.where(late > 0, np_, 0) * p_["cap"]
    day = base * p_["rate"]
    pending = np.where(held, s_["pen_pending_num"] + day, 0)
    wanted = np.where(accrues, day + s_["pen_pending_num"], 0)
    new_run = accrues & (base != s_["pen_run_base"])
    run_num = np.where(new_run, 0, s_["pen_run_num"])
    run_booked = np.where(new_run, 0, s_["pen_run_booked"])
    prior = s_["pen_charged"] - run_booked
    room = np.maximum(ceiling - (prior + s_["other"]) * den - run_num, 0)
    run_num = run_num + np.minimum(wanted, room)
    target = round_div(run_num, den, p_["half_even"])
    target = np.maximum(run_booked, np.minimum(target, ceiling // den - s_["other"] - prior))
    booked = np.zeros(r.shape[0], dtype=np.int64)
    booked[rows] = np.where(accrues, target - run_booked, 0)
    state = {k: ob[k].copy() for k in ("pen_run_num", "pen_pending_num", "ceiling_num")}
    state["pen_run_num"][rows] = run_num
    state["pen_pending_num"][rows] = pending
    state["ceiling_num"][rows] = ceiling
    income = np.where(suspense[r], 0, booked)
    # grading
    graded = np.where(delinquent, dpd, 0)
    bucket = np.searchsorted(np.array([30, 60, 90, 120, 150, 180]), graded, side="left") + (
        graded > 0
    )
    cls = np.where(written, 4, np.searchsorted(np.array([0, 90, 270, 360]), graded, side="left"))
    stage = np.where((graded > 90) | written, 3, np.where((graded > 30) | acc["ew"], 2, 1))
    # restrictions
    level = np.where(
        (delinquent & (dpd >= prm["close"][pidx])) | written,
        2,
        np.where(delinquent & (dpd >= prm["freeze"][pidx]), 1, 0),
    )
    strongest = np.zeros(n, dtype=np.int64)
    acting = level > 0
    np.maximum.at(strongest, np.flatnonzero(acting & acc["line"]), level[acting & acc["line"]])
    via = acting & (acc["line_ref_row"] >= 0)
    np.maximum.at(strongest, acc["line_ref_row"][via], level[via])
    soon = ((ob["due_date"] - t == 3) | (ob["due_date"] - t == 1)) & (nonpen > 0)
    return int(
        booked.sum()
        + income.sum()
        + bucket.sum()
        + cls.sum()
        + stage.sum()
        + strongest.sum()
        + soon.sum()
        + pending.sum() % 7
    )


def floor_inputs(
    obligations: pl.DataFrame, accounts: pl.DataFrame, params: pl.DataFrame
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The bare arrays the floor works on (prepared outside its timing)."""
    ob: dict[str, Any] = {
        c: obligations[c].cast(pl.Int64).to_numpy()
        for c in OBLIGATIONS_SCHEMA
        if c not in ("account", "ref", "kind")
    }
    ob["statement"] = (obligations["kind"] == "statement").to_numpy()
    ob["other"] = ob["other_overdue_charged"]
    names = params["product"].to_list()
    acc: dict[str, Any] = {
        "n": accounts.height,
        "product": accounts["product"]
        .replace_strict({p: i for i, p in enumerate(names)}, return_dtype=pl.Int64)
        .to_numpy(),
        "written": accounts["written_off_on"].is_not_null().to_numpy(),
        "ew": accounts["early_warning"].to_numpy(),
        "line": (accounts["kind"] == "line").to_numpy(),
    }
    rows = accounts.select("account").with_row_index("_line")
    drawn = (
        accounts.select("line_ref")
        .with_row_index("_loan")
        .filter(pl.col("line_ref").is_not_null())
        .join(rows, left_on="line_ref", right_on="account", how="inner")
    )
    acc["line_ref_row"] = np.full(accounts.height, -1, dtype=np.int64)
    acc["line_ref_row"][drawn["_loan"].to_numpy()] = drawn["_line"].to_numpy()
    big = np.iinfo(np.int64).max
    prm = {
        "grace": params["grace_days"].to_numpy(),
        "tolerance": params["tolerance"].to_numpy(),
        "multiplier": (params["penalty_kind"] == "multiplier").to_numpy(),
        "retro": params["grace_retroactive"].to_numpy(),
        "den": params["accrual_den"].to_numpy(),
        "rate": params["penalty_daily_num"].to_numpy(),
        "cap": params["cap_daily_num"].to_numpy(),
        "half_even": params["half_even"].to_numpy(),
        "write_off": params["write_off_dpd"].to_numpy(),
        "freeze": params["freeze_dpd"].fill_null(big).to_numpy(),
        "close": params["close_dpd"].fill_null(big).to_numpy(),
    }
    return ob, acc, prm


def main() -> None:
    """Build the portfolio, time both sides, print a table (and JSON with ``--json``)."""
    if "--return-memory" in sys.argv and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        # glibc raises its mmap threshold after large frees and then keeps freed arrays in
        # the heap; a fixed threshold returns them to the OS (peak RSS ≈ live memory) at the
        # cost of a page fault per fresh page — slower for kernel and floor alike.
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--per-account", type=int, default=PER_ACCOUNT, help="obligations")
    parser.add_argument(
        "--return-memory", action="store_true", help="fixed glibc mmap threshold (see main)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs per side; best is kept")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the account_row check in run_day"
    )
    args = parser.parse_args()
    params = params_frame(PRODUCTS)

    warm_ob, warm_acc = portfolio(10_000, args.seed)
    run_day(warm_ob, warm_acc, params, T)
    floor(*floor_inputs(warm_ob, warm_acc, params), day_number(T))

    started = time.perf_counter()
    obligations, accounts = portfolio(args.accounts, args.seed, args.per_account)
    # Yesterday's EOD (untimed) makes the "previous" columns consistent, so today's events are
    # one day's transitions, as in production.
    yesterday = run_day(obligations, accounts, params, T - timedelta(days=1))
    obligations = yesterday.obligations.select(list(OBLIGATIONS_SCHEMA))
    accounts = yesterday.accounts.select(list(ACCOUNTS_SCHEMA))
    del yesterday
    build_s = time.perf_counter() - started
    ob, acc, prm = floor_inputs(obligations, accounts, params)
    gc.collect()
    build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    kernel_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        checksum = floor(ob, acc, prm, day_number(T))
        floor_times.append(time.perf_counter() - started)
        gc.collect()
        started = time.perf_counter()
        result = run_day(obligations, accounts, params, T, verify_rows=not args.no_verify)
        kernel_times.append(time.perf_counter() - started)
        if len(kernel_times) < args.repeat:
            del result
            gc.collect()
    kernel_s, floor_s = min(kernel_times), min(floor_times)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    events = result.events.height
    summary = {
        "accounts": args.accounts,
        "obligations": obligations.height,
        "build_s": round(build_s, 3),
        "kernel_s": round(kernel_s, 3),
        "numpy_floor_s": round(floor_s, 3),
        "ratio": round(kernel_s / floor_s, 2),
        "events": events,
        "past_due_accounts": int((result.accounts["dpd"] > 0).sum()),
        "penalty_booked_fen": int(result.obligations["penalty_booked"].sum()),
        "floor_checksum": checksum,
        "peak_rss_mb": round(peak, 1),
        "peak_rss_build_mb": round(build_peak, 1),
        "verify_rows": not args.no_verify,
        "per_account": args.per_account,
        "return_memory": args.return_memory,
        "kernel_runs_s": [round(x, 3) for x in kernel_times],
        "floor_runs_s": [round(x, 3) for x in floor_times],
    }
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
