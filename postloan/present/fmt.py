"""Display formats: amounts in 元/万元/亿元, ratios as percentages, dates, Chinese labels."""
from __future__ import annotations

import math

import pandas as pd

UNITS = {"元": 1.0, "万元": 1e4, "亿元": 1e8}


def money(yuan, unit: str = "万元", digits: int = 2) -> str:
    if yuan is None or (isinstance(yuan, float) and math.isnan(yuan)):
        return "—"
    return f"{yuan / UNITS[unit]:,.{digits}f} {unit}"


def num(yuan, unit: str = "万元", digits: int = 2) -> str:
    """An amount in `unit` without the unit (for table cells under a header naming it)."""
    if yuan is None or pd.isna(yuan):
        return "—"
    return f"{yuan / UNITS[unit]:,.{digits}f}"


def pct(ratio, digits: int = 2) -> str:
    if ratio is None or pd.isna(ratio):
        return "—"
    return f"{ratio * 100:.{digits}f}%"


def signed_money(delta, unit: str = "亿元") -> str:
    if delta is None or pd.isna(delta):
        return "—"
    word = "增加" if delta > 0 else ("减少" if delta < 0 else "持平")
    return word if delta == 0 else f"{word} {abs(delta) / UNITS[unit]:,.2f} {unit}"


def signed_pct_points(delta) -> str:
    if delta is None or pd.isna(delta):
        return "—"
    word = "上升" if delta > 0 else ("下降" if delta < 0 else "持平")
    return word if delta == 0 else f"{word} {abs(delta) * 100:.2f} 个百分点"


def day(ts) -> str:
    return "—" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def month_cn(month: str) -> str:
    p = pd.Period(month, "M")
    return f"{p.year} 年 {p.month} 月"


def period_of(window: str, start) -> str:
    """A duty window as a person names it: 2025年1月, 2025年第1季度, 2025年."""
    p = pd.Timestamp(start)
    return {"month": f"{p.year}年{p.month}月", "quarter": f"{p.year}年第{(p.month - 1) // 3 + 1}季度",
            "year": f"{p.year}年"}.get(window, p.strftime("%Y-%m-%d"))


def duty_ref(ref) -> str:
    """A duty reference of the rule engine (`routine:month:C015`, `quarter:2025-01-01`,
    `npl:L1`, `L1:contract`, `C3:2025-10-16`, …) as a person recognises it: 检查类型, 期间,
    客户 or 借据, 档案类型. Plain ids (a warning, an inspection, a guarantee) are kept."""
    import re
    from postloan.glossary import enum_labels, term_labels
    if ref is None or (not isinstance(ref, str) and pd.isna(ref)):
        return ""
    kinds, windows = enum_labels("inspection_kind"), term_labels("inspection_window")
    docs, duties = term_labels("archive_doc_type"), term_labels("duty")
    parts = str(ref).split(":")
    out, i = [], 0
    while i < len(parts):
        p = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if p in windows and nxt and re.fullmatch(r"\d{4}-\d{2}-\d{2}", nxt):
            out.append(period_of(p, nxt))
            i += 2
            continue
        if p in kinds:
            label = kinds[p]
            if nxt in windows:
                label += f"（{windows[nxt]}）"
                i += 1
            out.append(label)
        elif p in windows:
            out.append(windows[p])
        elif p == "npl":
            out.append("不良贷款")
        elif p in docs:
            out.append(docs[p])
        elif p in duties:
            out.append(duties[p])
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", p):
            out.append(f"{p} 起")
        else:
            out.append(p)
        i += 1
    return " · ".join(out)
