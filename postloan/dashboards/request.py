"""Dashboard inputs (query string and widgets) checked against the allow-list.

Every value must be one that was published; anything else gets a Chinese message with
the English code and nothing is loaded. Names are never turned into code or paths."""
from __future__ import annotations

from urllib.parse import parse_qs

from postloan.dashboards.catalog import catalog

ALLOWED_KEYS = {"period", "scope", "officer", "token"}


class RequestError(ValueError):
    pass


def read_query_string() -> str:
    try:
        from voila.utils import get_query_string
        return get_query_string() or ""
    except Exception:      # not under Voila (JupyterLab, nbval)
        import os
        return os.environ.get("QUERY_STRING", "")


def parse_request(query: str, product: str, cat: dict | None = None) -> dict:
    cat = catalog() if cat is None else cat
    params = parse_qs(query or "", keep_blank_values=True)
    unknown = sorted(k for k in params if k not in ALLOWED_KEYS)
    if unknown:
        raise RequestError(f"未知的参数 (unknown_parameter)：{', '.join(repr(k)[:40] for k in unknown)}")
    if any(len(v) > 1 for v in params.values()):
        raise RequestError("参数重复 (duplicate_parameter)")
    get = lambda k: params.get(k, [""])[0]
    periods = [p for p, info in cat.items() if product in info["products"]]
    if not periods:
        raise RequestError(f"尚未发布任何{product}结果 (nothing_published)：请先运行 postloan run。")
    period = get("period") or periods[0]
    if period not in periods:
        raise RequestError(f"参数取值无效 (invalid_value)：period；可选 {', '.join(periods)}")
    scopes = cat[period]["products"][product]
    scope = get("scope") or ("all" if "all" in scopes else scopes[0])
    if scope not in scopes:
        raise RequestError(f"参数取值无效 (invalid_value)：scope；可选 {', '.join(scopes)}")
    return {"period": period, "scope": scope, "officer": get("officer"), "run_dir": cat[period]["run_dir"],
            "periods": periods, "scopes": scopes}
