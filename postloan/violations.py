"""Violations of the data contract and the report that lists them.

Every rule has a stable English code and a Chinese name; a message always
names the table, the row (as the user sees it in the source) or key, the column
and the offending value.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from postloan.glossary import table_label

RULES: dict[str, str] = {
    "unreadable_source": "数据源无法读取",
    "missing_table": "缺少数据表",
    "bad_encoding": "文件编码无法识别",
    "header_not_found": "未找到表头",
    "duplicate_column": "列名重复",
    "missing_column": "缺少必需列",
    "unparseable_value": "无法解析的值",
    "unknown_enum": "未知的枚举值",
    "required_missing": "必填值为空",
    "required_when": "条件必填值为空",
    "duplicate_key": "主键重复",
    "missing_reference": "引用的记录不存在",
    "negative_amount": "金额或数值为负",
    "not_positive": "数值应大于零",
    "pattern_mismatch": "格式不符",
    "date_order": "日期先后顺序错误",
    "head_office_parent": "上级机构与机构层级不符",
    "assignment_overlap": "同一客户的管户关系时间重叠",
    "loan_month_gap": "月末快照存在断档",
    "loan_month_after_exit": "贷款出账后仍有月末快照",
    "loan_month_before_disbursement": "月末快照早于发放月份",
    "balance_after_exit": "非在账状态的余额应为零",
}


@dataclass(frozen=True)
class Violation:
    table: str
    rule: str
    column: str | None = None
    row: int | None = None      # row number as seen in the source (file line incl. header)
    key: str | None = None      # primary-key value(s) of the row
    value: str | None = None    # the offending value, as read
    detail: str = ""            # extra Chinese text, e.g. the expected type

    def __post_init__(self):
        if self.rule not in RULES:
            raise KeyError(f"unknown rule code {self.rule!r}")

    def message(self) -> str:
        where = [f"表 {self.table}（{table_label(self.table)}）"]
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.key:
            where.append(f"键 {self.key}")
        if self.column:
            where.append(f"列 {self.column}")
        text = "，".join(where) + f"：{RULES[self.rule]} [{self.rule}]"
        if self.value is not None:
            text += f"，值 “{self.value}”"
        if self.detail:
            text += f"；{self.detail}"
        return text


class ExtractInvalid(Exception):
    """The extract breaks the contract; carries every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        super().__init__(format_report(self.violations, max_per_group=5))


def format_report(violations: list[Violation], max_per_group: int | None = 20) -> str:
    """A Chinese report: a summary by table and rule, then the violations.

    `max_per_group` caps the lines shown per (table, column, rule); the count of
    those left out is stated. None shows every violation.
    """
    if not violations:
        return "数据校验通过 (no violations)。"
    lines = [f"数据校验未通过：共 {len(violations)} 处违反数据约定 (contract violations)。", "", "汇总 (summary):"]
    counts = Counter((v.table, v.column or "", v.rule) for v in violations)
    for (table, column, rule), n in sorted(counts.items()):
        col = f".{column}" if column else ""
        lines.append(f"  {table}{col}  {RULES[rule]} [{rule}]：{n} 处")
    lines += ["", "明细 (details):"]
    shown: Counter = Counter()
    for v in violations:
        group = (v.table, v.column or "", v.rule)
        shown[group] += 1
        if max_per_group is None or shown[group] <= max_per_group:
            lines.append("  " + v.message())
    hidden = sum(max(0, n - max_per_group) for n in counts.values()) if max_per_group is not None else 0
    if hidden:
        lines.append(f"  …… 另有 {hidden} 处未逐条列出（使用 --all 显示全部）。")
    return "\n".join(lines)
