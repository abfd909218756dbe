"""Outage relief and penalty drops on a line replay the command log once, forking the second
replay where it first differs: exactly what the old double replay gave.

The reference is the old implementation, kept here verbatim: two full replays of the log (one
under the line's own outages or log, one under the new ones) and the difference of their
ledgers. ``move_due_dates``, ``drop_penalties`` and ``reverse_payment`` must return an equal
Outcome (state, postings, events, result) on every line of a small simulated book stopped just
before its statement falls due, for windows covering the next due date, plan installments months
ahead, nothing, and the dates an earlier outage produced; and on hand-built lines whose
installment plans were converted long before the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from line_book import Book

from creditguard.ledger.chart import GL
from creditguard.money import InputError
from creditguard.servicing import line as L
from creditguard.servicing import line_corrections as C
from creditguard.servicing.line_model import Line, LineOp, Outage
from creditguard.servicing.line_step import check_date, commit, event, logged
from creditguard.servicing.model import DomainEvent
from creditguard.servicing.outcome import Outcome, postings_from_deltas
from creditguard.servicing.service import ACCOUNT_TYPES
from creditguard.simulate.run import simulate
from creditguard.simulate.scenario import Behaviour, SimScenario
from creditguard.simulate.scenario import Outage as SimOutage
from creditguard.store.account_repo import AccountRepository
from creditguard.store.db import connect

# --- the reference: the old double replay ---------------------------------------------------


def ref_replay(
    line: Line,
    *,
    reversed_payments: frozenset[str] | None = None,
    outages: tuple[Outage, ...] | None = None,
) -> tuple[Line, dict[GL, int]]:
    current = Line(
        account=line.account,
        borrower=line.borrower,
        product=line.product,
        terms=line.terms,
        limit=0,
        status="active",
        opened=line.opened,
        last_date=line.opened,
        accrued_through=line.opened,
        outages=line.outages if outages is None else outages,
        reversed_payments=(
            line.reversed_payments if reversed_payments is None else reversed_payments
        ),
    )
    totals: dict[GL, int] = {}
    for op in line.history:
        step = C._HANDLERS[op.op](current, op, True)
        outcome = commit(replace(step, log=None), None)
        current = logged(outcome.state, op)
        for p in outcome.postings:
            totals[p.gl] = totals.get(p.gl, 0) + p.debit - p.credit
    return current, totals


def ref_rederive(line: Line, new_base: Line, op: LineOp) -> tuple[Line, tuple[Any, ...]]:
    _, before = ref_replay(line)
    after_line, after = ref_replay(
        line, reversed_payments=new_base.reversed_payments, outages=new_base.outages
    )
    deltas = {gl: after.get(gl, 0) - before.get(gl, 0) for gl in set(before) | set(after)}
    return logged(after_line, op), postings_from_deltas(line.account, deltas)


def ref_move_due_dates(
    line: Line, start: date, end: date, relief_days: int = 3, on: date | None = None
) -> Outcome[Line]:
    when = line.last_date if on is None else on
    check_date(line, when)
    op = LineOp("outage", when, ref=f"{start.isoformat()}..{end.isoformat()}", periods=relief_days)
    base = replace(line, outages=(*line.outages, Outage(start, end, relief_days)))
    new_line, postings = ref_rederive(line, base, op)
    before = {ob.ref: ob.due_date for ob in line.statements}
    moved = {
        ob.ref: {"from": before[ob.ref].isoformat(), "to": ob.due_date.isoformat()}
        for ob in new_line.statements
        if before.get(ob.ref) != ob.due_date
    }
    shown = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "relief_days": relief_days,
        "new_due_date": (end + timedelta(days=relief_days)).isoformat(),
        "moved": moved,
    }
    relief = event(new_line, when, "DueDatesMoved", **shown)
    return Outcome(new_line, postings, (relief,), shown)


def ref_drop_penalties(line: Line, refs: list[str], on: date) -> Outcome[Line]:
    check_date(line, on)
    wanted = set(refs)
    dropped = sum(op.amount for op in line.history if op.op == "penalty" and op.ref in wanted)
    if not dropped:
        return Outcome(line, (), ())
    kept = tuple(op for op in line.history if not (op.op == "penalty" and op.ref in wanted))
    trimmed = replace(line, history=kept)
    _, before = ref_replay(line)
    after_line, after = ref_replay(trimmed)
    deltas = {gl: after.get(gl, 0) - before.get(gl, 0) for gl in set(before) | set(after)}
    state = replace(after_line, history=kept, last_date=max(after_line.last_date, on))
    payload = {"refs": sorted(wanted), "amount": dropped}
    ev = DomainEvent(on, line.account, "PenaltiesReversed", payload)
    return Outcome(state, postings_from_deltas(line.account, deltas), (ev,))


def ref_reverse_payment(line: Line, pid: str, on: date) -> Outcome[Line]:
    check_date(line, on)
    match = [p for p in line.payments if p.payment_id == pid]
    op = LineOp("reverse", on, ref=pid)
    base = replace(line, reversed_payments=line.reversed_payments | {pid})
    new_line, postings = ref_rederive(line, base, op)
    shown = {"payment_id": pid, "amount": match[0].amount}
    return Outcome(new_line, postings, (event(new_line, on, "PaymentReversed", **shown),), shown)


# As the service calls it: revolving interest accrued through the day before, then the relief.
REF_MOVE = L.accrued_first(ref_move_due_dates)


def same_move(line: Line, start: date, end: date, relief: int, on: date) -> Outcome[Line] | None:
    """The new ``move_due_dates`` checked against the reference: the new outcome, or None when
    both refuse alike (the same error)."""
    try:
        ref = REF_MOVE(line, start, end, relief, on)
    except InputError as err:
        with pytest.raises(InputError) as refused:
            L.move_due_dates(line, start, end, relief, on)
        assert (refused.value.field, str(refused.value)) == (err.field, str(err))
        return None
    new = L.move_due_dates(line, start, end, relief, on)
    assert new == ref, (line.account, start, end, relief)
    assert new.state.outages == (*line.outages, Outage(start, end, relief))  # no probe leaks
    assert new.state.history[-1].op == "outage"
    assert all(type(o) is Outage for o in new.state.outages)
    return new


def moved_state(line: Line, start: date, end: date, relief: int, on: date) -> Line:
    """``same_move`` where the window must be accepted."""
    out = same_move(line, start, end, relief, on)
    assert out is not None
    return out.state


def fork_of(line: Line, window: Outage) -> int | None:
    """The op index the new code forks at (None: no fork), seen through its probe."""
    probe = C._Probe(window)
    current = C._opening(line, line.reversed_payments, (*line.outages, probe))  # type: ignore[arg-type]
    totals: dict[GL, int] = {}
    for i, op in enumerate(line.history):
        current = C._apply(current, op, totals)
        if probe.hit:
            return i
    return None


# --- (a) every line of a small simulated book -----------------------------------------------

STOP = date(2026, 3, 5)  # the 03-01 statement (due 03-10) is issued and not yet due
SCENARIO = SimScenario(
    name="outage-fork",
    seed=11,
    borrowers=60,
    months=3,
    start=date(2026, 1, 1),
    onboarding_months=1,
    outages=(SimOutage(date(2026, 2, 9), date(2026, 2, 11), relief_days=3),),  # Feb 10 → 14
    # Many plans and late payers: conversions months before a window, penalties to drop.
    behaviour=Behaviour(
        forget_scale=3.0, bill_installment_rate=0.4, squeeze_rate=0.9, base_job_loss=0.2
    ),
)

WINDOWS = [
    Outage(date(2026, 3, 9), date(2026, 3, 11), 3),  # the next statement due date (03-10)
    Outage(date(2026, 5, 9), date(2026, 5, 11), 3),  # plan installments months ahead
    Outage(date(2026, 3, 20), date(2026, 3, 25), 3),  # nothing falls due there
    Outage(date(2026, 2, 1), date(2026, 2, 9), 1),  # nothing: 02-10 is first moved to 02-14
    Outage(date(2026, 2, 12), date(2026, 2, 15), 2),  # 02-14, where the first outage moved to
    Outage(date(2026, 2, 14), date(2026, 2, 14), 0),  # relief 0: a date it never moves
    Outage(date(2026, 1, 9), date(2026, 4, 11), 5),  # every due date so far and the next
]
NOTHING = (WINDOWS[2], WINDOWS[3], WINDOWS[5])


class _Stop(Exception):
    pass


def _stop_at(summary: Any) -> None:
    if summary.business_date >= STOP:
        raise _Stop


@pytest.fixture(scope="module")
def sim_lines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Line]]:
    path = Path(tmp_path_factory.mktemp("outage-fork")) / "sim.sqlite"
    engine = connect(f"sqlite:///{path}", durable=False)
    try:
        with pytest.raises(_Stop):
            simulate(SCENARIO, engine, progress=_stop_at)
        with engine.connect() as conn:
            repo = AccountRepository(conn, ACCOUNT_TYPES)
            lines = [repo.get(a) for a in repo.ids("line")]
        yield lines
    finally:
        engine.dispose()


def test_simulated_book_is_real_work(sim_lines: list[Line]) -> None:
    """The book exercises what the fork must get right (else the comparisons prove little)."""
    assert len(sim_lines) > 30
    assert all(
        line.outages == (Outage(date(2026, 2, 9), date(2026, 2, 11), 3),) for line in sim_lines
    )
    assert sum(1 for line in sim_lines if line.plans) >= 5
    assert sum(1 for line in sim_lines if any(op.op == "penalty" for op in line.history)) >= 3
    assert any(ob.due_date == date(2026, 2, 14) for line in sim_lines for ob in line.statements)
    assert any(
        i.due_date == date(2026, 5, 10)
        for line in sim_lines
        for plan in line.plans
        for i in plan.installments
    )


@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: f"{w.start}..{w.end}+{w.relief_days}")
def test_move_due_dates_equals_double_replay_on_simulated_lines(
    sim_lines: list[Line], window: Outage
) -> None:
    forks: list[int | None] = []
    changed = refused = 0
    for line in sim_lines:
        on = max(line.last_date, STOP + timedelta(days=1))
        out = same_move(line, window.start, window.end, window.relief_days, on)
        forks.append(fork_of(line, window))
        if out is None:
            refused += 1
        else:
            changed += out.state.statements != line.statements or out.state.plans != line.plans
    if window in NOTHING:
        assert forks == [None] * len(forks) and changed == refused == 0
    else:
        assert changed > 0
        # Some lines fork inside their log (a tail is replayed), not all at the first op.
        assert any(f is not None and f > 0 for f in forks)
        assert None in forks or window == WINDOWS[-1]  # and some do not fork at all
    # The window over four months moves installments of one plan onto one date: accepted (a
    # fee plan is priced on its contractual dates), as every other window.
    assert refused == 0


def test_chained_outages_on_simulated_lines(sim_lines: list[Line]) -> None:
    """Outage after outage: each declaration sees the ones before it (up to five in all). The
    last moves 03-10 to 03-12, into the window of the one before (→ 03-17): a second pass."""
    chain = [
        WINDOWS[4],
        WINDOWS[1],
        Outage(date(2026, 3, 12), date(2026, 3, 14), 3),
        Outage(date(2026, 3, 9), date(2026, 3, 11), 1),
    ]
    moved_twice = 0
    for line in sim_lines:
        on = max(line.last_date, STOP + timedelta(days=1))
        for w in chain:
            out = same_move(line, w.start, w.end, w.relief_days, on)
            assert out is not None
            line = out.state
        moved_twice += any(ob.due_date == date(2026, 3, 17) for ob in line.statements)
    assert moved_twice > 0


def test_drop_penalties_equals_double_replay_on_simulated_lines(sim_lines: list[Line]) -> None:
    dropped = 0
    for line in sim_lines:
        refs = sorted({op.ref for op in line.history if op.op == "penalty"})
        on = max(line.last_date, STOP + timedelta(days=1))
        for chosen in (refs, refs[:1], refs[-1:], ["nothing"]):
            new = C.drop_penalties(line, chosen, on)
            assert new == ref_drop_penalties(line, chosen, on), (line.account, chosen)
            dropped += bool(new.postings)
    assert dropped >= 3


def test_reverse_payment_unchanged_on_simulated_lines(sim_lines: list[Line]) -> None:
    reversed_ = 0
    for line in sim_lines[:20]:
        on = max(line.last_date, STOP + timedelta(days=1))
        for p in line.payments[:2]:
            assert C.reverse_payment(line, p.payment_id, on) == ref_reverse_payment(
                line, p.payment_id, on
            )
            reversed_ += 1
    assert reversed_ > 5


# --- (b) hand-built lines with plans converted long before the window -----------------------


def planned_book(*, outage_first: bool = False, reverse: bool = False) -> Book:
    """A 12-period purchase plan from January, a 6-period statement plan from February, a
    3-period one from March; optionally an outage declared in advance and a reversed payment."""
    book = Book(limit=2_000_000)
    if outage_first:
        book.do(L.move_due_dates, date(2026, 4, 9), date(2026, 4, 11), 2, on=date(2026, 1, 1))
    book.do(L.purchase, 600_000, date(2026, 1, 5), purchase_id="P1")
    book.do(L.convert_to_installments, 12, date(2026, 1, 6), purchase_id="P1")
    book.do(L.purchase, 200_000, date(2026, 1, 20))
    book.eod(date(2026, 2, 3))
    book.do(L.convert_to_installments, 6, date(2026, 2, 4))  # the 02-01 statement
    book.do(L.repay, 80_000, date(2026, 2, 9))
    book.do(L.repay, 5_000, date(2026, 2, 12))
    book.do(L.purchase, 150_000, date(2026, 2, 15))
    book.eod(date(2026, 3, 2))
    book.do(L.convert_to_installments, 3, date(2026, 3, 3))
    book.do(L.repay, 70_000, date(2026, 3, 10))
    book.eod(date(2026, 3, 20))
    if reverse:
        book.do(L.reverse_payment, "R2", date(2026, 3, 21))
    return book


HAND_WINDOWS = [
    Outage(date(2026, 7, 9), date(2026, 7, 11), 3),  # only the plans' July installments
    Outage(date(2026, 12, 1), date(2026, 12, 31), 0),  # the 12-period plan's last ones
    Outage(date(2026, 4, 12), date(2026, 4, 13), 3),  # where an in-advance outage moved to
    Outage(date(2026, 5, 9), date(2026, 5, 11), 20),  # to 05-31: still before June's
    Outage(date(2026, 2, 9), date(2026, 2, 11), 3),  # past: the 02-10 statement
    Outage(date(2027, 3, 1), date(2027, 3, 31), 3),  # after everything
]
TOO_WIDE = Outage(date(2026, 5, 9), date(2026, 6, 11), 1)  # May's and June's onto one date


@pytest.mark.parametrize(("outage_first", "reverse"), [(False, False), (True, False), (True, True)])
def test_move_due_dates_equals_double_replay_on_planned_lines(
    outage_first: bool, reverse: bool
) -> None:
    line = planned_book(outage_first=outage_first, reverse=reverse).line
    assert len(line.plans) == 3 and bool(line.reversed_payments) == reverse
    on = date(2026, 3, 21)
    forks = {}
    for w in HAND_WINDOWS:
        out = moved_state(line, w.start, w.end, w.relief_days, on)
        forks[w] = fork_of(line, w)
        assert (forks[w] is None) == (out.plans == line.plans and out.statements == line.statements)
    assert forks[HAND_WINDOWS[-1]] is None
    # A window over a month: May's and June's installments both fall due on 06-12 (end +
    # relief), their amounts as contracted (a fee plan is priced on its contractual dates).
    wide = moved_state(line, TOO_WIDE.start, TOO_WIDE.end, TOO_WIDE.relief_days, on)
    for before, after in zip(line.plans, wide.plans, strict=True):
        pairs = list(zip(before.installments, after.installments, strict=True))
        assert [(a.principal, a.fee) for a, _ in pairs] == [(b.principal, b.fee) for _, b in pairs]
        for old, new in pairs:
            inside = TOO_WIDE.start <= old.due_date <= TOO_WIDE.end
            assert new.due_date == (date(2026, 6, 12) if inside else old.due_date)
    assert sum(i.due_date == date(2026, 6, 12) for i in wide.plans[0].installments) == 2
    july = HAND_WINDOWS[0]
    # The July window forks at the January conversion, long before it.
    fork = forks[july]
    assert fork is not None and line.history[fork].op == "convert"
    assert line.history[fork].on == date(2026, 1, 6)
    moved = moved_state(line, july.start, july.end, july.relief_days, on)
    assert [i.due_date for i in moved.plans[0].installments][4:7] == [
        date(2026, 6, 10),
        date(2026, 7, 14),
        date(2026, 8, 10),
    ]
    # 04-10 was moved to 04-13 by the in-advance outage: only then does 04-12..13 see it.
    assert (forks[HAND_WINDOWS[2]] is not None) == outage_first


def test_chained_windows_on_a_planned_line() -> None:
    line = planned_book(outage_first=True).line
    on = date(2026, 3, 21)
    for w in (*HAND_WINDOWS, *HAND_WINDOWS[:3]):  # also the same window twice
        line = moved_state(line, w.start, w.end, w.relief_days, on)
    assert len(line.outages) == 1 + len(HAND_WINDOWS) + 3


def test_drop_penalties_equals_double_replay_on_a_hand_line() -> None:
    book = planned_book()
    s = book.line.statements[1].ref
    book.do(L.charge_penalty, s, 1_000, date(2026, 3, 20))
    book.eod(date(2026, 3, 25))
    book.do(L.repay, 3_000, date(2026, 3, 26))
    book.do(L.charge_penalty, s, 500, date(2026, 3, 27))
    on = date(2026, 3, 28)
    out = C.drop_penalties(book.line, [s], on)
    assert out == ref_drop_penalties(book.line, [s], on)
    assert out.postings  # the penalties come back off the ledger
    with pytest.raises(InputError):
        C.drop_penalties(book.line, [s], date(2026, 3, 1))  # backdated: refused as before


def test_relief_on_a_revolving_line_with_a_plan_books_the_same_correction() -> None:
    """Minimum paid on time, the rest revolving since 02-11; a January plan runs to July. An
    outage over 02-10 declared on 02-20 takes back the relief days' interest: postings."""
    book = Book()
    book.do(L.purchase, 111_111, date(2026, 1, 5))
    book.do(L.purchase, 300_000, date(2026, 1, 6), purchase_id="P2")
    book.do(L.convert_to_installments, 6, date(2026, 1, 7), purchase_id="P2")
    book.eod(date(2026, 2, 9))
    book.do(L.repay, L.minimum_due(book.line), date(2026, 2, 10))
    book.eod(date(2026, 2, 19))
    line = book.line
    assert L.accrued_interest(line) > 0
    on = date(2026, 2, 20)
    past = moved_state(line, date(2026, 2, 10), date(2026, 2, 10), 3, on)
    out = same_move(line, date(2026, 2, 10), date(2026, 2, 10), 3, on)
    assert out is not None and out.postings  # the relief days' interest comes back
    assert past.plans[0].installments[0].due_date == date(2026, 2, 13)
    fork = fork_of(line, Outage(date(2026, 6, 9), date(2026, 6, 11), 3))
    assert fork is not None and line.history[fork].op == "convert"  # five months ahead
    for w in (
        Outage(date(2026, 6, 9), date(2026, 6, 11), 3),
        Outage(date(2026, 3, 1), date(2026, 3, 2), 3),
    ):
        later = same_move(past, w.start, w.end, w.relief_days, on)
        assert later is not None
