"""The ``creditguard`` command line (Typer + Rich): tables by default, ``--json`` for machines.

Every option that carries money, a rate, a count or a date arrives as text and is parsed by the
core's own parsers, so bad input always yields one line naming the field and the rule, and exit
code 2 — never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from typer.exceptions import Abort, Exit, TyperException

from creditguard.calendar import DayCount, parse_date
from creditguard.money import InputError, format_amount, format_rate, parse_amount, parse_rate

app = typer.Typer(
    name="creditguard",
    help="creditguard: credit-payment servicing, overdue handling and risk management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
products_app = typer.Typer(help="The product catalogue.", no_args_is_help=True)
app.add_typer(products_app, name="products")

console = Console()
EXIT_BAD_INPUT = 2


def _print_json(payload: Any) -> None:
    """Print one JSON document on stdout (UTF-8, Chinese kept readable)."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def parse_int(text: str, field: str, *, minimum: int | None = None) -> int:
    """Parse a whole number from the command line, naming the field on error."""
    stripped = text.strip()
    if not stripped.lstrip("-").isdigit():
        raise InputError(field, f"{text!r} is not a whole number")
    value = int(stripped)
    if minimum is not None and value < minimum:
        raise InputError(field, f"must be at least {minimum}, got {value}")
    return value


def parse_choice(text: str, field: str, choices: Sequence[str]) -> str:
    """Check that ``text`` is one of ``choices``, naming the field and the allowed values."""
    if text not in choices:
        raise InputError(field, f"{text!r} is not one of {', '.join(choices)}")
    return text


def _loan_terms(
    *,
    principal: str,
    rate: str | None,
    term: str,
    method: str,
    start: str,
    day_count: str,
    daily_rate: str | None,
    days_in_year: str | None,
    fee_rate: str | None,
) -> Any:
    """Build pricing LoanTerms from command-line text, validating every field."""
    from creditguard.pricing import LoanTerms, Method

    method_value = Method(parse_choice(method, "method", [m.value for m in Method]))
    common: dict[str, Any] = {
        "principal": parse_amount(principal, "principal"),
        "term": parse_int(term, "term", minimum=1),
        "start": parse_date(start, "start"),
        "method": method_value,
    }
    if fee_rate is not None:
        common["fee_rate"] = parse_rate(fee_rate, "fee-rate", maximum=Decimal(1))
    if daily_rate is not None:
        if rate is not None:
            raise InputError("rate", "give either --rate or --daily-rate, not both")
        diy = parse_int(days_in_year or "365", "days-in-year")
        return LoanTerms.from_daily_rate(
            daily_rate=parse_rate(daily_rate, "daily-rate", maximum=Decimal("0.1")),
            days_in_year=diy,
            **common,
        )
    day_count_value = DayCount(parse_choice(day_count, "day-count", [d.value for d in DayCount]))
    annual = Decimal(0) if rate is None else parse_rate(rate, "rate", maximum=Decimal(10))
    if rate is None and method_value.value != "fee-installment":
        raise InputError("rate", f"--rate (or --daily-rate) is required for method {method}")
    return LoanTerms(annual_rate=annual, day_count=day_count_value, **common)


def _today() -> str:
    # Entry points may read the clock; the domain never does.
    return date.today().isoformat()


