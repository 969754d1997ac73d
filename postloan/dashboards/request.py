"""Dashboard inputs (query string and widgets) checked against the allow-list.

Every value must be one that was published; anything else gets a Chinese message with
the English code and nothing is loaded. Names are never turned into code or paths."""
from __future__ import annotations

from urllib.parse import parse_qs

from postloan.dashboards.catalog import catalog

COMMON_KEYS = {"period", "scope", "token"}
KERNEL_KEY_ENV = "POSTLOAN_KERNEL_KEY"            # set by `postloan serve`, inherited by its kernels only
KERNEL_KEY_HEADER = "X-Postloan-Kernel-Key"


class RequestError(ValueError):
    pass


def read_query_string() -> str:
    """The page's query string. A preheated kernel waits for its request on the server's
    request-info socket, which answers only kernels presenting the key they inherited from
    `postloan serve`; outside Voila (JupyterLab, nbval) it is the QUERY_STRING variable."""
    import os
    if os.environ.get("VOILA_PREHEAT") == "True":
        info = _wait_for_request(os.environ)
        if info:
            os.environ.update({k: str(v) for k, v in info.items()})
    return os.environ.get("QUERY_STRING", "")


def _wait_for_request(env) -> dict | None:
    """Voila's wait_for_request, with the kernel key in a header."""
    import asyncio
    import json
    import threading
    import websockets
    base = env.get("VOILA_WS_BASE_URL") or env.get("VOILA_SERVER_URL", "/")
    url = (f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
           f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID', '')}")
    got: list = []

    async def receive():
        try:
            async with websockets.connect(url, open_timeout=10, max_size=1 << 20,
                                          additional_headers={KERNEL_KEY_HEADER: env.get(KERNEL_KEY_ENV, "")}) as ws:
                got.append(await ws.recv())
        except Exception:          # no request info: the page then shows the default view's refusal
            pass
    thread = threading.Thread(target=lambda: asyncio.new_event_loop().run_until_complete(receive()))
    thread.start()
    thread.join()
    return json.loads(got[0]) if got else None


def item_key(product: str) -> str | None:
    """The query key of the product's third selector (officer, case), None when it has none."""
    from postloan.products import PRODUCTS
    spec = PRODUCTS[product].item if product in PRODUCTS else None
    return spec.key if spec else None


def parse_request(query: str, product: str, cat: dict | None = None) -> dict:
    cat = catalog() if cat is None else cat
    key = item_key(product)
    params = parse_qs(query or "", keep_blank_values=True)
    allowed = COMMON_KEYS | ({key} if key else set())
    unknown = sorted(k for k in params if k not in allowed)
    if unknown:
        raise RequestError(f"未知的参数 (unknown_parameter)：{', '.join(repr(k)[:40] for k in unknown)}；"
                           f"可用参数 {', '.join(sorted(allowed - {'token'}))}")
    if any(len(v) > 1 for v in params.values()):
        raise RequestError("参数重复 (duplicate_parameter)")
    get = lambda k: params.get(k, [""])[0]
    periods = [p for p, info in cat.items() if product in info]
    if not periods:
        raise RequestError(f"尚未发布任何{product}结果 (nothing_published)：请先运行 postloan run。")
    period = get("period") or periods[0]
    if period not in periods:
        raise RequestError(f"参数取值无效 (invalid_value)：period；可选 {', '.join(periods)}")
    scopes = cat[period][product]["scopes"]
    scope = get("scope") or default_scope(scopes)
    if scope not in scopes:
        raise RequestError(f"参数取值无效 (invalid_value)：scope；可选 {', '.join(scopes)}")
    return {"period": period, "scope": scope, "item": get(key) if key else "",
            "run_dir": cat[period][product]["run_dir"], "periods": periods, "scopes": scopes}


def default_scope(scopes: list[str]) -> str:
    return "all" if "all" in scopes else scopes[0]
