"""Reporting periods: a month `YYYY-MM`, a quarter `YYYY-Qn` or a year `YYYY`."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    label: str           # as the user wrote it: 2026-10, 2026-Q3, 2026
    kind: str            # month / quarter / year
    start: pd.Timestamp
    end: pd.Timestamp    # last day

    @property
    def months(self) -> list[str]:
        return [str(p) for p in pd.period_range(self.start, self.end, freq="M")]

    @property
    def last_month(self) -> str:
        return self.months[-1]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self, k: int) -> "Period":
        """The period k steps back, of the same kind."""
        freq = {"month": "M", "quarter": "Q", "year": "Y"}[self.kind]
        p = pd.Period(self.start, freq) - k
        return _make(p, self.kind)

    @property
    def label_cn(self) -> str:
        p = pd.Period(self.start, "M")
        if self.kind == "month":
            return f"{p.year} 年 {p.month} 月"
        if self.kind == "quarter":
            return f"{p.year} 年第 {(p.month - 1) // 3 + 1} 季度"
        return f"{p.year} 年度"


def _make(p: pd.Period, kind: str) -> Period:
    label = {"month": lambda: str(p), "quarter": lambda: f"{p.year}-Q{p.quarter}", "year": lambda: str(p.year)}[kind]()
    return Period(label, kind, p.start_time.normalize(), p.end_time.normalize())


def parse_period(text: str) -> Period:
    text = str(text).strip()
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        return _make(pd.Period(text, "M"), "month")
    m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text)
    if m:
        return _make(pd.Period(f"{m.group(1)}Q{m.group(2)}", "Q"), "quarter")
    if re.fullmatch(r"\d{4}", text):
        return _make(pd.Period(text, "Y"), "year")
    raise PeriodError(f"无法识别的考核期间 (bad_period)：{text!r}；应为 YYYY-MM、YYYY-Qn 或 YYYY")
