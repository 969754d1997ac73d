"""The dashboards: a selector bar (period, scope, and an officer or a case) over the same presentation code
as the papermill workbooks, so a dashboard and a PDF can never disagree."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import ipywidgets as W
from IPython.display import HTML, display
from IPython.utils.capture import capture_output

from postloan.dashboards import access as acl
from postloan.dashboards.catalog import catalog, outputs_dir
from postloan.dashboards.request import RequestError, default_scope, parse_request, read_query_string
from postloan.periods import parse_period
from postloan.present.tables import CSS, esc
from postloan.products import PRODUCTS

# the presenters, imported up front so that a preheated kernel has paid for them before the request arrives
for _p in PRODUCTS.values():
    if _p.presenter:
        __import__(_p.presenter)
TITLES = {name: p.label for name, p in PRODUCTS.items()}


def _error(message: str) -> None:
    display(HTML(CSS + f'<div class="pl" id="pl-error"><h2>无法显示</h2><p>{esc(message)}</p></div>'))


class _Guarded:
    """A widget whose messages from the browser can never raise into the kernel's log (which
    would send a traceback with package paths back over the websocket): a bad message — a
    Dropdown index out of range, a state that fails validation — shows 无法显示 instead."""
    on_refused = None

    def _refuse(self):
        if self.on_refused is not None:
            self.on_refused()

    def set_state(self, sync_data):
        try:
            super().set_state(sync_data)
        except Exception:
            self._refuse()

    def _handle_msg(self, msg):
        try:
            super()._handle_msg(msg)
        except Exception:
            self._refuse()


class Dropdown(_Guarded, W.Dropdown):
    pass


class Output(_Guarded, W.Output):
    pass


class HBox(_Guarded, W.HBox):
    pass


def _viewer(query: str, access) -> tuple:
    """(user, query without the user id). The server adds the authenticated user's id and
    strips any the browser sent; with access control a request without one is refused."""
    pairs = parse_qsl(query or "", keep_blank_values=True)
    if access is None:
        return None, query
    ids = [v for k, v in pairs if k == acl.USER_KEY]
    user = acl.find_user(access, ids[0]) if len(ids) == 1 else None
    if user is None:
        raise RequestError("无法识别用户 (unknown_user)：请通过行内统一登录或个人令牌访问。")
    return user, urlencode([(k, v) for k, v in pairs if k != acl.USER_KEY])


def _render(product: str, run_dir: str, scope: str, item: str = "") -> None:
    """One view: the same presenter calls as the product's workbook, over the frozen marts."""
    PRODUCTS[product].render(run_dir, scope, item)


def _scope_options(product: str, run_dir: str, scopes: list[str]) -> list[tuple[str, str]]:
    """(Chinese name, code) of each published scope: 全行, 杭州分行, …"""
    from postloan.marts.scope import scope_name
    from postloan.present.loading import product_branches
    branches = product_branches(run_dir, product)
    return [(scope_name(branches, s), s) for s in scopes]


def _captured(fn, *args) -> tuple:
    """The outputs `fn` displays, as the Output widget's state: one message to the browser
    instead of one per table and chart."""
    with capture_output(stdout=False, stderr=False) as cap:
        fn(*args)
    return tuple({"output_type": "display_data", "data": o.data, "metadata": o.metadata} for o in cap.outputs)


_VIEWS: dict = {}          # (product, run_dir, scope, item) -> outputs; a published run never changes


def _rendered(product: str, run_dir: str, scope: str, item: str) -> tuple:
    """Each view is drawn once per kernel; a failure is shown (no traceback) and not kept."""
    key = (product, run_dir, scope, item)
    if key not in _VIEWS:
        try:
            outputs = _captured(_render, product, run_dir, scope, item)
        except Exception as exc:
            return _captured(_error, f"加载失败 (load_failed)：{type(exc).__name__}")
        if len(_VIEWS) >= 32:
            _VIEWS.pop(next(iter(_VIEWS)))
        _VIEWS[key] = outputs
    return _VIEWS[key]


