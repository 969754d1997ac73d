"""The contract in code matches DATA_CONTRACT.md, and the glossary covers it."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from postloan import contract as C
from postloan.glossary import enum_input_map, enum_labels, enum_names, table_label

SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "spec" / "DATA_CONTRACT.md"
# In CI the shared folder sits beside the clone: there a missing document is a failure.
if os.environ.get("CI") and not SPEC.exists():
    raise RuntimeError(f"CI: {SPEC} is missing")


def _spec_tables() -> dict[str, list[str]]:
    """Tables and their columns as written in the contract document."""
    text = SPEC.read_text(encoding="utf-8")
    tables, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^### (\w+) \(", line)
        if m:
            current = m.group(1)
            tables[current] = []
            continue
        m = re.match(r"^\| (\w+) \| (\w+) \|", line)
        if current and m and m.group(1) != "column":
            tables[current].append(m.group(1))
    return tables


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/spec/DATA_CONTRACT.md not present")
def test_code_has_every_table_and_column_of_the_document():
    spec = _spec_tables()
    assert len(spec) == 19
    assert list(spec) == C.TABLE_NAMES
    for name, columns in spec.items():
        assert C.TABLES[name].column_names == columns, name


def test_nineteen_tables_two_optional_each_with_a_chinese_label():
    assert len(C.TABLES) == 19
    assert C.OPTIONAL_TABLES == ["debtor_events", "foreclosed_assets"]
    for name in C.TABLES:
        assert re.search(r"[\u4e00-\u9fff]", table_label(name)), name


def test_every_enum_column_names_a_glossary_enumeration_with_chinese_labels():
    names = set(enum_names())
    for table in C.TABLES.values():
        for col in table.columns:
            if col.type == C.ENUM:
                assert col.enum in names, (table.name, col.name)
                for code, label in enum_labels(col.enum).items():
                    assert re.fullmatch(r"[a-z_]+", code)
                    assert re.search(r"[\u4e00-\u9fff]", label), (col.enum, code)


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/spec/DATA_CONTRACT.md not present")
def test_glossary_codes_match_the_document_enumerations():
    text = SPEC.read_text(encoding="utf-8")
    for table in C.TABLES.values():
        for col in table.columns:
            if col.type != C.ENUM:
                continue
            row = next(line for line in text.split(f"### {table.name} (", 1)[1].splitlines()
                       if line.startswith(f"| {col.name} |"))
            documented = re.findall(r"`([a-z_]+)`", row)
            same_as = re.search(r"as (\w+)\.(\w+)", row)     # "as collateral.kind"
            if same_as and not documented:
                assert col.enum == C.TABLES[same_as.group(1)].column(same_as.group(2)).enum, (table.name, col.name)
                continue
            assert set(documented) == set(enum_labels(col.enum)), (table.name, col.name)


def test_labels_are_accepted_on_input_and_map_to_codes():
    m = enum_input_map("classification")
    assert m["关注"] == "special_mention" and m["次级"] == "substandard" and m["loss"] == "loss"
    assert enum_input_map("inspection_kind")["例行/定期检查"] == "routine"


def test_keys_references_and_rules_name_real_columns():
    for t in C.TABLES.values():
        for k in t.key:
            assert k in t.column_names
        for col in t.columns:
            if col.ref:
                rt, rc = col.ref.split(".")
                assert rc in C.TABLES[rt].column_names
    for rule in C.DATE_ORDERS:
        assert {rule.later, rule.earlier} <= set(C.TABLES[rule.table].column_names)
    for rule in C.REQUIRED_WHEN:
        assert {rule.column, rule.when_column} <= set(C.TABLES[rule.table].column_names)


def test_reference_lookup_in_arrow_answers_as_pandas_isin():
    """The reference check's set lookup (validation._isin, in Arrow) gives pandas' isin answer for
    Arrow strings, Python strings, dates, integers and missing values."""
    import numpy as np
    import pandas as pd
    from postloan.validation import _isin
    cases = [
        (pd.Series(["L1", "L2", None, "L4", "L1"], dtype="string[pyarrow]"), pd.Series(["L1", "L4", "L9"], dtype="string[pyarrow]")),
        (pd.Series(["L1", "L2", None], dtype=object), pd.Series(["L2"], dtype="string[pyarrow]")),
        (pd.Series(pd.to_datetime(["2026-01-31", None, "2026-02-28"])), pd.Series(pd.to_datetime(["2026-02-28"]))),
        (pd.Series([1, 2, 3]), pd.Series([3, 4])),
        (pd.Series(["1", "2"], dtype=object), pd.Series([1, 2])),          # types that do not convert: pandas' answer
    ]
    for values, allowed in cases:
        expected = values.isin(allowed).to_numpy()
        got = _isin(values, allowed)
        assert got.dtype == bool and np.array_equal(got, expected), (values.tolist(), allowed.tolist(), got, expected)


def test_the_rules_between_month_ends_report_each_row_by_loan_then_month():
    """A loan's month-ends checked row against row (postloan.validation._check_loan_month), on rows
    in no particular order: each violation names its row, in the order loan id, then month."""
    import pandas as pd
    from postloan.validation import _check_loan_month
    lm = pd.DataFrame({
        "month":   ["2026-03", "2026-01", "2026-01", None,      "2026-04", "2026-02", "2026-05", "2025-12", "2026-02"],
        "loan_id": ["L2",      "L2",      "L1",      "L1",      "L2",      "L1",      "L2",      "L3",      "L10"],
        "status":  ["active",  "active",  "active",  "active",  "settled", "written_off", "active", "active", "active"],
        "balance": [10.0,      10.0,      5.0,       5.0,       3.0,       0.0,       1.0,       7.0,       2.0],
    }).astype({"month": "string[pyarrow]", "loan_id": "string[pyarrow]", "status": "string[pyarrow]"})
    loans = pd.DataFrame({"loan_id": ["L1", "L2", "L3", "L3"],
                          "disbursement_date": pd.to_datetime(["2025-12-15", "2025-11-01", "2026-01-05", "2020-01-01"])})
    added = []

    class Check:
        def add(self, rule, positions, column=None, values=None, detail=""):
            for i, p in enumerate(list(positions)):
                added.append((rule, int(p), None if values is None else str(values[i]),
                              detail[i] if isinstance(detail, list) else detail))
    _check_loan_month({"loan_month": lm, "loans": loans}, {"loan_month": Check()})
    got = [(r, p, v, d if r == "loan_month_gap" else "") for r, p, v, d in added]
    # L2: 2026-01, 2026-03 (gap), 2026-04 settled with a balance, 2026-05 after the exit;
    # L3: 2025-12 before its disbursement (the first of its two rows, 2026-01); L1's null month is skipped
    assert got == [
        ("loan_month_gap", 0, "2026-03", "同一借据的上一条快照为 2026-01，中间月份缺失"),
        ("loan_month_after_exit", 6, "2026-05", ""),
        ("balance_after_exit", 4, "3.0", ""),
        ("loan_month_before_disbursement", 7, "2025-12", ""),
    ]


def test_repeated_keys_are_the_rows_pandas_marks_duplicated():
    import numpy as np
    import pandas as pd
    from postloan.validation import _repeated_keys
    rng = np.random.default_rng(7)
    t = pd.DataFrame({"month": pd.Series(rng.choice(["2026-01", "2026-02", None], 500), dtype="string"),
                      "loan_id": pd.Series(rng.choice([f"L{i}" for i in range(40)] + [None], 500), dtype="string"),
                      "n": pd.Series(rng.integers(0, 3, 500), dtype="Int64")})
    for key in (["month", "loan_id"], ["loan_id"], ["month", "loan_id", "n"]):
        assert (_repeated_keys(t, key) == t.duplicated(key, keep="first").to_numpy()).all()
