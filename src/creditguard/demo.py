"""``creditguard demo``: the main job, run by ``make demo``.

Until the portfolio simulator lands (issue 5) the demo is the product-disclosure job a lender
runs before launch: every shipped product priced by the real engine — example schedules, the
all-in annualized rate (PBOC Announcement [2021] No. 3) and the cost-cap check — printed as
tables and written to ``out/demo.json``. Nothing is canned: every figure is computed here.
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
    path = target / "demo.json"
    path.write_text(json.dumps(all_rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(f"报告 Report written to {path}")
    return path
