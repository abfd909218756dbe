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
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from typer.exceptions import Abort, Exit, TyperException

from creditguard.calendar import DayCount, parse_date
from creditguard.model_cli import model_app
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
app.add_typer(model_app, name="model", help="Risk models: scorecards, early warning, monitoring.")

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


db_app = typer.Typer(help="The database.", no_args_is_help=True)
borrower_app = typer.Typer(help="Borrowers.", no_args_is_help=True)
line_app = typer.Typer(help="Credit-pay lines.", no_args_is_help=True)
loan_app = typer.Typer(help="Cash loans.", no_args_is_help=True)
statement_app = typer.Typer(help="Statements.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts.", no_args_is_help=True)
ledger_app = typer.Typer(help="The ledger.", no_args_is_help=True)
for _name, _sub in (
    ("db", db_app),
    ("borrower", borrower_app),
    ("line", line_app),
    ("loan", loan_app),
    ("statement", statement_app),
    ("account", account_app),
    ("ledger", ledger_app),
):
    app.add_typer(_sub, name=_name)

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite path (default $CREDITGUARD_DB)")
KEY_OPTION = typer.Option(None, "--key", help="Idempotency key (generated if absent)")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON")


def _servicing(db: str | None, actor: str = "cli") -> Any:
    from creditguard.servicing.service import Servicing
    from creditguard.store.db import connect

    return Servicing(connect(db), actor=actor)


def _emit(result: Any, as_json: bool, title: str) -> None:
    """Print a command's result: JSON, or a two-column table."""
    if as_json:
        _print_json(result)
        return
    table = Table(title=title)
    table.add_column("键 Key")
    table.add_column("值 Value")
    for key, value in result.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        table.add_row(str(key), shown)
    console.print(table)