@app.command()
def schedule(
    principal: str = typer.Option(..., help="Principal in yuan, e.g. 12000 or 12000.00"),
    term: str = typer.Option(..., help="Number of monthly periods"),
    method: str = typer.Option(
        "annuity", help="annuity | equal-principal | interest-first | bullet | fee-installment"
    ),
    start: str = typer.Option(None, help="Disbursement date YYYY-MM-DD (default: today)"),
    rate: str = typer.Option(None, help="Annual nominal rate, e.g. 0.146"),
    day_count: str = typer.Option("30/360", "--day-count", help="30/360 | act/365 | act/360"),
    daily_rate: str = typer.Option(None, "--daily-rate", help="Daily rate, e.g. 0.0004"),
    days_in_year: str = typer.Option(None, "--days-in-year", help="365 or 360 with --daily-rate"),
    fee_rate: str = typer.Option(
        None, "--fee-rate", help="Total fee rate of a fee-installment plan"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Repayment schedule with totals and the annualized rate (SPEC §3–4)."""
    from creditguard.pricing import build_schedule, schedule_apr

    terms = _loan_terms(
        principal=principal,
        rate=rate,
        term=term,
        method=method,
        start=start or _today(),
        day_count=day_count,
        daily_rate=daily_rate,
        days_in_year=days_in_year,
        fee_rate=fee_rate,
    )
    sched = build_schedule(terms)
    apr = schedule_apr(terms, sched)
    payload = schedule_payload(sched, apr)
    if as_json:
        _print_json(payload)
        return
    table = Table(title="还款计划 Repayment schedule")
    for col in (
        "期 Period",
        "到期日 Due",
        "本金 Principal",
        "利息 Interest",
        "费用 Fee",
        "应还 Payment",
        "剩余本金 Balance",
    ):
        table.add_column(col, justify="right")
    for row in payload["installments"]:
        table.add_row(
            str(row["period"]),
            row["due_date"],
            row["principal"],
            row["interest"],
            row["fee"],
            row["payment"],
            row["balance"],
        )
    console.print(table)
    p = payload
    console.print(
        f"总利息 Total interest {p['total_interest']} · 总费用 Total fee {p['total_fee']}"
        f" · 年化利率 APR (nominal) {p['apr_nominal']} · 实际年化 effective {p['apr_effective']}"
    )


def schedule_payload(sched: Any, apr: Any) -> dict[str, Any]:
    """The machine-readable form of a schedule: amounts as decimal strings, rates to 4 places."""
    return {
        "installments": [
            {
                "period": i.period,
                "due_date": i.due_date.isoformat(),
                "principal": format_amount(i.principal),
                "interest": format_amount(i.interest),
                "fee": format_amount(i.fee),
                "payment": format_amount(i.payment),
                "balance": format_amount(i.balance),
            }
            for i in sched.installments
        ],
        "total_interest": format_amount(sched.total_interest),
        "total_fee": format_amount(sched.total_fee),
        "apr_nominal": format_rate(apr.apr_nominal),
        "apr_effective": format_rate(apr.apr_effective),
    }


@app.command()
def apr(
    principal: str = typer.Option(..., help="Principal in yuan"),
    term: str = typer.Option(..., help="Number of monthly periods"),
    rate: str = typer.Option(None, help="Annual nominal rate (with --method)"),
    method: str = typer.Option(None, help="Schedule method (with --rate)"),
    fee_rate: str = typer.Option(None, "--fee-rate", help="Fee-installment total fee rate"),
    upfront_fee: str = typer.Option("0", "--upfront-fee", help="Fee taken at disbursement, yuan"),
    start: str = typer.Option(None, help="Disbursement date (default: today)"),
    day_count: str = typer.Option("30/360", "--day-count", help="30/360 | act/365 | act/360"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """All-in annualized rate by IRR (PBOC Announcement [2021] No. 3)."""
    from creditguard.pricing import schedule_apr

    if fee_rate is None and (rate is None or method is None):
        raise InputError("rate", "give --rate and --method, or --fee-rate")
    if fee_rate is not None and rate is not None:
        raise InputError("fee-rate", "give --fee-rate or --rate, not both")
    terms = _loan_terms(
        principal=principal,
        rate=rate,
        term=term,
        method=method or "fee-installment",
        start=start or _today(),
        day_count=day_count,
        daily_rate=None,
        days_in_year=None,
        fee_rate=fee_rate,
    )
    fee = parse_amount(upfront_fee, "upfront-fee")
    if fee >= terms.principal:
        raise InputError("upfront-fee", "must be less than the principal")
    result = schedule_apr(terms, upfront_fee=fee)
    payload = {
        "apr_nominal": format_rate(result.apr_nominal),
        "apr_effective": format_rate(result.apr_effective),
        "irr_period": format_rate(result.irr_period, 8),
    }
    if as_json:
        _print_json(payload)
    else:
        console.print(
            f"年化利率 APR nominal {payload['apr_nominal']} · 实际年化 effective "
            f"{payload['apr_effective']} · 期利率 periodic IRR {payload['irr_period']}"
        )


@app.command()
def payoff(
    principal: str = typer.Option(..., help="Principal in yuan"),
    term: str = typer.Option(..., help="Number of monthly periods"),
    on: str = typer.Option(..., help="Settlement date YYYY-MM-DD"),
    rate: str = typer.Option(None, help="Annual nominal rate"),
    method: str = typer.Option("annuity", help="Schedule method"),
    start: str = typer.Option(None, help="Disbursement date (default: today)"),
    day_count: str = typer.Option("30/360", "--day-count", help="30/360 | act/365 | act/360"),
    daily_rate: str = typer.Option(None, "--daily-rate", help="Daily rate"),
    days_in_year: str = typer.Option(None, "--days-in-year", help="365 or 360"),
    fee_rate: str = typer.Option(None, "--fee-rate", help="Fee-installment total fee rate"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """What settles a loan on a date, when it was paid exactly per schedule until then."""
    from creditguard.pricing import build_schedule, payoff_quote

    terms = _loan_terms(
        principal=principal,
        rate=rate,
        term=term,
        method=method,
        start=start or _today(),
        day_count=day_count,
        daily_rate=daily_rate,
        days_in_year=days_in_year,
        fee_rate=fee_rate,
    )
    quote = payoff_quote(terms, build_schedule(terms), parse_date(on, "on"))
    payload = {
        "principal": format_amount(quote.principal),
        "interest": format_amount(quote.interest),
        "total": format_amount(quote.total),
    }
    if quote.past_due:
        payload["past_due"] = format_amount(quote.past_due)
    if as_json:
        _print_json(payload)
    else:
        console.print(
            f"提前结清 Payoff on {on}: 本金 principal {payload['principal']} + 利息 interest "
            f"{payload['interest']} = {payload['total']}"
        )


@products_app.command("list")
def products_list(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """List the products of the catalogue (shipped and CREDITGUARD_PRODUCTS directories)."""
    from creditguard.products import load_catalogue

    catalogue = load_catalogue()
    rows = [product_summary(p) for p in catalogue.values()]
    if as_json:
        _print_json(rows)
        return
    table = Table(title="产品目录 Product catalogue")
    for col in ("名称 Name", "类型 Kind", "年化 Annual rate", "宽限 Grace", "来源 Source"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            row["name"], row["kind"], row["annual_rate"], str(row["grace_days"]), row["source"]
        )
    console.print(table)


def product_summary(product: Any) -> dict[str, Any]:
    """One line of the catalogue: name, kind, headline annual rate, grace, source file."""
    if product.kind == "installment":
        annual = format_rate(product.annual_rate_effective)
    else:
        annual = format_rate(product.revolving_daily_rate * 365)
    return {
        "name": product.name,
        "kind": product.kind,
        "annual_rate": annual,
        "grace_days": product.grace_days,
        "source": str(product.source),
    }


@products_app.command("show")
def products_show(
    name: str = typer.Argument(..., help="Product name"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Show every setting of one product."""
    from creditguard.products import load_catalogue

    product = load_catalogue().get(name)
    payload = json.loads(product.model_dump_json())
    if as_json:
        _print_json(payload)
        return
    table = Table(title=f"产品 Product: {name}")
    table.add_column("键 Key")
    table.add_column("值 Value")
    for key, value in payload.items():
        table.add_row(key, json.dumps(value, ensure_ascii=False))
    console.print(table)


@app.command()
def demo(
    out: str = typer.Option("out", help="Directory for the demo's outputs"),
) -> None:
    """The main job: real engine output for every shipped product."""
    from creditguard.demo import run_demo

    run_demo(out, console)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: runs the Typer app, turning bad input into one line and exit 2."""
    run: Callable[..., Any] = app
    try:
        code = run(args=list(argv) if argv is not None else None, standalone_mode=False)
    except InputError as exc:
        sys.stderr.write(f"error: {_one_line(str(exc))}\n")
        sys.exit(EXIT_BAD_INPUT)
    except Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    except TyperException as exc:  # usage errors: unknown option, missing option, …
        sys.stderr.write(f"error: {_one_line(exc.format_message())}\n")
        sys.exit(exc.exit_code if exc.exit_code else EXIT_BAD_INPUT)
    except Exit as exc:
        sys.exit(exc.exit_code)
    # With standalone_mode off, Typer returns a command's exit code instead of exiting.
    if isinstance(code, int) and code != 0:
        sys.exit(code)