def dashboard(product: str) -> None:
    """Show one product's dashboard for the request's period and scope, with selectors.

    The bank-wide view of the latest period is drawn before the request is read, so a
    preheated Voila kernel has it ready when the request arrives; it is shown only to a user
    who may see it."""
    full = catalog()
    periods = [p for p, info in full.items() if product in info]
    if periods:
        latest = full[periods[0]][product]
        _rendered(product, latest["run_dir"], default_scope(latest["scopes"]), "")
    try:
        access = acl.kernel_access()
        user, query = _viewer(read_query_string(), access)
        cat = acl.visible_catalog(full, access, user)
        req = parse_request(query, product, cat)
    except RequestError as exc:
        _error(str(exc))
        return
    own = acl.own_item(access, user, product)
    spec = PRODUCTS[product].item
    item_label, item_all, item_options = (spec.label, spec.all_label, spec.options) if spec else (None, None, None)
    item_key = spec.key if spec else ""
    if own is not None:                      # an officer: their own page, nothing else
        if req["item"] not in ("", own):
            _error(f"参数取值无效 (invalid_value)：{item_key}")
            return
        req["item"] = own
        base_options = item_options

        def item_options(run_dir, scope):
            return [(k, label) for k, label in base_options(run_dir, scope) if k == own]
    if item_options and req["item"] and req["item"] not in dict(item_options(req["run_dir"], req["scope"])):
        _error(f"参数取值无效 (invalid_value)：{item_key}")
        return
    out = Output()

    def refused():
        out.outputs = _captured(_error, "参数取值无效 (invalid_value)：所选内容不在可选范围内")
    period = Dropdown(options=[(parse_period(p).label_cn, p) for p in req["periods"]], value=req["period"],
                      description="期间")
    scope = Dropdown(options=_scope_options(product, req["run_dir"], req["scopes"]), value=req["scope"],
                     description="范围")
    item = None
    if item_options:
        item = Dropdown(description=item_label, layout=W.Layout(width="320px"))
    for w in (period, scope, item, out):
        if w is not None:
            w.on_refused = refused
    busy = [False]

    def fill_items():
        if item is None:
            return
        run_dir = cat.get(period.value, {}).get(product, {}).get("run_dir", "")
        busy[0] = True
        first = [] if own is not None else [(item_all, "")]
        item.options = first + [(label, key) for key, label in item_options(run_dir, scope.value)]
        if own is not None:
            item.value = own if own in dict(item_options(run_dir, scope.value)) else None
        else:
            item.value = req["item"] if (period.value, scope.value) == (req["period"], req["scope"]) and req["item"] else ""
        busy[0] = False

    def redraw(*_):
        if busy[0]:
            return
        info = cat.get(period.value, {}).get(product, {})
        scopes = info.get("scopes", [])
        if scope.value not in scopes:             # a period in which the scope was not published
            out.outputs = _captured(_error, "参数取值无效 (invalid_value)：scope；该期间未发布此范围")
            return
        chosen = item.value if item is not None else ""
        if own is not None and chosen != own:
            out.outputs = _captured(_error, "本期该范围没有您的考核评价表 (not_published)")
            return
        acl.audit(outputs_dir(), user, product, period.value, scope.value, chosen or "")
        out.outputs = _rendered(product, info["run_dir"], scope.value, chosen or "")

    def on_scope(*_):
        if busy[0]:
            return
        fill_items()
        redraw()

    def on_period(*_):
        info = cat.get(period.value, {}).get(product, {})
        scopes = info.get("scopes", [])
        keep = scope.value if scope.value in scopes else default_scope(scopes)
        busy[0] = True
        scope.options = _scope_options(product, info["run_dir"], scopes)
        scope.value = keep
        busy[0] = False
        on_scope()

    period.observe(on_period, names="value")
    scope.observe(on_scope, names="value")
    if item is not None:
        item.observe(redraw, names="value")
    fill_items()
    bar = HBox([period, scope] + ([item] if item is not None else []))
    bar.on_refused = refused
    display(HTML(CSS + f'<h1 class="pl" id="pl-title">{TITLES[product]} · 仪表板</h1>'), bar, out)
    redraw()


def landing() -> None:
    display(HTML(CSS + '<h1 class="pl" id="pl-title">贷后管理工作簿套件 · 已发布结果</h1>'))
    try:
        access = acl.kernel_access()
        user, _ = _viewer(read_query_string(), access)
    except RequestError as exc:
        _error(str(exc))
        return
    cat = acl.visible_catalog(catalog(), access, user)
    acl.audit(outputs_dir(), user, "index", "", "", "")
    if not cat:
        _error("尚未发布任何结果 (nothing_published)：请先运行 postloan run。")
        return
    rows = []
    for period, products in cat.items():
        for product, info in products.items():
            names = {code: label for label, code in _scope_options(product, info["run_dir"], info["scopes"])}
            links = " ".join(f'<a href="{product}.ipynb?{esc(urlencode({"period": period, "scope": s}))}">'
                             f"{esc(names[s])}</a>" for s in info["scopes"])
            rows.append(f"<tr><td>{parse_period(period).label_cn}</td><td>{TITLES.get(product, product)}</td>"
                        f"<td>{links}</td><td>{esc(Path(info['run_dir']).name)}</td></tr>")
    display(HTML('<table class="pl pl-table"><thead><tr><th>期间</th><th>产品</th><th>范围</th><th>运行编号</th></tr></thead>'
                 "<tbody>" + "".join(rows) + "</tbody></table>"))
