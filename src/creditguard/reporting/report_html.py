"""The risk report: one self-contained HTML page (Plotly inlined — no CDN, no network).

Chinese first, English labels after. Every table of :func:`analytics.portfolio_tables` is also
written next to the page as CSV and Parquet. Chart ``div`` ids are fixed (not random), so the
same tables give the same page.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

__all__ = ["write_report", "write_tables"]

_TITLE = "信用组合风险报告 Credit portfolio risk report"
_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px;
color:#222;max-width:1200px}
h1{font-size:24px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.kpi .v{font-size:20px;font-weight:600}.kpi .l{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px}
.note{font-size:12px;color:#555}
"""


def write_tables(tables: dict[str, pl.DataFrame], out_dir: Path) -> list[Path]:
    """Write every table as ``NAME.csv`` and ``NAME.parquet`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in sorted(tables.items()):
        csv_path = out_dir / f"{name}.csv"
        frame.write_csv(csv_path)
        pq_path = out_dir / f"{name}.parquet"
        frame.write_parquet(pq_path, statistics=False)
        written += [csv_path, pq_path]
    return written


def _fig_html(fig: go.Figure, name: str, *, first: bool) -> str:
    fig.update_layout(template="plotly_white", height=420, margin={"l": 60, "r": 20, "t": 50})
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=first,  # the library once, inline: the page works offline
            div_id=f"chart-{name}",
            config={"displaylogo": False},
        )
    )


def _markers(fig: go.Figure, tables: dict[str, pl.DataFrame], months: list[str]) -> None:
    markers = tables.get("markers")
    if markers is None or markers.height == 0:
        return
    for row in markers.iter_rows(named=True):
        month = str(row["date"])[:7]
        if month not in months:
            continue
        colour = "#d62728" if row["kind"] == "shock" else "#ff7f0e"
        fig.add_shape(
            type="line", xref="x", yref="paper", x0=month, x1=month, y0=0, y1=1,
            line={"color": colour, "dash": "dot", "width": 2},
        )  # fmt: skip
        fig.add_annotation(
            x=month, y=1, xref="x", yref="paper", text=html.escape(str(row["label"])),
            showarrow=False, yanchor="bottom", font={"color": colour, "size": 11},
        )  # fmt: skip


def _overdue_chart(tables: dict[str, pl.DataFrame]) -> go.Figure:
    rates = tables["overdue_rates"]
    months = rates.get_column("month").to_list()
    fig = go.Figure()
    series = (
        ("m1_rate_count", "M1+ 户数 count"),
        ("m3_rate_count", "M3+ 户数 count"),
        ("m1_rate_balance", "M1+ 余额 balance"),
        ("m3_rate_balance", "M3+ 余额 balance"),
    )
    for col, label in series:
        fig.add_trace(go.Scatter(x=months, y=rates.get_column(col).to_list(), name=label,
                                 mode="lines+markers"))  # fmt: skip
    fig.update_layout(
        title="逾期率 Overdue rate (月末 month end)",
        xaxis={"type": "category", "title": "月份 Month"},
        yaxis={"tickformat": ".1%", "title": "比例 Share"},
    )
    _markers(fig, tables, months)
    return fig


def _vintage_chart(tables: dict[str, pl.DataFrame]) -> go.Figure:
    v = tables["vintages"]
    fig = go.Figure()
    for vintage in v.get_column("vintage").unique().sort().to_list():
        part = v.filter(pl.col("vintage") == vintage)
        mob = part.get_column("mob").to_list()
        fig.add_trace(go.Scatter(x=mob, y=part.get_column("ever30_rate").to_list(),
                                 name=f"{vintage} 30+", mode="lines+markers"))  # fmt: skip
        fig.add_trace(go.Scatter(x=mob, y=part.get_column("ever90_rate").to_list(),
                                 name=f"{vintage} 90+", mode="lines",
                                 line={"dash": "dash"}))  # fmt: skip
    fig.update_layout(
        title="账龄曲线 Vintage curves (ever 30+ / ever 90+)",
        xaxis={"title": "账龄(月) Months on book"},
        yaxis={"tickformat": ".1%", "title": "累计比例 Cumulative share"},
    )
    return fig


def _roll_chart(tables: dict[str, pl.DataFrame]) -> go.Figure:
    from creditguard.reporting.analytics import BUCKETS

    r = tables["roll_rates"]
    present = [b for b in BUCKETS if b in set(r.get_column("from_bucket").to_list())
               or b in set(r.get_column("to_bucket").to_list())]  # fmt: skip
    rate = {(a, b): x for a, b, x in r.select("from_bucket", "to_bucket", "rate").iter_rows()}
    z = [[rate.get((a, b), 0.0) for b in present] for a in present]
    fig = go.Figure(
        go.Heatmap(z=z, x=present, y=present, colorscale="Reds", zmin=0, zmax=1,
                   text=[[f"{v:.1%}" for v in row] for row in z], texttemplate="%{text}",
                   colorbar={"tickformat": ".0%"})
    )  # fmt: skip
    fig.update_layout(
        title="迁徙率 Roll rates (本月→下月 this month → next)",
        xaxis={"title": "下月 To", "type": "category"},
        yaxis={"title": "本月 From", "type": "category", "autorange": "reversed"},
    )
    return fig


def _mix_chart(tables: dict[str, pl.DataFrame], name: str, column: str, title: str) -> go.Figure:
    m = tables[name]
    fig = go.Figure()
    for cat in m.get_column(column).unique(maintain_order=True).to_list():
        part = m.filter(pl.col(column) == cat)
        fig.add_trace(go.Bar(x=part.get_column("month").to_list(),
                             y=part.get_column("accounts").to_list(), name=str(cat)))  # fmt: skip
    fig.update_layout(barmode="stack", title=title, xaxis={"type": "category"},
                      yaxis={"title": "账户数 Accounts"})  # fmt: skip
    return fig


def _liquidity_chart(tables: dict[str, pl.DataFrame]) -> go.Figure:
    q = tables["liquidity"]
    months = q.get_column("month").to_list()
    fig = go.Figure()
    for col, label in (("scheduled", "应收 Scheduled"), ("received", "实收 Received"),
                       ("lent", "放款 Lent out")):  # fmt: skip
        fig.add_trace(go.Bar(x=months, y=[v / 100 for v in q.get_column(col).to_list()],
                             name=label))  # fmt: skip
    fig.update_layout(barmode="group", title="流动性 Liquidity (元 yuan)",
                      xaxis={"type": "category"}, yaxis={"title": "元 Yuan"})  # fmt: skip
    _markers(fig, tables, months)
    return fig


def _kpi_html(kpis: pl.DataFrame) -> str:
    cards = []
    for row in kpis.iter_rows(named=True):
        value = float(row["value"])
        shown = f"{value:.2%}" if "rate" in row["metric"] else f"{value:,.2f}"
        if row["metric"] == "accounts":
            shown = f"{int(value):,}"
        cards.append(
            f'<div class="kpi"><div class="v">{shown}</div>'
            f'<div class="l">{html.escape(row["zh"])} {html.escape(row["en"])}</div></div>'
        )
    return '<div class="kpis">' + "".join(cards) + "</div>"


def _table_html(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.iter_rows():
        cells = "".join(
            f"<td>{html.escape(f'{v:.4f}' if isinstance(v, float) else str(v))}</td>" for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_report(tables: dict[str, pl.DataFrame], out_dir: str | Path) -> Path:
    """Write ``report.html`` and every table (CSV, Parquet) into ``out_dir``; return the page."""
    out = Path(out_dir)
    write_tables(tables, out)
    charts = [
        ("overdue", "逾期率走势 Overdue rate over time", _overdue_chart(tables)),
        ("vintage", "账龄分析 Vintages", _vintage_chart(tables)),
        ("roll", "迁徙矩阵 Roll-rate matrix", _roll_chart(tables)),
        ("bucket", "逾期分布 Bucket mix",
         _mix_chart(tables, "bucket_mix", "bucket", "逾期账龄分布 Bucket mix (月末 month end)")),
        ("class", "五级分类 Five-category mix",
         _mix_chart(tables, "class_mix", "classification", "五级分类 Five-category mix")),
        ("liquidity", "流动性 Liquidity", _liquidity_chart(tables)),
    ]  # fmt: skip
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_TITLE}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_TITLE}</h1>",
        "<h2>核心指标 Headline KPIs</h2>",
        _kpi_html(tables["kpis"]),
    ]
    for i, (name, heading, fig) in enumerate(charts):
        parts.append(f"<h2>{heading}</h2>")
        parts.append(_fig_html(fig, name, first=i == 0))
    parts.append("<h2>预期信用损失 Expected credit loss (PD × LGD × EAD)</h2>")
    parts.append(_table_html(tables["ecl"]))
    parts.append(
        '<p class="note">假设 Assumptions: PD 阶段一 stage 1 3%, 阶段二 stage 2 30%, '
        "阶段三 stage 3 100%; LGD 75%; EAD = 月末余额 month-end balance.</p>"
    )
    parts.append("<h2>核销与回收 Losses and recoveries (分 fen)</h2>")
    parts.append(_table_html(tables["losses"]))
    parts.append("<h2>余额迁徙率 Flow rates (balance, bucket k → k+1)</h2>")
    parts.append(_table_html(tables["flow_rates"]))
    parts.append("<h2>治愈率 Cure rate</h2>")
    parts.append(_table_html(tables["cure_rates"]))
    parts.append(
        '<p class="note">每张表另存为 CSV 与 Parquet Every table is also saved as CSV and '
        "Parquet next to this page.</p></body></html>"
    )
    page = out / "report.html"
    page.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return page