@db_app.command("init")
def db_init(
    db: str = DB_OPTION,
    business_date: str = typer.Option(None, "--business-date", help="Initial business date"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create or migrate the database; optionally set the first business date."""
    from creditguard.store.db import connect
    from creditguard.store.migrate import current, upgrade

    engine = connect(db)
    upgrade(engine)
    result: dict[str, Any] = {"revision": current(engine)}
    if business_date is not None:
        svc = _servicing(db)
        svc.set_business_date(parse_date(business_date, "business-date"))
        result["business_date"] = business_date
    _emit(result, as_json, "数据库 Database")


@borrower_app.command("add")
def borrower_add(
    borrower_id: str = typer.Argument(..., help="Borrower id"),
    name: str = typer.Option(..., help="Name"),
    national_id: str = typer.Option(..., "--national-id", help="18-character national ID"),
    phone: str = typer.Option(..., help="Mobile number"),
    db: str = DB_OPTION,
    key: str = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a borrower (national ID and phone encrypted at rest, shown masked)."""
    result = _servicing(db).add_borrower(borrower_id, name, national_id, phone, key=key)
    _emit(result, as_json, "借款人 Borrower")


@line_app.command("open")
def line_open(
    account: str = typer.Argument(..., help="Account id"),
    product: str = typer.Option("credit-pay", help="Revolving product"),
    limit: str = typer.Option(..., help="Credit limit, yuan"),
    borrower: str = typer.Option(..., help="Borrower id"),
    db: str = DB_OPTION,
    key: str = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Open a credit-pay line."""
    result = _servicing(db).open_line(
        account, product, parse_amount(limit, "limit"), borrower, key=key
    )
    _emit(result, as_json, "开通额度 Line opened")


@app.command("purchase")
def purchase_cmd(
    account: str = typer.Argument(..., help="Line account id"),
    amount: str = typer.Option(..., help="Amount, yuan"),
    db: str = DB_OPTION,
    key: str = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A purchase on a line, authorised against its available amount and status."""
    result = _servicing(db).purchase(account, parse_amount(amount, "amount"), key=key)
    _emit(result, as_json, "消费 Purchase")


@loan_app.command("disburse")
def loan_disburse(
    account: str = typer.Argument(..., help="Loan account id"),
    product: str = typer.Option("cash-loan", help="Installment product"),
    principal: str = typer.Option(..., help="Principal, yuan"),
    term: str = typer.Option(..., help="Months"),
    method: str = typer.Option(None, help="Schedule method (default: the product's first)"),
    borrower: str = typer.Option(..., help="Borrower id"),
    line: str = typer.Option(None, help="Cash line the loan is drawn from"),
    db: str = DB_OPTION,
    key: str = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Disburse a cash loan."""
    result = _servicing(db).disburse(
        account,
        product,
        parse_amount(principal, "principal"),
        parse_int(term, "term", minimum=1),
        method,
        line=line,
        borrower=borrower,
        key=key,
    )
    _emit(result, as_json, "放款 Disbursed")


@app.command("repay")
def repay_cmd(
    account: str = typer.Argument(..., help="Account id"),
    amount: str = typer.Option(..., help="Amount, yuan"),
    db: str = DB_OPTION,
    key: str = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A repayment, allocated by the waterfall (past due first, oldest first)."""
    result = _servicing(db).repay(account, parse_amount(amount, "amount"), key=key)
    _emit(result, as_json, "还款 Repayment")


eod_app = typer.Typer(help="End of day.", no_args_is_help=True)
bureau_app = typer.Typer(help="Credit-bureau files.", no_args_is_help=True)
app.add_typer(eod_app, name="eod")
app.add_typer(bureau_app, name="bureau")


def _run_eod(db: str | None, through: str | None, as_json: bool) -> None:
    from rich.progress import Progress

    from creditguard.servicing.end_of_day import run_through

    svc = _servicing(db, actor="eod")
    start = svc.business_date()
    last = parse_date(through, "through") if through else start
    if last < start:
        raise InputError("through", f"{last} is before the business date {start}")
    days = (last - start).days + 1
    keys = ("accounts", "newly_past_due", "cured", "frozen", "closed", "written_off", "postings")
    totals = dict.fromkeys(keys, 0)
    with Progress(console=Console(stderr=True), disable=as_json) as progress:
        task = progress.add_task("日终 End of day", total=days)

        def step(summary: Any) -> None:
            for key in keys:
                value = getattr(summary, key)
                totals[key] = value if key == "accounts" else totals[key] + value
            progress.update(task, advance=1, description=f"日终 {summary.business_date}")

        run_through(svc, last, progress=step)
    result = {
        "from": start.isoformat(),
        "through": last.isoformat(),
        "days": days,
        **totals,
        "business_date": svc.business_date().isoformat(),
    }
    _emit(result, as_json, "日终汇总 End-of-day summary")


@eod_app.command("run")
def eod_run(
    through: str = typer.Option(None, "--through", help="Run every business date up to this one"),
    db: str = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the end of day for the business date (or every date through --through), once each."""
    _run_eod(db, through, as_json)


@statement_app.command("run")
def statement_run(
    through: str = typer.Option(None, "--through", help="Run end of day through this date"),
    db: str = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Issue statements by running the end of day through --through (same as eod run)."""
    _run_eod(db, through, as_json)


@eod_app.command("status")
def eod_status(db: str = DB_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The business date and the last end-of-day runs."""
    from sqlalchemy import select

    from creditguard.store.db import connect
    from creditguard.store.overdue_tables import eod_runs

    engine = connect(db)
    svc = _servicing(db)
    with engine.connect() as conn:
        runs = conn.execute(
            select(eod_runs).order_by(eod_runs.c.business_date.desc()).limit(5)
        ).all()
    result = {
        "business_date": svc.business_date().isoformat(),
        "last_runs": [
            {"date": r.business_date.isoformat(), "status": r.status, **(r.summary or {})}
            for r in runs
        ],
    }
    _emit(result, as_json, "日终状态 End-of-day status")


@bureau_app.command("export")
def bureau_export(
    month: str = typer.Option(..., help="Month YYYY-MM"),
    fmt: str = typer.Option("pboc", "--format", help="pboc | metro2"),
    out: str = typer.Option("out/bureau", "--out", help="Output directory"),
    db: str = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Write one month's credit-bureau file; negative records without prior notice are withheld."""
    from creditguard.servicing.bureau import export_month
    from creditguard.store.db import connect

    result = export_month(connect(db), month, fmt, Path(out))
    _emit(result, as_json, "征信报送 Bureau export")
    if result["errors"]:
        raise Exit(1)


@account_app.command("show")
def account_show(
    account: str = typer.Argument(..., help="Account id"),
    db: str = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """An account as the replay output shows it."""
    from creditguard.servicing.replay import account_view

    svc = _servicing(db)
    view = account_view(svc.show(account), svc.business_date())
    if as_json:
        _print_json(view)
        return
    _emit({k: v for k, v in view.items() if k not in ("installments", "statements")}, False,
          f"账户 Account {account}")  # fmt: skip
    rows = view.get("installments") or view.get("statements") or []
    if rows:
        table = Table(title="明细 Detail")
        for col in rows[0]:
            table.add_column(col)
        for row in rows:
            table.add_row(*(v if isinstance(v, str) else json.dumps(v) for v in row.values()))
        console.print(table)


@ledger_app.command("verify")
def ledger_verify(db: str = DB_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Re-derive every balance from the postings; exit 1 naming each mismatch."""
    from creditguard.store.db import connect
    from creditguard.store.verify import verify_ledger

    mismatches = verify_ledger(connect(db))
    if as_json:
        _print_json({"ok": not mismatches, "mismatches": [str(m) for m in mismatches]})
    elif mismatches:
        for m in mismatches:
            console.print(f"[red]不一致 mismatch[/red] {m}")
    else:
        console.print("账平 Ledger verified: every stored balance equals its postings.")
    if mismatches:
        raise Exit(1)


@app.command("replay")
def replay_cmd(
    scenario_file: str = typer.Argument(..., metavar="SCENARIO", help="Scenario YAML file"),
    db: str = typer.Option(None, "--db", help="Run on this database instead of a temporary one"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a scenario on a fresh database and print the final state."""
    from creditguard.servicing.replay import replay
    from creditguard.servicing.scenario import load_scenario

    scenario = Path(scenario_file)
    if not scenario.is_file():
        raise InputError("scenario", f"{scenario} is not a readable file")
    result = replay(load_scenario(scenario.read_text(encoding="utf-8"), str(scenario)), db_url=db)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"回放 Replay as of {result['as_of']}")
    for col in (
        "账户 Account",
        "类型 Kind",
        "状态 Status",
        "应还未还 Outstanding",
        "本金余额 Principal",
    ):
        table.add_column(col)
    for name, view in result["accounts"].items():
        outstanding = sum((parse_amount(v) for v in view["outstanding"].values()), start=0)
        table.add_row(name, view["kind"], view["status"], format_amount(outstanding),
                      view["principal_balance"])  # fmt: skip
    console.print(table)
    ledger = result["ledger"]
    console.print(
        f"账平 Ledger balanced: {ledger['balanced']} · 借 {ledger['debits']} 贷 {ledger['credits']}"
    )


@app.command("simulate")
def simulate_cmd(
    scenario: str = typer.Option("default", "--scenario", help="default | stress | a YAML file"),
    db: str = typer.Option(..., "--db", help="An empty database to simulate on (URL or path)"),
    out: str = typer.Option("out", "--out", help="Directory for report.html and the tables"),
) -> None:
    """Run a simulated portfolio through the real engine, end of day every day, then report."""
    from creditguard.simulate.scenario import load_scenario, shipped_scenario

    chosen = (
        shipped_scenario(scenario)
        if scenario in ("default", "stress")
        else load_scenario(Path(scenario))
    )
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    if "://" not in db:
        from creditguard.demo import fast_sqlite

        engine = fast_sqlite(Path(db))
    else:
        from creditguard.store.db import connect

        engine = connect(db)
    _simulate_on(engine, chosen, target)


def _simulate_on(engine: Any, scenario: Any, out: Path) -> None:
    from rich.progress import Progress

    from creditguard.simulate.pipeline import simulate_and_report

    days = (scenario.end - scenario.start).days + 1
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("模拟 Simulating", total=days)
            _result, html = simulate_and_report(
                scenario, engine, out, progress=lambda _s: progress.update(task, advance=1)
            )
    finally:
        engine.dispose()
    console.print(f"报告 Report: {html}")


@app.command("report")
def report_cmd(
    db: str = DB_OPTION,
    out: str = typer.Option("out", "--out", help="Directory for report.html and the tables"),
) -> None:
    """Regenerate the portfolio report (HTML, CSV, Parquet) from any database."""
    from creditguard.simulate.pipeline import report_from_db
    from creditguard.store.db import connect

    engine = connect(db)
    try:
        html = report_from_db(engine, Path(out))
    finally:
        engine.dispose()
    console.print(f"报告 Report: {html}")


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
