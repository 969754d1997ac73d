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
