"""Everything a reader sees is in Chinese: no enumeration code of the contract and no raw duty
reference (`routine:month:C015`, `quarter:2025-01-01`) in any cell or sentence of any
published page of any product."""
from __future__ import annotations

import html
import re

from postloan.glossary import enum_labels, enum_names, term_labels

RAW_REF = re.compile(r"\b(?:routine|first|special|extended|month|quarter|year|npl):[A-Za-z0-9-]+")


def _visible_text(page: str) -> str:
    page = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<img\b[^>]*>", " ", page, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _codes() -> set[str]:
    codes = {c for e in enum_names() for c in enum_labels(e)}
    codes |= set(term_labels("archive_doc_type"))
    return {c for c in codes if isinstance(c, str) and not c.isupper()}    # not the industry letters A–T


def test_no_published_page_shows_a_code_or_a_raw_reference(published_run):
    codes = _codes()
    pages = sorted(published_run.rglob("*.html"))
    products = {p.relative_to(published_run).parts[0] for p in pages}
    assert {"meeting_pack", "scorecards", "accountability", "workout"} <= products
    found = {}
    for page in pages:
        text = _visible_text(page.read_text(encoding="utf-8"))
        for token in re.findall(r"[A-Za-z_][A-Za-z0-9_:.\-]*", text):
            parts = set(re.split(r"[.:]", token))
            if parts & codes or RAW_REF.search(token):
                found.setdefault(token, str(page.relative_to(published_run)))
    assert not found, f"codes or raw references on published pages: {dict(list(found.items())[:20])}"


def test_a_column_labelled_for_a_table_shows_what_its_map_shows():
    """present.tables.labels_of (a list, no Series per map) against Series.map, through table():
    text ids, a value without a label, nulls and booleans (nullable and plain)."""
    import pandas as pd
    from postloan.present.tables import labels_of, table
    frames = [pd.DataFrame({"v": pd.Series(["done", "late", None, "odd"], dtype="string")}),
              pd.DataFrame({"v": pd.Series([True, None, False], dtype="boolean")}),
              pd.DataFrame({"v": [True, False]}), pd.DataFrame({"v": pd.Series([], dtype="string")})]
    labels = {"done": "已按时完成", "late": "逾期完成", True: "是", False: "否"}
    for f in frames:
        cols = [("label", "状态", None)]
        assert table(f.assign(label=labels_of(f["v"], labels)), cols) == table(f.assign(label=f["v"].map(labels)), cols)
    assert labels_of(frames[0]["v"], labels) == ["已按时完成", "逾期完成", None, None]
