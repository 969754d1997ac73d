"""HTML tables with Chinese headers, legible in black and white on A4."""
from __future__ import annotations

import html
import re

import pandas as pd

from postloan.glossary import enum_labels, term_labels
from postloan.present import fmt

CSS = """
<style>
.pl { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }
.pl-table { border-collapse: collapse; margin: 4px 0 10px 0; font-size: 12px; }
.pl-table th { border-bottom: 2px solid #000; padding: 3px 8px; text-align: left; background: #eee; }
.pl-table td { border-bottom: 1px solid #999; padding: 2px 8px; }
table.pl-table.pl-table th, table.pl-table.pl-table td { text-align: left; }   /* above JupyterLab's right-aligned cells */
table.pl-table.pl-table td.n { text-align: right; font-variant-numeric: tabular-nums; }
/* no id, date or figure broken; short Chinese text (w: a name, a state) one line on screen */
.pl-table td.n, .pl-table td.s, .pl-table th.s, .pl-table td.w, .pl-table th.w { white-space: nowrap; }
.pl-table tr { break-inside: avoid; }
@media print {   /* on A4 a table never exceeds the text width: Chromium would shrink the whole document to fit it */
  .pl-table td.w { white-space: normal; }
  .pl-table th, .pl-table td { padding-left: 4px; padding-right: 4px; }
}
.pl-lead { font-size: 14px; margin: 6px 0 8px 0; line-height: 1.6; orphans: 2; widows: 2; }
h2.pl, h3.pl { break-after: avoid; }
.pl-note { font-size: 11px; color: #333; }
.pl-kpis { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0; }
.pl-kpi { border: 1px solid #000; padding: 4px 10px; min-width: 120px; }
.pl-kpi b { display: block; font-size: 16px; }
</style>
"""


SHORT_CELL = 12        # characters: a cell this short is one line (a branch name, an id, a date)
SHORT_HEADER = 6
_CJK = re.compile("[\u2e80-\uffff]")


def _short(text: str) -> str:
    """The class of a short cell: "s" (an id, a date, a code: never broken), or "w" for Chinese
    text (a name, a state: one line on screen, wrapped in print where the table would exceed A4)."""
    return "w" if _CJK.search(text) else "s"


def esc(value) -> str:
    """Text for HTML: the one escaping of the suite. Everything that comes from data (names,
    ids, branch names, free text) passes through here or through `table`, `lead`, `kpis`
    and `heading`, which call it."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else html.escape(str(value))


def heading(level: int, *parts, cls: str = "pl", id: str | None = None) -> str:
    """<h1>…<h4> whose text (which may hold a branch name, an id or a customer name) is escaped."""
    attrs = f' class="{cls}"' + (f' id="{esc(id)}"' if id else "")
    return f"<h{level}{attrs}>{''.join(esc(p) for p in parts)}</h{level}>"


def _cell(v, kind):
    if kind == "money":
        return fmt.num(v), "n"
    if kind == "money_yuan":
        return fmt.num(v, "元"), "n"
    if kind == "pct":
        return fmt.pct(v), "n"
    if kind == "int":
        return ("—" if pd.isna(v) else f"{int(v):,}"), "n"
    if kind == "date":
        return fmt.day(v), ""
    if kind and kind.startswith("enum:"):
        labels = enum_labels(kind[5:])
        return esc(labels.get(v, v)), ""
    if kind and kind.startswith("term:"):
        labels = term_labels(kind[5:])
        return esc(labels.get(v, v)), ""
    if kind == "ref":
        return esc(fmt.duty_ref(v)), ""
    return esc(v), ""


def labels_of(values: pd.Series, labels: dict) -> list:
    """The label of each value of a column (None where `labels` has none), for a `table` column:
    what `values.map(labels)` shows there, without the Series pandas builds for each map (a case
    file maps half a dozen short columns; thousands of case files a run)."""
    return [labels.get(v) for v in values.tolist()]


def table(df: pd.DataFrame, columns: list[tuple], top_n: int | None = None, empty: str = "本月无。",
          extra: dict[str, list] | None = None) -> str:
    """`columns`: (column, Chinese header, kind) with kind in money (万元), money_yuan, pct,
    int, date, enum:<name>, term:<group> (the suite's own codes), ref (a duty reference,
    postloan.present.fmt.duty_ref), or None for text. Shows the first `top_n` rows and says how
    many more there are. `extra`: columns not in the frame, one value per row (what
    `df.assign(**extra)` would add, without a frame built for each case file's table)."""
    if df is None or len(df) == 0:
        return f'<p class="pl pl-note">{esc(empty)}</p>'
    shown = df if top_n is None else df.head(top_n)
    n = len(shown)
    extra = extra or {}
    values = [list(extra[col][:n]) if col in extra else shown[col].tolist() if col in shown.columns else [None] * n
              for col, _, _ in columns]
    return values_table(values, len(df), columns, top_n, empty)


def values_table(values: list[list], total: int, columns: list[tuple], top_n: int | None = None,
                 empty: str = "本月无。") -> str:
    """`table` of rows already taken out of their frame: `values` holds, for each of `columns`,
    the shown rows' values (at most `top_n`) as `Series.tolist()` gives them, of `total` rows in
    all. For a page written thousands of times a run (an officer's page), where a frame per page
    costs more than its table."""
    if total == 0:
        return f'<p class="pl pl-note">{esc(empty)}</p>'
    head = "".join(f'<th class="{_short(h)}">{esc(h)}</th>' if len(h) <= SHORT_HEADER else f"<th>{esc(h)}</th>"
                   for _, h, _ in columns)
    kinds = [kind for _, _, kind in columns]
    rows = []
    for row in zip(*values):                              # column by column: no Series per row
        cells = []
        for v, kind in zip(row, kinds):
            text, cls = _cell(v, kind)
            if not cls and len(text) <= SHORT_CELL:       # short text (ids, dates, names, states): one line
                cls = _short(text)
            cells.append(f'<td class="{cls}">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if top_n is not None and total > top_n:
        more = f'<p class="pl pl-note">……另有 {total - top_n:,} 条，共 {total:,} 条（完整清单见本范围的 Excel 工作簿，例会材料为“明细表”）。</p>'
    return f'<table class="pl pl-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def lead(*sentences: str) -> str:
    return '<p class="pl pl-lead">' + "".join(esc(s) for s in sentences if s) + "</p>"


def kpis(items: list[tuple[str, str]]) -> str:
    return '<div class="pl pl-kpis">' + "".join(
        f'<div class="pl-kpi">{esc(k)}<b>{esc(v)}</b></div>' for k, v in items) + "</div>"


def book_note(cases: int, scope: str) -> str:
    """Where a scope's case files are when its pages do not repeat them (show_cases false)."""
    return lead(f"本范围案件 {cases:,} 笔，每案一份案卷：PDF 装订为 {scope}_cases.pdf（案卷汇编，每案一个书签），"
                "网页为 cases/ 目录下的单独文件；仪表板可按案卷选择查看。")
