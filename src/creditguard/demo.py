"""``creditguard demo``: the main job, run by ``make demo``.

Until the portfolio simulator lands (issue 5) the demo is two real jobs: the product disclosure
a lender runs before launch (every shipped product priced by the engine: example schedules, the
all-in annualized rate of PBOC Announcement [2021] No. 3, the cost-cap check), and a small
portfolio — four repayment behaviours on a credit-pay line and a cash loan each, with a platform
outage — run through every end of day on an embedded SQLite file (``out/demo.sqlite``), ending
in a risk report. Both are written to ``out/demo.json``. Nothing is canned.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from creditguard.money import format_amount, format_rate

# A fixed example loan keeps the demo's output byte-identical from run to run.
EXAMPLE_PRINCIPAL = 1_000_000  # 10,000.00 yuan in fen
EXAMPLE_START = date(2026, 1, 15)


def product_disclosures(product: Any) -> list[dict[str, Any]]:
    """Every offer of a product priced on the example loan: totals, APR and the cap verdict."""
    from creditguard.pricing import LoanTerms, Method, build_schedule, schedule_apr

    offers: list[tuple[str, int, LoanTerms]] = []
    if product.kind == "installment":
        for method in product.methods:
            for term in product.terms:
                terms = LoanTerms(
                    principal=EXAMPLE_PRINCIPAL,
                    term=term,
                    start=EXAMPLE_START,
                    method=Method(method),
                    annual_rate=product.annual_rate_effective,
                    day_count=product.day_count,
                    rounding=product.rounding,
                )
                offers.append((str(method), term, terms))
    else:
        for periods, fee_rate in sorted(product.installment_fee_rates.items()):
            terms = LoanTerms(
                principal=EXAMPLE_PRINCIPAL,
                term=int(periods),
                start=EXAMPLE_START,
                method=Method.FEE_INSTALLMENT,
                fee_rate=fee_rate,
                rounding=product.rounding,
            )
            offers.append(("fee-installment", int(periods), terms))
    rows = []
    for method, term, terms in offers:
        sched = build_schedule(terms)
        rate = schedule_apr(terms, sched)
        rows.append(
            {
                "product": product.name,
                "method": method,
                "term": term,
                "first_payment": format_amount(sched.installments[0].payment),
                "total_interest": format_amount(sched.total_interest),
                "total_fee": format_amount(sched.total_fee),
                "apr_nominal": format_rate(rate.apr_nominal),
                "apr_effective": format_rate(rate.apr_effective),
                "apr_cap": format_rate(product.apr_cap),
                "within_cap": _within_cap(rate, product.apr_cap),
            }
        )
    return rows


def _within_cap(rate: Any, cap: Any) -> bool:
    from creditguard.pricing import RateCapExceeded, check_rate_cap

    try:
        check_rate_cap(rate, cap, what="example")
    except RateCapExceeded:
        return False
    return True


def run_demo(out_dir: str, console: Console) -> Path:
    """Price every shipped product, print the disclosure tables, write ``out/demo.json``."""
    from creditguard.products import load_catalogue

    catalogue = load_catalogue()
    all_rows: list[dict[str, Any]] = []
    for product in catalogue.values():
        rows = product_disclosures(product)
        all_rows.extend(rows)
        table = Table(
            title=f"{product.name} — 还款示例 10,000.00 元, 起息 {EXAMPLE_START} "
            f"(example loan, all-in APR)"
        )
        for col in (
            "方式 Method",
            "期数 Term",
            "首期 First",
            "利息 Interest",
            "费用 Fee",
            "年化 APR",
            "实际 Effective",
            "上限 Cap",
        ):
            table.add_column(col, justify="right")
        for r in rows:
            table.add_row(
                r["method"],
                str(r["term"]),
                r["first_payment"],
                r["total_interest"],
                r["total_fee"],
                r["apr_nominal"],
                r["apr_effective"],
                ("✓ " if r["within_cap"] else "✗ ") + r["apr_cap"],
            )
        console.print(table)
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    portfolio = run_portfolio(target, console)
    html = run_simulation(target, console)
    path = target / "demo.json"
    report = {"disclosures": all_rows, "portfolio": portfolio, "report_html": str(html)}
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(f"报告 Report written to {path}")
    return path


# -- a small portfolio through the real engine ------------------------------------------------

DEMO_START = date(2026, 1, 3)
DEMO_UNTIL = date(2026, 6, 30)
# Behaviours: who pays what, when. Each borrower gets a credit-pay line and a cash loan.
BEHAVIOURS: tuple[tuple[str, str], ...] = (
    ("on-time", "按时 on time"),
    ("minimum", "最低 minimum"),
    ("late", "晚还 late"),
    ("never", "失联 never"),
)


def demo_scenario() -> Any:
    """A deterministic portfolio: four behaviours × two products, an outage, until June."""
    from creditguard.servicing.scenario import parse_scenario

    events: list[dict[str, Any]] = []
    for i, (behaviour, _label) in enumerate(BEHAVIOURS):
        line, loan = f"A{i + 1}", f"L{i + 1}"
        events.append(
            {
                "date": "2026-01-03",
                "op": "open-line",
                "account": line,
                "product": "credit-pay",
                "limit": "8000.00",
                "borrower": f"B{i + 1}",
            }
        )
        events.append(
            {"date": "2026-01-05", "op": "purchase", "account": line, "amount": "2400.00"}
        )
        events.append(
            {
                "date": "2026-01-06",
                "op": "disburse",
                "account": loan,
                "product": "cash-loan",
                "principal": "6000.00",
                "term": 6,
                "borrower": f"B{i + 1}",
            }
        )
        for month in range(2, 7):
            due_line = date(2026, month, 10)
            due_loan = date(2026, month, 6)
            if behaviour == "on-time":
                events.append(
                    {
                        "date": due_line.isoformat(),
                        "op": "repay",
                        "account": line,
                        "amount": "2400.00" if month == 2 else "50.00",
                    }
                )
                events.append(
                    {
                        "date": due_loan.isoformat(),
                        "op": "repay",
                        "account": loan,
                        "amount": "1050.00",
                    }
                )
            elif behaviour == "minimum":
                events.append(
                    {
                        "date": due_line.isoformat(),
                        "op": "repay",
                        "account": line,
                        "amount": "260.00",
                    }
                )
                events.append(
                    {
                        "date": due_loan.isoformat(),
                        "op": "repay",
                        "account": loan,
                        "amount": "1050.00",
                    }
                )
            elif behaviour == "late" and month in (3, 5):
                late = date(2026, month, 26)
                events.append(
                    {"date": late.isoformat(), "op": "repay", "account": line, "amount": "1500.00"}
                )
                events.append(
                    {"date": late.isoformat(), "op": "repay", "account": loan, "amount": "2200.00"}
                )
    # The platform's own payment channel failed around a due date: nobody may be overdue for it.
    events.append(
        {
            "date": "2026-04-01",
            "op": "declare-outage",
            "start": "2026-04-05",
            "end": "2026-04-07",
            "relief_days": 3,
        }
    )
    events.sort(key=lambda e: e["date"])
    return parse_scenario(
        {"products": {"credit-pay": "credit-pay", "cash-loan": "cash-loan"},
         "events": events, "until": DEMO_UNTIL.isoformat()},
        source="demo",
    )  # fmt: skip


def run_portfolio(out: Path, console: Console) -> dict[str, Any]:
    """Run the demo portfolio on ``out/demo.sqlite`` and print the risk report."""
    from creditguard.servicing.replay import replay_on
    from creditguard.store.db import connect

    db_path = out / "demo.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    engine = connect(f"sqlite:///{db_path}")
    with console.status("日终处理中 Running every end of day through the real engine…"):
        result = replay_on(engine, demo_scenario())
    engine.dispose()
    labels = {f"B{i + 1}": label for i, (_b, label) in enumerate(BEHAVIOURS)}
    table = Table(title=f"组合风险报告 Portfolio risk report, as of {result['as_of']}")
    for col in (
        "账户 Account",
        "行为 Behaviour",
        "状态 Status",
        "逾期天数 DPD",
        "账龄 Bucket",
        "五级分类 Class",
        "阶段 Stage",
        "应还未还 Outstanding",
        "征信 PBOC",
    ):
        table.add_column(col)
    delinquent = 0
    for name, view in sorted(result["accounts"].items()):
        owed = sum(int(v.replace(".", "")) for v in view["outstanding"].values())
        codes = "".join(m["status"] for m in view["bureau"]["pboc"])
        delinquent += view["bucket"] != "M0"
        borrower = "B" + name[1:]
        table.add_row(name, labels.get(borrower, ""), view["status"], str(view["dpd"]),
                      view["bucket"], view["classification"], str(view["stage"]),
                      format_amount(owed), codes)  # fmt: skip
    console.print(table)
    n = len(result["accounts"])
    ledger = result["ledger"]
    console.print(
        f"逾期率 Delinquency (M1+) {delinquent}/{n} = {delinquent / n:.1%} · "
        f"账平 Ledger balanced {ledger['balanced']} (借 Dr {ledger['debits']} = 贷 Cr "
        f"{ledger['credits']}) · 事件 Events {len(result['events'])} · 数据库 {db_path}"
    )
    return result


def fast_sqlite(path: Path) -> Any:
    """A SQLite engine for a simulation file: WAL with ``synchronous=NORMAL``.

    Still safe against a crashed process (WAL), only not against a power cut, and it spares the
    fsync per commit that otherwise dominates a simulated year of daily end-of-day runs.
    """
    from sqlalchemy import event

    from creditguard.store.db import connect

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = connect(f"sqlite:///{path}")

    def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", _normal_sync)
    return engine


def run_simulation(out: Path, console: Console, scenario: Any = None) -> Path:
    """The default simulated portfolio through the real engine, ending in ``out/report.html``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from creditguard.simulate.pipeline import simulate_and_report
    from creditguard.simulate.scenario import shipped_scenario

    chosen = scenario or shipped_scenario("default")
    engine = fast_sqlite(out / "simulation.sqlite")
    days = (chosen.end - chosen.start).days + 1
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} 天 days"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("模拟组合 Simulating the portfolio", total=days)
            _result, html = simulate_and_report(
                chosen, engine, out,
                progress=lambda summary: progress.update(
                    task, advance=1, description=f"日终 End of day {summary.business_date}"
                ),
            )  # fmt: skip
    finally:
        engine.dispose()
    console.print(f"报告 Report: {html}")
    return html
