"""The dashboards: a selector bar (period, scope, officer) over the same presentation code
as the papermill workbooks, so a dashboard and a PDF can never disagree."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import HTML, display

from postloan.dashboards.catalog import catalog, officers
# imported up front so that a preheated kernel has paid for them before the request arrives
from postloan.present import accountability as ac
from postloan.present import meeting_pack as mp
from postloan.present import scorecards as sc
from postloan.dashboards.request import RequestError, parse_request, read_query_string
from postloan.present.tables import CSS

TITLES = {"meeting_pack": "贷后管理例会材料", "scorecards": "贷后管理考核评价", "accountability": "贷后管理工作责任追究"}


def _error(message: str) -> None:
    display(HTML(CSS + f'<div class="pl" id="pl-error"><h2>无法显示</h2><p>{html.escape(message)}</p></div>'))


def _render(product: str, run_dir: str, scope: str, officer: str = "") -> None:
    if product == "meeting_pack":
        pack = mp.load_pack(run_dir, scope)
        mp.show_header(pack)
        for key, title in mp.SECTIONS:
            display(HTML(f'<h2 class="pl">{title}</h2>'))
            getattr(mp, f"show_{key}")(pack)
    elif product == "scorecards":
        book = sc.load_scorecards(run_dir, scope)
        if officer:                      # one officer's page; the cached marts stay whole
            from postloan.marts.build import Marts
            tables = dict(book.marts.tables)
            tables["scorecard_totals"] = tables["scorecard_totals"].query("officer_id == @officer")
            sc.show_officer_pages(sc.ScorecardBook(Marts(book.marts.month, tables), scope))
        else:
            sc.show_ranking(book)
    else:
        marts, scope = ac.load_review(run_dir, scope)
        ac.show_register(marts, scope)
        ac.show_cases(marts, scope)


def dashboard(product: str) -> None:
    """Show one product's dashboard for the request's period and scope, with selectors."""
    cat = catalog()
    try:
        req = parse_request(read_query_string(), product, cat)
    except RequestError as exc:
        _error(str(exc))
        return
    if req["officer"] and req["officer"] not in officers(req["run_dir"], req["scope"]):
        _error("参数取值无效 (invalid_value)：officer")
        return
    period = W.Dropdown(options=req["periods"], value=req["period"], description="期间")
    scope = W.Dropdown(options=req["scopes"], value=req["scope"], description="范围")
    out = W.Output()

    def redraw(*_):
        out.clear_output(wait=True)
        info = cat.get(period.value, {})
        scopes = info.get("products", {}).get(product, [])
        with out:
            if scope.value not in scopes:
                _error("参数取值无效 (invalid_value)：scope")
                return
            try:
                _render(product, info["run_dir"], scope.value, req["officer"] if scope.value == req["scope"] else "")
            except Exception as exc:          # never a traceback in the page
                _error(f"加载失败 (load_failed)：{type(exc).__name__}")

    period.observe(redraw, names="value")
    scope.observe(redraw, names="value")
    display(HTML(CSS + f'<h1 class="pl" id="pl-title">{TITLES[product]} · 仪表板</h1>'), W.HBox([period, scope]), out)
    redraw()


def landing() -> None:
    cat = catalog()
    display(HTML(CSS + '<h1 class="pl" id="pl-title">贷后管理工作簿套件 · 已发布结果</h1>'))
    if not cat:
        _error("尚未发布任何结果 (nothing_published)：请先运行 postloan run。")
        return
    rows = []
    for period, info in cat.items():
        for product, scopes in info["products"].items():
            links = " ".join(f'<a href="{product}.ipynb?period={period}&amp;scope={s}">{html.escape(s)}</a>' for s in scopes)
            rows.append(f"<tr><td>{period}</td><td>{TITLES.get(product, product)}</td><td>{links}</td></tr>")
    display(HTML('<table class="pl pl-table"><thead><tr><th>期间</th><th>产品</th><th>范围</th></tr></thead><tbody>'
                 + "".join(rows) + "</tbody></table>"))
